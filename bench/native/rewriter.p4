/* Native IPRewriter hit path (bench element "rewriter"):
 * Strip(14) -> MarkIPHeader -> rw :: IPRewriter(pattern ...) -> Unstrip(14).
 * One exact table on the 5-tuple holds the mappings (installed as the runtime would);
 * a hit rewrites addresses and ports, patches the TCP/UDP checksum incrementally and
 * leaves on port 2; a miss goes to the server's port 3 (which makes new mappings);
 * what is neither TCP nor UDP (or a later fragment) drops, as the pattern input does. */
#include "headers.p4"

#define EGRESS_PORT 2
#define SERVER_PORT 3

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

struct metadata_t {
    bit<1>  l4_ok;
    bit<16> sport;
    bit<16> dport;
}

parser RwParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
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
            default: accept;
        }
    }
    state parse_tcp {
        packet.extract(hdr.tcp);
        meta.l4_ok = 1;
        meta.sport = hdr.tcp.srcPort;
        meta.dport = hdr.tcp.dstPort;
        transition accept;
    }
    state parse_udp {
        packet.extract(hdr.udp);
        meta.l4_ok = 1;
        meta.sport = hdr.udp.srcPort;
        meta.dport = hdr.udp.dstPort;
        transition accept;
    }
}

control RwVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control RwIngress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    bit<32> saddr = 0;
    bit<16> sport = 0;
    bit<32> daddr = 0;
    bit<16> dport = 0;

    action rewrite(bit<32> new_saddr, bit<16> new_sport, bit<32> new_daddr,
                   bit<16> new_dport) {
        saddr = new_saddr;
        sport = new_sport;
        daddr = new_daddr;
        dport = new_dport;
    }
    table rw {
        key = {
            hdr.ipv4.srcAddr: exact;
            meta.sport: exact;
            hdr.ipv4.dstAddr: exact;
            meta.dport: exact;
            hdr.ipv4.protocol: exact;
        }
        actions = { rewrite; NoAction; }
        default_action = NoAction();
        size = 1024;
    }

    apply {
        if (hdr.ipv4.isValid() && meta.l4_ok == 1) {
            // a transport header past the IP total length is not one (Click cuts the packet)
            bit<16> l4_end = (((bit<16>)hdr.ipv4.ihl) << 2) + 8;
            if (hdr.tcp.isValid()) {
                l4_end = l4_end + 12;
            }
            if (hdr.ipv4.totalLen < l4_end) {
                meta.l4_ok = 0;
            }
        }
        if (meta.l4_ok == 0) {
            mark_to_drop(standard_metadata);
            return;
        }
        if (!rw.apply().hit) {
            standard_metadata.egress_spec = SERVER_PORT;
            return;
        }
        // one's-complement sum of (~old word + new word) over every changed word (RFC 1624)
        bit<32> sum = (bit<32>)(~hdr.ipv4.srcAddr[31:16]) + (bit<32>)saddr[31:16]
            + (bit<32>)(~hdr.ipv4.srcAddr[15:0]) + (bit<32>)saddr[15:0]
            + (bit<32>)(~hdr.ipv4.dstAddr[31:16]) + (bit<32>)daddr[31:16]
            + (bit<32>)(~hdr.ipv4.dstAddr[15:0]) + (bit<32>)daddr[15:0]
            + (bit<32>)(~meta.sport) + (bit<32>)sport
            + (bit<32>)(~meta.dport) + (bit<32>)dport;
        if (hdr.tcp.isValid()) {
            bit<32> c = (bit<32>)(~hdr.tcp.checksum) + sum;
            c = (c & 0xffff) + (c >> 16);
            c = (c & 0xffff) + (c >> 16);
            hdr.tcp.checksum = ~c[15:0];
            hdr.tcp.srcPort = sport;
            hdr.tcp.dstPort = dport;
        } else {
            // a zero UDP checksum means "none" and stays zero
            if (hdr.udp.checksum != 0) {
                bit<32> c = (bit<32>)(~hdr.udp.checksum) + sum;
                c = (c & 0xffff) + (c >> 16);
                c = (c & 0xffff) + (c >> 16);
                hdr.udp.checksum = ~c[15:0];
                if (hdr.udp.checksum == 0) {
                    hdr.udp.checksum = 0xffff;
                }
            }
            hdr.udp.srcPort = sport;
            hdr.udp.dstPort = dport;
        }
        hdr.ipv4.srcAddr = saddr;
        hdr.ipv4.dstAddr = daddr;
        standard_metadata.egress_spec = EGRESS_PORT;
    }
}

control RwEgress(inout headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) { apply { } }

control RwCompute(inout headers_t hdr, inout metadata_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(), IPV4_FIELDS(hdr.ipv4), hdr.ipv4.hdrChecksum,
                        HashAlgorithm.csum16);
    }
}

control RwDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
    }
}

V1Switch(RwParser(), RwVerify(), RwIngress(), RwEgress(), RwCompute(), RwDeparser()) main;
