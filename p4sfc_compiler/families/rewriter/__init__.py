"""The NAT rewriters: IPRewriter, TCPRewriter, UDPRewriter, IPAddrRewriter, IPRewriterPatterns.

A rewriter is split between switch and server. The switch holds the installed mappings
as an exact 5-tuple table (``rewriter``) and rewrites hits itself; a miss is handled by
the input spec of the port the packet arrived on: specs that create mappings
(``pattern``, ``keep``, a mapper element) send the packet to the server's copy of the
rewriter, which installs the mapping pair, ``pass K`` leaves through output K unchanged,
``drop`` drops. Table entries are installed at run time, so lowering fills none.
"""
