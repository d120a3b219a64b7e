// L3 router (paper Table III: fully offloadable).
// Longest-prefix match on the destination address (the annotation CheckIPHeader
// sets), TTL decrement, and a new Ethernet header per next hop. Expired packets
// (TTL <= 1) and packets without a route are dropped.
input -> Strip(14)
      -> CheckIPHeader
      -> rt :: RadixIPLookup(
            10.0.1.0/24 0,
            10.0.2.0/24 1,
            192.168.0.0/16 10.0.0.254 1,
            0.0.0.0/0 10.0.0.1 0);
rt[0] -> ttl0 :: DecIPTTL
      -> EtherEncap(0x0800, 02:00:00:00:01:00, 02:00:00:00:01:01)
      -> output;
rt[1] -> ttl1 :: DecIPTTL
      -> EtherEncap(0x0800, 02:00:00:00:02:00, 02:00:00:00:02:01)
      -> output;
ttl0[1] -> Discard;
ttl1[1] -> Discard;
