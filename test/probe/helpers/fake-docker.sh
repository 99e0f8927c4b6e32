#!/bin/sh
# A stand-in for the docker CLI: there is no Docker engine on our machines
# (see docs/probe.md). It records every call (one line per call, arguments
# separated by \037) in $FAKE_DOCKER_LOG, then has podman carry it out with
# Docker's semantics where the two differ:
#   - `docker run -u` adds no passwd entry; podman does unless --passwd=false;
#   - `docker rm -f` SIGKILLs at once; podman's waits out a stop timeout first.
# FAKE_DOCKER_DOWN=1: the CLI is there but no daemon answers (as here, with
#   the real docker CLI and no engine).
# FAKE_DOCKER_REMOTE=1: inspect reports a PID 1 that is not in this machine's
#   /proc, as Docker Desktop or a remote DOCKER_HOST do.
# FAKE_DOCKER_PODMAN=1: the server says it is podman's Docker-compatible
#   service (as `podman system service` does), and run -u gets podman's
#   passwd entry, which the docker CLI cannot turn off.
{ for a; do printf '%s\037' "$a"; done; echo; } >> "${FAKE_DOCKER_LOG:-/dev/null}"
case $1 in
  version)
    if [ -n "${FAKE_DOCKER_DOWN:-}" ]; then
      echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2
      exit 1
    fi
    if [ -n "${FAKE_DOCKER_PODMAN:-}" ]; then echo '4.3.1 Podman Engine;Conmon;OCI Runtime (runc);'; else echo '28.2.2-fake Engine;containerd;runc;docker-init;'; fi
    exit 0 ;;
  run)
    shift
    [ -n "${FAKE_DOCKER_PODMAN:-}" ] && exec podman run "$@"
    exec podman run --passwd=false "$@" ;;
  rm) shift; exec podman rm --time 0 "$@" ;;
  container)
    if [ "$2" = inspect ] && [ -n "${FAKE_DOCKER_REMOTE:-}" ]; then
      out=$(podman "$@") || exit $?
      # 4194305: above the largest pid_max, so in no /proc.
      printf '%s\n' "$out" | sed 's/"Pid":[0-9][0-9]*/"Pid":4194305/'
      exit 0
    fi ;;
esac
exec podman "$@"
