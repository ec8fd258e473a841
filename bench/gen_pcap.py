#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a classic pcap of UDP/IPv4 frames, one frame per flow.

Pure python3 (struct only, no scapy) so the build can run it anywhere.

Flow i comes from src_ip_base + (i % src_hosts), source port
src_port_base + (i // src_hosts): small N varies the source address over
the hosts of the subnet (all on-link for a /24, so replies need no
gateway); N > src_hosts varies both address and port. Every flow goes to
--dst-mac / --dst-ip / --dst-port. IPv4 header and UDP checksums are
correct (RFC 791, RFC 768), so a stack that verifies them accepts every
frame.

--size is the frame length as stored in the pcap: Ethernet header through
the last payload byte, no FCS (so --size 64 is 68 bytes on the wire).
"""

import argparse
import ipaddress
import struct
import sys

ETH_HLEN = 14
IP4_HLEN = 20
UDP_HLEN = 8
MIN_FRAME = ETH_HLEN + IP4_HLEN + UDP_HLEN
MAX_FRAME = 9018


def csum16(data):
    """RFC 1071 Internet checksum of bytes, returned ready to store."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError("MAC must be xx:xx:xx:xx:xx:xx: %r" % text)
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError("MAC must be xx:xx:xx:xx:xx:xx: %r" % text)


def ip_bytes(text):
    try:
        return ipaddress.IPv4Address(text).packed
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def port_num(text):
    v = int(text, 0)
    if not 0 < v < 65536:
        raise argparse.ArgumentTypeError("port must be 1..65535: %r" % text)
    return v


def frame(args, i, payload):
    sip_int = int.from_bytes(args.src_ip_base, "big") + i % args.src_hosts
    sip = sip_int.to_bytes(4, "big")
    sport = args.src_port_base + i // args.src_hosts
    udp_len = UDP_HLEN + len(payload)
    ip_len = IP4_HLEN + udp_len

    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, i & 0xFFFF, 0x4000, 64, 17, 0, sip,
                     args.dst_ip)
    ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]

    udp = struct.pack("!HHHH", sport, args.dst_port, udp_len, 0) + payload
    pseudo = sip + args.dst_ip + struct.pack("!BBH", 0, 17, udp_len)
    ck = csum16(pseudo + udp)
    if ck == 0:
        ck = 0xFFFF  # RFC 768: a computed zero is sent as all ones
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]

    eth = args.dst_mac + args.src_mac + struct.pack("!H", 0x0800)
    return eth + ip + udp


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="pcap file to write")
    p.add_argument("--flows", type=int, default=1024, help="number of flows (frames)")
    p.add_argument("--size", type=int, default=64,
                   help="frame length without FCS, %d..%d (e.g. 64 or 1500)" %
                   (MIN_FRAME, MAX_FRAME))
    p.add_argument("--dst-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:00:01"))
    p.add_argument("--dst-ip", type=ip_bytes, default=ip_bytes("10.0.0.1"))
    p.add_argument("--dst-port", type=port_num, default=7)
    p.add_argument("--src-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:00:02"))
    p.add_argument("--src-ip-base", type=ip_bytes, default=ip_bytes("10.0.0.2"),
                   help="first source address (default 10.0.0.2)")
    p.add_argument("--src-hosts", type=int, default=253,
                   help="source addresses used before the source port changes")
    p.add_argument("--src-port-base", type=port_num, default=1024)
    p.add_argument("--marker", default="",
                   help="first payload byte(s), e.g. H for udp-work's heavy class")
    args = p.parse_args(argv)

    if args.flows < 1:
        p.error("--flows must be >= 1")
    if not MIN_FRAME <= args.size <= MAX_FRAME:
        p.error("--size must be %d..%d" % (MIN_FRAME, MAX_FRAME))
    if args.src_hosts < 1:
        p.error("--src-hosts must be >= 1")
    if args.src_port_base + (args.flows - 1) // args.src_hosts > 65535:
        p.error("too many flows for %d source hosts from port %d; raise --src-hosts" %
                (args.src_hosts, args.src_port_base))
    if int.from_bytes(args.src_ip_base, "big") + min(args.flows, args.src_hosts) - 1 > 0xFFFFFFFF:
        p.error("--src-ip-base + --src-hosts overflows IPv4")

    payload = bytes((i & 0xFF) for i in range(args.size - MIN_FRAME))
    marker = args.marker.encode()
    if len(marker) > len(payload):
        p.error("--marker is longer than the payload of a %d-byte frame" % args.size)
    payload = marker + payload[len(marker):]
    out = bytearray()
    # classic pcap, microsecond timestamps, LINKTYPE_ETHERNET
    out += struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i in range(args.flows):
        f = frame(args, i, payload)
        out += struct.pack("<IIII", i // 1000000, i % 1000000, len(f), len(f))
        out += f
    with open(args.out, "wb") as fh:
        fh.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
