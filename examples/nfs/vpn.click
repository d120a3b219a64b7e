// VPN gateway: IPsec ESP tunnel mode (paper Table III: non-offloadable).
// Traffic to the remote site 10.20.0.0/16 is ESP-encapsulated, authenticated
// (HMAC-SHA1-96), AES-encrypted and sent in a new IP header to the peer gateway
// 192.168.0.2; the security association (SPI 234, keys, replay window) is part
// of the route. Encryption rewrites the payload, which a switch cannot do.
// Other traffic passes unchanged. Packets addressed to this gateway (192.168.0.1),
// where inbound ESP would arrive, are dropped: decryption is not part of this NF.
input -> Strip(14)
      -> chk :: CheckIPHeader
      -> sa :: RadixIPsecLookup(
            192.168.0.1/32 0,
            10.20.0.0/16 192.168.0.2 1 234 \<00112233445566778899aabbccddeeff> \<0f1e2d3c4b5a69788796a5b4c3d2e1f0> 300 64,
            0.0.0.0/0 2);
sa[0] -> Discard;
sa[1] -> IPsecESPEncap
      -> IPsecAuthHMACSHA1(0)
      -> IPsecAES(1)
      -> IPsecEncap(50)
      -> FixIPSrc(192.168.0.1)
      -> EtherEncap(0x0800, 02:00:00:00:03:00, 02:00:00:00:03:01)
      -> output;
sa[2] -> Unstrip(14) -> output;
chk[1] -> Discard;
