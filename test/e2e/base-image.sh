#!/usr/bin/env bash
# Builds the e2e base image without any registry: the machine's own node
# binary and the shared libraries it links, npm (so the Dockerfile can
# install ts-init the way users do), and busybox-static for sh, ps, sleep…
# No compiler and no python: the image is as bare as node:*-slim in that
# respect, so installing ts-init in it proves the prebuilt addon is used.
#
# usage: base-image.sh TAG
# Needs: podman (CONTAINERS_CONF set by the caller), busybox-static, node.
set -euo pipefail
tag=$1
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null || { echo "base-image: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# Debian's merged-/usr layout, so the paths ldd prints resolve in the image.
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,tmp,root,proc,sys,dev,app}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
chmod 1777 "$root/tmp"

cp "$node_bin" "$root/usr/bin/node"
# Each library under the path the dynamic linker asks for, dereferenced.
ldd "$node_bin" | grep -oE '/[^ ]+' | while read -r lib; do
  dest="$root/usr${lib#/usr}"
  mkdir -p "$(dirname "$dest")"
  cp -L "$lib" "$dest"
done

mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"

cp "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

tar -C "$root" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null
