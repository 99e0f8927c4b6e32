// What the probe reads about processes from the host's /proc. Every reader
// returns undefined (or an empty list) when the process is gone: the probe
// watches processes that may vanish between two reads.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces). */
function statFields(pid: number): { comm: string; rest: string[] } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), rest: stat.slice(close + 2).split(' ') };
}

/** The one-letter state (R, S, Z, …), or undefined when the process is gone. */
export function stateOf(pid: number): string | undefined {
  return statFields(pid)?.rest[0];
}

/** The command name (15 characters at most), kept by the kernel even for zombies. */
export function commOf(pid: number): string | undefined {
  return statFields(pid)?.comm;
}

/**
 * Children of every thread of pid. The kernel lists a child under the thread
 * that created it, and a multi-threaded PID 1 (Node, the JVM) may fork from
 * any of its threads.
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
    const list = read(`/proc/${pid}/task/${task}/children`) ?? '';
    for (const word of list.split(/\s+/)) if (word !== '') out.push(Number(word));
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

/** The environment a process was started with, as a name → value map. */
export function environmentOf(pid: number): Record<string, string> | undefined {
  let block: Buffer;
  try {
    block = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of block.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** argv of a live process (empty for zombies and kernel threads). */
export function argvOf(pid: number): string[] {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
}

/** Every descendant of pid, depth first. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendantsOf(c));
  return out;
}

/** The executable a process runs (for a script: its interpreter), or undefined. */
export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
