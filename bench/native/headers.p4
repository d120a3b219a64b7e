/* Headers and the IPv4 header check shared by the native (hand-written) programs of the
 * data-plane bench. Only header types and helpers live here: each program has its own
 * parser, which extracts only what that program's elements read. */
#ifndef NATIVE_HEADERS_P4
#define NATIVE_HEADERS_P4

#include <core.p4>
#include <v1model.p4>

const bit<16> ETHERTYPE_IPV4 = 0x0800;

header ethernet_t {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

// Only looked ahead at, to size the options before extracting the IPv4 header.
header ipv4_lead_t {
    bit<4> version;
    bit<4> ihl;
}

// Options inside the header, so that the checksum covers them (Click's CheckIPHeader does).
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

// The fixed part only, for programs that read no option and change nothing in the header
// (options, if any, then stay in the payload and leave unchanged).
header ipv4_base_t {
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

// Click's CheckIPHeader on a parsed header: version, lengths, checksum (the parser's verdict).
#define IP_HEADER_OK(hdr, sm) \
    ((hdr).ipv4.isValid() && (hdr).ipv4.version == 4 \
     && (hdr).ipv4.totalLen >= ((bit<16>)(hdr).ipv4.ihl) << 2 \
     && (sm).checksum_error == 0 \
     && (bit<32>)(hdr).ipv4.totalLen + 14 <= (sm).packet_length)

// Extract the IPv4 header with its options (ihl >= 5 checked by the caller's lookahead).
#define EXTRACT_IPV4(packet, hdr) \
    packet.extract((hdr).ipv4, \
        (bit<32>)((((bit<9>)packet.lookahead<ipv4_lead_t>().ihl) << 5) - 160))

#define IPV4_FIELDS(h) \
    { h.version, h.ihl, h.diffserv, h.totalLen, h.identification, h.flags, h.fragOffset, \
      h.ttl, h.protocol, h.srcAddr, h.dstAddr, h.options }

#endif
