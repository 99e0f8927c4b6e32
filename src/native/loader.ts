// Loads the native addon (addon.c beside this file) and gives it a type.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FatalError } from '../shared/errors.js';

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
  isSubreaper(): boolean;
  setParentDeathSignal(signal: number): number;
  ignoreSignal(signal: number): number;
  unblockSignals(signals: readonly number[]): number;
  /** _exit(2): no V8 teardown. */
  exit(code: number): never;
  strerror(errno: number): string;
  getpwuid(uid: number): PasswdEntry | null;
  getgrgid(gid: number): string | null;
  /** Calls back for each listed signal number; the handles never keep Node alive. */
  watchSignals(signals: readonly number[], callback: (signal: number) => void): number;
}

/** No addon fits this machine: ts-init exits 1 with one line saying what it has. */
export class AddonMissingError extends FatalError {}

/** The libc node-gyp-build matches prebuilds against (it looks for Alpine's marker file). */
function libcName(): string {
  return process.env.LIBC ?? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
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
 * The start-up fast path: dlopen the file node-gyp-build would pick in the
 * common cases (a local build first, else this platform's prebuild for
 * this libc), without loading node-gyp-build itself. Measured: ~1 ms
 * instead of ~10 ms (most of it node-gyp-build reading process.config and
 * package files), paid before the child can start. Anything unusual (no
 * such file, a binary that does not load, PREBUILDS_ONLY) goes the full way.
 */
function loadDirect(packageRoot: string): Native | undefined {
  const candidates = [`${packageRoot}/build/Release/ts_init.node`, `${packageRoot}/prebuilds/${process.platform}-${process.arch}/ts-init.${libcName()}.node`];
  if (process.env.PREBUILDS_ONLY !== undefined) candidates.shift();
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      const module = { exports: {} as Native };
      process.dlopen(module, file);
      return module.exports;
    } catch {
      return undefined; // let node-gyp-build try everything and explain a failure
    }
  }
  return undefined;
}

/**
 * Finds the addon for this platform under packageRoot: a local build
 * (build/Release) or a prebuilt binary (prebuilds/<platform>-<arch>/, tagged
 * glibc or musl), the way node-gyp-build looks for them. When nothing fits,
 * one line says what this machine is and what the package has, because a
 * stack trace from dlopen tells a user of an image nothing they can act on.
 */
export function loadNative(packageRoot: string): Native {
  const direct = loadDirect(packageRoot);
  if (direct !== undefined) return direct;
  const require = createRequire(`${packageRoot}/package.json`);
  try {
    const load = require('node-gyp-build') as (dir: string) => Native;
    return load(packageRoot);
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '').trim() : String(error);
    throw new AddonMissingError(
      `no usable native addon for ${process.platform}-${process.arch} ${libcName()} (Node ${process.version}) in ${packageRoot} ` +
        `(prebuilt: ${shippedPrebuilds(packageRoot)}; ${reason}). ` +
        'Install ts-init where a C compiler and python3 are available so that it builds from source (npm rebuild ts-init), ' +
        'or use a linux-x64 (glibc or musl) or linux-arm64 (glibc) image.',
    );
  }
}
