// Loads the native addon (src/addon.c) and gives it a type.
import { createRequire } from 'node:module';

export interface SpawnOptions {
  /** Signals blocked in the child when it execs (what ts-init inherited). */
  readonly blocked: readonly number[];
  /** Signals ignored in the child (what ts-init inherited); others default. */
  readonly ignored: readonly number[];
  /** Give the terminal to the child's process group when stdin is a tty. */
  readonly foreground: boolean;
  /** Inherited descriptors to pass on (Node made them close-on-exec). */
  readonly fds: readonly number[];
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

export class AddonMissingError extends Error {}

/**
 * Finds the addon for this platform under packageRoot: a local build
 * (build/Release) or a prebuilt binary (prebuilds/<platform>-<arch>/), the
 * way node-gyp-build looks for them.
 */
export function loadNative(packageRoot: string): Native {
  const require = createRequire(`${packageRoot}/package.json`);
  try {
    const load = require('node-gyp-build') as (dir: string) => Native;
    return load(packageRoot);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new AddonMissingError(
      `no usable native addon for ${process.platform}-${process.arch} (Node ${process.version}) in ${packageRoot}: ${reason}. ` +
        'Reinstall ts-init with build tools available (npm rebuild ts-init), or use a platform with a prebuilt binary.',
    );
  }
}
