// Everything about starting the main child: where the program is, which
// environment and signal state it gets. The fork/exec itself is the addon's.
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import type { Native, SpawnError } from './native.js';
import { parseSignalSet } from './signals.js';

/** Variables the launcher (bin/ts-init) sets for us; never passed on. */
export const LAUNCHER_PREFIX = '__TS_INIT_';
/** What the launcher moved aside, as __TS_INIT_SAVED_<NAME>, for the child to get back. */
const SAVED_PREFIX = `${LAUNCHER_PREFIX}SAVED_`;

// glibc's execvp() searches this when PATH is unset.
const DEFAULT_PATH = '/bin:/usr/bin';

/** The NUL-terminated strings of a /proc file such as cmdline or environ, empty ones kept. */
function splitAtNul(block: Buffer): Buffer[] {
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

/**
 * The child's environment: ours, less the launcher's private variables, with
 * the application's variables the launcher moved aside (NODE_OPTIONS and
 * NODE_EXTRA_CA_CERTS, which would otherwise configure the init) put back,
 * plus `extra` entries replacing same-named ones.
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

export function environmentValue(raw: readonly Buffer[], name: string): Buffer | undefined {
  for (const entry of raw) {
    if (nameOf(entry) === name) return entry.subarray(name.length + 1);
  }
  return undefined;
}

const ENOENT = 2;
const ENOTDIR = 20;

/** PROGRAM is nowhere on PATH: reported exactly as a failed execve would be. */
export class ResolveError extends Error implements SpawnError {
  readonly errno = ENOENT;
  readonly syscall = 'execve';
}

function isExecutableFile(path: Buffer): 'yes' | 'no-access' | 'missing' {
  try {
    if (!statSync(path).isFile()) return 'no-access';
    accessSync(path, fsConstants.X_OK);
    return 'yes';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'no-access' : 'missing';
  }
}

/**
 * Finds PROGRAM as execvp() would: a name with a slash is used as given;
 * otherwise each PATH entry in turn (an empty entry is the current
 * directory). A match that exists but cannot be executed is remembered, so
 * the error is "Permission denied" rather than "not found", as in shells.
 */
export function resolveProgram(program: Buffer, pathValue: Buffer | undefined): Buffer {
  if (program.includes(0x2f)) return program;
  const path = pathValue ?? Buffer.from(DEFAULT_PATH);
  let denied: Buffer | undefined;
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path[i] !== 0x3a) continue;
    const dir = path.subarray(start, i);
    start = i + 1;
    const candidate = dir.length === 0 ? program : Buffer.concat([dir, Buffer.from('/'), program]);
    const state = isExecutableFile(candidate);
    if (state === 'yes') return candidate;
    if (state === 'no-access' && denied === undefined) denied = candidate;
  }
  if (denied !== undefined) return denied; // execve reports EACCES for it
  throw new ResolveError('No such file or directory');
}

/** The signal state the launcher recorded from /proc/$$/status before exec'ing Node. */
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

/** Exit code for a failed start: 127 when not found, 126 when it cannot be executed (as shells do). */
export function execFailureCode(errno: number): number {
  return errno === ENOENT || errno === ENOTDIR ? 127 : 126;
}

export function isSpawnError(error: unknown): error is SpawnError {
  return error instanceof Error && typeof (error as Partial<SpawnError>).errno === 'number';
}

export function startChild(
  native: Native,
  argv: readonly Buffer[],
  raw: readonly Buffer[],
  extraEnv: Readonly<Record<string, string>> = {},
): number {
  const program = argv[0] as Buffer;
  const file = resolveProgram(program, environmentValue(raw, 'PATH'));
  const { blocked, ignored } = inheritedSignals(raw);
  return native.spawn(file, argv, childEnvironment(raw, extraEnv), {
    blocked,
    ignored,
    foreground: true,
    fds: inheritedFds(raw),
    // systemd-style socket activation names the pid that should take the
    // sockets; when that was us, it is the child now.
    listenPid: environmentValue(raw, 'LISTEN_PID')?.toString() === String(process.pid),
  });
}
