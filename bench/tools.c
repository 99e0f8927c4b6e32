/*
 * Benchmark helpers for bench/run.js, compiled at run time with `cc`.
 * One multi-call binary, so a fresh clone needs one compile step. Every
 * timestamp is CLOCK_MONOTONIC in nanoseconds: the same clock as Node's
 * process.hrtime.bigint(), so the JS driver and these programs can be
 * compared directly.
 *
 *   tools startup RUNS CMD... [:: CMD...]...  time fork+exec+wait of each
 *                                             command, interleaved by round
 *   tools sigchild                            print a record per signal caught
 *   tools storm N INTERVAL_US TIMEOUT_MS       double-fork N orphans, sample
 *                                             PID 1's zombies, print JSON
 *   tools exitchild FIFO                      wait for a byte, print time, _exit
 *   tools pidwait PID                         print the time PID exits (pidfd)
 *   tools rtcount SIG QUIET_MS                count SIG and SIGTERM as queued, until
 *                                             QUIET_MS pass without one
 *   tools burst PID COUNT SIG                 send COUNT SIG, then SIGTERM, to PID
 *   tools termat DELAY_US CMD...               run CMD as PID 1 of a new PID
 *                                             namespace (own /proc), SIGTERM it
 *                                             DELAY_US after its exec; print
 *                                             its exit status
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- startup ---------------------------------------------------------- */

static int startup(int argc, char **argv) {
  int runs = atoi(argv[0]);
  char **cmds[64];
  int ncmds = 0;
  cmds[ncmds++] = &argv[1];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "::") == 0) {
      argv[i] = NULL;
      if (ncmds < 64) cmds[ncmds++] = &argv[i + 1];
    }
  }
  int devnull = open("/dev/null", O_RDWR);
  for (int r = 0; r < runs; r++) {
    /* Rotate the order each round so no command always runs right after
     * the same neighbour (caches, CPU frequency, other workers' load). */
    for (int k = 0; k < ncmds; k++) {
      int c = (k + r) % ncmds;
      int64_t t0 = now_ns();
      pid_t pid = fork();
      if (pid == 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp(cmds[c][0], cmds[c]);
        _exit(127);
      }
      int status = 0;
      struct rusage ru;
      wait4(pid, &status, 0, &ru);
      int64_t t1 = now_ns();
      /* CPU time (user + system, the child and what it waited for) is far
       * less sensitive than wall time to other load on a shared machine. */
      long long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
      printf("%d %lld %d %lld\n", c, (long long)(t1 - t0), WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), cpu_us);
    }
    fflush(stdout);
  }
  return 0;
}

/* ---- sigchild ----------------------------------------------------------- */

struct record {
  int32_t sig;
  int32_t pad;
  int64_t ns;
};

static void on_signal(int sig) {
  struct record r = {sig, 0, now_ns()};
  ssize_t ignored = write(1, &r, sizeof r);
  (void)ignored;
}

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static int sigchild(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  for (int s = SIGRTMIN; s <= SIGRTMAX; s++) sigaction(s, &sa, NULL);
  /* As PID 1 (the "no init" baseline) SIGTERM would be dropped without a
   * handler; with one, the driver can stop every variant the same way. */
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  struct record ready = {0, 0, now_ns()};
  if (write(1, &ready, sizeof ready) < 0) return 1;
  for (;;) pause();
}

/* ---- storm -------------------------------------------------------------- */

struct shared {
  volatile int sampler_ready;
  volatile int storm_done;
  volatile int64_t t_start, t_end;
  /* written by the sampler */
  volatile int peak_zombies, zombies_left, others_left, samples;
  volatile int64_t t_drained;
};

/* Counts PID 1's children other than `skip1`/`skip2`: zombies and live ones. */
static void count_children(pid_t skip1, pid_t skip2, int *zombies, int *others) {
  static char buf[1 << 20];
  *zombies = 0;
  *others = 0;
  int fd = open("/proc/1/task/1/children", O_RDONLY);
  if (fd < 0) return;
  ssize_t n = 0, got;
  while (n < (ssize_t)sizeof buf - 1 && (got = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += got;
  close(fd);
  buf[n < 0 ? 0 : n] = 0;
  char *p = buf;
  while (*p) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    p = end;
    while (*p == ' ') p++;
    if (pid == skip1 || pid == skip2) continue;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int sfd = open(path, O_RDONLY);
    if (sfd < 0) continue; /* reaped between the two reads */
    ssize_t m = read(sfd, stat, sizeof stat - 1);
    close(sfd);
    if (m <= 0) continue;
    stat[m] = 0;
    char *paren = strrchr(stat, ')');
    if (paren != NULL && paren[1] == ' ' && paren[2] == 'Z') (*zombies)++;
    else (*others)++;
  }
}

static int storm(int n, int interval_us, int timeout_ms) {
  struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) return 1;
  memset((void *)sh, 0, sizeof *sh);
  pid_t self = getpid();
  pid_t sampler = fork();
  if (sampler == 0) {
    pid_t me = getpid();
    struct timespec pause_ts = {0, (long)interval_us * 1000L};
    int peak = 0, samples = 0;
    sh->sampler_ready = 1;
    for (;;) {
      int z, o;
      count_children(self, me, &z, &o);
      int64_t t = now_ns();
      samples++;
      if (z > peak) peak = z;
      if (sh->storm_done) {
        if (z == 0 && o == 0) {
          sh->t_drained = t;
          break;
        }
        if (t - sh->t_end > (int64_t)timeout_ms * 1000000LL) {
          sh->zombies_left = z;
          sh->others_left = o;
          break;
        }
      }
      nanosleep(&pause_ts, NULL);
    }
    sh->peak_zombies = peak;
    sh->samples = samples;
    _exit(0);
  }
  while (!sh->sampler_ready) usleep(100);
  int failed = 0;
  sh->t_start = now_ns();
  for (int i = 0; i < n; i++) {
    pid_t mid = fork();
    if (mid == 0) {
      if (fork() == 0) _exit(0);
      _exit(0);
    }
    if (mid < 0) {
      failed++;
      usleep(1000);
      continue;
    }
    waitpid(mid, NULL, 0);
  }
  sh->t_end = now_ns();
  sh->storm_done = 1;
  waitpid(sampler, NULL, 0);
  double drain_ms = sh->t_drained ? (sh->t_drained - sh->t_end) / 1e6 : -1;
  double total_s = sh->t_drained ? (sh->t_drained - sh->t_start) / 1e9 : -1;
  printf("{\"orphans\":%d,\"forkFailures\":%d,\"stormMs\":%.3f,\"peakZombies\":%d,\"drainMs\":%.3f,"
         "\"reapedPerSec\":%.1f,\"zombiesLeft\":%d,\"othersLeft\":%d,\"samples\":%d}\n",
         n - failed, failed, (sh->t_end - sh->t_start) / 1e6, sh->peak_zombies, drain_ms,
         total_s > 0 ? (n - failed) / total_s : 0.0, sh->zombies_left, sh->others_left, sh->samples);
  fflush(stdout);
  return 0;
}

/* ---- exitchild / pidwait -------------------------------------------------- */

static int exitchild(const char *fifo) {
  int fd = open(fifo, O_RDONLY);
  char c;
  if (fd < 0 || read(fd, &c, 1) != 1) return 2;
  char line[64];
  int64_t t = now_ns();
  int len = snprintf(line, sizeof line, "%lld\n", (long long)t);
  if (write(1, line, len) < 0) return 3;
  _exit(0);
}

static int pidwait(pid_t pid) {
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0) {
    printf("error %d\n", errno);
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  struct pollfd p = {pfd, POLLIN, 0};
  while (poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  printf("%lld\n", (long long)now_ns());
  return 0;
}

/* ---- rtcount / burst -------------------------------------------------------- */

/* Blocked and taken one at a time: each queued real-time signal counts once. */
static int rtcount(int sig, int quiet_ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("ready\n");
  fflush(stdout);
  struct timespec quiet = {quiet_ms / 1000, (long)(quiet_ms % 1000) * 1000000L};
  long count = 0;
  int term = 0;
  for (;;) {
    int got = sigtimedwait(&set, NULL, &quiet);
    if (got == sig) count++;
    else if (got == SIGTERM) term++;
    else if (!(got < 0 && errno == EINTR)) break; /* EAGAIN: quiet long enough */
  }
  printf("rt %ld term %d\n", count, term);
  fflush(stdout);
  return 0;
}

static int burst(pid_t pid, int count, int sig) {
  int failed = 0;
  for (int i = 0; i < count; i++) failed += kill(pid, sig) != 0;
  failed += kill(pid, SIGTERM) != 0;
  printf("%d\n", failed);
  return 0;
}

/* ---- termat: the early-SIGTERM window ---------------------------------- */

/*
 * The delay is counted from the exec itself: the child holds the write end
 * of a close-on-exec pipe, so the parent's read returns (EOF) the moment the
 * exec succeeds. As PID 1 of its namespace, the program has no default
 * action for SIGTERM: the kernel drops the signal unless a handler is
 * installed by then. So the exit status tells: 128+15 or the program's own
 * "handled" code, or the status of a run the signal never reached.
 */
static int termat(long delay_us, char **cmd) {
  if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) {
    perror("termat: unshare");
    return 2;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    close(p[0]);
    /* A /proc of the new namespace, as unshare --mount-proc makes it. */
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 || mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) _exit(2);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  close(p[1]);
  char c;
  while (read(p[0], &c, 1) < 0 && errno == EINTR) {
  }
  int64_t t0 = now_ns();
  close(p[0]);
  struct timespec until = {.tv_sec = (t0 + delay_us * 1000) / 1000000000LL, .tv_nsec = (t0 + delay_us * 1000) % 1000000000LL};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
  }
  int64_t sent = now_ns();
  kill(pid, SIGTERM);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%d %.3f\n", code, (double)(sent - t0) / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "startup") == 0) return startup(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "sigchild") == 0) return sigchild();
  if (argc >= 5 && strcmp(argv[1], "storm") == 0) return storm(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  if (argc >= 3 && strcmp(argv[1], "exitchild") == 0) return exitchild(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "pidwait") == 0) return pidwait(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "rtcount") == 0) return rtcount(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 5 && strcmp(argv[1], "burst") == 0) return burst(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  if (argc >= 4 && strcmp(argv[1], "termat") == 0) return termat(atol(argv[2]), argv + 3);
  fprintf(stderr, "usage: tools startup|sigchild|storm|exitchild|pidwait|rtcount|burst|termat ...\n");
  return 1;
}
