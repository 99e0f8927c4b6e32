// The probe: run a program as PID 1 (of a fresh PID namespace here, or of a
// container made from an image) and check what a container runtime needs
// from it. This module runs the checks in order on each run (column) and
// assembles the report; how a run is started, entered, watched and stopped
// is the backend's (namespace.ts, engine/container.ts), each check lives in
// checks/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adviceFor } from './advice.js';
import { checkExit } from './checks/exit.js';
import { checkReaping } from './checks/reaping.js';
import { checkStop } from './checks/stop.js';
import { checkUser, withFinalOutput } from './checks/user.js';
import { imagePlans, entrypointWithTsInit } from './engine/container.js';
import { chooseEngine } from './engine/engine.js';
import { inspectImage, nodeInImage } from './engine/image.js';
import { asUser, checkExecutable, namespaceMode, ProbeEnvironmentError, startInNamespace } from './namespace.js';
import { DEFAULTS, optionsProblem, type ProbeOptions, type ResolvedOptions } from './options.js';
import { PACKAGE_ROOT } from './package.js';
import { waitUntilUp } from './ready.js';
import { isInitCommand } from './inits.js';
import type { Proc, RunPlan, Target } from './target.js';
import type { Check, Pid1Info, ProbeReport, ProbeRun, ProbeTarget, StartResult, Timings, Verdict } from './types.js';

/**
 * This package's ts-init: bin/ next to dist/ (built) or src/ (tests). For a
 * UID without a passwd entry it adds --fix-user, so the comparison shows the fix.
 */
export function defaultInit(fixUser = false): string[] {
  return [join(PACKAGE_ROOT, 'bin', 'ts-init'), ...(fixUser ? ['--fix-user'] : []), '--'];
}

function resolveOptions(options: ProbeOptions): ResolvedOptions {
  return {
    ...DEFAULTS,
    withInit: false,
    initCommand: defaultInit(options.uid !== undefined),
    engineArgs: [],
    env: {},
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    command: options.command,
  };
}

const skipped = (why: string): Check => ({ verdict: 'skip', summary: why });

/**
 * PID 1's children that are programs of their own: alive, done with execve()
 * (argv set: the kernel switches a process to its new memory, and wakes a
 * vfork parent, before it copies argv and the environment there, so /proc
 * shows neither for a moment; issue 12, defect 10), and not a fork that has
 * yet to exec (a copy of PID 1, same argv).
 */
function programChildren(children: readonly Proc[], pid1Argv: readonly string[]): Proc[] {
  const init = pid1Argv.join('\0');
  return children.filter((p) => p.state !== 'Z' && p.argv.length > 0 && p.argv.join('\0') !== init);
}

// An init starts PROGRAM after its own start-up; a short settle time may end before that.
const INIT_CHILD_WAIT_MS = 10_000;

/**
 * PROGRAM itself, as numbered inside: with an init in front (ours, or one
 * the command or image starts with, or one PID 1 turns out to be), PID 1's
 * first program child once it exists; otherwise PID 1, or its only program
 * child when it has one (a shell without exec).
 */
async function programPid(target: Target, initInFront: boolean): Promise<number | undefined> {
  const first = await target.view.pid1();
  const waits = initInFront || isInitCommand([first.comm ?? '', first.exe ?? '', ...first.argv]);
  const until = performance.now() + (waits ? INIT_CHILD_WAIT_MS : 0);
  for (;;) {
    // PID 1's argv read again each time: an init's launcher execs node.
    const children = programChildren(await target.view.children(), (await target.view.pid1()).argv);
    if (!waits) return children.length === 1 ? children[0]?.pid : 1;
    if (children[0] !== undefined) return children[0].pid;
    // An init that never started anything: PROGRAM was the init's, and it is gone.
    if ((await target.ended()) || performance.now() > until) return initInFront ? undefined : 1;
    await sleep(10);
  }
}

async function describePid1(target: Target): Promise<Pid1Info> {
  const facts = await target.view.pid1();
  const children = programChildren(await target.view.children(), facts.argv).map((p) => p.comm);
  return { comm: facts.comm, exe: facts.exe, argv: facts.argv, children };
}

function describeEnding(code: number | undefined, signal: string | undefined): string {
  return signal !== undefined ? `killed by ${signal}` : `exit status ${code ?? '?'}`;
}

/** A column that could not run (the image lacks what its init needs): every check skipped, saying why. */
function unavailableRun(plan: RunPlan, why: string): ProbeRun {
  const notRun = skipped(`not run: ${why}`);
  const start: StartResult = { verdict: 'skip', summary: why, readiness: { how: 'settle', ready: false, ms: 0 }, earlyExit: undefined };
  return {
    label: plan.label,
    heading: plan.heading,
    argv: plan.argv,
    pid1: undefined,
    start,
    user: undefined,
    reaping: notRun,
    stop: notRun,
    exit: notRun,
    output: { stdout: '', stderr: '' },
    timings: {},
  };
}

/** Runs every check on one run (one column of the report). */
async function runPlan(plan: RunPlan, o: ResolvedOptions): Promise<{ run: ProbeRun; observedThrough: Target['observedThrough'] | undefined }> {
  if (plan.unavailable !== undefined) return { run: unavailableRun(plan, plan.unavailable), observedThrough: undefined };
  const { label, heading, argv } = plan;
  const timings: { -readonly [K in keyof Timings]: Timings[K] } = {};
  const timed = async <T>(key: keyof Timings, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[key] = Math.round(performance.now() - t0);
    }
  };
  const startedAt = performance.now();
  const target = await plan.start();
  try {
    const readiness = await timed('start', () => waitUntilUp(target, o, startedAt));
    if (await target.ended()) {
      const end = await target.ending(false);
      const output = await target.output();
      const why = end.execFailure ?? `PID 1 exited on its own after ${Math.round(readiness.ms)} ms (${describeEnding(end.code, end.signal)})`;
      const start: StartResult = { verdict: 'fail', summary: why, readiness, earlyExit: { code: end.code, signal: end.signal } };
      // Its output may still say why: a user lookup that failed at start-up.
      const user = o.uid !== undefined ? await checkUser(target, undefined, o.uid, o.gid ?? 0, output) : undefined;
      const notRun = skipped('not run: PROGRAM was not running');
      return {
        run: { label, heading, argv, pid1: undefined, start, user, reaping: notRun, stop: notRun, exit: notRun, output, timings },
        observedThrough: target.observedThrough,
      };
    }
    const how = readiness.how === 'settle' ? 'still running' : readiness.how === 'url' ? 'answering on its URL' : 'accepting connections';
    const start: StartResult = readiness.ready
      ? { verdict: 'pass', summary: `${how} after ${(readiness.ms / 1000).toFixed(1)} s`, readiness, earlyExit: undefined }
      : { verdict: 'fail', summary: `running but not ready within ${(o.readyTimeoutMs / 1000).toFixed(1)} s`, readiness, earlyExit: undefined };
    // Found first, also without --uid: behind an init, PID 1's children are listed once PROGRAM is among them.
    const program = await programPid(target, plan.initInFront);
    const pid1 = await describePid1(target);
    const user = o.uid !== undefined ? await timed('user', async () => checkUser(target, program, o.uid ?? 0, o.gid ?? 0, await target.output())) : undefined;
    const reaping = await timed('reaping', () => checkReaping(target, o.orphans, o.reapTimeoutMs));
    if (await target.ended()) {
      const end = await target.ending(false);
      const early: StartResult = {
        verdict: 'fail',
        summary: `PID 1 exited on its own during the checks (${describeEnding(end.code, end.signal)})`,
        readiness,
        earlyExit: { code: end.code, signal: end.signal },
      };
      const notRun = skipped('not run: PID 1 was gone');
      const output = await target.output();
      const final = user !== undefined ? withFinalOutput(user, output) : undefined;
      return {
        run: { label, heading, argv, pid1, start: early, user: final, reaping, stop: notRun, exit: notRun, output, timings },
        observedThrough: target.observedThrough,
      };
    }
    const stop = await timed('stop', () => checkStop(target, o.stopTimeoutMs));
    const exit = await timed('exit', async () => checkExit(await target.ending(stop.killed)));
    const output = await target.output();
    const final = user !== undefined ? withFinalOutput(user, output) : undefined;
    return { run: { label, heading, argv, pid1, start, user: final, reaping, stop, exit, output, timings }, observedThrough: target.observedThrough };
  } finally {
    await target.dispose();
  }
}

const CHECKS = ['start', 'user', 'reaping', 'stop', 'exit'] as const;

export function verdictsOf(run: ProbeRun): Verdict[] {
  return CHECKS.map((name) => run[name]?.verdict ?? 'skip');
}

interface Backend {
  readonly plans: readonly RunPlan[];
  /** The line the advice gives for putting ts-init in front. */
  readonly entrypoint: string;
  /** What the reader must know to read the verdicts right (how the engine behaved). */
  readonly notes: readonly string[];
  target(observedThrough: Target['observedThrough'] | undefined): ProbeTarget;
}

async function namespaceBackend(o: ResolvedOptions): Promise<Backend> {
  const program = o.command[0];
  if (program === undefined || program === '') throw new ProbeEnvironmentError('no PROGRAM given');
  checkExecutable(program);
  if (o.withInit) {
    const init = o.initCommand[0];
    if (init === undefined || !existsSync(init)) throw new ProbeEnvironmentError(`the init to compare with is missing: ${init ?? '(none)'}`);
  }
  const mode = await namespaceMode();
  if (o.uid !== undefined && mode !== 'root') throw new ProbeEnvironmentError('--uid needs root (setpriv must switch to any user)');
  const user = o.uid !== undefined ? asUser(o.uid, o.gid ?? 0) : [];
  const env = Object.keys(o.env).length > 0 ? ({ ...process.env, ...o.env } as Record<string, string>) : undefined;
  const plan = (label: RunPlan['label'], heading: string, argv: string[], initInFront: boolean): RunPlan => ({
    label,
    heading,
    argv,
    initInFront,
    start: () => startInNamespace(mode, argv, env),
  });
  const plans = [plan('as-is', 'as PID 1', [...user, ...o.command], isInitCommand(o.command))];
  if (o.withInit) plans.push(plan('with-init', 'behind ts-init', [...user, ...o.initCommand, ...o.command], true));
  return { plans, entrypoint: 'ENTRYPOINT ["ts-init", "--"]', notes: [], target: () => ({ kind: 'namespace', mode }) };
}

async function imageBackend(o: ResolvedOptions, image: string): Promise<Backend> {
  const engine = await chooseEngine(o.engine);
  const config = await inspectImage(engine, image);
  const node = o.withInit ? await nodeInImage(engine, image, o.engineArgs) : undefined;
  const { command, engineArgs, env, uid, gid, readyPort, readyUrl, withInit } = o;
  const run = { engine, image, config, command, engineArgs, env, uid, gid, readyPort, readyUrl, withInit, node };
  // podman's Docker-compatible service adds a passwd entry for `run -u`, and the docker CLI has no flag to stop it.
  const passwd = engine.name === 'docker' && engine.server === 'podman' && o.uid !== undefined;
  const note = `docker here talks to podman's Docker-compatible service, which gives UID ${String(o.uid)} a passwd entry that Docker would not (the docker CLI cannot turn that off): the user check sees that entry. --engine podman probes with Docker's behaviour.`;
  return {
    plans: imagePlans(run),
    entrypoint: entrypointWithTsInit(config),
    notes: passwd ? [note] : [],
    target: (observedThrough) => ({ kind: 'image', image, engine: engine.name, observedThrough }),
  };
}

/**
 * Runs the checks on `options.command` as PID 1 (and again behind ts-init
 * with `withInit`), or on `options.image` through a container engine (and
 * with `withInit` behind the engine's --init and ts-init). Throws
 * ProbeEnvironmentError when the probe cannot run at all (no PID namespace
 * possible, PROGRAM not executable, uid without root, no engine answers, no
 * such image), RangeError for an option out of range.
 */
export async function probe(options: ProbeOptions): Promise<ProbeReport> {
  const problem = optionsProblem(options);
  if (problem !== undefined) throw new RangeError(problem);
  const o = resolveOptions(options);
  const backend = o.image !== undefined ? await imageBackend(o, o.image) : await namespaceBackend(o);
  const runs: ProbeRun[] = [];
  let observedThrough: Target['observedThrough'] | undefined;
  for (const plan of backend.plans) {
    const r = await runPlan(plan, o);
    runs.push(r.run);
    observedThrough ??= r.observedThrough;
  }
  const passed = runs.every((run) => !verdictsOf(run).includes('fail'));
  const target = backend.target(observedThrough);
  return {
    command: o.command,
    target,
    namespace: target.kind === 'namespace' ? target.mode : undefined,
    runs,
    advice: [...backend.notes, ...adviceFor(runs, o, { entrypoint: backend.entrypoint, engine: target.kind === 'image' ? target.engine : undefined })],
    passed,
    exitCode: passed ? 0 : 1,
  };
}
