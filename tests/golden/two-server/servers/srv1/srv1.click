// p4sfc server configuration for srv1 (switch s1, port 2). Generated: do not edit.
// Entry points (chain, NF, entry): site-to-site/ips/0

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

p4sfc_in :: FromDump(in.pcap, STOP true, TIMING false);
p4sfc_out :: ToDump(out.pcap);
p4sfc_entry :: Classifier(12/88b5 14/0001 17/00 18/0800 20/02, 12/88b5 14/8001 17/00 18/0800 20/02, 12/88b5 14/0001 17/00 18/0806 20/02, 12/88b5 14/8001 17/00 18/0806 20/02, 12/88b5 14/0001 17/00 18/86dd 20/02, 12/88b5 14/8001 17/00 18/86dd 20/02, -);
p4sfc_in -> p4sfc_entry;
c_1_ips :: P4SFC_ips_nf;
c_1_ips -> Strip(14) -> Unstrip(14) -> p4sfc_c_1_ips_back :: PaintSwitch(ANNO 18);
p4sfc_c_1_ips_back[0] -> StoreData(0, \<00 01 04 00 08 00 03 00 04 00 05 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips_back[1] -> StoreData(0, \<80 01 04 00 08 00 03 00 04 00 05 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips_back[2] -> StoreData(0, \<00 01 04 00 08 06 03 00 04 00 05 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips_back[3] -> StoreData(0, \<80 01 04 00 08 06 03 00 04 00 05 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips_back[4] -> StoreData(0, \<00 01 04 00 86 dd 03 00 04 00 05 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_c_1_ips_back[5] -> StoreData(0, \<80 01 04 00 86 dd 03 00 04 00 05 00 06 01>) -> EtherEncap(0x88b5, 02:00:00:00:00:01, 02:00:00:00:00:fe) -> p4sfc_out;
p4sfc_entry[0] -> Paint(0, ANNO 18) -> p4sfc_e0_0800 :: Strip(30);
p4sfc_entry[1] -> Paint(1, ANNO 18) -> p4sfc_e0_0800;
p4sfc_e0_0800 -> EtherEncap(0x0800, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_ips;
p4sfc_entry[2] -> Paint(2, ANNO 18) -> p4sfc_e0_0806 :: Strip(30);
p4sfc_entry[3] -> Paint(3, ANNO 18) -> p4sfc_e0_0806;
p4sfc_e0_0806 -> EtherEncap(0x0806, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_ips;
p4sfc_entry[4] -> Paint(4, ANNO 18) -> p4sfc_e0_86dd :: Strip(30);
p4sfc_entry[5] -> Paint(5, ANNO 18) -> p4sfc_e0_86dd;
p4sfc_e0_86dd -> EtherEncap(0x86dd, 02:00:00:00:00:fe, 02:00:00:00:00:01) -> c_1_ips;
p4sfc_entry[6] -> p4sfc_alerts :: Counter -> Discard;  // alert copies
