/* Native Counter (bench element "counter"): input -> c :: Counter -> output. Two register
 * cells (packets, bytes) and the frame leaves on port 2. Bytes are counted as the dynamic
 * program counts them at data offset 0: the IP total length plus the Ethernet header for
 * IPv4, the frame length otherwise. */
#include "headers.p4"

#define EGRESS_PORT 2

struct headers_t {
    ethernet_t  ethernet;
    ipv4_base_t ipv4;
}

struct metadata_t { }

parser CntParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition accept;
    }
}

control CntVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control CntIngress(inout headers_t hdr, inout metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    register<bit<64>>(1) c_packets;
    register<bit<64>>(1) c_bytes;
    apply {
        bit<32> len = standard_metadata.packet_length;
        if (hdr.ipv4.isValid()) {
            len = (bit<32>)hdr.ipv4.totalLen + 14;
        }
        bit<64> n;
        c_packets.read(n, 0);
        c_packets.write(0, n + 1);
        c_bytes.read(n, 0);
        c_bytes.write(0, n + (bit<64>)len);
        standard_metadata.egress_spec = EGRESS_PORT;
    }
}

control CntEgress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) { apply { } }
control CntCompute(inout headers_t hdr, inout metadata_t meta) { apply { } }
control CntDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
    }
}

V1Switch(CntParser(), CntVerify(), CntIngress(), CntEgress(), CntCompute(), CntDeparser()) main;
