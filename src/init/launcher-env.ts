// The contract between the launchers (bin/ts-init) and ts-init, in one place.
//
// Node rewrites the signal state it inherits before any JavaScript runs, and
// marks every inherited descriptor close-on-exec; the launcher records what
// ts-init really inherited before it exec's Node. Two launchers exist
// (docs/launcher.md):
//
// - the compiled one (src/native/launcher.c) writes the arguments, the
//   environment byte for byte, the signal mask, the ignored signals and the
//   inherited descriptors into an anonymous file and passes its descriptor
//   number in __TS_INIT_LAUNCH, the one private variable it sets; it drops
//   every other __TS_INIT_* it received;
// - the POSIX sh fallback passes what a shell can, in variables it sets (or
//   unsets) on every run: __TS_INIT_SIGBLK and __TS_INIT_SIGIGN (hex, as in
//   /proc/PID/status), __TS_INIT_FDS (the descriptors without close-on-exec,
//   space-separated; "-" when /proc was not there to list them), and
//   __TS_INIT_SAVED_NODE_OPTIONS, __TS_INIT_SAVED_NODE_EXTRA_CA_CERTS (the
//   application's variables, moved aside so that they do not configure the
//   init's own Node).
//
// No other __TS_INIT_* name is trusted, and none reaches the program: it gets
// the environment as the launcher received it. Everything here is bytes, not
// strings: Node's process.env decodes UTF-8 lossily.
import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import { FatalError } from '../shared/errors.js';
import { splitAtNul } from '../shared/proc.js';
import { parseSignalSet } from '../shared/signals.js';

export const LAUNCHER_PREFIX = '__TS_INIT_';
const LAUNCH_VAR = `${LAUNCHER_PREFIX}LAUNCH`;
/** What the sh launcher moves aside, and the only names it may give back. */
const SAVED_BY_SH = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

/** The compiled launcher's record: see src/native/launcher.c (write_record) and docs/launcher.md. */
const RECORD_MAGIC = Buffer.from('TSINITL\0', 'latin1');
const RECORD_PROTOCOL = 1;
const RECORD_HEADER = 48;
const FLAG_FDS_PROBED = 1;
const FLAG_ENV_DROPPED = 2;

/** Which program exec'd Node: the compiled launcher, the sh fallback, or none (node run on the bundle directly). */
export type LauncherKind = 'compiled' | 'sh' | 'none';
/** Which JavaScript entry Node ran: the bundle itself (compiled launcher) or bin/ts-init as CommonJS (sh launcher). */
export type LauncherEntry = 'bundle' | 'sh';

export interface Launch {
  readonly kind: LauncherKind;
  /** ts-init's arguments after its own name, byte for byte. */
  readonly args: Buffer[];
  /** The program's environment as NAME=VALUE entries: what ts-init received, less every __TS_INIT_*. */
  readonly env: Buffer[];
  /** Signals blocked and ignored when ts-init was started. */
  readonly blocked: number[];
  readonly ignored: number[];
  /** Descriptors ts-init inherited, to pass on. */
  readonly fds: number[];
  /** What -v says about the launch (first line: which launcher). */
  readonly notes: string[];
}

function nameOf(entry: Buffer): string {
  const eq = entry.indexOf(0x3d);
  return entry.subarray(0, eq === -1 ? entry.length : eq).toString('latin1');
}

export function environmentValue(raw: readonly Buffer[], name: string): Buffer | undefined {
  for (const entry of raw) {
    if (entry.length > name.length && entry[name.length] === 0x3d && entry.toString('latin1', 0, name.length) === name) return entry.subarray(name.length + 1);
  }
  return undefined;
}

/** Bit N-1 set for each signal N, as the 64-bit sets of the record. */
function signalsOf(set: bigint): number[] {
  const out: number[] = [];
  for (let sig = 1; sig <= 64; sig++) if ((set >> BigInt(sig - 1)) & 1n) out.push(sig);
  return out;
}

function readWhole(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** NUL-ended strings from `at`; undefined when fewer than `count` are there. */
function strings(buf: Buffer, at: number, count: number): { list: Buffer[]; end: number } | undefined {
  const list: Buffer[] = [];
  let start = at;
  for (let i = 0; i < count; i++) {
    const nul = buf.indexOf(0, start);
    if (nul === -1) return undefined;
    list.push(buf.subarray(start, nul));
    start = nul + 1;
  }
  return { list, end: start };
}

/**
 * The compiled launcher's record, parsed; a FatalError when it is from
 * another protocol or cut short (the launcher and the bundle come from
 * different installs).
 */
export function parseRecord(buf: Buffer): Omit<Launch, 'kind'> & { flags: number } {
  const broken = (why: string): FatalError =>
    new FatalError(
      `the compiled launcher's record is ${why}: bin/ts-init and dist/ts-init.cjs do not belong together; reinstall ts-init-pid1 (npm rebuild ts-init-pid1)`,
    );
  if (buf.length < RECORD_HEADER || !buf.subarray(0, 8).equals(RECORD_MAGIC)) throw broken('not one');
  const protocol = buf.readUInt32LE(8);
  if (protocol !== RECORD_PROTOCOL) throw broken(`from protocol ${protocol}, and this ts-init reads ${RECORD_PROTOCOL}`);
  const flags = buf.readUInt32LE(12);
  const argc = buf.readUInt32LE(16);
  const envc = buf.readUInt32LE(20);
  const nfds = buf.readUInt32LE(24);
  const blocked = signalsOf(buf.readBigUInt64LE(32));
  const ignored = signalsOf(buf.readBigUInt64LE(40));
  if (RECORD_HEADER + 4 * nfds > buf.length) throw broken('cut short');
  const fds: number[] = [];
  for (let i = 0; i < nfds; i++) fds.push(buf.readUInt32LE(RECORD_HEADER + 4 * i));
  const args = strings(buf, RECORD_HEADER + 4 * nfds, argc);
  const env = args && strings(buf, args.end, envc);
  if (args === undefined || env === undefined) throw broken('cut short');
  const notes =
    (flags & FLAG_FDS_PROBED) !== 0 ? ['No /proc: the launcher found the inherited descriptors by probing each number below the open-files limit'] : [];
  if ((flags & FLAG_ENV_DROPPED) !== 0)
    notes.push("The environment filled Node's exec (E2BIG): Node started without it; ts-init reads it from the launcher's record");
  return { args: args.list, env: env.list.filter((e) => !nameOf(e).startsWith(LAUNCHER_PREFIX)), blocked, ignored, fds, notes, flags };
}

function compiledLaunch(value: string): Launch | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const fd = Number(value);
  let buf: Buffer;
  try {
    // The launcher's file has no name in any directory (a memfd, or an
    // unlinked O_TMPFILE file): anything else is not its record, and is
    // left open (it may be a descriptor the caller meant for the program).
    if (fstatSync(fd).nlink !== 0) return undefined;
    buf = readWhole(fd);
  } catch {
    return undefined;
  }
  if (!buf.subarray(0, RECORD_MAGIC.length).equals(RECORD_MAGIC)) return undefined;
  closeSync(fd); // ours: the program must not get it
  const { flags, ...record } = parseRecord(buf);
  if ((flags & FLAG_ENV_DROPPED) !== 0) {
    // Node started with no environment; ts-init's own settings (and what
    // the addon loader reads) come from the record.
    for (const entry of record.env) {
      const name = nameOf(entry);
      if (name.length === entry.length || SAVED_BY_SH.includes(name) || process.env[name] !== undefined) continue;
      process.env[name] = entry.subarray(name.length + 1).toString();
    }
  }
  return { kind: 'compiled', ...record, notes: ['Launcher: compiled (bin/ts-init is the static C launcher)', ...record.notes] };
}

/** /proc/self/cmdline's arguments after the script, only if they are what Node decoded (Node's --title rewrites them). */
function rawArgs(): Buffer[] {
  const decoded = process.argv.slice(2);
  try {
    const all = splitAtNul(readFileSync('/proc/self/cmdline'));
    const tail = all.slice(all.length - decoded.length);
    if (all.length >= decoded.length + 2 && tail.every((a, i) => a.toString() === decoded[i])) return tail;
  } catch {
    // No /proc: what Node decoded is all there is.
  }
  return decoded.map((a) => Buffer.from(a));
}

/** The environment Node was started with, byte for byte where /proc has it. */
function rawEnvironment(): Buffer[] {
  try {
    return splitAtNul(readFileSync('/proc/self/environ')).filter((entry) => entry.length > 0);
  } catch {
    return Object.entries(process.env).map(([k, v]) => Buffer.from(`${k}=${v ?? ''}`));
  }
}

/** The sh launcher's variables (or none, for node run on the bundle directly): see the comment at the top. */
function shellLaunch(kind: 'sh' | 'none'): Launch {
  const raw = rawEnvironment();
  const own = (name: string): Buffer | undefined => (kind === 'sh' ? environmentValue(raw, `${LAUNCHER_PREFIX}${name}`) : undefined);
  const restored = new Map<string, Buffer>();
  for (const name of SAVED_BY_SH) {
    const value = own(`SAVED_${name}`);
    if (value !== undefined) restored.set(name, value);
  }
  const env = raw.filter((entry) => {
    const name = nameOf(entry);
    return !name.startsWith(LAUNCHER_PREFIX) && !restored.has(name);
  });
  for (const [name, value] of restored) env.push(Buffer.concat([Buffer.from(`${name}=`), value]));

  const notes = [
    kind === 'sh'
      ? 'Launcher: sh (bin/ts-init is the POSIX sh fallback; see docs/launcher.md for what it cannot pass on)'
      : 'Launcher: none (Node runs the bundle directly; nothing inherited was recorded)',
  ];
  const listed = own('FDS')?.toString();
  let fds = [0, 1, 2];
  if (listed === '-') notes.push('No /proc: the sh launcher could not list the inherited descriptors; the program gets 0, 1 and 2');
  else if (listed !== undefined)
    fds = listed
      .split(' ')
      .filter((f) => /^\d+$/.test(f))
      .map(Number);
  return {
    kind,
    args: rawArgs(),
    env,
    blocked: parseSignalSet(own('SIGBLK')?.toString()),
    ignored: parseSignalSet(own('SIGIGN')?.toString()),
    fds,
    notes,
  };
}

/**
 * What the launcher handed over. `entry` says which file Node ran: the
 * bundle (the compiled launcher's target) or bin/ts-init as CommonJS (the sh
 * launcher's). Throws FatalError when the compiled launcher's record does
 * not fit this ts-init.
 */
export function readLaunch(entry: LauncherEntry): Launch {
  const fd = process.env[LAUNCH_VAR];
  if (entry === 'bundle' && fd !== undefined) {
    const launch = compiledLaunch(fd);
    if (launch !== undefined) return launch;
  }
  return shellLaunch(entry === 'sh' ? 'sh' : 'none');
}

/** The child's environment: the launch's, with `extra` entries (bytes: --fix-user's) replacing same-named ones. */
export function childEnvironment(env: readonly Buffer[], extra: ReadonlyMap<string, Buffer> = new Map()): Buffer[] {
  const out = env.filter((entry) => !extra.has(nameOf(entry)));
  for (const [name, value] of extra) out.push(Buffer.concat([Buffer.from(`${name}=`), value]));
  return out;
}
