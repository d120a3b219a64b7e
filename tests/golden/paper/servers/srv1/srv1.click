// p4sfc server configuration for srv1 (switch s1, port 3). Generated: do not edit.
// Entry points (chain, NF, entry): paper/ips1/0; paper/nat1/1; paper/nat1/2

// ips
elementclass P4SFC_ips_nf {
  sig :: Classifier(12/0800 14/45 20/0000%1fff 23/06 46/50%f0 54/61747461636b,
      12/0800 14/45 20/0000%1fff 23/06 46/50%f0 54/474554202f6574632f706173737764,
      12/0800 14/45 20/0000%1fff 23/06 46/50%f0 54/53454c454354202a2046524f4d,
      12/0800 14/45 20/0000%1fff 23/11 42/90909090,
      -);
  a_attack :: Counter;
  Discard@3 :: Discard;
  a_passwd :: Counter;
  Discard@5 :: Discard;
  a_sql :: Counter;
  Discard@7 :: Discard;
  a_nopsled :: Counter;
  Discard@9 :: Discard;
  input -> sig;
  sig -> a_attack;
  sig [1] -> a_passwd;
  sig [2] -> a_sql;
  sig [3] -> a_nopsled;
  sig [4] -> output;
  a_attack -> Discard@3;
  a_passwd -> Discard@5;
  a_sql -> Discard@7;
  a_nopsled -> Discard@9;
}

// server part of nat (from rw)
elementclass P4SFC_nat_miss {
  rw :: IPRewriter(pattern 192.168.0.1 50000-59999# - - 0 0, drop);
  Unstrip@5 :: Unstrip(14);
  input -> rw;
  input [1] -> [1] rw;
  rw -> Unstrip@5;
  Unstrip@5 -> output;
}

p4sfc_in :: FromDevice(eth0, SNIFFER false);
p4sfc_out :: Queue(1000) -> ToDevice(eth0);
p4sfc_entry :: Classifier(12/88b5 14/0001 17/00 18/0800 20/01, 12/88b5 14/8001 17/00 18/0800 20/01, 12/88b5 14/0001 17/00 18/0806 20/01, 12/88b5 14/8001 17/00 18/0806 20/01, 12/88b5 14/0001 17/00 18/86dd 20/01, 12/88b5 14/8001 17/00 18/86dd 20/01, 12/88b5 14/0001 17/01 18/0800 20/04, 12/88b5 14/8001 17/01 18/0800 20/04, 12/88b5 14/0001 17/02 18/0800 20/04, 12/88b5 14/8001 17/02 18/0800 20/04, -);
p4sfc_in -> p4sfc_entry;
c_1_ips1 :: P4SFC_ips_nf;
c_1_ips1 -> Strip(14) -> Unstrip(12) -> p4sfc_c_1_ips1_back :: PaintSwitch(ANNO 18);
p4sfc_c_1_ips1_back[0] -> StoreData(0, \<00 01 03 00 08 00 02 00 03 00 04 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips1_back[1] -> StoreData(0, \<80 01 03 00 08 00 02 00 03 00 04 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips1_back[2] -> StoreData(0, \<00 01 03 00 08 06 02 00 03 00 04 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips1_back[3] -> StoreData(0, \<80 01 03 00 08 06 02 00 03 00 04 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips1_back[4] -> StoreData(0, \<00 01 03 00 86 dd 02 00 03 00 04 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips1_back[5] -> StoreData(0, \<80 01 03 00 86 dd 02 00 03 00 04 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
c_1_nat1_miss :: P4SFC_nat_miss;
c_1_nat1_miss -> Strip(14) -> Unstrip(6) -> p4sfc_c_1_nat1_miss_back :: PaintSwitch(ANNO 18);
p4sfc_c_1_nat1_miss_back[0] -> StoreData(0, \<00 01 00 00 08 00>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_nat1_miss_back[1] -> StoreData(0, \<80 01 00 00 08 00>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_nat1_miss_back[2] -> StoreData(0, \<00 01 00 00 08 06>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_nat1_miss_back[3] -> StoreData(0, \<80 01 00 00 08 06>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_nat1_miss_back[4] -> StoreData(0, \<00 01 00 00 86 dd>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_nat1_miss_back[5] -> StoreData(0, \<80 01 00 00 86 dd>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_entry[0] -> Paint(0, ANNO 18) -> p4sfc_e0_0800 :: Strip(28);
p4sfc_entry[1] -> Paint(1, ANNO 18) -> p4sfc_e0_0800;
p4sfc_e0_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_ips1;
p4sfc_entry[2] -> Paint(2, ANNO 18) -> p4sfc_e0_0806 :: Strip(28);
p4sfc_entry[3] -> Paint(3, ANNO 18) -> p4sfc_e0_0806;
p4sfc_e0_0806 -> EtherEncap(0x0806, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_ips1;
p4sfc_entry[4] -> Paint(4, ANNO 18) -> p4sfc_e0_86dd :: Strip(28);
p4sfc_entry[5] -> Paint(5, ANNO 18) -> p4sfc_e0_86dd;
p4sfc_e0_86dd -> EtherEncap(0x86dd, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_ips1;
p4sfc_entry[6] -> Paint(0, ANNO 18) -> p4sfc_e1_0800 :: Strip(22);
p4sfc_entry[7] -> Paint(1, ANNO 18) -> p4sfc_e1_0800;
p4sfc_e1_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [0]c_1_nat1_miss;
p4sfc_entry[8] -> Paint(0, ANNO 18) -> p4sfc_e2_0800 :: Strip(22);
p4sfc_entry[9] -> Paint(1, ANNO 18) -> p4sfc_e2_0800;
p4sfc_e2_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> Strip(14) -> MarkIPHeader(0) -> GetIPAddress(16) -> [1]c_1_nat1_miss;
p4sfc_entry[10] -> p4sfc_alerts :: Counter -> Discard;  // alert copies
