#!/bin/sh
# A small "container entrypoint" for ts-init to supervise: it leaves orphans
# behind (as daemons and `docker exec` do), waits for a signal, and exits 3.
echo "demo: I am pid $$; my init is pid $PPID ($(tr '\0' ' ' < /proc/$PPID/cmdline | cut -c1-40)...)"
for i in 1 2 3; do (sleep 0.2 &) ; done
echo "demo: left 3 orphans behind; ts-init reaps them (-w prints each)"
trap 'echo "demo: got SIGTERM, exiting with 3"; exit 3' TERM
sleep 0.5
echo "demo: sending SIGTERM to PID 1, as 'docker stop' does"
kill -TERM 1
sleep 2 & wait
