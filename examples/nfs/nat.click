// NAT: network address and port translation (paper Table III: partially offloadable).
// Connections from the inside network 10.0.0.0/8 get the public source address
// 192.168.0.1 and a source port from 50000-59999; replies to that address are
// translated back. IPRewriter is the only partially offloadable element: the
// switch rewrites packets of known flows, a miss (a new flow) goes to the server,
// which creates the mapping. Unsolicited outside packets, and packets that are
// neither TCP nor UDP (or are non-first fragments), are dropped.
input -> Strip(14)
      -> chk :: CheckIPHeader
      -> side :: IPClassifier(src net 10.0.0.0/8, -);
rw :: IPRewriter(pattern 192.168.0.1 50000-59999# - - 0 0, drop);
side[0] -> [0]rw;
side[1] -> [1]rw;
rw[0] -> Unstrip(14) -> output;
chk[1] -> Discard;
