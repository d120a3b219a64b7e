/* Native route lookup (the router's rt routes, bench element "route"):
 * Strip(14) -> CheckIPHeader -> rt :: RadixIPLookup(...), every output -> Unstrip(14).
 * The check, then one LPM table on the destination (the annotation CheckIPHeader sets);
 * the route's output is an egress port. A miss drops. */
#include "headers.p4"

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
}

struct metadata_t { }

parser RouteParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
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
        transition accept;
    }
}

control RouteVerify(inout headers_t hdr, inout metadata_t meta) {
    apply {
        verify_checksum(hdr.ipv4.isValid(), IPV4_FIELDS(hdr.ipv4), hdr.ipv4.hdrChecksum,
                        HashAlgorithm.csum16);
    }
}

control RouteIngress(inout headers_t hdr, inout metadata_t meta,
                     inout standard_metadata_t standard_metadata) {
    action route(bit<9> port) { standard_metadata.egress_spec = port; }
    table rt {
        key = { hdr.ipv4.dstAddr: lpm; }
        actions = { route; NoAction; }
        default_action = NoAction();
        size = 64;
    }
    apply {
        if (!IP_HEADER_OK(hdr, standard_metadata)) {
            mark_to_drop(standard_metadata);
            return;
        }
        if (!rt.apply().hit) {
            mark_to_drop(standard_metadata);
        }
    }
}

control RouteEgress(inout headers_t hdr, inout metadata_t meta,
                    inout standard_metadata_t standard_metadata) { apply { } }
control RouteCompute(inout headers_t hdr, inout metadata_t meta) { apply { } }
control RouteDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
    }
}

V1Switch(RouteParser(), RouteVerify(), RouteIngress(), RouteEgress(), RouteCompute(),
         RouteDeparser()) main;
