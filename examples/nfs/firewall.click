// Firewall / access control list (paper Table III: fully offloadable).
// Validates the IPv4 header, then applies an ordered allow/deny rule list;
// the first matching rule wins and a packet matching no rule is dropped.
// Every element is stateless, so the whole NF can run in the switch.
input -> Strip(14)
      -> chk :: CheckIPHeader
      -> acl :: IPFilter(
            deny src net 10.0.0.0/8 && dst net 10.0.0.0/8 && icmp,
            allow dst host 10.0.1.10 && tcp && (dst port 80 || dst port 443),
            allow src net 10.0.0.0/8 && tcp && syn && !ack,
            allow dst net 10.0.0.0/8 && tcp && src port > 1023 && ack,
            allow dst host 10.0.1.53 && udp && dst port 53,
            allow src host 10.0.1.53 && udp && src port 53,
            allow icmp && (icmp type echo || icmp type echo-reply),
            deny all)
      -> Unstrip(14)
      -> output;
// Frames that are not valid IPv4 are dropped explicitly.
chk[1] -> Discard;
