/* Native IPFilter alone (the firewall's acl rules, bench element "classifier"):
 * Strip(14) -> MarkIPHeader -> acl :: IPFilter(...) -> Unstrip(14). One ternary table on
 * the fields the rules test; allowed frames leave on port 2, the rest drop.
 *
 * With -DWIDE_KEY (bench/dataplane_ablation.py only): the same table keyed like the
 * dynamic program's classify table (its 21 fields), the entries unchanged; what a key
 * wider than any entry uses costs BMv2. */
#include "headers.p4"

#define EGRESS_PORT 2

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
    icmp_t     icmp;
}

struct metadata_t {
    bit<1>  l4_ok;
    bit<16> sport;
    bit<16> dport;
    bit<8>  tcp_flags;
    bit<8>  icmp_type;
#ifdef WIDE_KEY
    bit<16> ether_type;
    bit<1>  ip_ok;
    bit<8>  icmp_code;
#endif
}

parser ClsParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        transition select(packet.lookahead<ipv4_lead_t>().ihl) {
            0 .. 4: accept;
            default: parse_ipv4_header;
        }
    }
    state parse_ipv4_header {
        EXTRACT_IPV4(packet, hdr);
        transition select(hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (0, 6): parse_tcp;
            (0, 17): parse_udp;
            (0, 1): parse_icmp;
            default: accept;
        }
    }
    state parse_tcp {
        packet.extract(hdr.tcp);
        meta.l4_ok = 1;
        meta.sport = hdr.tcp.srcPort;
        meta.dport = hdr.tcp.dstPort;
        meta.tcp_flags = hdr.tcp.flags;
        transition accept;
    }
    state parse_udp {
        packet.extract(hdr.udp);
        meta.l4_ok = 1;
        meta.sport = hdr.udp.srcPort;
        meta.dport = hdr.udp.dstPort;
        transition accept;
    }
    state parse_icmp {
        packet.extract(hdr.icmp);
        meta.l4_ok = 1;
        meta.icmp_type = hdr.icmp.icmpType;
        transition accept;
    }
}

control ClsVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control ClsIngress(inout headers_t hdr, inout metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    action allow() { standard_metadata.egress_spec = EGRESS_PORT; }
    action deny() { mark_to_drop(standard_metadata); }
    table acl {
        key = {
#ifdef WIDE_KEY
            hdr.ethernet.dstAddr: ternary;
            hdr.ethernet.srcAddr: ternary;
            meta.ether_type: ternary;
            meta.ip_ok: ternary;
            hdr.ipv4.version: ternary;
            hdr.ipv4.ihl: ternary;
            hdr.ipv4.diffserv: ternary;
            hdr.ipv4.totalLen: ternary;
            hdr.ipv4.identification: ternary;
            hdr.ipv4.flags: ternary;
            hdr.ipv4.fragOffset: ternary;
            hdr.ipv4.ttl: ternary;
            hdr.ipv4.protocol: ternary;
            hdr.ipv4.srcAddr: ternary;
            hdr.ipv4.dstAddr: ternary;
            meta.l4_ok: ternary;
            meta.sport: ternary;
            meta.dport: ternary;
            meta.tcp_flags: ternary;
            meta.icmp_type: ternary;
            meta.icmp_code: ternary;
#else
            hdr.ipv4.srcAddr: ternary;
            hdr.ipv4.dstAddr: ternary;
            hdr.ipv4.protocol: ternary;
            hdr.ipv4.fragOffset: ternary;
            meta.l4_ok: ternary;
            meta.sport: ternary;
            meta.dport: ternary;
            meta.tcp_flags: ternary;
            meta.icmp_type: ternary;
#endif
        }
        actions = { allow; deny; }
        default_action = deny();
        size = 64;
    }
    apply {
        if (!hdr.ipv4.isValid()) {
            mark_to_drop(standard_metadata);
            return;
        }
        // a transport header past the IP total length is not one (Click cuts the packet)
        if (meta.l4_ok == 1) {
            bit<16> l4_end = (((bit<16>)hdr.ipv4.ihl) << 2) + 8;
            if (hdr.tcp.isValid()) {
                l4_end = l4_end + 12;
            }
            if (hdr.ipv4.totalLen < l4_end) {
                meta.l4_ok = 0;
                meta.sport = 0;
                meta.dport = 0;
                meta.tcp_flags = 0;
                meta.icmp_type = 0;
            }
        }
        acl.apply();
    }
}

control ClsEgress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) { apply { } }
control ClsCompute(inout headers_t hdr, inout metadata_t meta) { apply { } }
control ClsDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
        packet.emit(hdr.icmp);
    }
}

V1Switch(ClsParser(), ClsVerify(), ClsIngress(), ClsEgress(), ClsCompute(), ClsDeparser()) main;
