/* Native firewall -> monitor -> router: what a P4 programmer writes for exactly this chain
 * (examples/nfs/firewall.click, monitor.click, router.click). Each element once, in the
 * order the chain runs them; tables keyed on the fields their rules use; one pass.
 * Entries come from the same NF configs (bench/native/entries.py). Frames leave on port 2.
 *
 * The three CheckIPHeader elements (firewall chk, monitor chk, the router's) test the same
 * header, which nothing changes between them: the test runs once. So the monitor's c_bad
 * branch is never taken after the firewall (which drops bad headers), as in Click. */
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
    bit<1>  l4_ok;      // a whole TCP/UDP/ICMP header of a first fragment
    bit<16> sport;
    bit<16> dport;
    bit<8>  tcp_flags;
    bit<8>  icmp_type;
    bit<1>  fw_pass;
    bit<48> nh_src;
    bit<48> nh_dst;
    bit<16> nh_type;
}

parser ChainParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
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

control ChainVerify(inout headers_t hdr, inout metadata_t meta) {
    apply {
        verify_checksum(hdr.ipv4.isValid(), IPV4_FIELDS(hdr.ipv4), hdr.ipv4.hdrChecksum,
                        HashAlgorithm.csum16);
    }
}

control ChainIngress(inout headers_t hdr, inout metadata_t meta,
                     inout standard_metadata_t standard_metadata) {
    // monitor: total (AverageCounter) and one Counter per IPClassifier output
    register<bit<64>>(1) total_packets;
    register<bit<64>>(1) total_bytes;
    register<bit<48>>(1) total_first;
    register<bit<48>>(1) total_last;
    register<bit<64>>(8) class_packets;
    register<bit<64>>(8) class_bytes;

    // firewall: acl (IPFilter)
    action allow() { meta.fw_pass = 1; }
    action deny() { meta.fw_pass = 0; }
    table firewall_acl {
        key = {
            hdr.ipv4.srcAddr: ternary;
            hdr.ipv4.dstAddr: ternary;
            hdr.ipv4.protocol: ternary;
            hdr.ipv4.fragOffset: ternary;
            meta.l4_ok: ternary;
            meta.sport: ternary;
            meta.dport: ternary;
            meta.tcp_flags: ternary;
            meta.icmp_type: ternary;
        }
        actions = { allow; deny; }
        default_action = deny();
        size = 64;
    }

    // monitor: cls (IPClassifier) -> c_* (Counter)
    action count_class(bit<8> index) {
        bit<64> n;
        class_packets.read(n, (bit<32>)index);
        class_packets.write((bit<32>)index, n + 1);
        class_bytes.read(n, (bit<32>)index);
        class_bytes.write((bit<32>)index, n + (bit<64>)hdr.ipv4.totalLen);
    }
    table monitor_cls {
        key = {
            hdr.ipv4.protocol: ternary;
            hdr.ipv4.fragOffset: ternary;
            meta.l4_ok: ternary;
            meta.sport: ternary;
            meta.dport: ternary;
        }
        actions = { count_class; NoAction; }
        default_action = NoAction();
        size = 64;
    }

    // router: rt (RadixIPLookup) on the destination CheckIPHeader annotated; each output's
    // EtherEncap addresses come with the route
    action next_hop(bit<16> ether_type, bit<48> src, bit<48> dst) {
        meta.nh_type = ether_type;
        meta.nh_src = src;
        meta.nh_dst = dst;
    }
    table router_rt {
        key = { hdr.ipv4.dstAddr: lpm; }
        actions = { next_hop; NoAction; }
        default_action = NoAction();
        size = 64;
    }

    apply {
        // firewall/chk, monitor/chk, router/CheckIPHeader: bad headers drop (firewall)
        if (!IP_HEADER_OK(hdr, standard_metadata)) {
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
        // firewall/acl
        firewall_acl.apply();
        if (meta.fw_pass == 0) {
            mark_to_drop(standard_metadata);
            return;
        }
        // monitor/total
        bit<64> n;
        total_packets.read(n, 0);
        total_packets.write(0, n + 1);
        if (n == 0) {
            total_first.write(0, standard_metadata.ingress_global_timestamp);
        }
        total_last.write(0, standard_metadata.ingress_global_timestamp);
        total_bytes.read(n, 0);
        total_bytes.write(0, n + (bit<64>)hdr.ipv4.totalLen);
        // monitor/cls and its counters (a miss drops, as IPClassifier does)
        if (!monitor_cls.apply().hit) {
            mark_to_drop(standard_metadata);
            return;
        }
        // router/rt
        if (!router_rt.apply().hit) {
            mark_to_drop(standard_metadata);
            return;
        }
        // router/ttl0, ttl1 (DecIPTTL): expired packets drop
        if (hdr.ipv4.ttl <= 1) {
            mark_to_drop(standard_metadata);
            return;
        }
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        // router/EtherEncap
        hdr.ethernet.etherType = meta.nh_type;
        hdr.ethernet.srcAddr = meta.nh_src;
        hdr.ethernet.dstAddr = meta.nh_dst;
        standard_metadata.egress_spec = EGRESS_PORT;
    }
}

control ChainEgress(inout headers_t hdr, inout metadata_t meta,
                    inout standard_metadata_t standard_metadata) { apply { } }

control ChainCompute(inout headers_t hdr, inout metadata_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(), IPV4_FIELDS(hdr.ipv4), hdr.ipv4.hdrChecksum,
                        HashAlgorithm.csum16);
    }
}

control ChainDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
        packet.emit(hdr.icmp);
    }
}

V1Switch(ChainParser(), ChainVerify(), ChainIngress(), ChainEgress(), ChainCompute(),
         ChainDeparser()) main;
