#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal and plays a short dialogue.

usage: ptydrive.py TIMEOUT_SECONDS STEPS_JSON -- COMMAND [ARGS...]

STEPS_JSON is a list of [regex, text]: wait until the output so far matches
regex (from where the previous match ended), then type text (\\u0003 is
Ctrl-C). Everything the terminal shows is copied to stdout. Exit status: the
command's own, 124 when the time is up (the command is then killed), 125
when the command ended before a step's regex appeared.

This is what `docker run -it` looks like from the inside: the container's
stdin is a terminal, and Ctrl-C is a byte the line discipline turns into
SIGINT for the terminal's foreground process group. A real terminal is
needed for that, so the test cannot just pipe bytes in.
"""
import json
import os
import pty
import re
import select
import signal
import sys
import time


def main() -> int:
    timeout = float(sys.argv[1])
    steps = json.loads(sys.argv[2])
    if sys.argv[3] != "--":
        print("usage: ptydrive.py TIMEOUT STEPS -- COMMAND...", file=sys.stderr)
        return 2
    argv = sys.argv[4:]
    deadline = time.monotonic() + timeout

    pid, master = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)

    seen = b""
    searched_from = 0
    step = 0
    status = None
    eof = False
    while True:
        while step < len(steps):
            match = re.compile(steps[step][0].encode()).search(seen, searched_from)
            if not match:
                break
            searched_from = match.end()
            os.write(master, steps[step][1].encode())
            step += 1
        if eof:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.write(seen.decode(errors="replace"))
            print(f"\n[ptydrive.py: timed out after {timeout}s at step {step}]", file=sys.stderr)
            return 124
        ready, _, _ = select.select([master], [], [], min(left, 0.2))
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                chunk = b""
            if not chunk:
                eof = True
            seen += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace"))
    sys.stdout.flush()
    if step < len(steps):
        print(f"\n[ptydrive.py: command ended before step {step}: {steps[step][0]!r}]", file=sys.stderr)
        return 125
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
