#!/usr/bin/env python3
"""Regenerates the captured GSO frames of this directory (run as root on Linux; a few seconds).

Namespaces A and B are joined through two TAPs with IFF_VNET_HDR and TSO/USO/checksum offloads,
copied to each other as they are, so GSO frames cross intact: A sends TCP over IPv4 and IPv6 (ECN
on) and UDP with UDP_SEGMENT, and the first GSO frame of each kind is kept with its virtio-net
header. Each is then written into TAP X of namespace C, bridged to TAP Y that has no offloads, so
the kernel's own software GSO cuts it; the frames read from Y are its segments.

  capture.py OUTPUT_DIR     writes tcp4.txt, tcp6.txt, udp4.txt, udp6.txt
"""
import fcntl, os, select, struct, subprocess, sys, time

TUNSETIFF, TUNSETOFFLOAD, TUNSETVNETHDRSZ = 0x400454ca, 0x400454d0, 0x400454d8
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x2, 0x1000, 0x4000
OFFLOADS = 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x40  # CSUM TSO4 TSO6 TSO_ECN USO4 USO6
PREFIX = "vo%04x" % (os.getpid() & 0xffff)
NS_A, NS_B, NS_C = PREFIX + "a", PREFIX + "b", PREFIX + "c"


def sh(*command):
    subprocess.run(command, check=True)


def tap(name, vnet, offloads=0):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if vnet else 0)))
    if vnet:
        fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", 12))
        fcntl.ioctl(fd, TUNSETOFFLOAD, offloads)
    return fd


def host(ns, name, me, peer):
    fd = tap(name, True, OFFLOADS)
    sh("ip", "link", "set", name, "netns", ns)
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_ecn=1")
    sh("ip", "-n", ns, "link", "set", name, "address", "02:00:00:00:00:0%d" % me, "up")
    sh("ip", "-n", ns, "addr", "add", "10.96.0.%d/24" % me, "dev", name)
    sh("ip", "-n", ns, "addr", "add", "fd96::%d/64" % me, "dev", name, "nodad")
    sh("ip", "-n", ns, "neigh", "add", "10.96.0.%d" % peer, "lladdr", "02:00:00:00:00:0%d" % peer, "dev", name)
    sh("ip", "-n", ns, "neigh", "add", "fd96::%d" % peer, "lladdr", "02:00:00:00:00:0%d" % peer, "dev", name)
    return fd


SENDER = """
import socket, time
for family, address in ((socket.AF_INET, "10.96.0.2"), (socket.AF_INET6, "fd96::2")):
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_UDP, 103, 1200)  # UDP_SEGMENT
    u.sendto(bytes(range(251)) * 20, (address, 9))
    t = socket.create_connection((address, 5001))
    for pieces in (40, 30, 20, 40):  # writes of a few segments each
        t.sendall(bytes(range(253)) * pieces)
        time.sleep(0.05)
    t.sendall(bytes(range(253)) * 2000)
    t.close()
    time.sleep(0.2)
"""
RECEIVER = """
import socket
for family, address in ((socket.AF_INET, "10.96.0.2"), (socket.AF_INET6, "fd96::2")):
    with socket.create_server((address, 5001), family=family) as server:
        connection, _ = server.accept()
        while connection.recv(1 << 20):
            pass
"""


def capture_gso_frames():
    a, b = host(NS_A, PREFIX + "ta", 1, 2), host(NS_B, PREFIX + "tb", 2, 1)
    receiver = subprocess.Popen(["ip", "netns", "exec", NS_B, "python3", "-c", RECEIVER])
    time.sleep(0.5)
    sender = subprocess.Popen(["ip", "netns", "exec", NS_A, "python3", "-c", SENDER])
    frames = {}
    deadline = time.time() + 10
    while time.time() < deadline and (sender.poll() is None or receiver.poll() is None):
        for fd in select.select([a, b], [], [], 0.1)[0]:
            while True:
                try:
                    data = os.read(fd, 70000)
                except BlockingIOError:
                    break
                gso_type, gso_size = data[1] & 0x7f, struct.unpack("<H", data[4:6])[0]
                name = {1: "tcp4", 4: "tcp6", 5: "udp4" if data[12 + 12:12 + 14] == b"\x08\x00" else "udp6"}.get(gso_type)
                # the first GSO frame of each kind with 3 to 12 segments, the last one short
                payload = len(data) - 12 - struct.unpack("<H", data[2:4])[0]
                if fd == a and name and name not in frames and 2 * gso_size < payload < 12 * gso_size and payload % gso_size:
                    frames[name] = data
                os.write(b if fd == a else a, data)
    os.close(a)
    os.close(b)
    return frames


def kernel_segments(frames):
    x, y = tap(PREFIX + "tx", True), tap(PREFIX + "ty", False)
    for name in (PREFIX + "tx", PREFIX + "ty"):
        sh("ip", "link", "set", name, "netns", NS_C)
    sh("ip", "netns", "exec", NS_C, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "-n", NS_C, "link", "add", "br0", "type", "bridge")
    for name in (PREFIX + "tx", PREFIX + "ty"):
        sh("ip", "-n", NS_C, "link", "set", name, "master", "br0", "up")
    sh("ip", "-n", NS_C, "link", "set", "br0", "up")
    segments = {}
    for name, data in frames.items():
        os.write(x, data)
        time.sleep(0.2)
        segments[name] = []
        while True:
            try:
                segment = os.read(y, 70000)
            except BlockingIOError:
                break
            if segment[6:12] == data[12 + 6:12 + 12]:
                segments[name].append(segment)
    return segments


def main(output):
    for ns in (NS_A, NS_B, NS_C):
        sh("ip", "netns", "add", ns)
    try:
        frames = capture_gso_frames()
        segments = kernel_segments(frames)
    finally:
        for ns in (NS_A, NS_B, NS_C):
            subprocess.run(["ip", "netns", "del", ns])
    for name, data in sorted(frames.items()):
        with open(os.path.join(output, name + ".txt"), "w") as out:
            out.write("# Captured by capture.py on Linux %s: a GSO frame read from a TAP with offloads\n" % os.uname().release)
            out.write("# (virtio_net_hdr_v1 then the frame), then the kernel's software GSO segments of it.\n")
            out.write("gso %s\n" % data.hex())
            for segment in segments[name]:
                out.write("segment %s\n" % segment.hex())
        print(name, len(data) - 12, "bytes,", len(segments[name]), "segments")


if __name__ == "__main__":
    main(sys.argv[1])
