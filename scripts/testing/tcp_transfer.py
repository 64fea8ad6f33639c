#!/usr/bin/env python3
"""Byte-exact TCP transfer check for the integration tests of dataplane and vswitch (IPv4 and IPv6;
data that never repeats within a MiB, so a misplaced slice changes the digest).

  tcp_transfer.py recv ADDRESS PORT [RATE [pauses]]
                                           accept one connection, print "<bytes> <sha256>" of what arrived;
                                           with RATE (bytes/s), read no faster, through a 64 KiB receive
                                           buffer, so that the sender's data queues up (and a TSO sender
                                           sends multi-segment frames however slow its CPU); with "pauses",
                                           then " <ms>", the longest wait for data to read
  tcp_transfer.py send ADDRESS PORT BYTES [STOPFILE]
                                           send BYTES pseudo-random bytes, print "<bytes> <sha256>" of what was
                                           sent; with STOPFILE, stop early, after a MiB, once that file exists
"""
import hashlib
import os
import random
import socket
import sys
import time


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def recv(address, port, rate=None, pauses=False):
    with socket.socket(family(address), socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rate:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)  # accepted sockets inherit it
        server.bind((address, port))
        server.listen(1)
        print("listening", flush=True)
        conn, _ = server.accept()
        digest, total, start, longest = hashlib.sha256(), 0, time.monotonic(), 0.0
        with conn:
            while True:
                asked = time.monotonic()
                chunk = conn.recv(1 << 16 if rate else 1 << 20)
                if not chunk:
                    break
                longest = max(longest, time.monotonic() - asked)
                digest.update(chunk)
                total += len(chunk)
                if rate:
                    time.sleep(max(0.0, start + total / rate - time.monotonic()))
    print(total, digest.hexdigest(), *(["%.1f" % (longest * 1000)] if pauses else []), flush=True)


def send(address, port, length, stop=None):
    block = random.Random(5).randbytes(1 << 20)  # so a misplaced slice of payload changes the digest
    digest, total = hashlib.sha256(), 0
    with socket.create_connection((address, port), timeout=60) as conn:
        counter = 0
        while total < length and not (stop and os.path.exists(stop)):
            chunk = block[: min(len(block), length - total)]
            chunk = counter.to_bytes(8, "big") + chunk[8:] if len(chunk) > 8 else chunk
            conn.sendall(chunk)
            digest.update(chunk)
            total += len(chunk)
            counter += 1
        conn.shutdown(socket.SHUT_WR)
        conn.recv(1)
    print(total, digest.hexdigest(), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else None, sys.argv[5:6] == ["pauses"])
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
