// Signals and errno values: one table of every Linux signal saying what
// ts-init does with it and why, and the few numbers the code acts on.
import { constants } from 'node:os';

/**
 * forward: passed on to the child (or its group with -g).
 * reap:    SIGCHLD, the reaper's wake-up call; never forwarded (tini neither).
 * keep:    ts-init's own, as tini keeps them: a synchronous fault in the init
 *          itself, or a job-control stop an init must not obey.
 * never:   cannot be caught at all.
 */
type Role = 'forward' | 'reap' | 'keep' | 'never';

const TABLE: readonly (readonly [NodeJS.Signals, Role, string])[] = [
  ['SIGHUP', 'forward', 'terminal hang-up; many servers reload their configuration on it'],
  ['SIGINT', 'forward', 'Ctrl-C under `docker run -it`'],
  ['SIGQUIT', 'forward', "nginx's graceful stop, the JVM's thread dump"],
  ['SIGILL', 'keep', 'a fault in ts-init itself; the child gets nothing to act on'],
  ['SIGTRAP', 'keep', 'a debugger trap or fault in ts-init itself'],
  ['SIGABRT', 'keep', "ts-init's own abort()"],
  ['SIGBUS', 'keep', 'a fault in ts-init itself'],
  ['SIGFPE', 'keep', 'a fault in ts-init itself'],
  ['SIGKILL', 'never', 'cannot be caught'],
  ['SIGUSR1', 'forward', "the application's; Node's inspector must never see it (see the launcher)"],
  ['SIGSEGV', 'keep', 'a fault in ts-init itself'],
  ['SIGUSR2', 'forward', "the application's"],
  ['SIGPIPE', 'forward', 'sent to us from outside; one our own log write raised is not passed on'],
  ['SIGALRM', 'forward', "the application's"],
  ['SIGTERM', 'forward', '`docker stop`, the kubelet: the stop request'],
  ['SIGSTKFLT', 'forward', 'unused by Linux; forwarded as tini does'],
  ['SIGCHLD', 'reap', 'a child changed state: reap, do not forward'],
  ['SIGCONT', 'forward', 'resumes a stopped child'],
  ['SIGSTOP', 'never', 'cannot be caught'],
  ['SIGTSTP', 'forward', 'Ctrl-Z: the child decides whether to stop'],
  ['SIGTTIN', 'keep', 'ignored: handing the terminal to the child must never stop ts-init'],
  ['SIGTTOU', 'keep', 'ignored, for the same reason'],
  ['SIGURG', 'forward', "the application's (out-of-band socket data)"],
  ['SIGXCPU', 'forward', "the application's (CPU limit)"],
  ['SIGXFSZ', 'forward', "the application's (file size limit)"],
  ['SIGVTALRM', 'forward', "the application's"],
  ['SIGPROF', 'forward', "the application's (profilers)"],
  ['SIGWINCH', 'forward', 'terminal resized (`docker run -it`); Apache httpd stops gracefully on it'],
  ['SIGIO', 'forward', "the application's"],
  ['SIGPWR', 'forward', "power failure; the application's to act on"],
  ['SIGSYS', 'keep', 'a bad system call by ts-init itself (seccomp)'],
];

const numbers: Readonly<Record<string, number>> = constants.signals;

// Linux with glibc: 32 and 33 are reserved by the C library, so user
// real-time signals run from 34 (SIGRTMIN) to 64 (SIGRTMAX). Node has no
// names for them; the addon watches them by number, and all are forwarded.
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

// The numbers the code acts on, by name (the same on every Linux architecture Node runs on).
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGKILL = 9;
export const SIGPIPE = 13;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGCONT = 18;

/** errno values ts-init acts on. */
export const { EPERM, ENOENT, ESRCH, ENOTDIR, EAGAIN, ENOSYS } = constants.errno as Required<typeof constants.errno>;

/** Named signals forwarded to the child, in numeric order. */
export const FORWARDED_NAMED: readonly NodeJS.Signals[] = TABLE.filter(([, role]) => role === 'forward').map(([name]) => name);

/** Real-time signals, all forwarded. */
export const FORWARDED_REALTIME: readonly number[] = Array.from({ length: SIGRTMAX - SIGRTMIN + 1 }, (_, i) => SIGRTMIN + i);

/**
 * Fault signals kept for the init that someone may still send from outside;
 * as PID 1 ts-init handles them as no-ops (what tini as PID 1 does in effect).
 */
export const KEPT_FOR_INIT: readonly NodeJS.Signals[] = ['SIGABRT', 'SIGTRAP', 'SIGSYS'];

export function isRealtime(signal: number): boolean {
  return signal >= SIGRTMIN && signal <= SIGRTMAX;
}

/** Every signal ts-init could forward: the named ones and the real-time ones. */
export function isForwardable(signal: number): boolean {
  return isRealtime(signal) || FORWARDED_NAMED.some((name) => numbers[name] === signal);
}

export function signalNumber(name: string): number | undefined {
  return numbers[name];
}

export function signalName(num: number): string {
  const row = TABLE.find(([name]) => numbers[name] === num);
  if (row !== undefined) return row[0];
  if (isRealtime(num)) {
    return num === SIGRTMIN ? 'SIGRTMIN' : num === SIGRTMAX ? 'SIGRTMAX' : `SIGRTMIN+${num - SIGRTMIN}`;
  }
  return `signal ${num}`;
}

/**
 * Parses what a user writes for a signal: `SIGKILL`, `KILL`, `kill`, `9`,
 * `RTMIN+3`, `SIGRTMAX-1`. With allowZero, `0` means "no signal".
 * Returns undefined for anything else.
 */
export function parseSignal(text: string, allowZero = false): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n === 0) return allowZero ? 0 : undefined;
    return n >= 1 && n <= SIGRTMAX && n !== 32 && n !== 33 ? n : undefined;
  }
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
    const n = base + offset;
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
  }
  return numbers[name];
}

/**
 * Decodes a signal set as /proc/PID/status prints it (SigBlk, SigIgn: hex,
 * bit N-1 for signal N) into signal numbers.
 */
export function parseSignalSet(hex: string | undefined): number[] {
  if (hex === undefined || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return [];
  const bits = BigInt(`0x${hex}`);
  const out: number[] = [];
  for (let sig = 1; sig <= SIGRTMAX; sig++) {
    if ((bits >> BigInt(sig - 1)) & 1n) out.push(sig);
  }
  return out;
}
