#!/usr/bin/env python3
"""Sends one raw frame of hex bytes out of an interface through a packet socket.

  send_frame.py IFACE HEX
"""
import socket
import sys

with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
    s.bind((sys.argv[1], 0))
    s.send(bytes.fromhex(sys.argv[2]))
