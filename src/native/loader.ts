// Loads the native addon (addon.c beside this file) and gives it a type.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FatalError } from '../shared/errors.js';
import { packageName } from '../shared/version.js';

export interface SpawnOptions {
  /** Signals blocked in the child when it execs (what ts-init inherited). */
  readonly blocked: readonly number[];
  /** Signals ignored in the child (what ts-init inherited); others default. */
  readonly ignored: readonly number[];
  /** Give the terminal to the child's process group when stdin is a tty. */
  readonly foreground: boolean;
  /** Inherited descriptors to pass on (Node made them close-on-exec). */
  readonly fds: readonly number[];
  /** Rewrite LISTEN_PID to the child's pid (socket activation, as catatonit does). */
  readonly listenPid: boolean;
}

export interface SpawnError extends Error {
  readonly errno: number;
  readonly syscall: 'execve' | 'setpgid' | 'tcsetpgrp' | 'fork' | 'pipe2';
}

export interface PasswdEntry {
  readonly name: string;
  readonly dir: string;
  readonly shell: string;
}

export interface Native {
  /** fork + execve; the child leads a new process group. Throws SpawnError. */
  spawn(file: Buffer, argv: readonly Buffer[], envp: readonly Buffer[], options: SpawnOptions): number;
  /** Drains waitpid(-1, WNOHANG): [pid, rawStatus, pid, rawStatus, …]. */
  reap(): Int32Array;
  /** kill(2); returns errno, 0 on success. */
  kill(pid: number, signal: number): number;
  setSubreaper(): number;
  setParentDeathSignal(signal: number): number;
  ignoreSignal(signal: number): number;
  unblockSignals(signals: readonly number[]): number;
  /** _exit(2): no V8 teardown. */
  exit(code: number): never;
  strerror(errno: number): string;
  getpwuid(uid: number): PasswdEntry | null;
  getgrgid(gid: number): string | null;
  /**
   * Receives these signals from now on in the addon's own handler, which
   * counts them and wakes the loop once: `callback` gets
   * [signal, count, signal, count, …] in signal order. Once per process.
   * Returns the signals that could not be installed (musl reserves 34).
   */
  watchSignals(signals: readonly number[], callback: (counts: Int32Array) => void): number[];
  /** pidfd_open(2): a descriptor for that very process, or -errno (-ENOSYS before Linux 5.3). */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(2); returns errno, 0 on success (ESRCH once that process has exited). */
  pidfdSendSignal(fd: number, signal: number): number;
  /** close(2); returns errno, 0 on success. */
  close(fd: number): number;
}

/** No addon fits this machine: ts-init exits 1 with one line saying what it has. */
export class AddonMissingError extends FatalError {}

/**
 * The C library the prebuilds are tagged with. LIBC overrides it (the
 * variable node-gyp-build and prebuildify read); else Alpine's marker file
 * means musl. scripts/install-addon.js decides the same way.
 */
function libcName(): string {
  return process.env.LIBC ?? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
}

/**
 * The files that may hold the addon, in the order they are tried: a local
 * build (build/Release, made by node-gyp in a clone or when no prebuild
 * fitted at install), then the prebuild for this platform, arch and libc.
 * PREBUILDS_ONLY skips the local build (scripts/check-arm64.sh runs the arm64
 * prebuild from an x64 checkout). scripts/install-addon.js looks for the same.
 */
export function addonCandidates(packageRoot: string): string[] {
  const prebuild = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, `ts-init.${libcName()}.node`);
  if (process.env.PREBUILDS_ONLY !== undefined) return [prebuild];
  return [join(packageRoot, 'build', 'Release', 'ts_init.node'), prebuild];
}

/** The prebuilt binaries the package carries, as "linux-x64/ts-init.glibc.node, …". */
function shippedPrebuilds(packageRoot: string): string {
  const found: string[] = [];
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return []; // absent (a source checkout) or not a directory
    }
  };
  for (const tuple of list(join(packageRoot, 'prebuilds'))) {
    for (const file of list(join(packageRoot, 'prebuilds', tuple))) {
      if (file.endsWith('.node')) found.push(`${tuple}/${file}`);
    }
  }
  return found.length > 0 ? found.join(', ') : 'none';
}

/**
 * Loads the first candidate that dlopens (a broken local build does not hide
 * a prebuild that fits), with process.dlopen: ~1 ms, where node-gyp-build,
 * which this replaced, took ~10 ms (reading process.config and package
 * files), paid before the child can start. When nothing fits, one line says
 * what this machine is, what the package has and why each file was
 * refused, because a stack trace from dlopen tells a user of an image
 * nothing they can act on.
 */
export function loadNative(packageRoot: string): Native {
  const candidates = addonCandidates(packageRoot);
  const refused: string[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      const module = { exports: {} as Native };
      process.dlopen(module, file);
      return module.exports;
    } catch (error) {
      const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '').trim() : String(error);
      refused.push(`${relative(packageRoot, file)}: ${reason}`);
    }
  }
  const why = refused.length > 0 ? refused.join('; ') : `no ${candidates.map((f) => relative(packageRoot, f)).join(' or ')}`;
  const name = packageName(packageRoot);
  throw new AddonMissingError(
    `no usable native addon for ${process.platform}-${process.arch} ${libcName()} (Node ${process.version}) in ${packageRoot} ` +
      `(prebuilt: ${shippedPrebuilds(packageRoot)}; ${why}). ` +
      `Install ${name} where a C compiler, make and python3 are available so that it builds from source (npm rebuild ${name}), ` +
      'or use a linux-x64 (glibc or musl) or linux-arm64 (glibc) image.',
  );
}
