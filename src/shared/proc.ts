// Everything ts-init, its probe, the tests and the benchmarks read about
// processes from /proc, in one place. Every reader answers undefined (or an
// empty list) when the process is gone: the processes watched here may
// vanish between two reads, and that is never an error.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// PF_KTHREAD in the `flags` field of /proc/PID/stat: kernel threads are
// listed in the root namespace's /proc but are nobody's children to wait for.
const PF_KTHREAD = 0x00200000;

export interface ProcessState {
  readonly pid: number;
  /** One letter: R, S, D, T, Z, … */
  readonly state: string;
}

interface Stat {
  /** The command name, at most 15 bytes; the kernel keeps it for zombies too. */
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly flags: number;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/PID/stat, parsed after the last ')' because the command name may hold spaces and parentheses. */
export function statOf(pid: number): Stat | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, close),
    state: fields[0] ?? '?',
    ppid: Number(fields[1] ?? 0),
    flags: Number(fields[6] ?? 0),
  };
}

/** The one-letter state (R, S, Z, …), or undefined when the process is gone. */
export function stateOf(pid: number): string | undefined {
  return statOf(pid)?.state;
}

/** The command name (15 characters at most), kept by the kernel even for zombies. */
export function commOf(pid: number): string | undefined {
  return statOf(pid)?.comm;
}

/** Whether /proc is mounted at all (a hardened image may leave it out). */
export function procMounted(): boolean {
  try {
    readlinkSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `pid`'s chain of parents, as /proc shows it now, reaches
 * `ancestor`. Each link is live: a parent's pid cannot be reused while a
 * child names it (the child is reparented when its parent dies).
 */
export function descendsFrom(pid: number, ancestor: number): boolean {
  const seen = new Set<number>();
  for (let p = pid; p > 0 && !seen.has(p);) {
    seen.add(p);
    const parent = statOf(p)?.ppid;
    if (parent === ancestor) return true;
    if (parent === undefined) return false;
    p = parent;
  }
  return false;
}

/**
 * Whether this kernel lists children in /proc/PID/task/TID/children
 * (CONFIG_PROC_CHILDREN, on in every distribution kernel we know of, but a
 * kernel option all the same). False too when /proc is not mounted.
 */
export function canListChildren(): boolean {
  try {
    // The main thread's id is the process id, as this /proc numbers it.
    readFileSync(`/proc/self/task/${readlinkSync('/proc/self')}/children`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Children of every thread of `pid`, zombies included; [] when it is gone.
 * The kernel lists a child under the thread that forked it (or, once
 * reparented, under any live thread of the new parent), and a multi-threaded
 * process (Node, the JVM) may fork from any of its threads.
 */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const task of tasks) {
    for (const word of (read(`/proc/${pid}/task/${task}/children`) ?? '').split(/\s+/)) {
      if (word !== '') out.push(Number(word));
    }
  }
  return out;
}

export function zombieChildren(pid: number): number[] {
  return childrenOf(pid).filter((child) => stateOf(child) === 'Z');
}

/**
 * Every descendant of `root`, breadth first, with its state. Zombies count:
 * one that is root's child is root's to reap, and one further down has a
 * living parent anyway.
 */
export function descendants(root: number): ProcessState[] {
  const out: ProcessState[] = [];
  const queue = childrenOf(root);
  const seen = new Set<number>();
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (seen.has(pid)) continue; // a pid reused mid-walk must not loop
    seen.add(pid);
    const state = stateOf(pid);
    if (state === undefined) continue;
    out.push({ pid, state });
    queue.push(...childrenOf(pid));
  }
  return out;
}

/** The pids of every descendant of `root`. */
export function descendantPids(root: number): number[] {
  return descendants(root).map((p) => p.pid);
}

/** True when /proc shows our own PID namespace with us as its PID 1. */
export function procIsOurNamespace(): boolean {
  try {
    return readlinkSync('/proc/self') === '1';
  } catch {
    return false;
  }
}

/**
 * Every process of our namespace except ourselves and kernel threads; only
 * meaningful when procIsOurNamespace(). Zombies count (we or their parent
 * will reap them) unless their parent is outside the namespace (ppid 0, as
 * after `docker exec`): that parent reaps them, not us.
 */
export function namespaceProcesses(): ProcessState[] {
  const out: ProcessState[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || entry === '1') continue;
    const pid = Number(entry);
    const stat = statOf(pid);
    if (stat === undefined || (stat.state === 'Z' && stat.ppid === 0) || (stat.flags & PF_KTHREAD) !== 0) continue;
    out.push({ pid, state: stat.state });
  }
  return out;
}

/** A field of /proc/PID/status, trimmed. */
export function statusField(pid: number, field: string): string | undefined {
  const line = read(`/proc/${pid}/status`)
    ?.split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** Resident set size in KiB, 0 when the process is gone. */
export function rssKiB(pid: number): number {
  return Number(/(\d+)/.exec(statusField(pid, 'VmRSS') ?? '0')?.[1] ?? 0);
}

/** Whether the process has a handler for signal `signal` (its SigCgt mask). */
export function catchesSignal(pid: number, signal: number): boolean | undefined {
  const mask = statusField(pid, 'SigCgt');
  if (mask === undefined || !/^[0-9a-fA-F]+$/.test(mask)) return undefined;
  return ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

/** Real uid and gid, as the host sees them. */
export function idsOf(pid: number): { uid: number; gid: number } | undefined {
  const uid = statusField(pid, 'Uid')?.split(/\s+/)[0];
  const gid = statusField(pid, 'Gid')?.split(/\s+/)[0];
  if (uid === undefined || gid === undefined) return undefined;
  return { uid: Number(uid), gid: Number(gid) };
}

/** The NUL-terminated strings of a /proc file such as cmdline or environ, empty ones kept. */
export function splitAtNul(block: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < block.length; i++) {
    if (block[i] === 0) {
      out.push(block.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** The environment a process was started with, as a name → value map (UTF-8 decoded). */
export function environmentOf(pid: number): Record<string, string> | undefined {
  let block: Buffer;
  try {
    block = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of splitAtNul(block)) {
    const text = entry.toString('utf8');
    const eq = text.indexOf('=');
    if (eq > 0) env[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return env;
}

/** argv of a live process (empty for zombies and kernel threads). */
export function argvOf(pid: number): string[] {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
}

/** The executable a process runs (for a script: its interpreter), or undefined. */
export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
