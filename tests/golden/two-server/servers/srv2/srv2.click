// p4sfc server configuration for srv2 (switch s2, port 2). Generated: do not edit.
// Entry points (chain, NF, entry): site-to-site/nat/1; site-to-site/nat/2; site-to-site/vpn/0; web/web_lb/1; web/web_lb/2; web/web_lb/3

// server part of nat (from rw)
elementclass P4SFC_nat_miss {
  rw :: IPRewriter(pattern 192.168.0.1 50000-59999# - - 0 0, drop);
  Unstrip@5 :: Unstrip(14);
  input -> rw;
  input [1] -> [1] rw;
  rw -> Unstrip@5;
  Unstrip@5 -> output;
}

// vpn
elementclass P4SFC_vpn_nf {
  Strip@1 :: Strip(14);
  chk :: CheckIPHeader;
  sa :: RadixIPsecLookup(192.168.0.1/32 0,
              10.20.0.0/16 192.168.0.2 1 234 \<00112233445566778899aabbccddeeff> \<0f1e2d3c4b5a69788796a5b4c3d2e1f0> 300 64,
              0.0.0.0/0 2);
  Discard@4 :: Discard;
  IPsecESPEncap@5 :: IPsecESPEncap;
  IPsecAuthHMACSHA1@6 :: IPsecAuthHMACSHA1(0);
  IPsecAES@7 :: IPsecAES(1);
  IPsecEncap@8 :: IPsecEncap(50);
  FixIPSrc@9 :: FixIPSrc(192.168.0.1);
  EtherEncap@10 :: EtherEncap(0x0800, 02:00:00:00:03:00, 02:00:00:00:03:01);
  Unstrip@11 :: Unstrip(14);
  Discard@12 :: Discard;
  input -> Strip@1;
  Strip@1 -> chk;
  chk -> sa;
  chk [1] -> Discard@12;
  sa -> Discard@4;
  sa [1] -> IPsecESPEncap@5;
  sa [2] -> Unstrip@11;
  IPsecESPEncap@5 -> IPsecAuthHMACSHA1@6;
  IPsecAuthHMACSHA1@6 -> IPsecAES@7;
  IPsecAES@7 -> IPsecEncap@8;
  IPsecEncap@8 -> FixIPSrc@9;
  FixIPSrc@9 -> EtherEncap@10;
  EtherEncap@10 -> output;
  Unstrip@11 -> output;
}

// server part of lb (from rw)
elementclass P4SFC_lb_miss {
  rw :: IPRewriter(pattern - - 10.0.2.11 8080 0 0,
      pattern - - 10.0.2.12 8080 0 0,
      pass 0);
  Unstrip@5 :: Unstrip(14);
  input -> rw;
  input [1] -> [1] rw;
  input [2] -> [2] rw;
  rw -> Unstrip@5;
  Unstrip@5 -> output;
}

p4sfc_in :: FromDump(in.pcap, STOP true, TIMING false);
p4sfc_out :: ToDump(out.pcap);
p4sfc_entry :: Classifier(12/88b5 14/0001 17/01 18/0800 20/04, 12/88b5 14/8001 17/01 18/0800 20/04, 12/88b5 14/0001 17/02 18/0800 20/04, 12/88b5 14/8001 17/02 18/0800 20/04, 12/88b5 14/0001 17/00 18/0800 20/05, 12/88b5 14/8001 17/00 18/0800 20/05, 12/88b5 14/0001 17/00 18/0806 20/05, 12/88b5 14/8001 17/00 18/0806 20/05, 12/88b5 14/0001 17/00 18/86dd 20/05, 12/88b5 14/8001 17/00 18/86dd 20/05, 12/88b5 14/0002 17/01 18/0800 20/02, 12/88b5 14/8002 17/01 18/0800 20/02, 12/88b5 14/0002 17/02 18/0800 20/02, 12/88b5 14/8002 17/02 18/0800 20/02, 12/88b5 14/0002 17/03 18/0800 20/02, 12/88b5 14/8002 17/03 18/0800 20/02, -);
p4sfc_in -> p4sfc_entry;
c_1_nat_miss :: P4SFC_nat_miss;
c_1_vpn :: P4SFC_vpn_nf;
c_1_vpn -> Strip(14) -> Unstrip(8) -> p4sfc_c_1_vpn_back :: PaintSwitch(ANNO 18);
p4sfc_c_1_vpn_back[0] -> StoreData(0, \<00 01 01 00 08 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_vpn_back[1] -> StoreData(0, \<80 01 01 00 08 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_vpn_back[2] -> StoreData(0, \<00 01 01 00 08 06 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_vpn_back[3] -> StoreData(0, \<80 01 01 00 08 06 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_vpn_back[4] -> StoreData(0, \<00 01 01 00 86 dd 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_vpn_back[5] -> StoreData(0, \<80 01 01 00 86 dd 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
c_1_nat_miss -> c_1_vpn;
c_2_web_lb_miss :: P4SFC_lb_miss;
c_2_web_lb_miss -> Strip(14) -> Unstrip(6) -> p4sfc_c_2_web_lb_miss_back :: PaintSwitch(ANNO 18);
p4sfc_c_2_web_lb_miss_back[0] -> StoreData(0, \<00 02 00 00 08 00>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_2_web_lb_miss_back[1] -> StoreData(0, \<80 02 00 00 08 00>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_2_web_lb_miss_back[2] -> StoreData(0, \<00 02 00 00 08 06>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_2_web_lb_miss_back[3] -> StoreData(0, \<80 02 00 00 08 06>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_2_web_lb_miss_back[4] -> StoreData(0, \<00 02 00 00 86 dd>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_2_web_lb_miss_back[5] -> StoreData(0, \<80 02 00 00 86 dd>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_entry[0] -> Paint(0, ANNO 18) -> p4sfc_e0_0800 :: Strip(26);
p4sfc_entry[1] -> Paint(1, ANNO 18) -> p4sfc_e0_0800;
p4sfc_e0_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [0]c_1_nat_miss;
p4sfc_entry[2] -> Paint(0, ANNO 18) -> p4sfc_e1_0800 :: Strip(26);
p4sfc_entry[3] -> Paint(1, ANNO 18) -> p4sfc_e1_0800;
p4sfc_e1_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [1]c_1_nat_miss;
p4sfc_entry[4] -> Paint(0, ANNO 18) -> p4sfc_e2_0800 :: Strip(24);
p4sfc_entry[5] -> Paint(1, ANNO 18) -> p4sfc_e2_0800;
p4sfc_e2_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_vpn;
p4sfc_entry[6] -> Paint(2, ANNO 18) -> p4sfc_e2_0806 :: Strip(24);
p4sfc_entry[7] -> Paint(3, ANNO 18) -> p4sfc_e2_0806;
p4sfc_e2_0806 -> EtherEncap(0x0806, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_vpn;
p4sfc_entry[8] -> Paint(4, ANNO 18) -> p4sfc_e2_86dd :: Strip(24);
p4sfc_entry[9] -> Paint(5, ANNO 18) -> p4sfc_e2_86dd;
p4sfc_e2_86dd -> EtherEncap(0x86dd, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_vpn;
p4sfc_entry[10] -> Paint(0, ANNO 18) -> p4sfc_e3_0800 :: Strip(22);
p4sfc_entry[11] -> Paint(1, ANNO 18) -> p4sfc_e3_0800;
p4sfc_e3_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [0]c_2_web_lb_miss;
p4sfc_entry[12] -> Paint(0, ANNO 18) -> p4sfc_e4_0800 :: Strip(22);
p4sfc_entry[13] -> Paint(1, ANNO 18) -> p4sfc_e4_0800;
p4sfc_e4_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [1]c_2_web_lb_miss;
p4sfc_entry[14] -> Paint(0, ANNO 18) -> p4sfc_e5_0800 :: Strip(22);
p4sfc_entry[15] -> Paint(1, ANNO 18) -> p4sfc_e5_0800;
p4sfc_e5_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [2]c_2_web_lb_miss;
p4sfc_entry[16] -> p4sfc_alerts :: Counter -> Discard;  // alert copies
