/*
 * ts-init's native part: the few syscalls Node lacks, and nothing else.
 * Policy (what to spawn, which signals to forward, exit codes) lives in
 * TypeScript. Every function reports failure as an errno value or a thrown
 * Error carrying `errno` and `syscall`; none of them aborts the process.
 *
 * Why the child is spawned here and not by libuv: libuv cannot start a child
 * in its own process group without a new session (which loses the terminal),
 * and libuv's own waitpid() calls would race with our waitpid(-1) reaper.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>
/* After node_api.h: its __attribute__((noreturn)) must not meet the macro. */
#include <stdnoreturn.h>

#define MAX_SIGNAL 64
/* Inherited descriptors handed back to the child, at most. */
#define MAX_INHERITED_FDS 256

/* ---- Node-API plumbing ---------------------------------------------------- */

/* Throws "ts-init addon: <call> failed", unless an exception is already
 * pending (a failed call often leaves one, and it says more). */
static void throw_api_failure(napi_env env, const char *call) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  char msg[256];
  snprintf(msg, sizeof msg, "ts-init addon: Node-API call failed: %s", call);
  napi_throw_error(env, NULL, msg);
}

/* A TypeError saying how the function is called, unless an exception is pending. */
static void throw_usage(napi_env env, const char *usage) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  napi_throw_type_error(env, NULL, usage);
}

/* True when the Node-API call succeeded; otherwise throws and is false.
 * Never returns from the caller by itself: the caller cleans up. */
#define API_OK(env, call) ((call) == napi_ok || (throw_api_failure((env), #call), false))

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  return API_OK(env, napi_create_int64(env, v, &out)) ? out : NULL;
}

static bool set_property(napi_env env, napi_value object, const char *name, napi_value value) {
  return value != NULL && API_OK(env, napi_set_named_property(env, object, name, value));
}

static napi_value make_string(napi_env env, const char *text) {
  napi_value out;
  return API_OK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out)) ? out : NULL;
}

/* Throws an Error whose message is "<syscall> failed: <strerror>" and which
 * carries errno and syscall as properties, so TypeScript can pick the exit code. */
static void throw_errno(napi_env env, const char *syscall, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s failed: %s", syscall, strerror(err));
  napi_value message = make_string(env, msg), error;
  if (message == NULL || !API_OK(env, napi_create_error(env, NULL, message, &error))) return;
  if (!set_property(env, error, "errno", make_int(env, err)) || !set_property(env, error, "syscall", make_string(env, syscall))) return;
  API_OK(env, napi_throw(env, error));
}

static bool get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* Reads exactly `want` arguments; throws a TypeError saying `usage` otherwise. */
static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *args, const char *usage) {
  size_t argc = want;
  if (!API_OK(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL))) return false;
  if (argc >= want) return true;
  throw_usage(env, usage);
  return false;
}

static bool get_int_args(napi_env env, napi_callback_info info, size_t want, int32_t *out, const char *usage) {
  napi_value args[2];
  if (want > 2 || !get_args(env, info, want, args, usage)) return false;
  for (size_t i = 0; i < want; i++) {
    if (!get_int(env, args[i], &out[i])) {
      throw_usage(env, usage);
      return false;
    }
  }
  return true;
}

/* Calls `each(env, item, i, ctx)` for every element of a JS array; false
 * (with an exception pending) as soon as one fails or it is no array. */
static bool for_each_element(napi_env env, napi_value array, bool (*each)(napi_env, napi_value, uint32_t, void *), void *ctx) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (!API_OK(env, napi_get_element(env, array, i, &item)) || !each(env, item, i, ctx)) return false;
  }
  return true;
}

static bool add_signal(napi_env env, napi_value item, uint32_t i, void *set) {
  (void)i;
  int32_t sig;
  if (!get_int(env, item, &sig)) return false;
  if (sig > 0 && sig <= MAX_SIGNAL) sigaddset((sigset_t *)set, sig);
  return true;
}

static bool read_signal_set(napi_env env, napi_value array, sigset_t *set) {
  sigemptyset(set);
  return for_each_element(env, array, add_signal, set);
}

/* ---- spawn: the request, read from JS before vfork ---------------------- */

/* What the child reports through the close-on-exec pipe when a step fails. */
enum child_stage { STAGE_EXECVE, STAGE_SETPGID, STAGE_TCSETPGRP };

struct child_failure {
  enum child_stage stage;
  int err;
};

static const char *stage_syscall(enum child_stage stage) {
  switch (stage) {
    case STAGE_SETPGID: return "setpgid";
    case STAGE_TCSETPGRP: return "tcsetpgrp";
    case STAGE_EXECVE: break;
  }
  return "execve";
}

#define LISTEN_PID_NAME "LISTEN_PID="
#define LISTEN_PID_LEN (sizeof LISTEN_PID_NAME - 1)

/*
 * Everything the child needs, prepared before vfork(): from vfork() to
 * execve() the child may only use async-signal-safe calls and must not
 * allocate. Zero-initialised, then filled; free_spawn_request() undoes any
 * prefix of the filling, so every exit takes the same clean-up path.
 */
struct spawn_request {
  char *file;
  char **argv;
  char **envp;
  /* envp, or a copy of its pointers with LISTEN_PID pointing at listen_entry. */
  char **child_envp;
  sigset_t mask;    /* restored in the child just before execve */
  sigset_t ignored; /* ignored in the child; every other signal defaults */
  bool foreground;
  bool listen_pid;
  int fds[MAX_INHERITED_FDS];
  uint32_t nfds;
  /* Filled in by the child with its own pid: "LISTEN_PID=" + digits. */
  char listen_entry[32];
  int exec_pipe[2];
};

static void free_strv(char **v) {
  if (v == NULL) return;
  for (char **p = v; *p != NULL; p++) free(*p);
  free(v);
}

static void free_spawn_request(struct spawn_request *req) {
  free(req->file);
  if (req->child_envp != req->envp) free(req->child_envp); /* the array only: its strings are envp's or listen_entry */
  free_strv(req->argv);
  free_strv(req->envp);
  for (int i = 0; i < 2; i++) {
    if (req->exec_pipe[i] >= 0) close(req->exec_pipe[i]);
  }
}

/* A Buffer's bytes as a NUL-terminated string of our own. */
static char *buffer_to_string(napi_env env, napi_value value) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, value, &data, &len) != napi_ok) return NULL;
  char *out = malloc(len + 1);
  if (out == NULL) return NULL;
  memcpy(out, data, len);
  out[len] = '\0';
  return out;
}

static bool copy_string(napi_env env, napi_value item, uint32_t i, void *strv) {
  char **out = (char **)strv;
  out[i] = buffer_to_string(env, item);
  return out[i] != NULL;
}

/* A JS array of Buffers as a NULL-terminated char**; NULL when it is not one (or memory ran out). */
static char **buffers_to_strv(napi_env env, napi_value array) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return NULL;
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (out != NULL && !for_each_element(env, array, copy_string, out)) {
    free_strv(out); /* the strings copied so far end at the first NULL */
    out = NULL;
  }
  return out;
}

static bool add_fd(napi_env env, napi_value item, uint32_t i, void *req_) {
  struct spawn_request *req = req_;
  int32_t fd;
  if (!get_int(env, item, &fd)) return false;
  if (i < MAX_INHERITED_FDS) req->fds[req->nfds++] = fd;
  return true;
}

/* A copy of envp's pointers in which LISTEN_PID= points at listen_entry,
 * which the child fills in: it may write no memory the parent reads. */
static bool point_listen_pid_at_child(struct spawn_request *req) {
  memcpy(req->listen_entry, LISTEN_PID_NAME, sizeof LISTEN_PID_NAME);
  size_t count = 0;
  while (req->envp[count] != NULL) count++;
  req->child_envp = malloc((count + 1) * sizeof(char *));
  if (req->child_envp == NULL) return false;
  for (size_t i = 0; i <= count; i++) {
    bool is_listen_pid = req->envp[i] != NULL && strncmp(req->envp[i], LISTEN_PID_NAME, LISTEN_PID_LEN) == 0;
    req->child_envp[i] = is_listen_pid ? req->listen_entry : req->envp[i];
  }
  return true;
}

static bool read_spawn_options(napi_env env, napi_value options, struct spawn_request *req) {
  napi_value blocked, ignored, foreground, fds, listen_pid;
  if (!API_OK(env, napi_get_named_property(env, options, "blocked", &blocked)) ||
      !API_OK(env, napi_get_named_property(env, options, "ignored", &ignored)) ||
      !API_OK(env, napi_get_named_property(env, options, "foreground", &foreground)) ||
      !API_OK(env, napi_get_named_property(env, options, "fds", &fds)) ||
      !API_OK(env, napi_get_named_property(env, options, "listenPid", &listen_pid))) {
    return false;
  }
  if (read_signal_set(env, blocked, &req->mask) && read_signal_set(env, ignored, &req->ignored) &&
      napi_get_value_bool(env, foreground, &req->foreground) == napi_ok && for_each_element(env, fds, add_fd, req) &&
      napi_get_value_bool(env, listen_pid, &req->listen_pid) == napi_ok) {
    return true;
  }
  throw_usage(env, "spawn: options need blocked: number[], ignored: number[], foreground: boolean, fds: number[], listenPid: boolean");
  return false;
}

/* spawn()'s four arguments into `req` (zeroed here first); throws and is false on bad input. */
static bool read_spawn_request(napi_env env, napi_callback_info info, struct spawn_request *req) {
  memset(req, 0, sizeof *req);
  req->exec_pipe[0] = req->exec_pipe[1] = -1;
  napi_value args[4];
  if (!get_args(env, info, 4, args, "spawn(file, argv, envp, options) takes four arguments")) return false;
  if (!read_spawn_options(env, args[3], req)) return false;
  req->file = buffer_to_string(env, args[0]);
  req->argv = buffers_to_strv(env, args[1]);
  req->envp = buffers_to_strv(env, args[2]);
  if (req->file == NULL || req->argv == NULL || req->envp == NULL) {
    throw_usage(env, "spawn: file must be a Buffer, argv and envp arrays of Buffers (or memory ran out)");
    return false;
  }
  req->child_envp = req->envp;
  if (req->listen_pid && !point_listen_pid_at_child(req)) {
    throw_errno(env, "fork", ENOMEM);
    return false;
  }
  if (pipe2(req->exec_pipe, O_CLOEXEC) != 0) {
    throw_errno(env, "pipe2", errno);
    return false;
  }
  return true;
}

/* ---- spawn: the child, from vfork() to execve() -------------------------- */
/* Async-signal-safe calls only, no allocation, no writes to memory the
 * parent reads afterwards: the child borrows the parent's memory. */

/* Writes `value` in decimal followed by NUL; `out` has room for 21 bytes. */
static void format_decimal(char *out, long value) {
  char digits[20];
  int n = 0;
  unsigned long v = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  if (value < 0) *out++ = '-';
  while (n > 0) *out++ = digits[--n];
  *out = '\0';
}

static noreturn void report_failure(int fd, enum child_stage stage, int err) {
  /* Blocked again so that no signal's default action kills us before we report. */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  struct child_failure failure = {stage, err};
  ssize_t ignored = write(fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127); /* never exit(): Node's atexit hooks would touch the shared tty */
}

/* Our handlers (libuv's, the addon's) would run in the child: back to
 * SIG_DFL, or SIG_IGN for what ts-init itself inherited ignored. */
static void reset_dispositions(const sigset_t *ignored) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  for (int sig = 1; sig <= MAX_SIGNAL; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sa.sa_handler = sigismember(ignored, sig) ? SIG_IGN : SIG_DFL;
    sigaction(sig, &sa, NULL); /* EINVAL for glibc's reserved 32/33: harmless */
  }
}

/* Job control for `docker run -it`: the child's group takes the terminal.
 * SIGTTOU is blocked here, so a background group may do so. */
static int take_terminal(void) {
  if (!isatty(STDIN_FILENO) || tcsetpgrp(STDIN_FILENO, getpid()) == 0) return 0;
  return errno == ENOTTY || errno == ENXIO ? 0 : -1;
}

/* Node set close-on-exec on the descriptors it inherited; give the child
 * back exactly those (stdio, socket activation, `3<file`). */
static void keep_inherited_fds(const struct spawn_request *req) {
  for (uint32_t i = 0; i < req->nfds; i++) {
    int fd = req->fds[i];
    if (fd >= 0 && fd != req->exec_pipe[1]) fcntl(fd, F_SETFD, 0);
  }
}

static noreturn void run_child(struct spawn_request *req) {
  int report = req->exec_pipe[1];
  close(req->exec_pipe[0]);
  reset_dispositions(&req->ignored);
  if (setpgid(0, 0) != 0) report_failure(report, STAGE_SETPGID, errno);
  if (req->foreground && take_terminal() != 0) report_failure(report, STAGE_TCSETPGRP, errno);
  keep_inherited_fds(req);
  if (req->listen_pid) format_decimal(req->listen_entry + LISTEN_PID_LEN, getpid());
  sigprocmask(SIG_SETMASK, &req->mask, NULL);
  execve(req->file, req->argv, req->child_envp);
  report_failure(report, STAGE_EXECVE, errno);
}

/* ---- spawn: the parent ------------------------------------------------------ */

/* True when the child reported a failed step (then it has been reaped);
 * false on EOF, which means execve succeeded and closed the pipe. */
static bool collect_exec_failure(int fd, pid_t pid, struct child_failure *failure) {
  ssize_t got;
  do {
    got = read(fd, failure, sizeof *failure);
  } while (got < 0 && errno == EINTR);
  if (got != (ssize_t)sizeof *failure) return false;
  /* The child never became the program: collect it now so that it is
   * neither a zombie nor mistaken for the main child by the reaper. */
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  return true;
}

/* vfork, not fork: the child borrows our memory until it execs, so no page
 * tables are copied and no copy-on-write faults follow. Measured in a Node
 * process with a 30 MB heap: 7.2 ms wall / 4.4 ms CPU per spawn with fork(),
 * 0.7 ms / 0.3 ms with vfork(). */
static napi_value start_child(napi_env env, struct spawn_request *req) {
  /* Blocked around vfork so that no handler runs in the child before its
   * dispositions are reset. */
  sigset_t all, parent_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &parent_mask);
  pid_t pid = vfork();
  if (pid == 0) run_child(req);
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &parent_mask, NULL);
  close(req->exec_pipe[1]);
  req->exec_pipe[1] = -1;
  if (pid < 0) {
    throw_errno(env, "fork", fork_err);
    return NULL;
  }
  struct child_failure failure;
  if (collect_exec_failure(req->exec_pipe[0], pid, &failure)) {
    throw_errno(env, stage_syscall(failure.stage), failure.err);
    return NULL;
  }
  return make_int(env, pid);
}

/*
 * spawn(file: Buffer, argv: Buffer[], envp: Buffer[], options) -> pid
 * options: { blocked: number[], ignored: number[], foreground: boolean, fds: number[],
 *            listenPid: boolean }
 *   blocked/ignored: the signal mask and ignored set ts-init itself inherited,
 *   restored in the child so it starts as if ts-init were not there.
 *   fds: inherited descriptors to hand back (Node made them close-on-exec).
 *   listenPid: rewrite LISTEN_PID to the child's own pid (socket activation
 *   names the process meant to take the sockets; that is the child now).
 *   foreground: make the child's new process group the terminal's foreground
 *   group when stdin is a terminal (job control for `docker run -it`).
 */
static napi_value Spawn(napi_env env, napi_callback_info info) {
  struct spawn_request req;
  napi_value pid = NULL;
  if (read_spawn_request(env, info, &req)) pid = start_child(env, &req);
  free_spawn_request(&req);
  return pid;
}

/* ---- reaping and small syscalls -------------------------------------------- */

/* reap() -> Int32Array [pid, rawStatus, pid, rawStatus, ...]
 * Drains waitpid(-1, WNOHANG) until nothing is left to collect. */
static napi_value Reap(napi_env env, napi_callback_info info) {
  (void)info;
  size_t cap = 64, n = 0;
  int32_t *pairs = malloc(cap * sizeof(int32_t));
  if (pairs == NULL) {
    throw_errno(env, "malloc", ENOMEM);
    return NULL;
  }
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break; /* 0: children remain, none exited; ECHILD: no children */
    if (n + 2 > cap) {
      int32_t *bigger = realloc(pairs, cap * 2 * sizeof(int32_t));
      if (bigger == NULL) break; /* keep what we have; the next call drains the rest */
      pairs = bigger;
      cap *= 2;
    }
    pairs[n++] = pid;
    pairs[n++] = status;
  }
  napi_value buffer, out = NULL;
  void *data;
  if (API_OK(env, napi_create_arraybuffer(env, n * sizeof(int32_t), &data, &buffer))) {
    if (n > 0) memcpy(data, pairs, n * sizeof(int32_t));
    if (!API_OK(env, napi_create_typedarray(env, napi_int32_array, n, buffer, 0, &out))) out = NULL;
  }
  free(pairs);
  return out;
}

static napi_value Kill(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!get_int_args(env, info, 2, a, "kill(pid, signal) takes two integers")) return NULL;
  return make_int(env, kill(a[0], a[1]) == 0 ? 0 : errno);
}

static napi_value SetSubreaper(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno);
}

static napi_value SetParentDeathSignal(napi_env env, napi_callback_info info) {
  int32_t sig;
  if (!get_int_args(env, info, 1, &sig, "setParentDeathSignal(signal) takes an integer")) return NULL;
  return make_int(env, prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0 ? 0 : errno);
}

/* Node can only catch signals, not ignore them; SIGTTIN/SIGTTOU must be
 * ignored so that terminal hand-over never stops ts-init. */
static napi_value IgnoreSignal(napi_env env, napi_callback_info info) {
  int32_t sig;
  if (!get_int_args(env, info, 1, &sig, "ignoreSignal(signal) takes an integer")) return NULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  return make_int(env, sigaction(sig, &sa, NULL) == 0 ? 0 : errno);
}

/* Unblocks signals that ts-init inherited blocked: Node only unblocks some of
 * them, and a blocked SIGTERM would never reach our listener. */
static napi_value UnblockSignals(napi_env env, napi_callback_info info) {
  napi_value args[1];
  sigset_t set;
  if (!get_args(env, info, 1, args, "unblockSignals(signals: number[])")) return NULL;
  if (!read_signal_set(env, args[0], &set)) {
    throw_usage(env, "unblockSignals(signals: number[])");
    return NULL;
  }
  return make_int(env, pthread_sigmask(SIG_UNBLOCK, &set, NULL));
}

static napi_value Exit(napi_env env, napi_callback_info info) {
  int32_t code;
  if (!get_int_args(env, info, 1, &code, "exit(code) takes an integer")) return NULL;
  /* Skips V8 teardown (about 17 ms): logs are written synchronously and
   * ts-init holds no buffered output, so there is nothing left to flush. */
  _exit(code & 0xff);
}

static napi_value Strerror(napi_env env, napi_callback_info info) {
  int32_t err;
  if (!get_int_args(env, info, 1, &err, "strerror(errno) takes an integer")) return NULL;
  return make_string(env, strerror(err));
}

/* ---- user and group lookups --------------------------------------------------- */

static napi_value make_null(napi_env env) {
  napi_value out;
  return API_OK(env, napi_get_null(env, &out)) ? out : NULL;
}

/* getpwuid(uid) -> { name, dir, shell } | null: the system's own lookup
 * (NSS), so entries from LDAP or nss_wrapper count, not only /etc/passwd. */
static napi_value Getpwuid(napi_env env, napi_callback_info info) {
  int32_t uid;
  if (!get_int_args(env, info, 1, &uid, "getpwuid(uid) takes an integer")) return NULL;
  struct passwd pw, *found = NULL;
  char buf[16384];
  if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL) return make_null(env);
  napi_value out;
  if (!API_OK(env, napi_create_object(env, &out)) || !set_property(env, out, "name", make_string(env, pw.pw_name)) ||
      !set_property(env, out, "dir", make_string(env, pw.pw_dir ? pw.pw_dir : "")) ||
      !set_property(env, out, "shell", make_string(env, pw.pw_shell ? pw.pw_shell : ""))) {
    return NULL;
  }
  return out;
}

static napi_value Getgrgid(napi_env env, napi_callback_info info) {
  int32_t gid;
  if (!get_int_args(env, info, 1, &gid, "getgrgid(gid) takes an integer")) return NULL;
  struct group gr, *found = NULL;
  char buf[16384];
  if (getgrgid_r((gid_t)gid, &gr, buf, sizeof buf, &found) != 0 || found == NULL) return make_null(env);
  return make_string(env, gr.gr_name);
}

/* ---- real-time signal watchers ------------------------------------------------ */

/* Signal watching for signals Node has no name for (the real-time ones).
 * One libuv signal handle per number, unreferenced so they never keep the
 * loop alive, calling back into JS with the signal number. */
struct watcher {
  uv_signal_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
};

/* An exception thrown by a callback is the process's uncaught exception. */
static void report_callback_exception(napi_env env, napi_status status) {
  napi_value error;
  if (status == napi_pending_exception && napi_get_and_clear_last_exception(env, &error) == napi_ok) {
    napi_fatal_exception(env, error);
  }
}

static void on_signal(uv_signal_t *handle, int signum) {
  struct watcher *w = (struct watcher *)handle->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, w->callback, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_int32(env, signum, &arg) == napi_ok) {
    report_callback_exception(env, napi_make_callback(env, w->context, recv, cb, 1, &arg, &result));
  }
  napi_close_handle_scope(env, scope);
}

struct watch_context {
  uv_loop_t *loop;
  napi_value callback;
  napi_value resource_name;
  int started;
};

/* The watchers live as long as ts-init does: never closed, never freed. */
static bool start_watcher(napi_env env, napi_value item, uint32_t i, void *ctx_) {
  (void)i;
  struct watch_context *ctx = ctx_;
  int32_t sig;
  if (!get_int(env, item, &sig)) return false;
  struct watcher *w = calloc(1, sizeof *w);
  if (w == NULL) {
    throw_errno(env, "malloc", ENOMEM);
    return false;
  }
  w->env = env;
  if (!API_OK(env, napi_create_reference(env, ctx->callback, 1, &w->callback)) ||
      !API_OK(env, napi_async_init(env, NULL, ctx->resource_name, &w->context))) {
    free(w);
    return false;
  }
  w->handle.data = w;
  if (uv_signal_init(ctx->loop, &w->handle) != 0 || uv_signal_start(&w->handle, on_signal, sig) != 0) return true;
  uv_unref((uv_handle_t *)&w->handle);
  ctx->started++;
  return true;
}

/* watchSignals(signals: number[], callback(signal)) -> number of handles started */
static napi_value WatchSignals(napi_env env, napi_callback_info info) {
  napi_value args[2];
  const char *usage = "watchSignals(signals: number[], callback)";
  if (!get_args(env, info, 2, args, usage)) return NULL;
  struct watch_context ctx = {NULL, args[1], NULL, 0};
  if (!API_OK(env, napi_get_uv_event_loop(env, &ctx.loop))) return NULL;
  if ((ctx.resource_name = make_string(env, "ts-init:signal")) == NULL) return NULL;
  if (!for_each_element(env, args[0], start_watcher, &ctx)) {
    throw_usage(env, usage);
    return NULL;
  }
  return make_int(env, ctx.started);
}

/* ---- module ----------------------------------------------------------------------- */

static bool export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  return API_OK(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f)) && set_property(env, exports, name, f);
}

static napi_value Init(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"spawn", Spawn},
      {"reap", Reap},
      {"kill", Kill},
      {"setSubreaper", SetSubreaper},
      {"setParentDeathSignal", SetParentDeathSignal},
      {"ignoreSignal", IgnoreSignal},
      {"unblockSignals", UnblockSignals},
      {"exit", Exit},
      {"strerror", Strerror},
      {"getpwuid", Getpwuid},
      {"getgrgid", Getgrgid},
      {"watchSignals", WatchSignals},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    if (!export_function(env, exports, functions[i].name, functions[i].fn)) return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
