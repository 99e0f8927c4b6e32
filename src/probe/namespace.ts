// The host backend: PROGRAM as PID 1 of a fresh PID namespace with its own
// /proc, entered the way `docker exec` enters a container (nsenter), stopped
// the way `docker stop` stops one (SIGTERM from outside, SIGKILL after the
// grace period).
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { which } from '../shared/path.js';
import { childrenOf, stateOf } from '../shared/proc.js';
import { whenInterrupted } from './cleanup.js';
import { ProbeEnvironmentError } from './errors.js';
import { HeadTail } from './output.js';
import type { Address, Ending, ExecOptions, ExecResult, StopOutcome, Target } from './target.js';
import type { NamespaceMode } from './types.js';
import { HostView } from './view/host.js';

export { ProbeEnvironmentError };

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
 * The command that holds a namespace: unshare, whose --kill-child takes PID 1
 * down when unshare ends, behind `setpriv --pdeathsig KILL`, which makes the
 * kernel SIGKILL unshare when the probe ends, even by SIGKILL (the OOM
 * killer, `timeout -s KILL`), where no code of ours runs (issue 12, defect 9).
 * The death signal survives the exec into unshare (not set-uid). Left open:
 * the microseconds between the fork and setpriv's prctl, and a probe that
 * ends in exactly them.
 */
function holderArgv(mode: NamespaceMode, argv: readonly string[]): string[] {
  return ['--pdeathsig', 'KILL', '--', 'unshare', ...NAMESPACE_FLAGS[mode], '--', ...argv];
}

/** The argv prefix that drops to uid:gid with no supplementary groups. */
export function asUser(uid: number, gid: number): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
}

/**
 * Which kind of namespace this machine lets us make: a plain PID namespace
 * as root, else one inside an unprivileged user namespace. Tried for real,
 * since capabilities, seccomp and sysctls all have a say.
 */
export async function namespaceMode(): Promise<NamespaceMode> {
  for (const tool of ['unshare', 'nsenter', 'setpriv']) {
    if (which(tool) === undefined) throw new ProbeEnvironmentError(`${tool} (util-linux) is not installed`);
  }
  const problems: string[] = [];
  const modes: NamespaceMode[] = process.getuid?.() === 0 ? ['root', 'userns'] : ['userns'];
  for (const mode of modes) {
    const r = await execa('setpriv', holderArgv(mode, ['true']), { reject: false, timeout: 10_000, stdin: 'ignore' });
    if (r.exitCode === 0) return mode;
    const first = r.stderr.split('\n')[0] ?? `exit ${String(r.exitCode)}`;
    // util-linux before 2.33 has no --pdeathsig.
    if (/unrecognized option.*pdeathsig/.test(first)) throw new ProbeEnvironmentError('setpriv has no --pdeathsig: util-linux 2.33 or later is needed');
    problems.push(first);
  }
  const why = process.getuid?.() === 0 ? 'creating a PID namespace failed' : 'not root, and unprivileged user namespaces are unavailable';
  throw new ProbeEnvironmentError(`cannot run PROGRAM as PID 1 of a new PID namespace: ${why} (${problems.join('; ')})`);
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = constants.signals;
// After SIGKILL the kernel tears the namespace down at once; this only bounds a broken holder.
const AFTER_KILL_MS = 10_000;

class NamespaceTarget implements Target {
  readonly view: HostView;
  readonly observedThrough = 'host-proc';
  private done = false;

  constructor(
    private readonly mode: NamespaceMode,
    private readonly holder: ResultPromise,
    /** Host pid of PID 1; 0 when it was gone before it could be seen. */
    readonly hostPid1: number,
    private readonly stdout: HeadTail,
    private readonly stderr: HeadTail,
    private readonly undo: () => Promise<void>,
  ) {
    this.view = new HostView(hostPid1);
    void holder.then(() => {
      this.done = true;
    });
  }

  /**
   * /proc answers first: the holder's exit reaches us through the event loop,
   * which on a loaded machine can lag behind by many ms.
   */
  async ended(): Promise<boolean> {
    if (this.done || this.hostPid1 === 0) return this.done || this.hostPid1 === 0;
    const state = stateOf(this.hostPid1);
    return state === undefined || state === 'Z';
  }

  /** A PID namespace shares the host's network. */
  async hostAddress(port: number): Promise<Address> {
    return { host: '127.0.0.1', port };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const enter = ['--target', String(this.hostPid1), ...(this.mode === 'userns' ? ['--user', '--preserve-credentials'] : []), '--pid', '--mount', '--'];
    const user = options.user !== undefined ? asUser(options.user.uid, options.user.gid) : [];
    // By path: the environment given may be PROGRAM's, with no PATH in it.
    const r = await execa(which('nsenter') ?? 'nsenter', [...enter, ...user, ...argv], {
      reject: false,
      timeout: options.timeoutMs ?? 10_000,
      killSignal: 'SIGKILL',
      stdin: 'ignore',
      ...(options.env !== undefined ? { env: options.env, extendEnv: false } : {}),
    });
    const stderr = r.stderr;
    const missing = (r.exitCode === 126 || r.exitCode === 127) && /(?:nsenter|setpriv): failed to execute/.test(stderr);
    return { exitCode: r.exitCode, stdout: r.stdout, stderr, missing };
  }

  /** Resolves true when the namespace is gone within ms, false otherwise. */
  private gone(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.holder.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private kill(pid: number, signal: NodeJS.Signals): void {
    try {
      if (pid > 0) process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  async stop(stopTimeoutMs: number): Promise<StopOutcome> {
    const sentAt = performance.now();
    this.kill(this.hostPid1, 'SIGTERM');
    // The holder (unshare) ends only after PID 1 and, with it, every process of the namespace.
    if (await this.gone(stopTimeoutMs)) return { stopMs: performance.now() - sentAt, killed: false, stopTimeoutMs };
    this.kill(this.hostPid1, 'SIGKILL');
    if (!(await this.gone(AFTER_KILL_MS))) this.holder.kill('SIGKILL');
    return { stopMs: undefined, killed: true, stopTimeoutMs };
  }

  /**
   * Reads PID 1's ending from the holder's. unshare passes PID 1's exit code
   * on and re-raises a fatal signal on itself, except SIGKILL, which it cannot
   * re-raise that way: it then says so on stderr and exits 1.
   */
  async ending(weKilled: boolean): Promise<Ending> {
    const r = await this.holder;
    const err = this.stderr.toString();
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

  async output(): Promise<{ stdout: string; stderr: string }> {
    return { stdout: this.stdout.toString(), stderr: this.stderr.toString() };
  }

  async dispose(): Promise<void> {
    await this.undo();
  }
}

/**
 * Starts argv as PID 1 of a new namespace and waits until the kernel shows
 * its host pid. `env`: the environment PROGRAM starts with.
 */
export async function startInNamespace(mode: NamespaceMode, argv: readonly string[], env: Readonly<Record<string, string>> | undefined): Promise<Target> {
  const holder = execa('setpriv', holderArgv(mode, argv), {
    reject: false,
    stdin: 'ignore',
    buffer: false,
    // Bounds a probe that is itself stuck; every check has its own shorter limit.
    timeout: 30 * 60_000,
    killSignal: 'SIGKILL',
    ...(env !== undefined ? { env } : {}),
  }) as ResultPromise;
  let done = false;
  void holder.then(() => {
    done = true;
  });
  let pid1: number | undefined;
  const kill = async (): Promise<void> => {
    if (done) return;
    try {
      if (pid1 !== undefined) process.kill(pid1, 'SIGKILL');
    } catch {
      // already gone
    }
    holder.kill('SIGKILL');
    await holder;
  };
  const undo = whenInterrupted(kill);
  const stdout = new HeadTail();
  const stderr = new HeadTail();
  holder.stdout?.on('data', (c: Buffer) => stdout.add(c));
  holder.stderr?.on('data', (c: Buffer) => stderr.add(c));
  const holderPid = holder.pid;
  if (holderPid === undefined) {
    await undo();
    throw new ProbeEnvironmentError('setpriv/unshare could not be started');
  }
  const deadline = Date.now() + 10_000;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `done` is set by the holder's promise, between two awaits
  while (pid1 === undefined && !done) {
    pid1 = childrenOf(holderPid)[0];
    if (pid1 !== undefined) break;
    if (Date.now() > deadline) {
      await undo();
      throw new ProbeEnvironmentError('the namespace PID 1 did not appear within 10 s');
    }
    await sleep(2);
  }
  return new NamespaceTarget(mode, holder, pid1 ?? 0, stdout, stderr, undo);
}
