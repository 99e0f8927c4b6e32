// The contract between the launcher (bin/ts-init) and ts-init, in one place.
//
// Node rewrites the signal state it inherits before any JavaScript runs, and
// marks every inherited descriptor close-on-exec; the launcher records what
// ts-init really inherited, before exec'ing Node, in these variables:
//
//   __TS_INIT_SIGBLK   the signal mask, hex as in /proc/PID/status (SigBlk)
//   __TS_INIT_SIGIGN   the ignored signals, same format (SigIgn)
//   __TS_INIT_FDS      the descriptors without close-on-exec, space-separated
//   __TS_INIT_SAVED_X  the application's variable X (NODE_OPTIONS,
//                      NODE_EXTRA_CA_CERTS), moved aside so that it does not
//                      configure the init's own Node
//
// None of them reaches the child: it gets the environment as the launcher
// received it. Everything here reads bytes, not strings: Node's process.env
// decodes UTF-8 lossily, and the child must get what we got, byte for byte.
import { readFileSync } from 'node:fs';
import { splitAtNul } from '../shared/proc.js';
import { parseSignalSet } from '../shared/signals.js';

export const LAUNCHER_PREFIX = '__TS_INIT_';
const SAVED_PREFIX = `${LAUNCHER_PREFIX}SAVED_`;

/** The process's arguments after the script, byte for byte (process.argv is UTF-8 decoded). */
export function rawArgs(): Buffer[] {
  const count = process.argv.length - 2;
  try {
    const all = splitAtNul(readFileSync('/proc/self/cmdline'));
    if (all.length >= count + 2) return all.slice(all.length - count);
  } catch {
    // No /proc: fall back to what Node decoded.
  }
  return process.argv.slice(2).map((a) => Buffer.from(a));
}

/** The environment ts-init was started with, byte for byte, as NAME=VALUE entries. */
export function rawEnvironment(): Buffer[] {
  try {
    return splitAtNul(readFileSync('/proc/self/environ')).filter((entry) => entry.length > 0);
  } catch {
    return Object.entries(process.env).map(([k, v]) => Buffer.from(`${k}=${v ?? ''}`));
  }
}

function nameOf(entry: Buffer): string {
  const eq = entry.indexOf(0x3d);
  return entry.subarray(0, eq === -1 ? entry.length : eq).toString('latin1');
}

export function environmentValue(raw: readonly Buffer[], name: string): Buffer | undefined {
  for (const entry of raw) {
    if (nameOf(entry) === name) return entry.subarray(name.length + 1);
  }
  return undefined;
}

/**
 * The child's environment: ours, less the launcher's private variables, with
 * the application's variables the launcher moved aside put back, plus
 * `extra` entries replacing same-named ones.
 */
export function childEnvironment(raw: readonly Buffer[], extra: Readonly<Record<string, string>> = {}): Buffer[] {
  const restored = new Map<string, Buffer>();
  for (const entry of raw) {
    const name = nameOf(entry);
    if (name.startsWith(SAVED_PREFIX)) restored.set(name.slice(SAVED_PREFIX.length), entry.subarray(name.length + 1));
  }
  const out: Buffer[] = [];
  for (const entry of raw) {
    const name = nameOf(entry);
    if (name.startsWith(LAUNCHER_PREFIX) || restored.has(name) || Object.hasOwn(extra, name)) continue;
    out.push(entry);
  }
  for (const [name, value] of restored) {
    if (!Object.hasOwn(extra, name)) out.push(Buffer.concat([Buffer.from(`${name}=`), value]));
  }
  for (const [name, value] of Object.entries(extra)) out.push(Buffer.from(`${name}=${value}`));
  return out;
}

/** The signal state the launcher recorded before exec'ing Node. */
export function inheritedSignals(raw: readonly Buffer[]): { blocked: number[]; ignored: number[] } {
  return {
    blocked: parseSignalSet(environmentValue(raw, `${LAUNCHER_PREFIX}SIGBLK`)?.toString()),
    ignored: parseSignalSet(environmentValue(raw, `${LAUNCHER_PREFIX}SIGIGN`)?.toString()),
  };
}

/** Descriptors the launcher found inherited; without the launcher, stdio. */
export function inheritedFds(raw: readonly Buffer[]): number[] {
  const listed = environmentValue(raw, `${LAUNCHER_PREFIX}FDS`);
  if (listed === undefined) return [0, 1, 2];
  return listed
    .toString()
    .split(' ')
    .filter((f) => /^\d+$/.test(f))
    .map(Number);
}
