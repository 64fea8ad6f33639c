#!/usr/bin/env python3
"""Sends crafted bad frames as fast as it can for a while, then prints what it sent, one JSON object.

  hostile_frames.py l2 IFACE SINK_MAC ROUTER_MAC SINK_IP ROUTER_IP SECONDS
      raw Ethernet frames out of IFACE (a packet socket): runts, giants, multicast and zero source MACs,
      lying IPv4/IPv6 headers to a router's MAC, lying TCP/UDP/ARP lengths and VLAN garbage to SINK_MAC
  hostile_frames.py gso IFACE SINK_MAC SINK_IP SECONDS
      frames with a virtio-net header (PACKET_VNET_HDR) whose GSO and checksum fields lie
  hostile_frames.py vxlan PEER_IP STRANGER_IP VTEP_IP VNI DST_MAC SECONDS
      UDP datagrams to VTEP_IP:4789: short, without the I flag, another VNI, from a stranger, runt inner frames

The output maps each kind to [sent, refused]: sent, the sends the kernel took; refused, those it failed
(a full queue: ENOBUFS; a header it rejects: EINVAL).

  hostile_frames.py dump OWN_MAC SINK_MAC ROUTER_MAC SINK_IP ROUTER_IP GSO_SINK_MAC GSO_SINK_IP
      sends nothing: prints the l2 kinds' frames (from OWN_MAC), "plain KIND HEX" a line, and the gso kinds',
      "virtio KIND HEX" (each behind its 10-byte virtio-net header), for a sender of another kind (vhost-user)
"""
import json
import socket
import struct
import sys
import time


def mac(text):
    return bytes.fromhex(text.replace(':', ''))


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ip4(src, dst, proto, payload, ihl=5, version=4, total=None, good_checksum=True):
    options = bytes(max(0, ihl - 5) * 4)
    length = 20 + len(options) + len(payload) if total is None else total
    header = struct.pack('!BBHHHBBH4s4s', (version << 4) | ihl, 0, length, 1, 0x4000, 64, proto, 0,
                         socket.inet_aton(src), socket.inet_aton(dst)) + options
    value = checksum(header) if good_checksum else (checksum(header) ^ 0x5a5a) or 1
    return header[:10] + struct.pack('!H', value) + header[12:] + payload


def ip6(src, dst, next_header, payload, payload_length=None, version=6):
    length = len(payload) if payload_length is None else payload_length
    return struct.pack('!IHBB16s16s', version << 28, length, next_header, 64,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


def tcp(sport, dport, payload=b'', data_offset=5):
    return struct.pack('!HHIIBBHHH', sport, dport, 1, 0, data_offset << 4, 0x18, 65535, 0, 0) + payload


def udp(sport, dport, payload=b'', length=None):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload) if length is None else length, 0) + payload


def l2_kinds(own, sink, router, sink_ip, router_ip):
    me = '10.98.0.100'
    eth = lambda dst, src, ethertype: dst + src + struct.pack('!H', ethertype)
    pad = lambda frame: frame + bytes(max(0, 60 - len(frame)))
    to_router = lambda packet: pad(eth(router, own, 0x0800) + packet)
    arp = struct.pack('!HHBBH', 1, 0x0800, 9, 3, 1) + own + bytes(3) + bytes(9) + bytes(3)
    return [
        ('runt_14_bytes_vlan_cut', eth(sink, own, 0x8100)),
        ('runt_16_bytes_vlan_no_type', eth(sink, own, 0x8100) + b'\x00\x07'),
        ('giant_10000_bytes', eth(sink, own, 0x88b5) + bytes(10000 - 14)),
        ('source_mac_multicast', pad(eth(sink, mac('01:00:5e:00:00:01'), 0x88b5))),
        ('source_mac_zero', pad(eth(sink, bytes(6), 0x88b5))),
        ('source_mac_broadcast', pad(eth(sink, b'\xff' * 6, 0x88b5))),
        ('ip4_ihl_3_to_router', to_router(ip4(me, router_ip, 17, udp(1, 7, bytes(8)), ihl=3)[:12] + bytes(30))),
        ('ip4_total_length_beyond_frame_to_router', to_router(ip4(me, router_ip, 17, udp(1, 7, bytes(8)), total=1400))),
        ('ip4_version_6_to_router', to_router(ip4(me, router_ip, 17, udp(1, 7, bytes(8)), version=6))),
        ('ip4_bad_header_checksum_to_router', to_router(ip4(me, router_ip, 17, udp(1, 7, bytes(8)), good_checksum=False))),
        ('ip4_truncated_header_to_router', eth(router, own, 0x0800) + ip4(me, router_ip, 17, b'')[:12]),
        ('ip6_payload_length_beyond_frame_to_router',
         pad(eth(router, own, 0x86dd) + ip6('fd98::64', 'fd98::fe', 17, udp(1, 7, bytes(8)), payload_length=1400))),
        ('ip6_version_4_to_router', pad(eth(router, own, 0x86dd) + ip6('fd98::64', 'fd98::fe', 17, udp(1, 7, bytes(8)), version=4))),
        ('ip6_truncated_header_to_router', eth(router, own, 0x86dd) + ip6('fd98::64', 'fd98::fe', 17, b'')[:20]),
        ('tcp_data_offset_beyond_segment', pad(eth(sink, own, 0x0800) + ip4(me, sink_ip, 6, tcp(1, 9, data_offset=15)))),
        ('tcp_data_offset_2', pad(eth(sink, own, 0x0800) + ip4(me, sink_ip, 6, tcp(1, 9, bytes(8), data_offset=2)))),
        ('udp_length_beyond_packet', pad(eth(sink, own, 0x0800) + ip4(me, sink_ip, 17, udp(1, 9, bytes(8), length=900)))),
        ('udp_length_below_header', pad(eth(sink, own, 0x0800) + ip4(me, sink_ip, 17, udp(1, 9, bytes(8), length=3)))),
        ('arp_wrong_lengths', pad(eth(sink, own, 0x0806) + arp)),
        ('arp_truncated', eth(sink, own, 0x0806) + arp[:6]),
        ('vlan_7_garbage', eth(sink, own, 0x8100) + b'\x00\x07' + b'\x08\x00' + bytes([0x4f, 0xff]) + bytes(range(40))),
    ]


def gso_kinds(own, sink, sink_ip):
    me = '10.98.0.101'
    frame = lambda packet: sink + own + b'\x08\x00' + packet
    big_tcp = frame(ip4(me, sink_ip, 6, tcp(1, 9, bytes(3000))))
    big_udp = frame(ip4(me, sink_ip, 17, udp(1, 9, bytes(3000))))
    # struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (little endian)
    hdr = lambda flags, gso_type, hdr_len, gso_size, start, offset: struct.pack('<BBHHHH', flags, gso_type, hdr_len, gso_size, start, offset)
    return [
        ('gso_tcp4_size_8', hdr(1, 1, 54, 8, 34, 16) + big_tcp),
        ('gso_tcp4_on_a_udp_packet', hdr(1, 1, 42, 1000, 34, 16) + big_udp),
        ('gso_tcp4_ip_total_length_lies', hdr(1, 1, 54, 1000, 34, 16) +
         frame(ip4(me, sink_ip, 6, tcp(1, 9, bytes(3000)), total=60))),
        ('gso_tcp4_data_offset_lies', hdr(1, 1, 54, 1000, 34, 16) + frame(ip4(me, sink_ip, 6, tcp(1, 9, bytes(3000), data_offset=15)))),
        ('gso_tcp4_hdr_len_beyond_frame', hdr(1, 1, 4000, 1000, 34, 16) + big_tcp),
        ('gso_tcp4_without_needs_csum', hdr(0, 1, 54, 1000, 0, 0) + big_tcp),
        ('gso_udp_l4_size_1', hdr(1, 5, 42, 1, 34, 6) + big_udp),
        ('gso_tcp6_on_ipv4', hdr(1, 4, 54, 1000, 34, 16) + big_tcp),
        ('csum_start_beyond_frame', hdr(1, 0, 0, 0, 1000, 16) + frame(ip4(me, sink_ip, 17, udp(1, 9, bytes(100))))),
        ('csum_offset_beyond_frame', hdr(1, 0, 0, 0, 34, 500) + frame(ip4(me, sink_ip, 17, udp(1, 9, bytes(100))))),
    ]


def vxlan_kinds(peer, stranger, vni, dst_mac):
    inner = dst_mac + mac('02:98:00:00:00:99') + b'\x88\xb5' + bytes(46)
    header = lambda flags, v: struct.pack('!B3xI', flags, v << 8)
    return [
        ('vxlan_4_bytes', peer, header(8, vni)[:4]),
        ('vxlan_no_i_flag', peer, header(0, vni) + inner),
        ('vxlan_other_vni', peer, header(8, vni + 1) + inner),
        ('vxlan_from_a_stranger', stranger, header(8, vni) + inner),
        ('vxlan_inner_runt', peer, header(8, vni) + inner[:10]),
        ('vxlan_inner_zero_source_mac', peer, header(8, vni) + dst_mac + bytes(6) + b'\x88\xb5' + bytes(46)),
    ]


def blast(sends, seconds):
    """sends: [(kind, callable)]; calls them round robin for `seconds`."""
    counts = {kind: [0, 0] for kind, _ in sends}
    refusals = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(64):
            for kind, send in sends:
                try:
                    send()
                    counts[kind][0] += 1
                except OSError as error:
                    counts[kind][1] += 1
                    refusals.setdefault(kind, error.strerror)
    print(json.dumps({'counts': counts, 'refusals': refusals}), flush=True)


def main():
    mode = sys.argv[1]
    if mode == 'l2':
        iface, sink, router, sink_ip, router_ip, seconds = sys.argv[2:8]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        own = mac(open('/sys/class/net/%s/address' % iface).read().strip())
        kinds = l2_kinds(own, mac(sink), mac(router), sink_ip, router_ip)
        blast([(kind, (lambda f: lambda: s.send(f))(f)) for kind, f in kinds], float(seconds))
    elif mode == 'gso':
        iface, sink, sink_ip, seconds = sys.argv[2:6]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.setsockopt(263, 15, 1)  # SOL_PACKET, PACKET_VNET_HDR
        s.bind((iface, 0))
        own = mac(open('/sys/class/net/%s/address' % iface).read().strip())
        kinds = gso_kinds(own, mac(sink), sink_ip)
        blast([(kind, (lambda f: lambda: s.send(f))(f)) for kind, f in kinds], float(seconds))
    elif mode == 'vxlan':
        peer, stranger, vtep, vni, dst_mac, seconds = sys.argv[2:8]
        sockets = {}
        for address in (peer, stranger):
            sockets[address] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets[address].bind((address, 0))
        kinds = vxlan_kinds(peer, stranger, int(vni), mac(dst_mac))
        blast([(kind, (lambda s, d: lambda: s.sendto(d, (vtep, 4789)))(sockets[source], d)) for kind, source, d in kinds],
              float(seconds))
    elif mode == 'dump':
        own, sink, router, sink_ip, router_ip, gso_sink, gso_sink_ip = sys.argv[2:9]
        plain = l2_kinds(mac(own), mac(sink), mac(router), sink_ip, router_ip)
        virtio = gso_kinds(mac(own), mac(gso_sink), gso_sink_ip)
        for form, kinds in (('plain', plain), ('virtio', virtio)):
            for kind, frame in kinds:
                print(form, kind, frame.hex())
    else:
        sys.exit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
