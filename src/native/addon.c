/*
 * ts-init's native part: the few syscalls Node lacks, and nothing else.
 * Policy (what to spawn, which signals to forward, exit codes) lives in
 * TypeScript. Every function reports failure as an errno value or a thrown
 * Error carrying `errno` and `syscall`; none of them aborts the process.
 *
 * Why the child is spawned here and not by libuv (docs/design.md): libuv
 * cannot start a child in its own process group without a new session
 * (which loses the terminal), and libuv's own waitpid() calls would race
 * with our waitpid(-1) reaper.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>
/* After node_api.h: its __attribute__((noreturn)) must not meet the macro. */
#include <stdnoreturn.h>

#define MAX_SIGNAL 64

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

/* The shell glibc's execvp hands a file without #! to (musl's does not:
 * there it fails with ENOEXEC; we do as glibc does on every libc). */
#define SCRIPT_SHELL "/bin/sh"

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
  /* "/bin/sh", file, argv[1], ...: what execvp runs when execve says ENOEXEC. */
  char **script_argv;
  sigset_t mask;    /* restored in the child just before execve */
  sigset_t ignored; /* ignored in the child; every other signal defaults */
  bool foreground;
  bool listen_pid;
  int *fds;
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
  free(req->script_argv); /* the array only: its strings are argv's and file */
  free(req->fds);
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
  req->fds[i] = fd;
  req->nfds = i + 1;
  return true;
}

/* Every inherited descriptor, however many: room for all of them first. */
static bool read_fds(napi_env env, napi_value array, struct spawn_request *req) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return false;
  req->fds = malloc(((size_t)n + 1) * sizeof(int));
  return req->fds != NULL && for_each_element(env, array, add_fd, req);
}

/* glibc's execvp fallback, prepared: argv for running `file` as a script. */
static bool prepare_script_argv(struct spawn_request *req) {
  size_t argc = 0;
  while (req->argv[argc] != NULL) argc++;
  req->script_argv = malloc((argc + 2) * sizeof(char *));
  if (req->script_argv == NULL) return false;
  req->script_argv[0] = (char *)SCRIPT_SHELL;
  req->script_argv[1] = req->file;
  for (size_t i = 1; i <= argc; i++) req->script_argv[i + 1] = req->argv[i]; /* through the final NULL */
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
      napi_get_value_bool(env, foreground, &req->foreground) == napi_ok && read_fds(env, fds, req) &&
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
  if (req->file == NULL || req->argv == NULL || req->envp == NULL || req->argv[0] == NULL) {
    throw_usage(env, "spawn: file must be a Buffer, argv and envp arrays of Buffers (or memory ran out)");
    return false;
  }
  req->child_envp = req->envp;
  if ((req->listen_pid && !point_listen_pid_at_child(req)) || !prepare_script_argv(req)) {
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

/* Whether a file execve refused (ENOEXEC) is a script without #!, as bash
 * decides: no NUL byte in its first line. A binary for another machine is
 * not handed to the shell, which would only print nonsense about it. */
static bool looks_like_script(const char *file) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char head[80];
  ssize_t got;
  do {
    got = read(fd, head, sizeof head);
  } while (got < 0 && errno == EINTR);
  close(fd);
  for (ssize_t i = 0; i < got && head[i] != '\n'; i++) {
    if (head[i] == '\0') return false;
  }
  return got >= 0;
}

/* execve, and for a script without #! what execvp does: /bin/sh FILE ARGS.
 * Returns only on failure, with the error the program itself got. */
static int exec_program(const struct spawn_request *req) {
  execve(req->file, req->argv, req->child_envp);
  int err = errno;
  if (err == ENOEXEC && looks_like_script(req->file)) execve(SCRIPT_SHELL, req->script_argv, req->child_envp);
  return err; /* no /bin/sh (a distroless image): the script's ENOEXEC says more */
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
  report_failure(report, STAGE_EXECVE, exec_program(req));
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

/* ---- signal reception --------------------------------------------------------- */

/*
 * The signals ts-init forwards, and SIGCHLD, are received here, not through
 * libuv: libuv's handler writes one message per signal into a pipe that
 * holds 4,096 of them and drops the rest, SIGTERM included (measured: a
 * burst of 10,000 queued real-time signals lost the SIGTERM behind it). Our
 * handler only counts, per signal number, and wakes the loop once: the
 * eventfd is written on the 0 -> 1 transition of wake_pending, so a burst
 * costs one wake-up and cannot overflow anything. The loop hands the
 * counts to JavaScript ([signal, count, ...]), which coalesces standard
 * signals (as the kernel does while one is pending) and forwards real-time
 * ones count times.
 *
 * Everything the handler touches is lock-free atomic or a plain int set
 * before the first handler is installed: it runs on whichever thread the
 * kernel picks, at any moment.
 */
static atomic_uint signal_counts[MAX_SIGNAL + 1];
static atomic_int wake_pending;
static int wake_fd = -1;

struct signal_watch {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
};

/* A SIGPIPE raised by our own write to a pipe with no reader (a log line
 * on a closed stderr): the kernel sends it as SI_USER from ourselves. It is
 * not the child's business; one sent by anyone else is forwarded. */
static bool raised_by_us(int sig, const siginfo_t *info) {
  return sig == SIGPIPE && info != NULL && info->si_code == SI_USER && info->si_pid == getpid();
}

static void count_signal(int sig, siginfo_t *info, void *context) {
  (void)context;
  int saved_errno = errno;
  if (sig > 0 && sig <= MAX_SIGNAL && !raised_by_us(sig, info)) {
    atomic_fetch_add(&signal_counts[sig], 1);
    if (atomic_exchange(&wake_pending, 1) == 0) {
      uint64_t one = 1;
      ssize_t ignored = write(wake_fd, &one, sizeof one); /* EAGAIN only at 2^64-2 unread wakes */
      (void)ignored;
    }
  }
  errno = saved_errno;
}

/* An exception thrown by a callback is the process's uncaught exception. */
static void report_callback_exception(napi_env env, napi_status status) {
  napi_value error;
  if (status == napi_pending_exception && napi_get_and_clear_last_exception(env, &error) == napi_ok) {
    napi_fatal_exception(env, error);
  }
}

/* Int32Array [signal, count, ...] in signal order: what arrived since the
 * last call, the counters back at zero. */
static napi_value take_signals(napi_env env) {
  uint64_t wakes;
  ssize_t ignored = read(wake_fd, &wakes, sizeof wakes); /* EAGAIN: woken for nothing new */
  (void)ignored;
  /* Cleared before the counts are read: a signal counted after this point
   * wakes the loop again, one counted before it is read below. */
  atomic_store(&wake_pending, 0);
  int32_t pairs[2 * MAX_SIGNAL];
  size_t n = 0;
  for (int sig = 1; sig <= MAX_SIGNAL; sig++) {
    unsigned int count = atomic_exchange(&signal_counts[sig], 0);
    if (count == 0) continue;
    pairs[n++] = sig;
    pairs[n++] = count > INT32_MAX ? INT32_MAX : (int32_t)count;
  }
  napi_value buffer, out;
  void *data;
  if (!API_OK(env, napi_create_arraybuffer(env, n * sizeof(int32_t), &data, &buffer))) return NULL;
  if (n > 0) memcpy(data, pairs, n * sizeof(int32_t));
  return API_OK(env, napi_create_typedarray(env, napi_int32_array, n, buffer, 0, &out)) ? out : NULL;
}

/* The loop's side: take the counts, hand them to the JS callback. */
static void on_wake(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  struct signal_watch *w = poll->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value cb, recv, pairs = take_signals(w->env), result;
  if (pairs == NULL) {
    report_callback_exception(w->env, napi_pending_exception); /* could not allocate: say so */
  } else if (napi_get_reference_value(w->env, w->callback, &cb) == napi_ok && napi_get_global(w->env, &recv) == napi_ok) {
    report_callback_exception(w->env, napi_make_callback(w->env, w->context, recv, cb, 1, &pairs, &result));
  }
  napi_close_handle_scope(w->env, scope);
}

static void free_watch(uv_handle_t *handle) {
  free(handle->data);
}

/* The eventfd and its libuv watcher; they live as long as ts-init does. */
static bool start_wake_watch(napi_env env, napi_value callback) {
  struct signal_watch *w = calloc(1, sizeof *w);
  uv_loop_t *loop;
  napi_value name = make_string(env, "ts-init:signals");
  if (w == NULL || name == NULL) {
    free(w);
    if (name != NULL) throw_errno(env, "malloc", ENOMEM);
    return false;
  }
  w->env = env;
  if (!API_OK(env, napi_get_uv_event_loop(env, &loop)) || !API_OK(env, napi_create_reference(env, callback, 1, &w->callback)) ||
      !API_OK(env, napi_async_init(env, NULL, name, &w->context))) {
    free(w); /* a reference made before a later failure is leaked: this runs once, at start-up */
    return false;
  }
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, "eventfd", errno);
    free(w);
    return false;
  }
  w->poll.data = w;
  int err = uv_poll_init(loop, &w->poll, fd);
  if (err != 0) free(w);
  else if ((err = uv_poll_start(&w->poll, UV_READABLE, on_wake)) != 0) uv_close((uv_handle_t *)&w->poll, free_watch);
  if (err != 0) {
    close(fd);
    throw_errno(env, "uv_poll_start", -err);
    return false;
  }
  uv_unref((uv_handle_t *)&w->poll); /* signals never keep ts-init alive by themselves */
  wake_fd = fd; /* before the first handler is installed */
  return true;
}

struct install_context {
  napi_value failed; /* signal numbers sigaction refused */
  uint32_t nfailed;
};

static bool install_handler(napi_env env, napi_value item, uint32_t i, void *ctx_) {
  (void)i;
  struct install_context *ctx = ctx_;
  int32_t sig;
  if (!get_int(env, item, &sig)) return false;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = count_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask); /* one handler at a time: nothing nests */
  if (sig > 0 && sig <= MAX_SIGNAL && sigaction(sig, &sa, NULL) == 0) return true;
  /* musl reserves 32-34 for itself; those stay as they are */
  return API_OK(env, napi_set_element(env, ctx->failed, ctx->nfailed++, item));
}

/*
 * watchSignals(signals: number[], callback: (counts: Int32Array) => void)
 * -> number[] (those
 * that could not be installed). Once per process. From now on the kernel
 * calls count_signal for these signals; any earlier handler (libuv's, for
 * Node's process.on listeners) is replaced. Those listeners must stay
 * registered: removing the last one makes libuv reset the signal to SIG_DFL.
 */
static napi_value WatchSignals(napi_env env, napi_callback_info info) {
  napi_value args[2];
  const char *usage = "watchSignals(signals: number[], callback) takes effect once";
  if (!get_args(env, info, 2, args, usage)) return NULL;
  if (wake_fd >= 0) {
    throw_usage(env, usage);
    return NULL;
  }
  struct install_context ctx = {NULL, 0};
  if (!start_wake_watch(env, args[1]) || !API_OK(env, napi_create_array(env, &ctx.failed))) return NULL;
  if (!for_each_element(env, args[0], install_handler, &ctx)) {
    throw_usage(env, usage);
    return NULL;
  }
  return ctx.failed;
}

/* ---- pidfds: signalling a process, not a number ------------------------------ */

/* The generic syscall numbers (every architecture since Linux 5.1/5.3);
 * older libc headers lack the names. */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* pidfdOpen(pid) -> descriptor (close-on-exec), or -errno: -ENOSYS before
 * Linux 5.3, -ESRCH when no such process. */
static napi_value PidfdOpen(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!get_int_args(env, info, 1, &pid, "pidfdOpen(pid) takes an integer")) return NULL;
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return make_int(env, fd >= 0 ? fd : -errno);
}

/* pidfdSendSignal(fd, signal) -> errno, 0 on success; ESRCH once that
 * process has exited, whoever holds its pid number now. */
static napi_value PidfdSendSignal(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!get_int_args(env, info, 2, a, "pidfdSendSignal(fd, signal) takes two integers")) return NULL;
  return make_int(env, syscall(SYS_pidfd_send_signal, a[0], a[1], NULL, 0) == 0 ? 0 : errno);
}

static napi_value Close(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!get_int_args(env, info, 1, &fd, "close(fd) takes an integer")) return NULL;
  return make_int(env, close(fd) == 0 ? 0 : errno);
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
      {"pidfdOpen", PidfdOpen},
      {"pidfdSendSignal", PidfdSendSignal},
      {"close", Close},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    if (!export_function(env, exports, functions[i].name, functions[i].fn)) return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
