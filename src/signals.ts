// Signal names and numbers, and which of them ts-init forwards.
import { constants } from 'node:os';

const numbers: Readonly<Record<string, number>> = constants.signals;

// Linux with glibc: 32 and 33 are reserved by the C library, so user
// real-time signals run from 34 (SIGRTMIN) to 64 (SIGRTMAX).
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

// tini keeps these for itself: they report a fault in the init (synchronous
// signals), or they are the terminal's job-control stops that an init must not
// obey. SIGKILL and SIGSTOP cannot be caught at all.
const NOT_FORWARDED = new Set([
  'SIGCHLD', 'SIGKILL', 'SIGSTOP', 'SIGFPE', 'SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGIOT',
  'SIGTRAP', 'SIGSYS', 'SIGTTIN', 'SIGTTOU',
]);

// One name per number (SIGIOT and SIGPOLL are aliases of SIGABRT and SIGIO).
const ALIASES = new Set(['SIGIOT', 'SIGPOLL']);

/** Named signals forwarded to the child, each once. */
export const FORWARDED_NAMED: readonly NodeJS.Signals[] = Object.keys(numbers)
  .filter((name) => !NOT_FORWARDED.has(name) && !ALIASES.has(name))
  .sort((a, b) => (numbers[a] ?? 0) - (numbers[b] ?? 0)) as NodeJS.Signals[];

/** Real-time signals, which Node has no names for; the addon watches them. */
export const FORWARDED_REALTIME: readonly number[] = Array.from(
  { length: SIGRTMAX - SIGRTMIN + 1 },
  (_, i) => SIGRTMIN + i,
);

/** Fault signals that are not forwarded: tini leaves them to the init itself. */
export const KEPT_FOR_INIT: readonly NodeJS.Signals[] = ['SIGABRT', 'SIGTRAP', 'SIGSYS'];

export function signalNumber(name: string): number | undefined {
  return numbers[name];
}

export function signalName(num: number): string {
  for (const [name, n] of Object.entries(numbers)) {
    if (n === num && !ALIASES.has(name)) return name;
  }
  if (num >= SIGRTMIN && num <= SIGRTMAX) {
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
