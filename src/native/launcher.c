/*
 * ts-init's launcher: the program a container actually starts as PID 1.
 *
 * Node rewrites what it inherits before any JavaScript runs: it resets
 * ignored signals to their defaults, clears the signal mask and marks every
 * inherited descriptor close-on-exec. The program ts-init starts must get
 * what ts-init got (tini passes all of it on), so this launcher records that
 * state first, with syscalls, and then execve()s Node on ts-init's bundle.
 * No fork: the PID stays (PID 1 in a container).
 *
 * What ts-init needs (its arguments, the environment byte for byte, the
 * signal mask, the ignored signals, the inherited descriptors) goes into an
 * anonymous file (memfd) whose descriptor number is the one private
 * variable, __TS_INIT_LAUNCH, in Node's environment. Node's own command line
 * is only [node, flags, bundle]: however long the program's arguments are,
 * they never have to fit into Node's exec a second time. Every other
 * __TS_INIT_* variable is dropped, so nothing from outside can pose as a
 * note of ours. The record's layout is described in docs/launcher.md and read
 * by src/init/launcher-env.ts; PROTOCOL changes whenever it does.
 *
 * Statically linked (musl on x64, glibc on arm64): one binary serves glibc
 * and musl images. No stdio, no locale, no NSS: only syscalls and string
 * functions, so a static glibc build is safe too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROTOCOL 1
#define LAUNCH_VAR "__TS_INIT_LAUNCH"
#define PRIVATE_PREFIX "__TS_INIT_"
/* Bit 0 of the record's flags: no /proc, descriptors found by probing each number. */
#define FLAG_FDS_PROBED 1u
/* Bit 1: Node's exec was too big with the environment, so Node got none (E2BIG). */
#define FLAG_ENV_DROPPED 2u

#if defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__aarch64__)
#define ARCH "aarch64"
#else
#define ARCH "unknown"
#endif

/* Measured on Node 20: fewer than ~20 open files abort or segfault Node; an
 * address space under ~730 MiB fails reserving V8's code range. */
#define MIN_NOFILE 24
#define MIN_ADDRESS_SPACE (768ULL << 20)

/* ---- messages ---------------------------------------------------------- */

static void put(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return; /* nowhere left to say it */
    }
    s += w;
    n -= (size_t)w;
  }
}

/* One line on stderr, "ts-init: " and the pieces (NULL ends them), then exit. */
static _Noreturn void die(int code, const char *first, ...) {
  va_list ap;
  put(2, "ts-init: ");
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) put(2, s);
  va_end(ap);
  put(2, "\n");
  _exit(code);
}

static const char *number(unsigned long long v, char buf[24]) {
  char *p = buf + 23;
  *p = '\0';
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  return p;
}

/* ---- what ts-init inherited --------------------------------------------- */

/*
 * The mask and the ignored signals, bit N-1 for signal N as in
 * /proc/PID/status. Raw syscalls: the libc wrappers refuse or hide the
 * signals they reserve for threads (32 and 33, and 34 in musl), which a
 * parent may still have blocked or ignored, and tini passes those on too.
 */
static void read_signals(uint64_t *blocked, uint64_t *ignored) {
  uint64_t set = 0;
  *blocked = 0;
  *ignored = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &set, sizeof set) == 0) *blocked = set;
  for (int sig = 1; sig <= 64; sig++) {
    /* struct kernel_sigaction: its layout differs by architecture, but the
     * handler comes first on all of them, and this is larger than any. */
    unsigned long act[8] = {0};
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (syscall(SYS_rt_sigaction, sig, NULL, act, sizeof(uint64_t)) == 0 && act[0] == (unsigned long)SIG_IGN) {
      *ignored |= 1ULL << (sig - 1);
    }
  }
}

struct fdlist {
  int *v;
  size_t n, cap;
};

static void add_fd(struct fdlist *l, int fd) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    int *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) die(1, "out of memory listing inherited descriptors", NULL);
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = fd;
}

/* Inherited means open and without close-on-exec: what an exec passes on. */
static void add_if_inherited(struct fdlist *l, int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0 && !(flags & FD_CLOEXEC)) add_fd(l, fd);
}

struct dirent64_raw {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/* The fast way: the numbers /proc lists (a few syscalls). -1 without /proc. */
static int list_fds_proc(struct fdlist *l) {
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  char buf[8192] __attribute__((aligned(8)));
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(dir);
      l->n = 0;
      return -1;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
      off += d->reclen;
      long fd = 0;
      const char *p = d->name;
      if (*p < '0' || *p > '9') continue; /* . and .. */
      for (; *p >= '0' && *p <= '9'; p++) fd = fd * 10 + (*p - '0');
      if (fd != dir && fd <= INT_MAX) add_if_inherited(l, (int)fd);
    }
  }
  close(dir);
  return 0;
}

/*
 * Without /proc (not mounted, or another PID namespace's): probe every number
 * below the open-files limit. poll() with no events answers POLLNVAL for a
 * number that is not open, 1024 numbers per syscall; fcntl() only for the
 * open ones. A descriptor at or above the limit (inherited before the limit
 * was lowered) is missed: the kernel offers no other way to find it.
 */
static void list_fds_probe(struct fdlist *l) {
  struct rlimit rl;
  unsigned long limit = 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) limit = rl.rlim_cur > (1UL << 24) ? (1UL << 24) : (unsigned long)rl.rlim_cur;
  static struct pollfd p[1024];
  for (unsigned long base = 0; base < limit; base += 1024) {
    unsigned long n = limit - base < 1024 ? limit - base : 1024;
    for (unsigned long i = 0; i < n; i++) p[i] = (struct pollfd){.fd = (int)(base + i), .events = 0, .revents = 0};
    int r;
    do r = poll(p, n, 0);
    while (r < 0 && errno == EINTR);
    for (unsigned long i = 0; i < n; i++) {
      if (r < 0 || !(p[i].revents & POLLNVAL)) add_if_inherited(l, (int)(base + i));
    }
  }
}

static int by_number(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* ---- the environment ------------------------------------------------------ */

static int named(const char *entry, const char *name) {
  size_t n = strlen(name);
  return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* getenv() over a given block: the first entry wins, as in getenv. */
static const char *lookup(char **envp, const char *name) {
  for (char **e = envp; *e != NULL; e++) {
    if (named(*e, name)) return *e + strlen(name) + 1;
  }
  return NULL;
}

static int is_private(const char *entry) {
  return strncmp(entry, PRIVATE_PREFIX, sizeof PRIVATE_PREFIX - 1) == 0;
}

/* Meant for the program, not for the init: NODE_OPTIONS would configure the
 * init's Node, NODE_EXTRA_CA_CERTS makes it parse a CA bundle at every start. */
static int for_program_only(const char *entry) {
  return named(entry, "NODE_OPTIONS") || named(entry, "NODE_EXTRA_CA_CERTS");
}

/* ---- files and paths -------------------------------------------------------- */

static char *concat(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = malloc(la + lb + lc + 1);
  if (s == NULL) die(1, "out of memory", NULL);
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

/* The directory part of a path ("." for a bare name), as a new string. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) return concat(".", "", "");
  if (slash == path) return concat("/", "", "");
  char *d = concat(path, "", "");
  d[slash - path] = '\0';
  return d;
}

static int executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * `node` as execvp() would find it (TS_INIT_NODE or node; a name with a
 * slash is used as given, else each PATH entry, an empty one being the
 * current directory). NULL when no such executable file exists.
 */
static char *find_node(const char *name, const char *path) {
  if (strchr(name, '/') != NULL) return concat(name, "", "");
  if (path == NULL) path = "/bin:/usr/bin"; /* glibc's execvp() default */
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *dir = malloc(len + 2);
    if (dir == NULL) die(1, "out of memory", NULL);
    memcpy(dir, len ? p : ".", len ? len : 1);
    dir[len ? len : 1] = '\0';
    char *candidate = concat(dir, "/", name);
    free(dir);
    if (executable_file(candidate)) return candidate;
    free(candidate);
    if (end == NULL) return NULL;
    p = end;
  }
}

/* A "#define NAME 123" line's number in text, or -1. */
static long define_value(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *line = text; line != NULL; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p++ != '#') continue;
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, "define", 6) != 0) continue;
    p += 6;
    if (*p != ' ' && *p != '\t') continue;
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, name, n) != 0 || (p[n] != ' ' && p[n] != '\t')) continue;
    p += n;
    while (*p == ' ' || *p == '\t') p++;
    if (*p < '0' || *p > '9') return -1;
    long v = 0;
    for (; *p >= '0' && *p <= '9' && v < 100000; p++) v = v * 10 + (*p - '0');
    return v;
  }
  return -1;
}

/* Major and minor from <prefix>/include/node/node_version.h next to bin_dir; 0 when not found. */
static int header_version(const char *bin_dir, long *major, long *minor) {
  char *header = concat(bin_dir, "/../include/node/node_version.h", "");
  int fd = open(header, O_RDONLY | O_CLOEXEC);
  free(header);
  if (fd < 0) return 0;
  /* The defines sit after the license comment, in the first ~1.2 KB. */
  char text[4097];
  size_t used = 0;
  for (;;) {
    ssize_t r = read(fd, text + used, sizeof text - 1 - used);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    used += (size_t)r;
    if (used == sizeof text - 1) break;
  }
  close(fd);
  text[used] = '\0';
  *major = define_value(text, "NODE_MAJOR_VERSION");
  *minor = define_value(text, "NODE_MINOR_VERSION");
  return *major >= 0 && *minor >= 0;
}

/*
 * The Node version, from the node_version.h every Node distribution installs
 * in <prefix>/include/node (official tarballs and images, npm's node-linux-*,
 * nvm, Debian and NodeSource packages): asking node itself would cost a fork
 * and a second Node start. The prefix of the path as found first (a symlinked
 * bin/node in a prefix of its own), then the prefix of the real file.
 */
static int node_version(const char *node, long *major, long *minor) {
  char *dir = dir_of(node);
  int found = header_version(dir, major, minor);
  free(dir);
  if (found) return 1;
  char *real = realpath(node, NULL);
  if (real == NULL) return 0;
  dir = dir_of(real);
  found = header_version(dir, major, minor);
  free(dir);
  free(real);
  return found;
}

/* --disable-sigusr1 came with Node 22.14 and 23.7; older Nodes reject it as a bad option. */
static int has_disable_sigusr1(long major, long minor) {
  return major >= 24 || (major == 23 && minor >= 7) || (major == 22 && minor >= 14);
}

/* This program's own file, symlinks resolved: the bundle is found relative to it. */
static char *own_path(void) {
  /* AT_EXECFN: the path our caller gave execve (no /proc needed); it still
   * resolves, since nothing has changed directory since. */
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  char *real = execfn ? realpath(execfn, NULL) : NULL;
  if (real == NULL) real = realpath("/proc/self/exe", NULL);
  return real;
}

/* ts-init's bundle: <package>/dist/ts-init.cjs, for a launcher at <package>/<dir>/ts-init. */
static char *bundle_path(const char *self) {
  char *bin = dir_of(self);
  char *package = dir_of(bin);
  char *bundle = concat(strcmp(package, "/") == 0 ? "" : package, "/dist/ts-init.cjs", "");
  free(bin);
  free(package);
  return bundle;
}

/* ---- the launch record ------------------------------------------------------ */

struct out {
  int fd;
  int err;
  size_t used;
  char buf[1 << 16];
};

static void out_flush(struct out *o) {
  for (size_t done = 0; done < o->used && o->err == 0;) {
    ssize_t w = write(o->fd, o->buf + done, o->used - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) o->err = errno;
    else done += (size_t)w;
  }
  o->used = 0;
}

static void out_bytes(struct out *o, const void *p, size_t n) {
  const char *s = p;
  while (n > 0 && o->err == 0) {
    if (o->used == sizeof o->buf) out_flush(o);
    size_t take = sizeof o->buf - o->used < n ? sizeof o->buf - o->used : n;
    memcpy(o->buf + o->used, s, take);
    o->used += take;
    s += take;
    n -= take;
  }
}

/* Little-endian, whatever the machine (both targets are little-endian anyway). */
static void out_u32(struct out *o, uint32_t v) {
  unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  out_bytes(o, b, 4);
}

static void out_u64(struct out *o, uint64_t v) {
  out_u32(o, (uint32_t)v);
  out_u32(o, (uint32_t)(v >> 32));
}

/*
 * An anonymous file that survives the exec into Node, at 3 or above (with
 * 0, 1 or 2 closed it would otherwise take their place, and Node would use
 * it as stdio). memfd_create needs Linux 3.17 and is allowed by Docker's
 * seccomp profile; an unnamed O_TMPFILE file is the fallback. -1 on failure.
 */
#define RECORD_FILE_TRIED "memfd_create, and O_TMPFILE in /dev/shm and /tmp"
static int record_file(void) {
  int fd = (int)syscall(SYS_memfd_create, "ts-init-launch", 0U);
  if (fd < 0) fd = open("/dev/shm", O_TMPFILE | O_RDWR, 0600);
  if (fd < 0) fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
  if (fd >= 0 && fd < 3) {
    int high = fcntl(fd, F_DUPFD, 3);
    close(fd);
    fd = high;
  }
  return fd;
}

/* Magic, protocol, flags, counts, signal sets, descriptors, then argv and the environment as NUL-ended strings. */
static int write_record(int fd, uint32_t flags, int argc, char **argv, char **envp, uint64_t blocked, uint64_t ignored, const struct fdlist *fds) {
  static struct out o;
  o.fd = fd;
  o.err = 0;
  o.used = 0;
  uint32_t envc = 0;
  for (char **e = envp; *e != NULL; e++) envc += !is_private(*e);
  out_bytes(&o, "TSINITL\0", 8);
  out_u32(&o, PROTOCOL);
  out_u32(&o, flags);
  out_u32(&o, (uint32_t)argc);
  out_u32(&o, envc);
  out_u32(&o, (uint32_t)fds->n);
  out_u32(&o, 0); /* reserved, keeps the sets 8-aligned */
  out_u64(&o, blocked);
  out_u64(&o, ignored);
  for (size_t i = 0; i < fds->n; i++) out_u32(&o, (uint32_t)fds->v[i]);
  for (int i = 0; i < argc; i++) out_bytes(&o, argv[i], strlen(argv[i]) + 1);
  for (char **e = envp; *e != NULL; e++) {
    if (!is_private(*e)) out_bytes(&o, *e, strlen(*e) + 1);
  }
  out_flush(&o);
  return o.err;
}

/* The flags word sits at offset 12; rewritten when Node's environment had to go. */
static void set_record_flags(int fd, uint32_t flags) {
  unsigned char b[4] = {(unsigned char)flags, (unsigned char)(flags >> 8), (unsigned char)(flags >> 16), (unsigned char)(flags >> 24)};
  if (pwrite(fd, b, 4, 12) != 4) die(1, "cannot update the launch record: ", strerror(errno), NULL);
}

/* ---- checks before Node --------------------------------------------------- */

/* Limits too low for Node make it crash with a core dump or a stack trace: say so plainly. */
static void check_limits(void) {
  struct rlimit rl;
  char a[24], b[24];
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MIN_NOFILE) {
    die(1, "the open-files limit (ulimit -n) is ", number(rl.rlim_cur, a), "; ts-init needs at least ", number(MIN_NOFILE, b),
        " (Node.js alone needs about 20). Raise it, e.g. docker run --ulimit nofile=1024:1024.", NULL);
  }
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MIN_ADDRESS_SPACE) {
    die(1, "the address-space limit (ulimit -v) is ", number(rl.rlim_cur >> 20, a),
        " MiB; Node.js needs at least 768 MiB of address space to start (it reserves virtual memory it never touches). Raise or remove the limit.", NULL);
  }
}

/*
 * --disable-sigusr1 where the Node has it: a SIGUSR1 before ts-init's
 * listener then cannot open the inspector. Elsewhere (Node 20, or no header
 * found) the inspector is pointed at an address no host owns (TEST-NET-1,
 * RFC 5737): its bind fails at once, no packet is sent, it never listens.
 * TS_INIT_DISABLE_SIGUSR1=1 or 0 overrides the detection.
 */
static const char *sigusr1_flag(const char *node, const char *setting) {
  long major = -1, minor = -1;
  int known = node_version(node, &major, &minor);
  if (setting != NULL && strcmp(setting, "1") == 0) {
    if (known && !has_disable_sigusr1(major, minor)) {
      char a[24], b[24];
      die(1, "TS_INIT_DISABLE_SIGUSR1=1, but Node ", number((unsigned long long)major, a), ".", number((unsigned long long)minor, b), " (", node,
          ") has no --disable-sigusr1 (it came with Node 22.14 and 23.7): unset the variable, or set it to 0", NULL);
    }
    return "--disable-sigusr1";
  }
  if (setting != NULL && strcmp(setting, "0") == 0) return "--inspect-port=192.0.2.1:9229";
  return known && has_disable_sigusr1(major, minor) ? "--disable-sigusr1" : "--inspect-port=192.0.2.1:9229";
}

/*
 * TS_INIT_NODE_FLAGS: words split at spaces, tabs and newlines; no quoting,
 * no globbing, no expansion. Each word must be an option (--name=value for
 * one with a value): a stray word would become Node's script, and ts-init
 * would not run at all.
 */
static size_t split_flags(char *flags, char **words, size_t max) {
  size_t n = 0;
  if (flags == NULL) return 0;
  for (char *p = flags; *p != '\0';) {
    while (*p == ' ' || *p == '\t' || *p == '\n') *p++ = '\0';
    if (*p == '\0') break;
    if (*p != '-') {
      char *end = p + strcspn(p, " \t\n");
      *end = '\0';
      die(1, "TS_INIT_NODE_FLAGS: '", p, "' is not a Node option (the value is split at whitespace, with no quoting; give values as --name=value)", NULL);
    }
    if (n < max) words[n++] = p;
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') p++;
  }
  return n;
}

static int self_test(void) {
  uint64_t blocked, ignored;
  struct fdlist fds = {0};
  read_signals(&blocked, &ignored);
  if (list_fds_proc(&fds) != 0) list_fds_probe(&fds);
  char *self = own_path();
  if (self == NULL) die(1, "self-test: cannot find the launcher's own path: ", strerror(errno), NULL);
  char *bundle = bundle_path(self);
  if (access(bundle, R_OK) != 0) die(1, "self-test: no ts-init bundle at ", bundle, ": ", strerror(errno), NULL);
  int fd = record_file();
  if (fd < 0) die(1, "self-test: cannot create the launch record (" RECORD_FILE_TRIED "): ", strerror(errno), NULL);
  char *argv[] = {"--self-test", NULL};
  char *envp[] = {NULL};
  int err = write_record(fd, 0, 1, argv, envp, blocked, ignored, &fds);
  if (err != 0) die(1, "self-test: cannot write the launch record: ", strerror(err), NULL);
  close(fd);
  char p[24];
  put(1, "ts-init launcher: self-test passed (" ARCH ", protocol ");
  put(1, number(PROTOCOL, p));
  put(1, ", bundle ");
  put(1, bundle);
  put(1, ")\n");
  return 0;
}

int main(int argc, char **argv, char **envp) {
  /* First, before anything could change them: the signal state and descriptors. */
  uint64_t blocked, ignored;
  read_signals(&blocked, &ignored);
  struct fdlist fds = {0};
  uint32_t flags = 0;
  if (list_fds_proc(&fds) != 0) {
    list_fds_probe(&fds);
    flags |= FLAG_FDS_PROBED;
  }
  if (fds.n > 1) qsort(fds.v, fds.n, sizeof *fds.v, by_number);

  if (argc == 2 && strcmp(argv[1], "--self-test") == 0) return self_test();
  check_limits();

  char *self = own_path();
  if (self == NULL) die(1, "cannot find the launcher's own path (", argc > 0 ? argv[0] : "?", "): ", strerror(errno), NULL);
  char *bundle = bundle_path(self);
  if (access(bundle, R_OK) != 0) die(1, "cannot read ts-init's code at ", bundle, " (", strerror(errno), "; launcher ", self, "): reinstall ts-init", NULL);

  const char *name = lookup(envp, "TS_INIT_NODE");
  if (name == NULL || *name == '\0') name = "node";
  char *node = find_node(name, lookup(envp, "PATH"));
  if (node == NULL) {
    const char *path = lookup(envp, "PATH");
    die(127, "cannot find ", name, " on PATH (", path ? path : "unset", "): install Node.js 20 or later, or set TS_INIT_NODE to its path", NULL);
  }
  const char *sigusr1 = sigusr1_flag(node, lookup(envp, "TS_INIT_DISABLE_SIGUSR1"));

  int record = record_file();
  if (record < 0) die(1, "cannot create the launch record (" RECORD_FILE_TRIED "): ", strerror(errno), NULL);
  int err = write_record(record, flags, argc > 0 ? argc - 1 : 0, argv + (argc > 0), envp, blocked, ignored, &fds);
  if (err != 0) die(1, "cannot write the launch record: ", strerror(err), NULL);

  /* Node's command line: node, our flags, the user's flags, the bundle. */
  const char *user_flags = lookup(envp, "TS_INIT_NODE_FLAGS");
  char *flag_copy = user_flags ? concat(user_flags, "", "") : NULL;
  size_t max_words = flag_copy ? strlen(flag_copy) / 2 + 1 : 0;
  char **node_argv = malloc((max_words + 5) * sizeof *node_argv);
  if (node_argv == NULL) die(1, "out of memory", NULL);
  size_t n = 0;
  node_argv[n++] = (char *)name;
  /* One V8 worker thread instead of four (bench/flags.js: exit latency
   * -11% to -34%, start-up CPU neutral); TS_INIT_NODE_FLAGS comes later, so
   * it can override this. */
  node_argv[n++] = "--v8-pool-size=1";
  node_argv[n++] = (char *)sigusr1;
  n += split_flags(flag_copy, node_argv + n, max_words);
  node_argv[n++] = bundle;
  node_argv[n] = NULL;

  /* Node's environment: ours, less the program's Node variables and any
   * __TS_INIT_* from outside, plus the record's descriptor number. */
  size_t envc = 0;
  while (envp[envc] != NULL) envc++;
  char **node_env = malloc((envc + 2) * sizeof *node_env);
  if (node_env == NULL) die(1, "out of memory", NULL);
  char launch[sizeof LAUNCH_VAR + 24];
  char num[24];
  memcpy(launch, LAUNCH_VAR "=", sizeof LAUNCH_VAR);
  strcpy(launch + sizeof LAUNCH_VAR, number((unsigned long long)record, num));
  size_t m = 0;
  for (size_t i = 0; i < envc; i++) {
    if (!is_private(envp[i]) && !for_program_only(envp[i])) node_env[m++] = envp[i];
  }
  node_env[m++] = launch;
  node_env[m] = NULL;

  execve(node, node_argv, node_env);
  if (errno == E2BIG) {
    /* The environment alone filled the exec (the program's own exec will
     * fit: it carries no Node flags or bundle path). ts-init reads it from
     * the record anyway; Node itself needs none of it. */
    set_record_flags(record, flags | FLAG_ENV_DROPPED);
    char *only[] = {launch, NULL};
    execve(node, node_argv, only);
  }
  int e = errno;
  die(e == ENOENT || e == ENOTDIR ? 127 : 126, "exec ", node, " failed: ", strerror(e), NULL);
}
