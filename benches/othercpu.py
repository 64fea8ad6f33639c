#!/usr/bin/env python3
"""The noise of a shared machine: CPU time used by processes that are not ours, between two calls.

    othercpu.py start PID FILE   remembers every process's CPU time in FILE
    othercpu.py stop PID FILE    prints the % of one core used since then by the processes that are
                                 neither PID and its descendants nor kernel threads

A process that started and ended between the two calls is not seen.
"""
import json
import os
import sys
import time


def processes():
    """pid -> [ppid, start time, CPU ticks (user + system)]."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        found[pid] = [int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12])]
    return found


def is_ours(pid, procs, me):
    for _ in range(100):
        if pid == me or pid == 2:  # ours, or a kernel thread (kthreadd's child)
            return True
        if pid <= 1 or str(pid) not in procs:
            return False
        pid = procs[str(pid)][0]
    return False


def main():
    mode, me, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "start":
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"time": time.monotonic(), "procs": processes()}, f)
        return
    with open(path, encoding="utf-8") as f:
        before = json.load(f)
    now, elapsed = processes(), time.monotonic() - before["time"]
    ticks = 0
    for pid, (_, start, cpu) in now.items():
        if is_ours(int(pid), now, me):
            continue
        old = before["procs"].get(pid)
        ticks += cpu - old[2] if old and old[1] == start else cpu
    print(round(100 * ticks / os.sysconf("SC_CLK_TCK") / max(elapsed, 0.1), 1))


if __name__ == "__main__":
    main()
