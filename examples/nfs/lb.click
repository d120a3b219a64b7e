// Layer-4 load balancer (partially offloadable, like the NAT of paper Table III).
// TCP connections to the virtual service 192.168.10.1:80 are spread over two
// backends by client address and rewritten to 10.0.2.11:8080 or 10.0.2.12:8080;
// the backends' replies are rewritten back to come from the virtual address.
// IPRewriter is the only partially offloadable element: known connections are
// rewritten in the switch, a new connection goes to the server.
// Other traffic passes unchanged.
input -> Strip(14)
      -> chk :: CheckIPHeader
      -> pick :: IPClassifier(
            dst host 192.168.10.1 && tcp && dst port 80 && src net 0.0.0.0/1,
            dst host 192.168.10.1 && tcp && dst port 80,
            -);
rw :: IPRewriter(
    pattern - - 10.0.2.11 8080 0 0,
    pattern - - 10.0.2.12 8080 0 0,
    pass 0);
pick[0] -> [0]rw;
pick[1] -> [1]rw;
pick[2] -> [2]rw;
rw[0] -> Unstrip(14) -> output;
chk[1] -> Discard;
