/* Native baseline: one exact table on the ingress port sets the egress port. Nothing is
 * parsed but the Ethernet header (BMv2 needs one header to carry the frame through). */
#include "headers.p4"

struct headers_t { ethernet_t ethernet; }
struct metadata_t { }

parser FwdParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition accept;
    }
}

control FwdVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control FwdIngress(inout headers_t hdr, inout metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    action fwd(bit<9> port) { standard_metadata.egress_spec = port; }
    action drop() { mark_to_drop(standard_metadata); }
    table forward {
        key = { standard_metadata.ingress_port: exact; }
        actions = { fwd; drop; }
        default_action = drop();
        size = 64;
    }
    apply { forward.apply(); }
}

control FwdEgress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) { apply { } }
control FwdCompute(inout headers_t hdr, inout metadata_t meta) { apply { } }
control FwdDeparser(packet_out packet, in headers_t hdr) {
    apply { packet.emit(hdr.ethernet); }
}

V1Switch(FwdParser(), FwdVerify(), FwdIngress(), FwdEgress(), FwdCompute(), FwdDeparser()) main;
