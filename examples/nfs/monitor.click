// Flow monitor (paper Table III: fully offloadable).
// Counts all traffic (AverageCounter: packets, bytes, rate) and one Counter per
// traffic class, then passes every frame on unchanged; frames that are not valid
// IPv4 are counted apart and passed on too. Counters become switch registers.
input -> Strip(14)
      -> chk :: CheckIPHeader
      -> total :: AverageCounter
      -> cls :: IPClassifier(
            tcp && (dst port 80 || src port 80 || dst port 443 || src port 443),
            tcp,
            udp && (dst port 53 || src port 53),
            udp,
            icmp,
            -);
merge :: Unstrip(14) -> output;
cls[0] -> c_web :: Counter -> merge;
cls[1] -> c_tcp :: Counter -> merge;
cls[2] -> c_dns :: Counter -> merge;
cls[3] -> c_udp :: Counter -> merge;
cls[4] -> c_icmp :: Counter -> merge;
cls[5] -> c_other :: Counter -> merge;
chk[1] -> c_bad :: Counter -> merge;
