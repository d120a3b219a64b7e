// Intrusion prevention system (paper Table III: non-offloadable).
// Drops frames whose transport payload starts with a known attack signature and
// counts them per signature; everything else passes. The signatures test bytes
// past the TCP/UDP header (offset 54 for TCP, 42 for UDP, without IP or TCP
// options and only in first fragments), which a switch parser does not extract,
// so the NF must run on a server. Stock Click has no substring search, so each
// signature is anchored at the start of the payload.
input -> sig :: Classifier(
    12/0800 14/45 20/0000%1fff 23/06 46/50%f0 54/61747461636b,
    12/0800 14/45 20/0000%1fff 23/06 46/50%f0 54/474554202f6574632f706173737764,
    12/0800 14/45 20/0000%1fff 23/06 46/50%f0 54/53454c454354202a2046524f4d,
    12/0800 14/45 20/0000%1fff 23/11 42/90909090,
    -);
sig[0] -> a_attack :: Counter -> Discard;
sig[1] -> a_passwd :: Counter -> Discard;
sig[2] -> a_sql :: Counter -> Discard;
sig[3] -> a_nopsled :: Counter -> Discard;
sig[4] -> output;
