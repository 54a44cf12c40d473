#!/usr/bin/env python3
# rusage.py OUT CMD...: run CMD, then write "wall user sys" (seconds, to the microsecond, of CMD
# and its children as wait4 reports them) to OUT; exits with CMD's status.  GNU time rounds
# user and system time to 10 ms, too coarse for a few thousand requests.
import os
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
with open(out, "w") as f:
    f.write(f"{wall:.6f} {ru.ru_utime:.6f} {ru.ru_stime:.6f}\n")
sys.exit(os.waitstatus_to_exitcode(status))
