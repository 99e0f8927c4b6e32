#!/bin/sh
# Rebuilds the prebuilt addons shipped in prebuilds/ (npm run prebuild).
#
#   prebuilds/linux-x64/ts-init.glibc.node    prebuildify --napi --strip, host gcc
#   prebuilds/linux-x64/ts-init.musl.node     musl-gcc (Debian's musl-tools)
#   prebuilds/linux-arm64/ts-init.glibc.node  aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)
#   prebuilds/linux-x64/ts-init-launcher      the compiled launcher, musl-gcc -static
#   prebuilds/linux-arm64/ts-init-launcher    the same, aarch64-linux-gnu-gcc -static
#                                             against Debian's musl-dev:arm64
#
# Each file carries an explicit libc tag: node-gyp-build treats an untagged
# file as fitting every libc, so an untagged glibc build would be picked on
# Alpine and fail there with a dlopen error instead of the musl one loading.
#
# The addon is plain Node-API (no libnode link, NAPI_VERSION=8), so one build
# serves Node 20, 22 and 24; only Node's headers are needed, and the running
# Node ships them (include/node next to its bin/). A missing cross compiler
# skips that target with a message unless PREBUILD_REQUIRE_ALL=1.
#
# The build runs on a copy of the sources in a temporary directory, so the
# repository's own build/ (which tests load) is never wiped half-way.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
NODE_BIN=$(command -v node)
NODE_INCLUDE=${NODE_INCLUDE:-$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")/include/node}
[ -f "$NODE_INCLUDE/node_api.h" ] || { echo "prebuild: no Node headers in $NODE_INCLUDE (set NODE_INCLUDE)" >&2; exit 1; }

# The same flags binding.gyp gives node-gyp, so the three builds agree.
CFLAGS="-O2 -Wall -Wextra -fPIC -fvisibility=hidden -pthread -DNAPI_VERSION=8 -D_GNU_SOURCE -DBUILDING_NODE_EXTENSION -DNODE_GYP_MODULE_NAME=ts_init"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp package.json binding.gyp "$WORK/"
mkdir -p "$WORK/src/native" && cp src/native/addon.c "$WORK/src/native/"

# glibc, x64: prebuildify drives node-gyp; npm_config_nodedir points it at
# the running Node's headers, since node-gyp would otherwise download them
# (and only the npm registry is reachable from our machines). --target is
# the running Node because prebuildify --napi would otherwise name the newest
# Node it knows, whose headers are not here; Node-API makes the choice moot.
# --name: the addon's file name (ts-init.glibc.node, like the two below);
# prebuildify would take the npm package's name (ts-init-pid1) instead.
(cd "$WORK" && CFLAGS="-include $ROOT/scripts/glibc-compat.h" npm_config_nodedir=$(dirname "$(dirname "$NODE_INCLUDE")") \
  "$ROOT/node_modules/.bin/prebuildify" --napi --strip --tag-libc --name ts-init --out "$ROOT" \
    --target "$(node -p process.versions.node)" --node-gyp "$ROOT/node_modules/.bin/node-gyp")
echo "prebuild: linux-x64 glibc done"

cross() { # cross CC STRIP DIR TAG
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "prebuild: $1 not found, skipping $3/ts-init.$4.node" >&2
    [ "${PREBUILD_REQUIRE_ALL:-0}" = 1 ] && exit 1
    return 0
  fi
  mkdir -p "prebuilds/$3"
  # shellcheck disable=SC2086 # CFLAGS is a list of words on purpose
  "$1" $CFLAGS -shared -I"$NODE_INCLUDE" -o "prebuilds/$3/ts-init.$4.node" src/native/addon.c
  "$2" --strip-all "prebuilds/$3/ts-init.$4.node"
  echo "prebuild: $3 $4 done"
}
# musl-gcc links against musl's libc.so (NEEDED libc.so), which musl's
# dynamic linker maps to itself on Alpine; the napi_* symbols stay undefined
# and come from the node process that dlopens the addon, as with glibc.
cross musl-gcc strip linux-x64 musl
CFLAGS="$CFLAGS -include scripts/glibc-compat.h" cross aarch64-linux-gnu-gcc aarch64-linux-gnu-strip linux-arm64 glibc

# The launcher (src/native/launcher.c) is a program, not an addon: linked
# statically, one binary serves glibc and musl images alike. Both link musl:
# x64 with musl-gcc; arm64 with the aarch64 cross compiler and Debian's
# musl-dev:arm64, which apt downloads into the work directory with lists of
# its own (the machine's apt configuration is not touched, nothing is
# installed). Where that download fails, arm64 links glibc statically
# instead (600 KB, of which ~500 KB is glibc's static start-up; safe for a
# program with no NSS, locale or dlopen) and says so. Every warning is an
# error here: nothing unexamined ships.
musl_arm64_specs() { # prints the path of a gcc specs file for aarch64 musl, or fails
  apt_dir=$WORK/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/deb"
  set -- -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Dir::State::Lists="$apt_dir/lists" \
    -o Dir::Cache="$apt_dir/cache" -o Dir::State::status=/dev/null
  apt-get "$@" update >"$apt_dir/log" 2>&1 || return 1
  (cd "$apt_dir/deb" && apt-get "$@" download musl-dev:arm64) >>"$apt_dir/log" 2>&1 || return 1
  dpkg -x "$apt_dir"/deb/musl-dev_*_arm64.deb "$apt_dir/root" || return 1
  # Debian's specs name /usr/{include,lib}/aarch64-linux-musl: point them at the extracted copy.
  sed "s|/usr/include/aarch64-linux-musl|$apt_dir/root/usr/include/aarch64-linux-musl|g; s|/usr/lib/aarch64-linux-musl|$apt_dir/root/usr/lib/aarch64-linux-musl|g" \
    "$apt_dir/root/usr/lib/aarch64-linux-musl/musl-gcc.specs" >"$apt_dir/musl.specs" || return 1
  echo "$apt_dir/musl.specs"
}
launcher() { # launcher CC STRIP DIR [CFLAGS...]
  cc=$1 strip=$2 dir=$3
  shift 3
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "prebuild: $cc not found, skipping $dir/ts-init-launcher" >&2
    [ "${PREBUILD_REQUIRE_ALL:-0}" = 1 ] && exit 1
    return 0
  fi
  mkdir -p "prebuilds/$dir"
  "$cc" "$@" -static -Os -Wall -Wextra -Werror -o "prebuilds/$dir/ts-init-launcher" src/native/launcher.c
  "$strip" --strip-all "prebuilds/$dir/ts-init-launcher"
  echo "prebuild: $dir launcher done"
}
launcher musl-gcc strip linux-x64
if specs=$(musl_arm64_specs); then
  launcher aarch64-linux-gnu-gcc aarch64-linux-gnu-strip linux-arm64 -specs="$specs"
else
  echo "prebuild: could not fetch Debian's musl-dev:arm64 ($WORK/apt/log), linking glibc statically for arm64" >&2
  [ "${PREBUILD_REQUIRE_ALL:-0}" = 1 ] && exit 1
  launcher aarch64-linux-gnu-gcc aarch64-linux-gnu-strip linux-arm64
fi

# What the binaries were built from: test/package/package.test.ts checks it, so a
# change to the addon without `npm run prebuilds` fails CI instead of
# shipping stale binaries (in the repo build/Release hides them from tests).
sha256sum src/native/addon.c src/native/launcher.c binding.gyp scripts/glibc-compat.h scripts/prebuild.sh > prebuilds/SOURCES.sha256
