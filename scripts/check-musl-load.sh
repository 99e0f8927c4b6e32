#!/bin/sh
# Loads a musl addon build under musl's own dynamic linker, as far as that is
# possible without a musl Node (none is reachable from our machines: no
# Alpine mirror, and the npm registry has no musl Node binary).
#
# A small musl program stands in for Node: it exports a stub for every
# napi_*/uv_* symbol the addon imports (as node's binary exports the real
# ones) and dlopen()s the addon with RTLD_NOW, so every remaining symbol must
# resolve against musl's libc, then looks up the Node-API entry points.
# This proves the file links and loads against musl; it does not run the
# addon's code (the stubs do nothing).
#
# usage: check-musl-load.sh ADDON [SYMBOL-TO-LEAVE-OUT]
# The second argument leaves one stub out, to show that the check fails
# when a symbol cannot be resolved.
set -eu
addon=$(readlink -f "$1")
omit=${2:-}
command -v musl-gcc >/dev/null || { echo "check-musl-load: musl-gcc not found (apt-get install musl-tools)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
  echo '#include <dlfcn.h>'
  echo '#include <stdio.h>'
  nm -D --undefined-only "$addon" | awk '{print $2}' | grep -E '^(napi|uv)_' | while read -r sym; do
    [ "$sym" = "$omit" ] && continue
    echo "int $sym(void) { return 0; }"
  done
  cat <<'EOF'
int main(int argc, char **argv) {
  void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!handle) { fprintf(stderr, "dlopen failed: %s\n", dlerror()); return 1; }
  if (!dlsym(handle, "napi_register_module_v1")) { fprintf(stderr, "no napi_register_module_v1\n"); return 1; }
  printf("musl: loaded %s, all symbols resolved\n", argv[1]);
  (void)argc;
  return 0;
}
EOF
} > "$work/host.c"
musl-gcc -rdynamic -o "$work/host" "$work/host.c"
"$work/host" "$addon"
