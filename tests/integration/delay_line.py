#!/usr/bin/env python3
"""delay_line.py IF1 IF2 MS - a wire between two interfaces that delays
the frames from IF1 to IF2 by MS milliseconds (IF2 to IF1: none), for a
kernel without tc netem.  Run inside the namespace that holds both
(netpair.py does); AF_PACKET sockets bound to each, frames forwarded
whole with their virtio-net header (PACKET_VNET_HDR), so a segment whose
checksum the sender left to the device, or a GSO one larger than the
MTU, goes on as it came.  Ends when killed."""

import heapq
import select
import socket
import sys
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_VNET_HDR = 15


def main():
    if1, if2, ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    socks = {}
    for name in (if1, if2):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        s.bind((name, 0))
        socks[name] = s
    delay = {if1: ms / 1000.0, if2: 0.0}
    other = {if1: socks[if2], if2: socks[if1]}
    pending = []  # (due, seq, socket, frame)
    seq = 0
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
        ready, _, _ = select.select(list(socks.values()), [], [], timeout)
        for s in ready:
            frame, addr = s.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue  # our own copy of a frame we sent
            seq += 1
            heapq.heappush(pending, (time.monotonic() + delay[addr[0]], seq, other[addr[0]],
                                     frame))
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, frame = heapq.heappop(pending)
            try:
                out.send(frame)
            except OSError:
                pass


if __name__ == "__main__":
    main()
