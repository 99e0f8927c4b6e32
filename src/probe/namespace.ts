// Starting a program as PID 1 of a fresh PID namespace with its own /proc,
// entering that namespace the way `docker exec` does, and reading back the
// status PID 1 ended with.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { FatalError } from '../shared/errors.js';
import { which } from '../shared/path.js';
import { childrenOf, stateOf } from '../shared/proc.js';
import type { NamespaceMode } from './types.js';

/** A problem with the probe's surroundings, not with PROGRAM: exit status 2. */
export class ProbeEnvironmentError extends FatalError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Throws a one-line ProbeEnvironmentError unless PROGRAM can be executed. */
export function checkExecutable(program: string): void {
  if (program.includes('/')) {
    let isFile: boolean;
    try {
      isFile = statSync(program).isFile();
    } catch {
      throw new ProbeEnvironmentError(`cannot execute '${program}': no such file`);
    }
    if (!isFile) throw new ProbeEnvironmentError(`cannot execute '${program}': not a regular file`);
    try {
      accessSync(program, fsConstants.X_OK);
    } catch {
      throw new ProbeEnvironmentError(`cannot execute '${program}': permission denied`);
    }
    return;
  }
  if (which(program) === undefined) throw new ProbeEnvironmentError(`cannot execute '${program}': not found on PATH`);
}

const NAMESPACE_FLAGS: Readonly<Record<NamespaceMode, readonly string[]>> = {
  root: ['--pid', '--fork', '--mount-proc', '--kill-child'],
  userns: ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--kill-child'],
};

/**
 * Which kind of namespace this machine lets us make: a plain PID namespace
 * as root, else one inside an unprivileged user namespace. Tried for real,
 * since capabilities, seccomp and sysctls all have a say.
 */
export async function namespaceMode(): Promise<NamespaceMode> {
  for (const tool of ['unshare', 'nsenter']) {
    if (which(tool) === undefined) throw new ProbeEnvironmentError(`${tool} (util-linux) is not installed`);
  }
  const problems: string[] = [];
  const modes: NamespaceMode[] = process.getuid?.() === 0 ? ['root', 'userns'] : ['userns'];
  for (const mode of modes) {
    const r = await execa('unshare', [...NAMESPACE_FLAGS[mode], '--', 'true'], { reject: false, timeout: 10_000, stdin: 'ignore' });
    if (r.exitCode === 0) return mode;
    problems.push(r.stderr.split('\n')[0] ?? `exit ${String(r.exitCode)}`);
  }
  const why = process.getuid?.() === 0 ? 'creating a PID namespace failed' : 'not root, and unprivileged user namespaces are unavailable';
  throw new ProbeEnvironmentError(`cannot run PROGRAM as PID 1 of a new PID namespace: ${why} (${problems.join('; ')})`);
}

/** The last few KiB of a stream, for error reports. */
class Tail {
  private text = '';
  constructor(private readonly limit = 4096) {}
  add(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

/** Namespaces still running, so that a probe interrupted by a signal takes them down with it. */
const live = new Set<Namespace>();

export function killAllNamespaces(): void {
  for (const ns of live) {
    if (ns.pid1 !== undefined) {
      try {
        process.kill(ns.pid1, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    ns.holder.kill('SIGKILL');
  }
}

export interface Namespace {
  readonly mode: NamespaceMode;
  /** The unshare process that holds the namespace; it ends when PID 1 has. */
  readonly holder: ResultPromise;
  /** Host pid of the namespace's PID 1, undefined if it was gone before we saw it. */
  readonly pid1: number | undefined;
  readonly stdout: Tail;
  readonly stderr: Tail;
  /**
   * Whether PID 1 has ended: /proc shows it gone or a zombie, or the holder
   * has exited. /proc answers first: the holder's exit reaches us through the
   * event loop, which on a loaded machine can lag behind by many ms.
   */
  ended(): boolean;
  /** Whether the holder has exited (PID 1 and everything else in the namespace are gone). */
  holderDone(): boolean;
}

/** Starts argv as PID 1 of a new namespace and waits until the kernel shows its host pid. */
export async function startInNamespace(mode: NamespaceMode, argv: readonly string[]): Promise<Namespace> {
  const holder = execa('unshare', [...NAMESPACE_FLAGS[mode], '--', ...argv], {
    reject: false,
    stdin: 'ignore',
    buffer: false,
    // Bounds a probe that is itself stuck; every check has its own shorter limit.
    timeout: 30 * 60_000,
    killSignal: 'SIGKILL',
  }) as ResultPromise;
  let done = false;
  void holder.then(() => {
    done = true;
  });
  const stdout = new Tail();
  const stderr = new Tail();
  holder.stdout?.on('data', (c: Buffer) => stdout.add(c));
  holder.stderr?.on('data', (c: Buffer) => stderr.add(c));
  const holderPid = holder.pid;
  if (holderPid === undefined) throw new ProbeEnvironmentError('unshare could not be started');
  let pid1: number | undefined;
  const deadline = Date.now() + 10_000;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `done` is set by the holder's callback above, which tsc's narrowing cannot see
  while (pid1 === undefined && !done) {
    pid1 = childrenOf(holderPid)[0];
    if (pid1 !== undefined) break;
    if (Date.now() > deadline) {
      holder.kill('SIGKILL');
      throw new ProbeEnvironmentError('the namespace PID 1 did not appear within 10 s');
    }
    await sleep(2);
  }
  const pid1Ended = (): boolean => {
    if (done || pid1 === undefined) return done;
    const state = stateOf(pid1);
    return state === undefined || state === 'Z';
  };
  const ns: Namespace = { mode, holder, pid1, stdout, stderr, ended: pid1Ended, holderDone: () => done };
  live.add(ns);
  void holder.then(() => live.delete(ns));
  return ns;
}

/** The command prefix that runs something inside the namespace of host pid `pid1`, as `docker exec` does. */
export function enter(mode: NamespaceMode, pid1: number): { file: string; args: string[] } {
  return { file: 'nsenter', args: ['--target', String(pid1), ...(mode === 'userns' ? ['--user', '--preserve-credentials'] : []), '--pid', '--mount', '--'] };
}

/** How PID 1 ended. */
export interface Ending {
  /** exit(N), or undefined when a signal killed it. */
  readonly code: number | undefined;
  /** The signal that killed it, e.g. SIGKILL. */
  readonly signal: string | undefined;
  /** What a container runtime reports: N, or 128 + the signal's number. */
  readonly runtimeCode: number;
  /** PROGRAM could not be executed (the namespace's helper said so). */
  readonly execFailure: string | undefined;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = constants.signals;

/**
 * Reads PID 1's ending from the holder's. unshare passes PID 1's exit code
 * on and re-raises a fatal signal on itself, except SIGKILL, which it cannot
 * re-raise that way: it then says so on stderr and exits 1.
 */
export async function ending(ns: Namespace, weKilled: boolean): Promise<Ending> {
  const r = await ns.holder;
  const err = ns.stderr.toString();
  const execFailure = /(?:unshare|setpriv|nsenter): failed to execute .*$/m.exec(err)?.[0];
  let signal = typeof r.signal === 'string' ? r.signal : undefined;
  let code = signal === undefined ? r.exitCode : undefined;
  if (code === 1 && (weKilled || err.includes('sigprocmask unblock failed'))) {
    signal = 'SIGKILL';
    code = undefined;
  }
  const runtimeCode = signal !== undefined ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : (code ?? 0);
  return { code: signal !== undefined ? undefined : code, signal, runtimeCode, execFailure: code === 126 || code === 127 ? execFailure : undefined };
}
