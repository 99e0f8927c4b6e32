#!/usr/bin/env bash
# End-to-end: ts-init as the ENTRYPOINT of a real container (podman + runc).
#
# Packs the package (npm pack), builds a registry-free base image (host node
# + npm + busybox-static, no compiler: test/e2e/base-image.sh), builds
# Dockerfile.test, which installs the tarball with `npm install -g` as users
# do, then checks what image authors care about: exit codes, `podman stop`,
# `-u 10000`, `-it` (Ctrl-C, job control), orphans from `podman exec`, `-g`.
# Then it builds the README's own Dockerfiles, changed only in FROM (the
# local base) and in what `npm install -g` installs (the packed tarball):
# test/e2e/readme-dockerfiles.js. Each must install one package and run its
# CMD (`node server.js`, our app mounted there) under ts-init as PID 1.
#
# Settings our VMs need (CONTRIBUTING.md, "The container test"): runtime
# runc (crun rejects this host's hybrid cgroup layout) and explicit ulimits
# (root here lacks CAP_SYS_RESOURCE), in a containers.conf of our own via
# CONTAINERS_CONF.
#
# Every command is bounded by `timeout`; every container and image created
# here is removed on exit. Output: TAP-like lines, then "N passed, N failed".
# Without podman it skips (exit 0) with a message, unless E2E_REQUIRE=1
# (set by .ci/run, which installs podman: there a skip would hide a failure).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if ! command -v podman >/dev/null 2>&1; then
  msg="podman is not installed (apt-get install podman runc busybox-static)"
  if [ "${E2E_REQUIRE:-0}" = 1 ]; then echo "e2e: FAIL: $msg" >&2; exit 1; fi
  echo "e2e: SKIP: $msg"; exit 0
fi

ID=$$
BASE=localhost/ts-init-e2e-base:$ID
IMAGE=localhost/ts-init-e2e:$ID
PREFIX=ts-init-e2e-$ID
W=$(mktemp -d)
T=${E2E_TIMEOUT:-120} # seconds, for any single podman command
NAME=$(node -p 'require("./package.json").name')
README_IMAGES=()

cleanup() {
  local names
  names=$(podman ps -a --format '{{.Names}}' --filter "name=^$PREFIX" 2>/dev/null)
  [ -n "$names" ] && timeout 60 podman rm -f -t 0 $names >/dev/null 2>&1
  timeout 60 podman rmi -f "$IMAGE" "${README_IMAGES[@]}" "$BASE" >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

H=$(ulimit -Hn)
cat > "$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$H:$H", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF=$W/containers.conf

passed=0 failed=0 n=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/  # /'; done; }
check() { # check DESCRIPTION CONDITION-STATUS DETAILS...
  local what=$1 status=$2; shift 2
  if [ "$status" = 0 ]; then ok "$what"; else not_ok "$what" "$@"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
p() { timeout "$T" podman "$@" </dev/null; }
run() { p run --network=none "$@"; }
# Waits (up to $2 s) until container $1's log has a line matching $3.
wait_log() {
  local end=$((SECONDS + $2))
  while [ $SECONDS -lt $end ]; do
    p logs "$1" 2>&1 | grep -qE "$3" && return 0
    sleep 0.2
  done
  return 1
}

# Can podman run anything here at all? A machine without this support is the
# only reason to skip (and E2E_REQUIRE turns that into a failure).
echo "# e2e: preparing (npm pack, base image, podman build)"
t0=$(now)
mkdir -p "$W/ctx"
if ! timeout 300 npm pack --silent --pack-destination "$W/ctx" >"$W/pack.log" 2>&1; then
  cat "$W/pack.log" >&2; echo "e2e: npm pack failed" >&2; exit 1
fi
# The package has no dependencies, so the image builds need no registry and
# no npm cache: the tarball is all they install.
mv "$W/ctx/$NAME"-*.tgz "$W/ctx/package.tgz"
cp test/e2e/app.js "$W/ctx/app.js"
echo "# pack: $(since "$t0") s"

t0=$(now)
if ! timeout "$T" bash test/e2e/base-image.sh "$BASE" >"$W/base.log" 2>&1; then
  cat "$W/base.log" >&2; echo "e2e: building the base image failed" >&2; exit 1
fi
echo "# base image: $(since "$t0") s"
if ! probe=$(run --rm "$BASE" true 2>&1); then
  msg="podman cannot run a container on this machine: $probe"
  if [ "${E2E_REQUIRE:-0}" = 1 ]; then echo "e2e: FAIL: $msg" >&2; exit 1; fi
  echo "e2e: SKIP: $msg"; exit 0
fi

t0=$(now)
if ! p build --network=none --pull=never --build-arg "BASE=$BASE" -f "$ROOT/Dockerfile.test" -t "$IMAGE" "$W/ctx" >"$W/build.log" 2>&1; then
  cat "$W/build.log" >&2; echo "e2e: podman build failed" >&2; exit 1
fi
echo "# podman build (npm install -g of the tarball, no compiler in the image): $(since "$t0") s"
# The install must not have compiled anything: the image has no compiler.
image_files=$(run --rm --entrypoint sh "$IMAGE" -c "ls /usr/lib/node_modules/$NAME/; ls /usr/lib/node_modules/$NAME/build 2>/dev/null; command -v cc gcc make python3 || true" 2>&1)
if grep -qx prebuilds <<<"$image_files" && ! grep -qE 'Release|/cc$|/gcc$|/make$|python3' <<<"$image_files"; then
  ok "installed from the tarball with no compiler in the image; no build/ (the prebuild is used)"
else
  not_ok "installed from the tarball with no compiler in the image; no build/ (the prebuild is used)" "$image_files"
fi

# The install script (allowed with --allow-scripts, as the README shows) swapped in the compiled launcher.
launcher=$(run --rm --entrypoint ts-init "$IMAGE" --version 2>&1)
check "the install script put the compiled launcher in place of the sh one" $(grep -q '(compiled launcher)' <<<"$launcher"; echo $?) "ts-init --version: $launcher"
# ...and made the code cache with the image's Node, which ts-init then uses.
cache=$(run --rm --entrypoint ts-init "$IMAGE" -vvv -- true 2>&1)
check "the install script made the code cache, and ts-init uses it" $(grep -q '] Code cache: used$' <<<"$cache"; echo $?) "$cache"

t_checks=$(now)

# 1. Exit codes pass through, including a signal death (128 + N).
run --rm "$IMAGE" node /app/app.js exit 3 >/dev/null 2>&1; rc=$?
check "exit code 3 passes through podman run" $([ $rc = 3 ]; echo $?) "got $rc"
run --rm "$IMAGE" sh -c 'kill -TERM $$' >/dev/null 2>&1; rc=$?
check "a child killed by SIGTERM gives 143" $([ $rc = 143 ]; echo $?) "got $rc"
out=$(run --rm "$IMAGE" sh -c 'exec /nonexistent' 2>&1); rc=$?
check "exec failure inside: sh's 127 passes through" $([ $rc = 127 ]; echo $?) "got $rc" "$out"

# 2. A detached container: ts-init is PID 1; orphans from `podman exec` are
#    reaped; `podman stop` delivers SIGTERM to the app, which exits with 5.
#    detached_checks LABEL CONTAINER IMAGE [RUN-OPTIONS...]: the image's CMD
#    must start test/e2e/app.js in serve mode (it prints "app ready").
detached_checks() {
  local label=$1 c=$2 image=$3; shift 3
  run -d --name "$c" -e APP_EXIT_ON_TERM=5 "$@" "$image" >/dev/null 2>&1
  if wait_log "$c" 30 '^app ready'; then
    pid1=$(p exec "$c" cat /proc/1/cmdline 2>&1 | tr '\0' ' ')
    check "${label}PID 1 is ts-init (node running the launcher)" $(grep -q 'ts-init' <<<"$pid1"; echo $?) "PID 1: $pid1"

    # The orphan: the subshell exits at once, so `sleep 2` is reparented to
    # PID 1; it must be PID 1's child while it runs and gone (not Z) after.
    orphan=$(p exec "$c" sh -c '(sleep 2 & echo $!)' 2>&1)
    ppid=$(p exec "$c" sh -c "read -r a b c d rest < /proc/$orphan/stat && echo \$d" 2>&1)
    check "${label}an orphan from podman exec is reparented to PID 1" $([ "$ppid" = 1 ]; echo $?) "orphan pid '$orphan', ppid '$ppid'"
    sleep 3
    zombies=$(p exec "$c" sh -c 'for f in /proc/[0-9]*/stat; do read -r l < $f 2>/dev/null && echo "$l"; done' 2>&1 | awk '$3 == "Z"')
    left=$(p exec "$c" sh -c "cat /proc/$orphan/stat 2>/dev/null" 2>&1)
    check "${label}the orphan is reaped after it exits (no zombie left)" $([ -z "$zombies" ] && [ -z "$left" ]; echo $?) "zombies: $zombies" "orphan stat: $left"

    t0=$(now)
    p stop -t 10 "$c" >/dev/null 2>&1
    took=$(since "$t0")
    rc=$(p inspect -f '{{.State.ExitCode}}' "$c" 2>&1)
    logs=$(p logs "$c" 2>&1)
    check "${label}podman stop: the app gets SIGTERM" $(grep -q '^app got SIGTERM' <<<"$logs"; echo $?) "$logs"
    check "${label}podman stop: the container exits with the app's status (5)" $([ "$rc" = 5 ]; echo $?) "exit code $rc"
    check "${label}podman stop: promptly (${took} s, stop timeout 10 s)" $(awk -v t="$took" 'BEGIN { exit !(t < 5) }'; echo $?) "took $took s"
  else
    not_ok "${label}the detached app became ready" "$(p logs "$c" 2>&1)"
  fi
  p rm -f -t 0 "$c" >/dev/null 2>&1
}
detached_checks "" "$PREFIX-stop" "$IMAGE"

# 3. A random UID with group 0, as OpenShift runs images.
out=$(run --rm -u 10000 "$IMAGE" node /app/app.js whoami 2>&1); rc=$?
check "-u 10000: the app runs as uid 10000 gid 0" $([ $rc = 0 ] && grep -q '^uid=10000 gid=0 ' <<<"$out"; echo $?) "exit $rc" "$out"
run --rm -u 10000 "$IMAGE" node /app/app.js exit 4 >/dev/null 2>&1; rc=$?
check "-u 10000: exit code passes through" $([ $rc = 4 ]; echo $?) "got $rc"

# 4. -it under a real pty: Ctrl-C is SIGINT for the app, and an interactive
#    shell gets the terminal (job control on).
drive() { timeout $((T + 10)) /usr/bin/python3 test/e2e/ptydrive.py "$T" "$@"; }
out=$(drive '[["app ready","\u0003"]]' -- podman run -it --rm --network=none -e APP_EXIT_ON_INT=6 "$IMAGE" 2>&1); rc=$?
check "-it: Ctrl-C reaches the app as SIGINT" $(grep -q 'app got SIGINT' <<<"$out"; echo $?) "$out"
check "-it: the container exits with the app's status (6)" $([ $rc = 6 ]; echo $?) "got $rc"
out=$(drive '[["[#$] ","sleep 30 &\n"],["[#$] ","jobs\n"],["Running","kill %1; exit 9\n"]]' -- podman run -it --rm --network=none "$IMAGE" sh 2>&1); rc=$?
check "-it sh: job control works (jobs lists the background job)" $([ $rc = 9 ] && grep -q 'Running' <<<"$out"; echo $?) "exit $rc" "$out"
check "-it sh: no \"job control turned off\"" $(! grep -qi 'job control turned off' <<<"$out"; echo $?) "$out"

# 5. -g (TINI_KILL_PROCESS_GROUP): podman stop reaches the whole group, so
#    apps started by a shell that waits for them stop cleanly. The second run,
#    without -g, is the control: only the shell gets SIGTERM, it keeps
#    waiting, and podman has to SIGKILL everything after its timeout.
group_cmd='trap "echo sh got SIGTERM" TERM; node /app/app.js serve a & node /app/app.js serve b & wait; wait; echo sh done'
c=$PREFIX-group
run -d --name "$c" -e TINI_KILL_PROCESS_GROUP=1 "$IMAGE" sh -c "$group_cmd" >/dev/null 2>&1
if wait_log "$c" 30 '^a ready' && wait_log "$c" 30 '^b ready'; then
  t0=$(now); p stop -t 10 "$c" >/dev/null 2>&1; took=$(since "$t0")
  rc=$(p inspect -f '{{.State.ExitCode}}' "$c" 2>&1); logs=$(p logs "$c" 2>&1)
  all=$(grep -c -E '^(a got SIGTERM|b got SIGTERM|sh got SIGTERM|sh done)$' <<<"$logs")
  check "-g: SIGTERM reaches every process of the group; clean exit 0 in ${took} s" $([ "$all" = 4 ] && [ "$rc" = 0 ]; echo $?) "exit $rc" "$logs"
else
  not_ok "-g: the apps became ready" "$(p logs "$c" 2>&1)"
fi
p rm -f -t 0 "$c" >/dev/null 2>&1
c=$PREFIX-nogroup
run -d --name "$c" "$IMAGE" sh -c "$group_cmd" >/dev/null 2>&1
if wait_log "$c" 30 '^a ready' && wait_log "$c" 30 '^b ready'; then
  p stop -t 2 "$c" >/dev/null 2>&1
  rc=$(p inspect -f '{{.State.ExitCode}}' "$c" 2>&1); logs=$(p logs "$c" 2>&1)
  check "control, without -g: only the shell gets SIGTERM (apps killed at the timeout, 137)" \
    $(grep -q '^sh got SIGTERM' <<<"$logs" && ! grep -q '^a got SIGTERM' <<<"$logs" && [ "$rc" = 137 ]; echo $?) "exit $rc" "$logs"
else
  not_ok "control: the apps became ready" "$(p logs "$c" 2>&1)"
fi
p rm -f -t 0 "$c" >/dev/null 2>&1

# 6. The README's Dockerfiles as users copy them: only FROM (the local base)
#    and the package `npm install -g` installs (the packed tarball, mounted at
#    /ctx for the build) are changed. The build has no network: the package
#    must need nothing from a registry. CMD is `node server.js`: our app is
#    mounted there. (The Alpine one is built on the same glibc base, as no
#    musl base is reachable here; the package test loads the musl prebuild.)
mkdir -p "$W/readme"
if ! dockerfiles=$(node test/e2e/readme-dockerfiles.js "$BASE" /ctx/package.tgz "$W/readme" 2>&1); then
  not_ok "the README's Dockerfiles can be taken from README.md" "$dockerfiles"
else
  i=0
  while IFS=$'\t' read -r file from; do
    i=$((i + 1)); img=$IMAGE-readme-$i; label="README Dockerfile $i ($from): "
    README_IMAGES+=("$img")
    t0=$(now)
    if ! p build --network=none --pull=never -v "$W/ctx:/ctx:ro" -f "$file" -t "$img" "$W/readme" >"$W/build-readme-$i.log" 2>&1; then
      not_ok "${label}podman build" "$(cat "$file")" "$(tail -n 30 "$W/build-readme-$i.log")"
      continue
    fi
    ok "${label}podman build, with no network ($(since "$t0") s)"
    # One package: npm's own and ours side by side, nothing under ours.
    listing=$(run --rm --entrypoint sh "$img" -c "ls /usr/lib/node_modules; ls /usr/lib/node_modules/$NAME/node_modules 2>&1; du -sk /usr/lib/node_modules/$NAME" 2>&1)
    installed=$(head -n 2 <<<"$listing" | tr '\n' ' ')
    check "${label}npm install -g added one package ($NAME, no node_modules of its own; $(tail -n 1 <<<"$listing" | cut -f1) KiB)" \
      $([ "$installed" = "npm $NAME " ] && grep -q 'No such file' <<<"$listing"; echo $?) "$listing"
    run --rm "$img" sh -c 'exit 3' >/dev/null 2>&1; rc=$?
    check "${label}ENTRYPOINT ts-init: exit code 3 passes through" $([ $rc = 3 ]; echo $?) "got $rc"
    cache=$(run --rm --entrypoint ts-init "$img" -vvv -- true 2>&1)
    check "${label}the code cache made at install is used" $(grep -q '] Code cache: used$' <<<"$cache"; echo $?) "$cache"
    detached_checks "$label" "$PREFIX-readme-$i" "$img" -v "$W/ctx/app.js:/server.js:ro"
  done <<<"$dockerfiles"
  check "the README has Dockerfiles to build ($i)" $([ "$i" -ge 1 ]; echo $?) "$dockerfiles"
fi

echo "# checks: $(since "$t_checks") s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
