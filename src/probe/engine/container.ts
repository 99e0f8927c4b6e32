// The image backend: the image run as a container by docker or podman,
// entered with `exec`, stopped with `stop -t`, its exit code read back with
// `inspect`. When the engine runs on this machine, its State.Pid is PID 1 in
// our own /proc and the checks read /proc directly, as in host mode; when it
// does not (Docker Desktop, a remote DOCKER_HOST), they read /proc inside
// through `exec`.
import { setTimeout as sleep } from 'node:timers/promises';
import { stateOf } from '../../shared/proc.js';
import { whenInterrupted } from '../cleanup.js';
import { ProbeEnvironmentError } from '../namespace.js';
import { headTail } from '../output.js';
import { PACKAGE_ROOT } from '../package.js';
import type { Address, Ending, ExecOptions, ExecResult, ProcessView, RunPlan, StopOutcome, Target } from '../target.js';
import { isInitCommand } from '../inits.js';
import { ExecView } from '../view/exec.js';
import { HostView, isNamespaceInit, startTimeOf } from '../view/host.js';
import { firstLine, type Engine } from './engine.js';
import type { ImageConfig, NodeInImage } from './image.js';
import { containerName, guardContainers, labelArgs } from './leftovers.js';

interface State {
  readonly Status?: string;
  readonly Running?: boolean;
  readonly Pid?: number;
  readonly ExitCode?: number;
  readonly OOMKilled?: boolean;
}

async function inspectState(engine: Engine, name: string): Promise<State | undefined> {
  const r = await engine.cli(['container', 'inspect', '--format', '{{json .State}}', name], 30_000);
  if (r.exitCode !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as State;
  } catch {
    return undefined;
  }
}

/** The variables that decide what a user lookup answers (ts-init --fix-user sets these). */
const LOOKUP_ENV = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'NSS_WRAPPER_PASSWD', 'NSS_WRAPPER_GROUP']);

// podman's `inspect` may still say "running" for a moment after PID 1 died
// (conmon records the exit first); the exit code is read once it does not.
const EXITED_WAIT_MS = 30_000;

/** A container that could not even start: its entrypoint is missing or not executable. */
interface StartFailure {
  readonly message: string;
  readonly code: number;
}

class ContainerTarget implements Target {
  readonly view: ProcessView;
  private readonly started: string | undefined;

  constructor(
    private readonly engine: Engine,
    readonly name: string,
    /** PID 1 in this machine's /proc, when the engine runs here. */
    private readonly hostPid1: number | undefined,
    private readonly undo: () => Promise<void>,
    private readonly failure: StartFailure | undefined,
    /** Whether inspect reported a PID 1 at all (0 once the container has exited). */
    private readonly pidSeen: boolean,
  ) {
    this.view = hostPid1 !== undefined ? new HostView(hostPid1) : new ExecView((argv) => this.exec(argv));
    this.started = hostPid1 !== undefined ? startTimeOf(hostPid1) : undefined;
  }

  get observedThrough(): 'host-proc' | 'exec' | undefined {
    return this.hostPid1 !== undefined ? 'host-proc' : this.pidSeen ? 'exec' : undefined;
  }

  async ended(): Promise<boolean> {
    if (this.failure !== undefined) return true;
    if (this.hostPid1 !== undefined) {
      const state = stateOf(this.hostPid1);
      return state === undefined || state === 'Z' || startTimeOf(this.hostPid1) !== this.started;
    }
    return (await inspectState(this.engine, this.name))?.Running !== true;
  }

  async hostAddress(port: number): Promise<Address | undefined> {
    const r = await this.engine.cli(['port', this.name, `${port}/tcp`], 30_000);
    // "127.0.0.1:49153" (one line per address; docker may add "[::]:49153"), on the engine's machine.
    const m = /^\d+\.\d+\.\d+\.\d+:(\d+)$/m.exec(r.stdout);
    return m === null ? undefined : { host: this.engine.publishHost.connect, port: Number(m[1]), proxied: true };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const user = options.user !== undefined ? ['--user', `${options.user.uid}:${options.user.gid}`] : [];
    // Only what a user lookup reads: the values go on the engine's command
    // line, which every user of this machine can see, and PROGRAM's
    // environment may hold secrets. The rest comes from the image and `run`.
    const env = Object.entries(options.env ?? {})
      .filter(([k]) => LOOKUP_ENV.has(k))
      .flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const r = await this.engine.cli(['exec', ...user, ...env, this.name, ...argv], options.timeoutMs ?? 30_000);
    // docker: 126/127 "OCI runtime exec failed: ... executable file not found in $PATH"; podman: 127, the same words.
    const missing = (r.exitCode === 126 || r.exitCode === 127) && /executable file not found|no such file or directory/i.test(r.stderr);
    return { ...r, missing };
  }

  private async exited(): Promise<State | undefined> {
    const until = performance.now() + EXITED_WAIT_MS;
    for (;;) {
      const state = await inspectState(this.engine, this.name);
      if (state?.Running !== true || performance.now() > until) return state;
      await sleep(100);
    }
  }

  /**
   * `stop -t N`: the engine's own SIGTERM, grace period and SIGKILL. Engines
   * take whole seconds, so the grace period is rounded up. The time is the
   * whole `stop` command, as the person who runs it waits for it.
   */
  async stop(stopTimeoutMs: number): Promise<StopOutcome> {
    const seconds = Math.ceil(stopTimeoutMs / 1000);
    const sentAt = performance.now();
    const r = await this.engine.cli(['stop', '-t', String(seconds), this.name], seconds * 1000 + 120_000);
    const took = performance.now() - sentAt;
    const state = await this.exited();
    // 137 = 128 + SIGKILL; podman also says "resorting to SIGKILL".
    const killed = state?.ExitCode === 137 || r.stderr.includes('SIGKILL');
    return { stopMs: killed ? undefined : took, killed, stopTimeoutMs: seconds * 1000 };
  }

  async ending(weKilled: boolean): Promise<Ending> {
    if (this.failure !== undefined) return { code: this.failure.code, signal: undefined, runtimeCode: this.failure.code, execFailure: this.failure.message };
    const state = await this.exited();
    const code = state?.ExitCode ?? 0;
    // An exit code says N or 128 + signal, not which: 137 after our own SIGKILL, or the OOM killer's, is a SIGKILL.
    if (code === 137 && (weKilled || state?.OOMKilled === true)) return { code: undefined, signal: 'SIGKILL', runtimeCode: 137, execFailure: undefined };
    return { code, signal: undefined, runtimeCode: code, execFailure: undefined };
  }

  async output(): Promise<{ stdout: string; stderr: string }> {
    const r = await this.engine.cli(['logs', this.name], 60_000);
    return { stdout: headTail(r.stdout), stderr: headTail(r.stderr) };
  }

  async dispose(): Promise<void> {
    await this.undo();
  }
}

/** Runs a container with `runArgs` (everything after `run --detach --name N --label …`) and waits for its State. */
async function startContainer(engine: Engine, runArgs: readonly string[]): Promise<ContainerTarget> {
  await guardContainers(engine);
  const name = containerName();
  const undo = whenInterrupted(async () => {
    await engine.cli([...engine.removeCommand(), name], 60_000);
  });
  const r = await engine.cli(['run', '--detach', '--name', name, ...labelArgs(), ...runArgs], 30 * 60_000);
  if (r.exitCode !== 0) {
    // Created but not started (its entrypoint cannot be executed): PROGRAM's failure, not the probe's.
    if ((await inspectState(engine, name)) !== undefined)
      return new ContainerTarget(engine, name, undefined, undo, { message: firstLine(r.stderr), code: r.exitCode ?? 125 }, false);
    await undo();
    throw new ProbeEnvironmentError(`${engine.name} run failed: ${firstLine(r.stderr) || `exit ${String(r.exitCode)}`}`);
  }
  const pid = (await inspectState(engine, name))?.Pid ?? 0;
  return new ContainerTarget(engine, name, isNamespaceInit(pid) ? pid : undefined, undo, undefined, pid > 0);
}

export interface ImageRunOptions {
  readonly engine: Engine;
  readonly image: string;
  readonly config: ImageConfig;
  /** CMD ARGS after `--`: replace the image's CMD. */
  readonly command: readonly string[];
  readonly engineArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly readyPort: number | undefined;
  readonly readyUrl: string | undefined;
  readonly withInit: boolean;
  /** Whether (and how) the image can run ts-init; asked only with withInit. */
  readonly node: NodeInImage | undefined;
}

/** The container port to publish for the readiness check, if any. */
function readinessPort(o: ImageRunOptions): number | undefined {
  if (o.readyPort !== undefined) return o.readyPort;
  if (o.readyUrl === undefined) return undefined;
  const url = new URL(o.readyUrl);
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** The flags every run of the image gets: user, environment, the published port, the user's own. */
export function commonRunArgs(o: ImageRunOptions): string[] {
  const port = readinessPort(o);
  return [
    ...(o.uid !== undefined ? o.engine.userArgs(o.uid, o.gid ?? 0) : []),
    ...Object.entries(o.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...(port !== undefined ? ['--publish', `${o.engine.publishHost.bind}::${port}`] : []),
    ...o.engineArgs,
  ];
}

/** Where ts-init is mounted in the container: a node_modules of its own, as an install would lay it out. */
const MOUNT = '/ts-init-probe/node_modules';

/**
 * ts-init from this package, mounted read-only under MOUNT: the package has
 * no runtime dependencies (everything is bundled), so its own directory is
 * all the container needs.
 */
export function tsInitMounts(): { readonly args: string[]; readonly bin: string } {
  return { args: ['--volume', `${PACKAGE_ROOT}:${MOUNT}/ts-init:ro`], bin: `${MOUNT}/ts-init/bin/ts-init` };
}

/** The ENTRYPOINT line that puts ts-init in front of what the image runs now. */
export function entrypointWithTsInit(config: ImageConfig): string {
  return `ENTRYPOINT [${['ts-init', '--', ...config.entrypoint].map((a) => JSON.stringify(a)).join(', ')}]`;
}

/** Why ts-init cannot run in the image, or undefined when it can. */
function tsInitUnavailable(node: NodeInImage | undefined, program: readonly string[]): string | undefined {
  if (node === undefined) return 'whether the image has node was not asked';
  if ('missing' in node) return node.missing;
  if (!node.shell) return "the image has no /bin/sh, which ts-init's launcher (bin/ts-init) runs with";
  if (program.length === 0) return 'the image has neither ENTRYPOINT nor CMD, and no CMD was given';
  return undefined;
}

export function imagePlans(o: ImageRunOptions): RunPlan[] {
  const common = commonRunArgs(o);
  const args = o.command;
  const plan = (label: RunPlan['label'], heading: string, runArgs: string[], initInFront: boolean, unavailable?: string): RunPlan => ({
    label,
    heading,
    argv: [o.engine.name, 'run', ...runArgs],
    initInFront,
    ...(unavailable !== undefined ? { unavailable } : {}),
    start: () => startContainer(o.engine, runArgs),
  });
  // What the image runs: ENTRYPOINT, then the CMD given or its own.
  const program = [...o.config.entrypoint, ...(args.length > 0 ? args : o.config.cmd)];
  const plans = [plan('as-is', 'as PID 1', [...common, o.image, ...args], isInitCommand(program))];
  if (!o.withInit) return plans;
  plans.push(plan('engine-init', `with --init (${o.engine.initName})`, ['--init', ...common, o.image, ...args], true));
  const { args: mounts, bin } = tsInitMounts();
  // --entrypoint drops the image's CMD too, so both are given again after `--`.
  const fixUser = o.uid !== undefined ? ['--fix-user'] : [];
  const runArgs = [...mounts, '--entrypoint', bin, ...common, o.image, ...fixUser, '--', ...program];
  plans.push(plan('with-init', 'behind ts-init', runArgs, true, tsInitUnavailable(o.node, program)));
  return plans;
}
