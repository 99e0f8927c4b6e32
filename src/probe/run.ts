// The probe: run a program as PID 1 of a fresh PID namespace and check what
// a container runtime needs from it. This module runs the checks in order
// and assembles the report; each check lives in its own module under checks/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { argvOf, childrenOf, commOf, exeOf, stateOf } from '../shared/proc.js';
import { adviceFor } from './advice.js';
import { checkExit } from './checks/exit.js';
import { checkReaping, ORPHAN_COMM } from './checks/reaping.js';
import { checkStop } from './checks/stop.js';
import { asUser, checkUser } from './checks/user.js';
import { checkExecutable, ending, namespaceMode, ProbeEnvironmentError, startInNamespace, type Namespace } from './namespace.js';
import { DEFAULTS, optionsProblem, type ProbeOptions, type ResolvedOptions } from './options.js';
import { PACKAGE_ROOT } from './package.js';
import { waitUntilUp } from './ready.js';
import type { Check, NamespaceMode, Pid1Info, ProbeReport, ProbeRun, StartResult, Verdict } from './types.js';

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
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    command: options.command,
  };
}

const skipped = (why: string): Check => ({ verdict: 'skip', summary: why });

/**
 * PID 1's live children that are programs of their own: not the probe's
 * orphans, and not a fork that has yet to exec (a copy of PID 1, same argv).
 */
function programChildren(pid1: number): number[] {
  const initArgv = argvOf(pid1).join('\0');
  return childrenOf(pid1).filter((pid) => stateOf(pid) !== 'Z' && commOf(pid) !== ORPHAN_COMM && argvOf(pid).join('\0') !== initArgv);
}

function describePid1(pid1: number): Pid1Info {
  const children = programChildren(pid1).map((pid) => commOf(pid) ?? '?');
  return { comm: commOf(pid1), exe: exeOf(pid1), argv: argvOf(pid1), children };
}

// An init starts PROGRAM after its own start-up; a short settle time may end before that.
const INIT_CHILD_WAIT_MS = 10_000;

/** PROGRAM itself: PID 1, or with an init in front, PID 1's first live child once it exists. */
async function programPid(ns: Namespace, pid1: number, withInit: boolean): Promise<number | undefined> {
  if (!withInit) return pid1;
  const until = performance.now() + INIT_CHILD_WAIT_MS;
  for (;;) {
    const child = programChildren(pid1)[0];
    if (child !== undefined || ns.ended() || performance.now() > until) return child;
    await sleep(10);
  }
}

function describeEnding(code: number | undefined, signal: string | undefined): string {
  return signal !== undefined ? `killed by ${signal}` : `exit status ${code ?? '?'}`;
}

async function runOnce(mode: NamespaceMode, label: ProbeRun['label'], o: ResolvedOptions): Promise<ProbeRun> {
  const withInit = label === 'with-init';
  const user = o.uid !== undefined ? asUser(o.uid, o.gid ?? 0) : [];
  const argv = [...user, ...(withInit ? o.initCommand : []), ...o.command];
  const startedAt = performance.now();
  const ns: Namespace = await startInNamespace(mode, argv);
  const output = (): ProbeRun['output'] => ({ stdout: ns.stdout.toString(), stderr: ns.stderr.toString() });
  try {
    const readiness = ns.pid1 === undefined ? { how: 'settle' as const, ready: false, ms: performance.now() - startedAt } : await waitUntilUp(ns, o, startedAt);
    const pid1 = ns.pid1;
    if (pid1 === undefined || ns.ended()) {
      const end = await ending(ns, false);
      const why = end.execFailure ?? `PID 1 exited on its own after ${Math.round(readiness.ms)} ms (${describeEnding(end.code, end.signal)})`;
      const start: StartResult = { verdict: 'fail', summary: why, readiness, earlyExit: { code: end.code, signal: end.signal } };
      const notRun = skipped('not run: PROGRAM was not running');
      return { label, argv, pid1: undefined, start, user: undefined, reaping: notRun, stop: notRun, exit: notRun, output: output() };
    }
    const how = readiness.how === 'settle' ? 'still running' : readiness.how === 'url' ? 'answering on its URL' : 'accepting connections';
    const start: StartResult = readiness.ready
      ? { verdict: 'pass', summary: `${how} after ${(readiness.ms / 1000).toFixed(1)} s`, readiness, earlyExit: undefined }
      : { verdict: 'fail', summary: `running but not ready within ${(o.readyTimeoutMs / 1000).toFixed(1)} s`, readiness, earlyExit: undefined };
    const program = await programPid(ns, pid1, withInit);
    const pid1Info = describePid1(pid1);
    const userResult = o.uid !== undefined ? await checkUser(ns, pid1, program ?? pid1, o.uid, o.gid ?? 0) : undefined;
    const reaping = await checkReaping(ns, pid1, o.orphans, o.reapTimeoutMs);
    if (ns.ended()) {
      const end = await ending(ns, false);
      const early: StartResult = {
        verdict: 'fail',
        summary: `PID 1 exited on its own during the checks (${describeEnding(end.code, end.signal)})`,
        readiness,
        earlyExit: { code: end.code, signal: end.signal },
      };
      const notRun = skipped('not run: PID 1 was gone');
      return { label, argv, pid1: pid1Info, start: early, user: userResult, reaping, stop: notRun, exit: notRun, output: output() };
    }
    const stop = await checkStop(ns, pid1, o.stopTimeoutMs);
    const exit = checkExit(await ending(ns, stop.killed));
    return { label, argv, pid1: pid1Info, start, user: userResult, reaping, stop, exit, output: output() };
  } finally {
    if (!ns.holderDone()) {
      if (ns.pid1 !== undefined) {
        try {
          process.kill(ns.pid1, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      ns.holder.kill('SIGKILL');
      await ns.holder;
    }
  }
}

const CHECKS = ['start', 'user', 'reaping', 'stop', 'exit'] as const;

export function verdictsOf(run: ProbeRun): Verdict[] {
  return CHECKS.map((name) => run[name]?.verdict ?? 'skip');
}

/**
 * Runs the checks on `options.command` as PID 1 (and again behind ts-init
 * with `withInit`). Throws ProbeEnvironmentError when the probe cannot run
 * at all (no PID namespace possible, PROGRAM not executable, uid without
 * root), RangeError for an option out of range.
 */
export async function probe(options: ProbeOptions): Promise<ProbeReport> {
  const problem = optionsProblem(options);
  if (problem !== undefined) throw new RangeError(problem);
  const o = resolveOptions(options);
  const program = o.command[0];
  if (program === undefined || program === '') throw new ProbeEnvironmentError('no PROGRAM given');
  checkExecutable(program);
  if (o.withInit) {
    const init = o.initCommand[0];
    if (init === undefined || !existsSync(init)) throw new ProbeEnvironmentError(`the init to compare with is missing: ${init ?? '(none)'}`);
  }
  const mode = await namespaceMode();
  if (o.uid !== undefined && mode !== 'root') throw new ProbeEnvironmentError('--uid needs root (setpriv must switch to any user)');
  const runs = [await runOnce(mode, 'as-is', o)];
  if (o.withInit) runs.push(await runOnce(mode, 'with-init', o));
  const passed = runs.every((run) => !verdictsOf(run).includes('fail'));
  return { command: o.command, namespace: mode, runs, advice: adviceFor(runs, o), passed, exitCode: passed ? 0 : 1 };
}
