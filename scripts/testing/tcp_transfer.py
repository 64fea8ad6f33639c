#!/usr/bin/env python3
"""Byte-exact TCP transfer check for the integration tests of dataplane and vswitch (IPv4 and IPv6;
data that never repeats within a MiB, so a misplaced slice changes the digest).

  tcp_transfer.py recv ADDRESS PORT        accept one connection, print "<bytes> <sha256>" of what arrived
  tcp_transfer.py send ADDRESS PORT BYTES  send BYTES pseudo-random bytes, print "<bytes> <sha256>" of what was sent
"""
import hashlib
import random
import socket
import sys


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def recv(address, port):
    with socket.create_server((address, port), family=family(address)) as server:
        print("listening", flush=True)
        conn, _ = server.accept()
        digest, total = hashlib.sha256(), 0
        with conn:
            while True:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                total += len(chunk)
    print(total, digest.hexdigest(), flush=True)


def send(address, port, length):
    block = random.Random(5).randbytes(1 << 20)  # so a misplaced slice of payload changes the digest
    digest, total = hashlib.sha256(), 0
    with socket.create_connection((address, port), timeout=60) as conn:
        counter = 0
        while total < length:
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
        recv(sys.argv[2], int(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
