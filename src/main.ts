// ts-init's entry point: parse, spawn, then let the event loop forward
// signals and reap until the main child is gone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentValue, execFailureCode, isSpawnError, LAUNCHER_PREFIX, rawArgs, rawEnvironment, startChild } from './child.js';
import { parseArgs, usage, type CliResult, type Config } from './cli.js';
import { describeStatus, exitCodeFor, type ChildStatus } from './exit-status.js';
import { Forwarder, sendSignal } from './forwarder.js';
import { guardChild } from './guard.js';
import { levelForVerbosity, log, writeFd, writeStderr } from './log.js';
import { loadNative, type Native } from './native.js';
import { KillAfter } from './kill-after.js';
import { Reaper } from './reaper.js';
import { rewriteSignal } from './rewrite.js';
import { Shutdown } from './shutdown.js';
import { signalName } from './signals.js';
import { fixUser, FixUserError } from './user.js';

// The safety sweep: SIGCHLD does the real work; this catches anything a
// coalesced or lost notification left behind. Once a second, like tini.
const SWEEP_INTERVAL_MS = 1000;

function version(packageRoot: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Registers as a child subreaper when asked to, or when we are not PID 1. */
function setUpSubreaper(native: Native, config: Config): number | undefined {
  if (process.pid === 1) return undefined;
  const err = native.setSubreaper();
  if (err === 0) {
    log.debug('Registered as a child subreaper');
    return undefined;
  }
  if (config.subreaper) {
    log.fatal(`Failed to register as child subreaper: ${native.strerror(err)}`);
    return 1;
  }
  log.warn(
    `ts-init is not running as PID 1 and could not register as a child subreaper (${native.strerror(err)}).\n` +
      "Zombie processes will not be re-parented to ts-init, so zombie reaping won't work.\n" +
      'To fix the problem, run ts-init as PID 1 (for example as the ENTRYPOINT of a container).',
  );
  return undefined;
}

/** -h, --version, -l and usage errors: answer and exit, starting nothing. */
function answerWithoutRunning(parsed: Exclude<CliResult, { kind: 'run' }>, packageRoot: string): never {
  switch (parsed.kind) {
    case 'help':
      writeFd(1, usage(version(packageRoot)));
      process.exit(0);
    case 'version':
      writeFd(1, `ts-init version ${version(packageRoot)}\n`);
      process.exit(0);
    case 'license':
      try {
        writeFd(1, readFileSync(join(packageRoot, 'LICENSE'), 'utf8'));
      } catch {
        writeFd(1, 'ts-init is released under the MIT license.\n');
      }
      process.exit(0);
    case 'error':
      writeStderr(`ts-init: ${parsed.message}\n${usage(version(packageRoot))}`);
      process.exit(1);
  }
}

/** Subreaper, parent-death signal: what must hold before the child exists. */
function prepareInit(native: Native, config: Config): void {
  const failed = setUpSubreaper(native, config);
  if (failed !== undefined) native.exit(failed);
  if (config.parentDeathSignal !== undefined) {
    const err = native.setParentDeathSignal(config.parentDeathSignal);
    if (err !== 0) {
      log.fatal(`Failed to set up parent death signal ${signalName(config.parentDeathSignal)}: ${native.strerror(err)}`);
      native.exit(1);
    }
  }
}

/** Starts the program, or exits the way tini does when it cannot (127/126). */
function spawnOrExit(native: Native, config: Config, raw: Buffer[]): number {
  let userEnv: Record<string, string> = {};
  if (config.fixUser) {
    try {
      userEnv = fixUser(native, config, process.env);
    } catch (error) {
      if (!(error instanceof FixUserError)) throw error;
      log.fatal(error.message);
      native.exit(1);
    }
  }
  const program = config.argv[0]?.toString() ?? '';
  try {
    const childPid = startChild(native, config.argv, raw, userEnv);
    log.info(`Spawned child process '${program}' with pid '${childPid}'`, { child: childPid });
    return childPid;
  } catch (error) {
    // A PATH lookup that found nothing (ResolveError) is one of these too.
    if (isSpawnError(error)) {
      const what = error.syscall === 'execve' ? `exec ${program}` : error.syscall;
      log.fatal(`${what} failed: ${native.strerror(error.errno)}`);
      native.exit(error.syscall === 'execve' ? execFailureCode(error.errno) : 1);
    }
    throw error;
  }
}

export function run(packageRoot: string): void {
  // First: catch signals before anything else can take time.
  const forwarder = new Forwarder();

  const parsed = parseArgs(rawArgs(), process.env);
  if (parsed.kind !== 'run') answerWithoutRunning(parsed, packageRoot);
  const config = parsed.config;
  log.configure(levelForVerbosity(config.verbosity), config.logFormat, packageRoot);

  let native: Native;
  try {
    native = loadNative(packageRoot);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  forwarder.attachNative(native, process.pid === 1);
  prepareInit(native, config);

  const raw = rawEnvironment();
  const childPid = spawnOrExit(native, config, raw);
  supervise(native, config, forwarder, childPid);

  if (environmentValue(raw, `${LAUNCHER_PREFIX}FAULT`)?.toString() === 'throw-after-spawn') {
    // Test hook (see test/logging.test.ts): an internal error while the child runs.
    setTimeout(() => {
      throw new Error('injected fault');
    }, 200);
  }
}

/**
 * The loop, driven by the event loop: forward signals to the child, reap on
 * SIGCHLD and on a slow sweep, and when the main child is reaped, clean up
 * the rest and exit with its status.
 */
function supervise(native: Native, config: Config, forwarder: Forwarder, childPid: number): void {
  const guard = guardChild(native, childPid);
  process.on('uncaughtException', (error) => {
    log.fatal(`internal error: ${error.stack ?? error.message}`);
    process.exit(1); // signal-exit's guard kills the child's group on the way out
  });
  const reaper = new Reaper(native, config.warnOnReap);
  const killAfter = config.killAfterMs !== undefined ? new KillAfter(native, childPid, config.killAfterMs) : undefined;
  const shutdown = new Shutdown(native, { gracePeriodMs: config.gracePeriodMs, pid1: process.pid === 1, reap: () => reaper.reap() });

  const finish = (status: ChildStatus): void => {
    log.info(`Main child ${describeStatus(status)}`, { child: childPid, status });
    const code = exitCodeFor(status, config.remapToZero);
    killAfter?.cancel();
    // The guard stays armed until the clean-up is over: if ts-init dies
    // during it, the child's process group is still killed.
    const exit = (): never => {
      log.info(`Exiting with status ${code}`, { code });
      guard.disarm();
      native.exit(code);
    };
    if (config.gracePeriodMs === 0) exit(); // tini's behaviour: the rest is left to the kernel
    // The main child's pid may be reused from now on: nothing more goes to it.
    forwarder.forwardTo((signal) => shutdown.ignoreSignal(signal));
    shutdown.start(exit);
  };

  const reapAll = (): void => {
    reaper.reap();
    shutdown.check();
  };
  reaper.watch(childPid, finish);
  forwarder.onChildSignal(reapAll);
  forwarder.forwardTo((signal) => {
    killAfter?.onSignal(signal);
    const sent = rewriteSignal(config.rewrites, signal);
    if (sent !== signal) {
      log.info(sent === 0 ? `Dropping ${signalName(signal)} (rewritten to 0)` : `Rewriting ${signalName(signal)} to ${signalName(sent)}`, { signal, rewrittenTo: sent });
    }
    if (sent !== 0) sendSignal(native, childPid, config.killProcessGroup, sent);
  });
  setInterval(reapAll, SWEEP_INTERVAL_MS);
  reaper.reap(); // the child may be gone already
}
