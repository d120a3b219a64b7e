/* p4sfc dynamic data plane: 8 stages, 8 NF ids per chain,
 * kinds: classify, ip_lookup, rewriter, counter, ether_encap, ip_encap, dec_ip_ttl, set_ip_dscp, check_ip_header, paint, discard, alert, forward. Generated from p4/templates; do not edit. */
#include <core.p4>
#include <v1model.p4>

const bit<16> ETHERTYPE_SFC = 0x88B5;
const bit<16> ETHERTYPE_IPV4 = 0x0800;

header ethernet_t {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

header sfc_t {
    bit<16> chainId;
    bit<8>  nfCount;
    bit<8>  entry;
    bit<16> etherType;
}

header sfc_nf_t {
    bit<8> nfId;
    bit<7> reserved;
    bit<1> bos;
}

// The options live in the header itself so that the checksum covers them.
header ipv4_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> totalLen;
    bit<16> identification;
    bit<3>  flags;
    bit<13> fragOffset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdrChecksum;
    bit<32> srcAddr;
    bit<32> dstAddr;
    varbit<320> options;
}

// The header IPEncap pushes: never has options.
header ipv4_outer_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> totalLen;
    bit<16> identification;
    bit<3>  flags;
    bit<13> fragOffset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdrChecksum;
    bit<32> srcAddr;
    bit<32> dstAddr;
}

header tcp_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<32> seqNo;
    bit<32> ackNo;
    bit<4>  dataOffset;
    bit<4>  res;
    bit<8>  flags;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgentPtr;
}

header udp_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<16> length;
    bit<16> checksum;
}

header icmp_t {
    bit<8>  icmpType;
    bit<8>  icmpCode;
    bit<16> checksum;
}

struct headers_t {
    ethernet_t          ethernet;
    sfc_t               sfc;
    sfc_nf_t[8]        sfc_nfs;
    ipv4_outer_t        ipv4_outer;
    ipv4_t              ipv4;
    tcp_t               tcp;
    udp_t               udp;
    icmp_t              icmp;
}

struct metadata_t {
    bit<16>  chain_id;
    bit<8>   nf_id;
    bit<8>   elem_id;
    bit<16>  ether_type;
    bit<1>   ip_ok;
    bit<1>   l4_ok;
    bit<6>   l4_reach;
    bit<32>  l4_word;
    bit<16>  l4_have;
    bit<8>   l4_flags;
    bit<16>  sport;
    bit<16>  dport;
    bit<8>   tcp_flags;
    bit<8>   icmp_type;
    bit<8>   icmp_code;
    // Click's annotations and the position in the NF survive recirculation.
    @field_list(0)
    bit<32>  dst_anno;
    @field_list(0)
    bit<8>   paint;
    @field_list(0)
    bit<1>   trim;
    // The element that ran last in this pass (EXEC_COMMON; 0: none yet).
    bit<73>  element;
    // Pass state.
    bit<1>   to_server;
    bit<8>   server_entry;
    bit<1>   forwarded;
    bit<1>   dropped;
    bit<1>   halted;
    bit<1>   ip_dirty;
    bit<1>   recirc;
    bit<32>  l4_delta;
    bit<16>  l2_len;
    // element_control's key: chain_id ++ nf_id ++ prev_elem ++ out_port.
    @field_list(0)
    bit<40>  ctl_key;
    // Packed table keys (fields.PACKED_KEYS).
    bit<173> classify_ip_key;
    bit<352> classify_key;
    bit<113> route_key;
    bit<64>  ip_lookup_key;
    // classify's parameters, for its block
    bit<1>   cls_table_sel;
    // rewriter's parameters, for its block
    bit<8>   rw_proto;
    bit<8>   rw_server_entry;
    bit<8>   rw_pass_port;
    bit<32>  rw_saddr;
    bit<16>  rw_sport;
    bit<32>  rw_daddr;
    bit<16>  rw_dport;
    bit<8>   rw_port;
    // counter's parameters, for its block
    bit<32>  cnt_index;
    bit<1>   cnt_timed;
}

/*************************************************************************
 * Parser: Ethernet, SFC header and NF-id stack, IPv4 (+options), and the
 * L4 header of first fragments.
 *************************************************************************/
parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        meta.l2_len = 14;
        meta.ether_type = hdr.ethernet.etherType;
        // (straight to the IPv4 states: BMv2 pays per parser state, on every pass)
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_SFC: parse_sfc;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }

    state parse_sfc {
        packet.extract(hdr.sfc);
        meta.l2_len = meta.l2_len + 6;
        meta.chain_id = hdr.sfc.chainId;
        meta.ether_type = hdr.sfc.etherType;
        transition select(hdr.sfc.nfCount) {
            0: parse_inner;
            default: parse_sfc_nf;
        }
    }

    state parse_sfc_nf {
        packet.extract(hdr.sfc_nfs.next);
        meta.l2_len = meta.l2_len + 2;
        transition select(hdr.sfc_nfs.last.bos) {
            1: parse_inner;
            default: parse_sfc_nf;
        }
    }

    state parse_inner {
        transition select(meta.ether_type) {
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }

    state parse_ipv4 {
        // A header length below 5 words is malformed: leave it unparsed (CheckIPHeader rejects it).
        transition select(packet.lookahead<bit<8>>()[3:0]) {
            0 .. 4: accept;
            default: parse_ipv4_header;
        }
    }

    state parse_ipv4_header {
        packet.extract(hdr.ipv4,
            (bit<32>)((((bit<9>)packet.lookahead<bit<8>>()[3:0]) << 5) - 160));
        meta.ip_ok = 1;
        meta.l4_have = (bit<16>)standard_metadata.packet_length - meta.l2_len
            - (((bit<16>)hdr.ipv4.ihl) << 2);
        // A first fragment of TCP, UDP or ICMP: the count of bytes after the IP header
        // picks the l4_take state that reads as many of them as the frame holds (none
        // then), which goes on to the protocol's header. One select, not a state per
        // step: BMv2 pays per parser state, on every pass.
        transition select(hdr.ipv4.fragOffset, hdr.ipv4.protocol, meta.l4_have) {
            (0, 6, 0): parse_tcp;
            (0, 6, 1): l4_take1;
            (0, 6, 2): l4_take2;
            (0, 6, 3): l4_take3;
            (0, 6, 4 .. 13): l4_take4;
            (0, 6, 14 .. 65535): l4_take14;
            (0, 17, 0): parse_udp;
            (0, 17, 1): l4_take1;
            (0, 17, 2): l4_take2;
            (0, 17, 3): l4_take3;
            (0, 17, 4 .. 13): l4_take4;
            (0, 17, 14 .. 65535): l4_take14;
            (0, 1, 0): parse_icmp;
            (0, 1, 1): l4_take1;
            (0, 1, 2): l4_take2;
            (0, 1, 3): l4_take3;
            (0, 1, 4 .. 13): l4_take4;
            (0, 1, 14 .. 65535): l4_take14;
            default: accept;
        }
    }

    // A first fragment's first transport bytes, as many as the frame holds: Click's filters
    // read a cut header's bytes too. Each lookahead is sized to fit (packet_length), so none
    // stops the parse; ingress turns them into the key fields (dataplane/parser_model.py).

    state l4_take1 {
        meta.l4_word = packet.lookahead<bit<8>>() ++ 24w0;
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: parse_icmp;
        }
    }

    state l4_take2 {
        meta.l4_word = packet.lookahead<bit<16>>() ++ 16w0;
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: parse_icmp;
        }
    }

    state l4_take3 {
        meta.l4_word = packet.lookahead<bit<24>>() ++ 8w0;
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: parse_icmp;
        }
    }

    state l4_take4 {
        meta.l4_word = packet.lookahead<bit<32>>();
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: parse_icmp;
        }
    }

    state l4_take14 {
        meta.l4_word = packet.lookahead<bit<32>>();
        meta.l4_flags = packet.lookahead<bit<112>>()[7:0];
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: parse_icmp;
        }
    }

    state parse_tcp {
        packet.extract(hdr.tcp);
        meta.l4_ok = 1;
        transition accept;
    }

    state parse_udp {
        packet.extract(hdr.udp);
        meta.l4_ok = 1;
        transition accept;
    }

    state parse_icmp {
        packet.extract(hdr.icmp);
        meta.l4_ok = 1;
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply {
        verify_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr, hdr.ipv4.options },
            hdr.ipv4.hdrChecksum, HashAlgorithm.csum16);
    }
}

/*************************************************************************
 * One stage: the element control table picks the element to run for the
 * packet's (chain, NF, position); the element's block sets its output port.
 *************************************************************************/
control Stage(inout headers_t hdr,
              inout metadata_t meta,
              inout standard_metadata_t standard_metadata) {

    /* ---- classify ---- */
    action exec_classify(bit<73> element,
                         bit<1> table_sel) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.elem_id = element[72:65];
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(255);
        meta.cls_table_sel = table_sel;
        meta.classify_ip_key = (((meta.chain_id ++ meta.nf_id ++ meta.elem_id ++ meta.ip_ok)
          ++ (hdr.ipv4.fragOffset ++ hdr.ipv4.protocol ++ hdr.ipv4.srcAddr ++ hdr.ipv4.dstAddr))
         ++ ((meta.l4_ok ++ meta.l4_reach ++ meta.sport ++ meta.dport)
             ++ (meta.tcp_flags ++ meta.icmp_type)));
    }

    action set_port(bit<8> port) {
        meta.ctl_key[7:0] = port;
    }

    // an explicit deny rule: ends the search like a match, then drops
    action drop_packet() {
        meta.ctl_key[7:0] = 255;
    }

    table classify_ip {
        key = {
            meta.classify_ip_key: ternary @name("classify_ip_key");
        }
        actions = {
            set_port;
            drop_packet;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    table classify {
        key = {
            meta.classify_key: ternary @name("classify_key");
        }
        actions = {
            set_port;
            drop_packet;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    /* ---- ip_lookup ---- */
    action exec_ip_lookup(bit<73> element) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.elem_id = element[72:65];
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(255);
        meta.ip_lookup_key = (meta.chain_id ++ meta.nf_id ++ meta.elem_id ++ meta.dst_anno);
    }

    action route(bit<8> port) {
        meta.ctl_key[7:0] = port;
    }

    // A gateway route makes the gateway the next hop, as Click's lookup elements do.
    action route_gw(bit<8> port, bit<32> gw) {
        meta.ctl_key[7:0] = port;
        meta.dst_anno = gw;
    }

    table ip_lookup {
        key = {
            meta.ip_lookup_key: lpm @name("ip_lookup_key");
        }
        actions = {
            route;
            route_gw;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    /* ---- rewriter ---- */
    action exec_rewriter(bit<73> element,
                         bit<8> proto, bit<8> server_entry, bit<8> pass_port) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.elem_id = element[72:65];
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(0);
        meta.rw_proto = proto;
        meta.rw_server_entry = server_entry;
        meta.rw_pass_port = pass_port;
    }

    action rewrite(bit<32> saddr, bit<16> sport, bit<32> daddr, bit<16> dport, bit<8> port) {
        meta.rw_saddr = saddr;
        meta.rw_sport = sport;
        meta.rw_daddr = daddr;
        meta.rw_dport = dport;
        meta.rw_port = port;
    }

    table rewriter {
        key = {
            meta.chain_id: exact @name("chain_id");
            meta.nf_id: exact @name("nf_id");
            meta.elem_id: exact @name("elem_id");
            hdr.ipv4.srcAddr: exact @name("ip_src");
            meta.sport: exact @name("sport");
            hdr.ipv4.dstAddr: exact @name("ip_dst");
            meta.dport: exact @name("dport");
            hdr.ipv4.protocol: exact @name("ip_proto");
        }
        actions = {
            rewrite;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
        support_timeout = true;
    }

    /* ---- counter ---- */
    counter(1024, CounterType.packets) counter_packets;
    counter(81920, CounterType.packets) counter_len_digits;
    register<bit<48>>(1024) counter_first;
    register<bit<48>>(1024) counter_last;

    action exec_counter(bit<73> element,
                        bit<32> index, bit<1> timed, bit<16> bytes_base) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(0);
        meta.cnt_index = index;
        meta.cnt_timed = timed;
        // Click counts the bytes from its data pointer: what follows the Ethernet
        // header (the SFC header never counts) plus bytes_base; once a
        // CheckIPHeader cut the packet to its IP length (meta.trim), that length.
        bit<32> cnt_len = (meta.trim == 1 ? (bit<32>)hdr.ipv4.totalLen
                           : standard_metadata.packet_length - (bit<32>)meta.l2_len)
            + (bit<32>)bytes_base;
        counter_packets.count(index);
        // The bytes: per digit of the length, the cell of its value (dataplane/program.py).
        bit<32> cnt_cell = index * 80;
        counter_len_digits.count(cnt_cell + 0 + (bit<32>)cnt_len[3:0]);
        counter_len_digits.count(cnt_cell + 16 + (bit<32>)cnt_len[7:4]);
        counter_len_digits.count(cnt_cell + 32 + (bit<32>)cnt_len[11:8]);
        counter_len_digits.count(cnt_cell + 48 + (bit<32>)cnt_len[15:12]);
        counter_len_digits.count(cnt_cell + 64 + (bit<32>)cnt_len[19:16]);
    }

    /* ---- ether_encap ---- */
    action exec_ether_encap(bit<73> element,
                            bit<16> ether_type, bit<48> src, bit<48> dst) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(0);
        hdr.ethernet.srcAddr = src;
        hdr.ethernet.dstAddr = dst;
        // Under an SFC header the inner EtherType lives in the SFC header.
        hdr.sfc.etherType = hdr.sfc.etherType ^ ((hdr.sfc.etherType ^ ether_type) & (16w0 - (bit<16>)((bit<1>)hdr.sfc.isValid())));
        hdr.ethernet.etherType = ether_type ^ ((ether_type ^ hdr.ethernet.etherType) & (16w0 - (bit<16>)((bit<1>)hdr.sfc.isValid())));
        meta.ether_type = ether_type;
    }

    /* ---- ip_encap ---- */
    register<bit<16>>(1024) ipencap_id;

    action exec_ip_encap(bit<73> element,
                         bit<8> proto, bit<32> src, bit<32> dst, bit<8> ttl, bit<8> tos,
                         bit<1> df, bit<1> dst_anno, bit<32> index) {
        bit<1> ok = (bit<1>)(hdr.ipv4.isValid() && !hdr.ipv4_outer.isValid());
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(ok == 1 ? 8w0 : 8w255);
        bit<16> ie_id;
        ipencap_id.read(ie_id, index);
        ipencap_id.write(index, ie_id + (bit<16>)ok);
        hdr.ipv4_outer.setValid();
        hdr.ipv4_outer.version = 4;
        hdr.ipv4_outer.ihl = 5;
        hdr.ipv4_outer.diffserv = tos;
        hdr.ipv4_outer.totalLen = hdr.ipv4.totalLen + 20;
        hdr.ipv4_outer.identification = ie_id;
        hdr.ipv4_outer.flags = ((bit<3>)df) << 1;
        hdr.ipv4_outer.fragOffset = 0;
        hdr.ipv4_outer.ttl = ttl;
        hdr.ipv4_outer.protocol = proto;
        hdr.ipv4_outer.hdrChecksum = 0;
        hdr.ipv4_outer.srcAddr = src;
        hdr.ipv4_outer.dstAddr = dst ^ ((dst ^ meta.dst_anno) & (32w0 - (bit<32>)(dst_anno)));
        meta.dst_anno = hdr.ipv4_outer.dstAddr;
        meta.halted = meta.halted | ok;
    }

    /* ---- dec_ip_ttl ---- */
    action exec_dec_ip_ttl(bit<73> element) {
        bit<1> live = (bit<1>)(hdr.ipv4.isValid() && hdr.ipv4.ttl > 1);
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(hdr.ipv4.isValid() ? (live == 1 ? 8w0 : 8w1) : 8w255);
        hdr.ipv4.ttl = hdr.ipv4.ttl - (bit<8>)live;
        meta.ip_dirty = meta.ip_dirty | live;
    }

    /* ---- set_ip_dscp ---- */
    action exec_set_ip_dscp(bit<73> element,
                            bit<6> dscp) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(hdr.ipv4.isValid() ? 8w0 : 8w255);
        hdr.ipv4.diffserv = hdr.ipv4.diffserv ^ ((hdr.ipv4.diffserv ^ ((((bit<8>)dscp) << 2) | (hdr.ipv4.diffserv & 8w3))) & (8w0 - (bit<8>)((bit<1>)hdr.ipv4.isValid())));
        meta.ip_dirty = meta.ip_dirty | (bit<1>)hdr.ipv4.isValid();
    }

    /* ---- check_ip_header ---- */
    action exec_check_ip_header(bit<73> element) {
        bit<1> good = (bit<1>)(hdr.ipv4.isValid()
            && hdr.ipv4.version == 4
            && hdr.ipv4.totalLen >= ((bit<16>)hdr.ipv4.ihl) << 2
            && standard_metadata.checksum_error == 0
            && (bit<32>)hdr.ipv4.totalLen + (bit<32>)meta.l2_len <= standard_metadata.packet_length);
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(good == 1 ? 8w0 : 8w1);
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(good)));
        // Click truncates the packet to the IP length; egress cuts it.
        meta.trim = meta.trim | (good
            & (bit<1>)((bit<32>)hdr.ipv4.totalLen + (bit<32>)meta.l2_len < standard_metadata.packet_length));
    }

    /* ---- paint ---- */
    action exec_paint(bit<73> element,
                      bit<8> color) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(0);
        meta.paint = color;
    }

    /* ---- discard ---- */
    action exec_discard(bit<73> element) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(255);
    }

    /* ---- alert ---- */
    action exec_alert(bit<73> element,
                      bit<32> session) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(0);
        clone(CloneType.I2E, session);
    }

    /* ---- forward ---- */
    action exec_forward(bit<73> element,
                        bit<9> port) {
        meta.dst_anno = meta.dst_anno ^ ((meta.dst_anno ^ hdr.ipv4.dstAddr) & (32w0 - (bit<32>)(element[0:0])));
        meta.element = element;
        meta.ctl_key[15:0] = element[72:65] ++ (bit<8>)(0);
        standard_metadata.egress_spec = port;
        meta.forwarded = 1;
    }

    table element_control {
        key = {
            meta.ctl_key: exact @name("ctl");
        }
        actions = {
            exec_classify;
            exec_ip_lookup;
            exec_rewriter;
            exec_counter;
            exec_ether_encap;
            exec_ip_encap;
            exec_dec_ip_ttl;
            exec_set_ip_dscp;
            exec_check_ip_header;
            exec_paint;
            exec_discard;
            exec_alert;
            exec_forward;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    apply {
        // Each exec_* action sets the element's id, port masks and default output port;
        // the block may set the port. Bookkeeping lives in as few straight-line blocks
        // as the branches allow: BMv2 runs each such block as a table of its own.
        switch (element_control.apply().action_run) {
            exec_classify: {
                if (meta.cls_table_sel == 0) {
                    classify_ip.apply();
                } else {
                    meta.classify_key = ((((meta.chain_id ++ meta.nf_id ++ meta.elem_id ++ hdr.ethernet.dstAddr)
                       ++ (hdr.ethernet.srcAddr ++ meta.ether_type ++ meta.ip_ok ++ hdr.ipv4.version))
                      ++ ((hdr.ipv4.ihl ++ hdr.ipv4.diffserv ++ hdr.ipv4.totalLen ++ hdr.ipv4.identification)
                          ++ (hdr.ipv4.flags ++ hdr.ipv4.fragOffset ++ hdr.ipv4.ttl ++ hdr.ipv4.protocol)))
                     ++ (((hdr.ipv4.srcAddr ++ hdr.ipv4.dstAddr ++ meta.l4_ok ++ meta.l4_reach)
                          ++ (meta.sport ++ meta.dport ++ meta.tcp_flags ++ meta.icmp_type))
                         ++ meta.icmp_code));
                    classify.apply();
                }
            }
            exec_ip_lookup: {
                ip_lookup.apply();
            }
            exec_rewriter: {
                // A TCP/UDP first fragment Click rewrites (8 transport bytes or more) but whose
                // header the switch does not hold whole: only the server's half can.
                // (Conditions, not bool locals: a local is a statement and a declaration of
                // every stage for p4c, and a block for BMv2 to run.)
                if (meta.l4_ok == 0 && hdr.ipv4.isValid() && hdr.ipv4.fragOffset == 0
                        && (meta.l4_reach & 16) != 0
                        && ((hdr.ipv4.protocol == 6 && (meta.rw_proto == 0 || meta.rw_proto == 6))
                            || (hdr.ipv4.protocol == 17 && (meta.rw_proto == 0 || meta.rw_proto == 17)))
                        && meta.rw_server_entry != 0) {
                    meta.to_server = 1;
                    meta.server_entry = meta.rw_server_entry;
                } else if (meta.l4_ok == 0
                        || !((hdr.tcp.isValid() && (meta.rw_proto == 0 || meta.rw_proto == 6))
                             || (hdr.udp.isValid() && (meta.rw_proto == 0 || meta.rw_proto == 17)))) {
                    // It rewrites only whole TCP/UDP headers of first fragments, of the
                    // configured protocol(s).
                    meta.ctl_key[7:0] = meta.rw_pass_port;
                } else {
                    switch (rewriter.apply().action_run) {
                        rewrite: {
                            // One's-complement sum of (~old word + new word) over every changed word
                            // (RFC 1624), added to the pass's change: ingress patches the TCP/UDP
                            // checksum once, after the stages. A balanced tree of additions: p4c's
                            // JSON nests each operation of a flat chain inside the last.
                            meta.l4_delta = meta.l4_delta
                                + ((((bit<32>)(~hdr.ipv4.srcAddr[31:16]) + (bit<32>)meta.rw_saddr[31:16])
                                        + ((bit<32>)(~hdr.ipv4.srcAddr[15:0]) + (bit<32>)meta.rw_saddr[15:0]))
                                    + (((bit<32>)(~hdr.ipv4.dstAddr[31:16]) + (bit<32>)meta.rw_daddr[31:16])
                                        + ((bit<32>)(~hdr.ipv4.dstAddr[15:0]) + (bit<32>)meta.rw_daddr[15:0])))
                                + (((bit<32>)(~meta.sport) + (bit<32>)meta.rw_sport)
                                    + ((bit<32>)(~meta.dport) + (bit<32>)meta.rw_dport));
                            if (hdr.tcp.isValid()) {
                                hdr.tcp.srcPort = meta.rw_sport;
                                hdr.tcp.dstPort = meta.rw_dport;
                            } else {
                                hdr.udp.srcPort = meta.rw_sport;
                                hdr.udp.dstPort = meta.rw_dport;
                            }
                            hdr.ipv4.srcAddr = meta.rw_saddr;
                            hdr.ipv4.dstAddr = meta.rw_daddr;
                            meta.sport = meta.rw_sport;
                            meta.dport = meta.rw_dport;
                            meta.dst_anno = meta.rw_daddr;
                            meta.ip_dirty = 1;
                            meta.ctl_key[7:0] = meta.rw_port;
                        }
                        default: {
                            if (meta.rw_server_entry != 0) {
                                meta.to_server = 1;
                                meta.server_entry = meta.rw_server_entry;
                            } else {
                                meta.ctl_key[7:0] = meta.rw_pass_port;
                            }
                        }
                    }
                }
            }
            exec_counter: {
                if (meta.cnt_timed == 1) {
                    bit<48> cnt_first;
                    counter_first.read(cnt_first, meta.cnt_index);
                    // (a ?: inside a larger expression: p4c makes a bare one a branch)
                    counter_first.write(meta.cnt_index,
                        cnt_first | (cnt_first == 0 ? standard_metadata.ingress_global_timestamp : 0));
                    counter_last.write(meta.cnt_index, standard_metadata.ingress_global_timestamp);
                }
            }
            exec_ether_encap: {

            }
            exec_ip_encap: {

            }
            exec_dec_ip_ttl: {

            }
            exec_set_ip_dscp: {

            }
            exec_check_ip_header: {

            }
            exec_paint: {

            }
            exec_discard: {

            }
            exec_alert: {

            }
            exec_forward: {

            }
        }
        // The common case, moving on to the NF's next element, takes this one condition
        // and no statement: the action wrote the element's id and port into the key.
        // A miss meets the state the last element left, for which it is false: that
        // element moved on, or its NF completed and the masks were cleared.
        if (meta.forwarded == 1 || meta.to_server == 1
                || meta.ctl_key[7:0] == 255
                || ((meta.element[32:1] | meta.element[64:33]) & (((bit<32>)1) << meta.ctl_key[7:0])) != 0) {
            if (meta.forwarded == 1 || meta.to_server == 1) {
                // The packet leaves this switch's processing of the chain now.
                meta.halted = 1;
            } else if (meta.ctl_key[7:0] == 255
                    || (meta.element[32:1] & (((bit<32>)1) << meta.ctl_key[7:0])) != 0) {
                meta.dropped = 1;
                meta.halted = 1;
            } else {
                // NF complete: the next NF starts at its input with fresh annotations.
                hdr.sfc_nfs.pop_front(1);
                hdr.sfc.nfCount = hdr.sfc.nfCount - 1;
                meta.nf_id = hdr.sfc_nfs[0].nfId & (hdr.sfc_nfs[0].isValid() ? ~(bit<8>)0 : 0);
                meta.dst_anno = 0;
                meta.paint = 0;
                meta.element[64:33] = 0;
                meta.element[32:1] = 0;
                meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
                // the chain's last NF done: no stage has more to run
                meta.halted = (bit<1>)(!hdr.sfc_nfs[0].isValid());
            }
        }
    }
}

/*************************************************************************
 * Ingress: chain classification, the stages, then exit / dispatch.
 *************************************************************************/
control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    Stage() stage0;
    Stage() stage1;
    Stage() stage2;
    Stage() stage3;
    Stage() stage4;
    Stage() stage5;
    Stage() stage6;
    Stage() stage7;

    // A chain of 1 NF: its ids on the stack, the last marked.
    action push_chain_1(bit<16> chain_id, bit<8> nf0) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 1;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 2 NFs: its ids on the stack, the last marked.
    action push_chain_2(bit<16> chain_id, bit<8> nf0, bit<8> nf1) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 2;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 3 NFs: its ids on the stack, the last marked.
    action push_chain_3(bit<16> chain_id, bit<8> nf0, bit<8> nf1, bit<8> nf2) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 3;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 0;
        hdr.sfc_nfs[2].setValid();
        hdr.sfc_nfs[2].nfId = nf2;
        hdr.sfc_nfs[2].reserved = 0;
        hdr.sfc_nfs[2].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 4 NFs: its ids on the stack, the last marked.
    action push_chain_4(bit<16> chain_id, bit<8> nf0, bit<8> nf1, bit<8> nf2, bit<8> nf3) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 4;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 0;
        hdr.sfc_nfs[2].setValid();
        hdr.sfc_nfs[2].nfId = nf2;
        hdr.sfc_nfs[2].reserved = 0;
        hdr.sfc_nfs[2].bos = 0;
        hdr.sfc_nfs[3].setValid();
        hdr.sfc_nfs[3].nfId = nf3;
        hdr.sfc_nfs[3].reserved = 0;
        hdr.sfc_nfs[3].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 5 NFs: its ids on the stack, the last marked.
    action push_chain_5(bit<16> chain_id, bit<8> nf0, bit<8> nf1, bit<8> nf2, bit<8> nf3, bit<8> nf4) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 5;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 0;
        hdr.sfc_nfs[2].setValid();
        hdr.sfc_nfs[2].nfId = nf2;
        hdr.sfc_nfs[2].reserved = 0;
        hdr.sfc_nfs[2].bos = 0;
        hdr.sfc_nfs[3].setValid();
        hdr.sfc_nfs[3].nfId = nf3;
        hdr.sfc_nfs[3].reserved = 0;
        hdr.sfc_nfs[3].bos = 0;
        hdr.sfc_nfs[4].setValid();
        hdr.sfc_nfs[4].nfId = nf4;
        hdr.sfc_nfs[4].reserved = 0;
        hdr.sfc_nfs[4].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 6 NFs: its ids on the stack, the last marked.
    action push_chain_6(bit<16> chain_id, bit<8> nf0, bit<8> nf1, bit<8> nf2, bit<8> nf3, bit<8> nf4, bit<8> nf5) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 6;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 0;
        hdr.sfc_nfs[2].setValid();
        hdr.sfc_nfs[2].nfId = nf2;
        hdr.sfc_nfs[2].reserved = 0;
        hdr.sfc_nfs[2].bos = 0;
        hdr.sfc_nfs[3].setValid();
        hdr.sfc_nfs[3].nfId = nf3;
        hdr.sfc_nfs[3].reserved = 0;
        hdr.sfc_nfs[3].bos = 0;
        hdr.sfc_nfs[4].setValid();
        hdr.sfc_nfs[4].nfId = nf4;
        hdr.sfc_nfs[4].reserved = 0;
        hdr.sfc_nfs[4].bos = 0;
        hdr.sfc_nfs[5].setValid();
        hdr.sfc_nfs[5].nfId = nf5;
        hdr.sfc_nfs[5].reserved = 0;
        hdr.sfc_nfs[5].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 7 NFs: its ids on the stack, the last marked.
    action push_chain_7(bit<16> chain_id, bit<8> nf0, bit<8> nf1, bit<8> nf2, bit<8> nf3, bit<8> nf4, bit<8> nf5, bit<8> nf6) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 7;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 0;
        hdr.sfc_nfs[2].setValid();
        hdr.sfc_nfs[2].nfId = nf2;
        hdr.sfc_nfs[2].reserved = 0;
        hdr.sfc_nfs[2].bos = 0;
        hdr.sfc_nfs[3].setValid();
        hdr.sfc_nfs[3].nfId = nf3;
        hdr.sfc_nfs[3].reserved = 0;
        hdr.sfc_nfs[3].bos = 0;
        hdr.sfc_nfs[4].setValid();
        hdr.sfc_nfs[4].nfId = nf4;
        hdr.sfc_nfs[4].reserved = 0;
        hdr.sfc_nfs[4].bos = 0;
        hdr.sfc_nfs[5].setValid();
        hdr.sfc_nfs[5].nfId = nf5;
        hdr.sfc_nfs[5].reserved = 0;
        hdr.sfc_nfs[5].bos = 0;
        hdr.sfc_nfs[6].setValid();
        hdr.sfc_nfs[6].nfId = nf6;
        hdr.sfc_nfs[6].reserved = 0;
        hdr.sfc_nfs[6].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    // A chain of 8 NFs: its ids on the stack, the last marked.
    action push_chain_8(bit<16> chain_id, bit<8> nf0, bit<8> nf1, bit<8> nf2, bit<8> nf3, bit<8> nf4, bit<8> nf5, bit<8> nf6, bit<8> nf7) {
        hdr.sfc.setValid();
        hdr.sfc.chainId = chain_id;
        hdr.sfc.nfCount = 8;
        hdr.sfc.entry = 0;
        hdr.sfc.etherType = hdr.ethernet.etherType;
        hdr.ethernet.etherType = ETHERTYPE_SFC;
        hdr.sfc_nfs[0].setValid();
        hdr.sfc_nfs[0].nfId = nf0;
        hdr.sfc_nfs[0].reserved = 0;
        hdr.sfc_nfs[0].bos = 0;
        hdr.sfc_nfs[1].setValid();
        hdr.sfc_nfs[1].nfId = nf1;
        hdr.sfc_nfs[1].reserved = 0;
        hdr.sfc_nfs[1].bos = 0;
        hdr.sfc_nfs[2].setValid();
        hdr.sfc_nfs[2].nfId = nf2;
        hdr.sfc_nfs[2].reserved = 0;
        hdr.sfc_nfs[2].bos = 0;
        hdr.sfc_nfs[3].setValid();
        hdr.sfc_nfs[3].nfId = nf3;
        hdr.sfc_nfs[3].reserved = 0;
        hdr.sfc_nfs[3].bos = 0;
        hdr.sfc_nfs[4].setValid();
        hdr.sfc_nfs[4].nfId = nf4;
        hdr.sfc_nfs[4].reserved = 0;
        hdr.sfc_nfs[4].bos = 0;
        hdr.sfc_nfs[5].setValid();
        hdr.sfc_nfs[5].nfId = nf5;
        hdr.sfc_nfs[5].reserved = 0;
        hdr.sfc_nfs[5].bos = 0;
        hdr.sfc_nfs[6].setValid();
        hdr.sfc_nfs[6].nfId = nf6;
        hdr.sfc_nfs[6].reserved = 0;
        hdr.sfc_nfs[6].bos = 0;
        hdr.sfc_nfs[7].setValid();
        hdr.sfc_nfs[7].nfId = nf7;
        hdr.sfc_nfs[7].reserved = 0;
        hdr.sfc_nfs[7].bos = 1;
        meta.chain_id = chain_id;
        // (here, not in a block after the table: that block would be a table of its own)
        meta.nf_id = nf0;
        meta.ctl_key = meta.chain_id ++ meta.nf_id ++ 16w0;
    }

    table classify_chain {
        key = {
            meta.route_key: ternary @name("route_key");
        }
        actions = {
            push_chain_1;
            push_chain_2;
            push_chain_3;
            push_chain_4;
            push_chain_5;
            push_chain_6;
            push_chain_7;
            push_chain_8;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    action run_local() {
        meta.recirc = 1;
        standard_metadata.egress_spec = standard_metadata.ingress_port;
    }

    action to_port(bit<9> port) {
        standard_metadata.egress_spec = port;
        hdr.sfc.entry = meta.server_entry;
    }

    table nf_dispatch {
        key = {
            meta.chain_id: exact @name("chain_id");
            meta.nf_id: exact @name("nf_id");
            meta.to_server: exact @name("to_server");
        }
        actions = {
            run_local;
            to_port;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    action exit_chain(bit<9> port) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.etherType = hdr.sfc.etherType;
        hdr.sfc.setInvalid();
        // No NF id is left on the stack: the stages popped them all.
    }

    // On a switch before the chain's egress switch: carry the (empty-stack) SFC header on.
    action forward_chain(bit<9> port) {
        standard_metadata.egress_spec = port;
    }

    table chain_exit {
        key = {
            meta.chain_id: exact @name("chain_id");
        }
        actions = {
            exit_chain;
            forward_chain;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 1024;
    }

    apply {
        if (hdr.ipv4.isValid()) {
            // The transport bytes Click's filters see: after the IP header, inside the frame
            // and the IP total length (Click cuts the packet to it): dataplane/parser_model.py.
            // Written as expressions, one block, no branch: BMv2 pays a condition and a
            // table per branch, on every pass. (p4c turns an assignment or argument that
            // is a ?: into a branch, so each ?: below sits inside a larger expression.)
            // l4_have and l4_word are cut in assignments that read their own field: p4c
            // copies an assigned value into every later use, nested (a local's too), but
            // not one defined in terms of itself, so the uses below read the fields.
            bit<16> hl = ((bit<16>)hdr.ipv4.ihl) << 2;
            meta.l4_have = ((hdr.ipv4.totalLen - hl < meta.l4_have) ? hdr.ipv4.totalLen - hl : meta.l4_have)
                 & ((hdr.ipv4.totalLen < hl) ? 16w0 : 16w0xFFFF);
            // bit i: at least wire.L4_PROBES[i] bytes.
            meta.l4_reach = ((meta.l4_have >= 1) ? 6w1 : 0)
                | ((meta.l4_have >= 2) ? 6w2 : 0)
                | ((meta.l4_have >= 3) ? 6w4 : 0)
                | ((meta.l4_have >= 4) ? 6w8 : 0)
                | ((meta.l4_have >= 8) ? 6w16 : 0)
                | ((meta.l4_have >= 14) ? 6w32 : 0);
            // A first fragment's key fields: the bytes of them it has, the rest 0.
            meta.l4_word = meta.l4_word & (meta.l4_have >= 4 ? 32w0xFFFFFFFF
                : (meta.l4_have >= 3 ? 32w0xFFFFFF00 : (meta.l4_have >= 2 ? 32w0xFFFF0000
                : (meta.l4_have >= 1 ? 32w0xFF000000 : 32w0))));
            // A transport header that runs past the IP total length is not a whole one.
            meta.l4_ok = meta.l4_ok & (bit<1>)(meta.l4_have >= (hdr.tcp.isValid() ? 16w20 : 16w8));
            // A first fragment's key fields for its protocol; 0 for other packets.
            meta.sport = (meta.l4_word[31:16] & ((hdr.ipv4.fragOffset == 0 && (hdr.ipv4.protocol == 6 || hdr.ipv4.protocol == 17)) ? ~(bit<16>)0 : 0));
            meta.dport = (meta.l4_word[15:0] & ((hdr.ipv4.fragOffset == 0 && (hdr.ipv4.protocol == 6 || hdr.ipv4.protocol == 17)) ? ~(bit<16>)0 : 0));
            meta.tcp_flags = ((meta.l4_flags & ((meta.l4_have >= 14) ? ~(bit<8>)0 : 0)) & ((hdr.ipv4.fragOffset == 0 && (hdr.ipv4.protocol == 6)) ? ~(bit<8>)0 : 0));
            meta.icmp_type = (meta.l4_word[31:24] & ((hdr.ipv4.fragOffset == 0 && (hdr.ipv4.protocol == 1)) ? ~(bit<8>)0 : 0));
            meta.icmp_code = (meta.l4_word[23:16] & ((hdr.ipv4.fragOffset == 0 && (hdr.ipv4.protocol == 1)) ? ~(bit<8>)0 : 0));
            // classify_chain's packed key (only untagged packets look it up)
            meta.route_key = ((standard_metadata.ingress_port ++ hdr.ipv4.srcAddr ++ hdr.ipv4.dstAddr ++ hdr.ipv4.protocol)
             ++ (meta.sport ++ meta.dport));
        } else {
            // the ingress port; the IPv4 and transport parts of a packet without them 0
            meta.route_key = (standard_metadata.ingress_port ++ 104w0);
        }
        // meta.halted: no stage runs (any more) in this pass. Set with every drop and
        // wherever the NF stack runs out, so each stage tests this one flag.
        if (standard_metadata.parser_error == error.StackOutOfBounds) {
            // More NF ids than the program carries: not ours to guess.
            meta.dropped = 1;
            meta.halted = 1;
        } else if (!hdr.sfc.isValid()) {
            if (!classify_chain.apply().hit) {
                meta.dropped = 1;
                meta.halted = 1;
            }
        } else if (hdr.sfc_nfs[0].isValid()) {
            // A tagged packet: its NF from the stack (push_chain_<n> sets both for the others).
            // The stages keep the key up to date from here on; the position in the NF is
            // 0 on a first pass and preserved on recirculation.
            meta.nf_id = hdr.sfc_nfs[0].nfId;
            meta.ctl_key = meta.chain_id ++ meta.nf_id ++ meta.ctl_key[15:0];
        } else {
            // a tagged packet whose chain is done: on to chain_exit
            meta.halted = 1;
        }
        if (meta.halted == 0) {
            stage0.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage1.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage2.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage3.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage4.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage5.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage6.apply(hdr, meta, standard_metadata);
        }
        if (meta.halted == 0) {
            stage7.apply(hdr, meta, standard_metadata);
        }

        // The transport checksum, patched once for every word the pass's elements
        // rewrote (their one's-complement changes add up in any order), not in each stage.
        if (meta.l4_delta != 0) {
            if (hdr.tcp.isValid()) {
                bit<32> l4_sum = (bit<32>)(~hdr.tcp.checksum) + meta.l4_delta;
                l4_sum = (l4_sum & 0xffff) + (l4_sum >> 16);
                l4_sum = (l4_sum & 0xffff) + (l4_sum >> 16);
                hdr.tcp.checksum = ~l4_sum[15:0];
            } else if (hdr.udp.checksum != 0) {
                // A zero UDP checksum means "none" and stays zero; a sum of zero is sent as
                // 0xffff.
                bit<32> l4_sum = (bit<32>)(~hdr.udp.checksum) + meta.l4_delta;
                l4_sum = (l4_sum & 0xffff) + (l4_sum >> 16);
                l4_sum = (l4_sum & 0xffff) + (l4_sum >> 16);
                hdr.udp.checksum = ~l4_sum[15:0];
                if (hdr.udp.checksum == 0) {
                    hdr.udp.checksum = 0xffff;
                }
            }
        }

        if (meta.dropped == 1) {
            mark_to_drop(standard_metadata);
        } else if (meta.forwarded == 1) {
            // Forward set the egress port; the packet leaves the chain without its SFC header.
            if (hdr.sfc.isValid()) {
                hdr.ethernet.etherType = hdr.sfc.etherType;
                hdr.sfc.setInvalid();
            }
            hdr.sfc_nfs.pop_front(8);
        } else if (!hdr.sfc_nfs[0].isValid()) {
            if (!chain_exit.apply().hit) {
                mark_to_drop(standard_metadata);
            }
        } else {
            switch (nf_dispatch.apply().action_run) {
                run_local: {
                    // Another pass only if this one ran an element: bad entries cannot loop.
                    if (meta.element[72:65] == 0) {
                        mark_to_drop(standard_metadata);
                        meta.recirc = 0;
                    }
                }
                to_port: {
                }
                default: {
                    mark_to_drop(standard_metadata);
                }
            }
        }
    }
}

control MyEgress(inout headers_t hdr,
                 inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    apply {
        if (meta.recirc == 1) {
            recirculate_preserving_field_list(0);
        } else if (meta.trim == 1 && hdr.ipv4.isValid()) {
            // The frame as it leaves: its headers, then the IP packet's total length.
            bit<32> len = 14 + (bit<32>)hdr.ipv4.totalLen;
            if (hdr.sfc.isValid()) {
                len = len + 6 + 2 * (bit<32>)hdr.sfc.nfCount;
            }
            if (hdr.ipv4_outer.isValid()) {
                len = len + 20;
            }
            truncate(len);
        }
    }
}

control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid() && meta.ip_dirty == 1,
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr, hdr.ipv4.options },
            hdr.ipv4.hdrChecksum, HashAlgorithm.csum16);
        update_checksum(hdr.ipv4_outer.isValid(),
            { hdr.ipv4_outer.version, hdr.ipv4_outer.ihl, hdr.ipv4_outer.diffserv,
              hdr.ipv4_outer.totalLen, hdr.ipv4_outer.identification, hdr.ipv4_outer.flags,
              hdr.ipv4_outer.fragOffset, hdr.ipv4_outer.ttl, hdr.ipv4_outer.protocol,
              hdr.ipv4_outer.srcAddr, hdr.ipv4_outer.dstAddr },
            hdr.ipv4_outer.hdrChecksum, HashAlgorithm.csum16);
    }
}

control MyDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.sfc);
        packet.emit(hdr.sfc_nfs);
        packet.emit(hdr.ipv4_outer);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
        packet.emit(hdr.icmp);
    }
}

V1Switch(
    MyParser(),
    MyVerifyChecksum(),
    MyIngress(),
    MyEgress(),
    MyComputeChecksum(),
    MyDeparser()
) main;
