// ts-init's entry point: parse, spawn, then let the event loop forward
// signals and reap until the main child is gone. The only module that exits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNative, type Native } from '../native/loader.js';
import { FatalError } from '../shared/errors.js';
import { levelForVerbosity, log, printable, writeFd } from '../shared/log.js';
import { signalName } from '../shared/signals.js';
import { packageVersion } from '../shared/version.js';
import { parseArgs, usage, type CliResult, type Config } from './cli.js';
import { describeStatus, exitCodeFor, type ChildStatus } from './exit-status.js';
import { fixUser } from './fix-user.js';
import { Forwarder, sendSignal } from './forwarder.js';
import { guardChild, type Guard } from './guard.js';
import { KillAfter } from './kill-after.js';
import { childEnvironment, readLaunch, type Launch, type LauncherEntry, type LauncherKind } from './launcher-env.js';
import { Reaper } from './reaper.js';
import { rewriteSignal } from './rewrite.js';
import { Shutdown } from './shutdown.js';
import { startChild } from './spawn.js';

// The safety sweep: SIGCHLD does the real work; this catches anything a
// coalesced or lost notification left behind. Once a second, like tini.
const SWEEP_INTERVAL_MS = 1000;

/** -h, --version, -l and usage errors: what to print where, and the exit status. */
function answer(parsed: Exclude<CliResult, { kind: 'run' }>, packageRoot: string, launcher: LauncherKind): { fd: 1 | 2; text: string; code: number } {
  const version = packageVersion(packageRoot);
  switch (parsed.kind) {
    case 'help':
      return { fd: 1, text: usage(version), code: 0 };
    case 'version':
      return { fd: 1, text: `ts-init version ${version} (${launcher === 'none' ? 'no' : launcher} launcher)\n`, code: 0 };
    case 'license': {
      let text: string;
      try {
        text = readFileSync(join(packageRoot, 'LICENSE'), 'utf8');
      } catch {
        text = 'ts-init is released under the MIT license.\n';
      }
      return { fd: 1, text, code: 0 };
    }
    case 'error':
      return { fd: 2, text: `ts-init: ${parsed.message}\n${usage(version)}`, code: 1 };
  }
}

/** Registers as a child subreaper when asked to, or when we are not PID 1. */
function setUpSubreaper(native: Native, config: Config): void {
  if (process.pid === 1) return;
  const err = native.setSubreaper();
  if (err === 0) {
    log.debug('Registered as a child subreaper');
    return;
  }
  if (config.subreaper) throw new FatalError(`Failed to register as child subreaper: ${native.strerror(err)}`);
  log.warn(
    `ts-init is not running as PID 1 and could not register as a child subreaper (${native.strerror(err)}).\n` +
      "Zombie processes will not be re-parented to ts-init, so zombie reaping won't work.\n" +
      'To fix the problem, run ts-init as PID 1 (for example as the ENTRYPOINT of a container).',
  );
}

/** Subreaper, parent-death signal: what must hold before the child exists. Throws FatalError. */
function prepareInit(native: Native, config: Config): void {
  setUpSubreaper(native, config);
  if (config.parentDeathSignal !== undefined) {
    const err = native.setParentDeathSignal(config.parentDeathSignal);
    if (err !== 0) throw new FatalError(`Failed to set up parent death signal ${signalName(config.parentDeathSignal)}: ${native.strerror(err)}`);
  }
}

/** Starts the program; throws FatalError (127/126 as tini, 1 otherwise) when it cannot. */
function spawnProgram(native: Native, config: Config, launch: Launch): number {
  const extraEnv = config.fixUser ? fixUser(native, config, launch.env) : new Map<string, Buffer>();
  if (log.enabled('trace')) traceHandOver(config, launch, extraEnv);
  const childPid = startChild(native, config.argv, launch, extraEnv);
  log.info(`Spawned child process '${config.argv[0]?.toString() ?? ''}' with pid '${childPid}'`, { child: childPid });
  return childPid;
}

/** -vvv: what the launcher recorded, and what the child is started with. */
function traceHandOver(config: Config, launch: Launch, extraEnv: ReadonlyMap<string, Buffer>): void {
  const names = (signals: readonly number[]): string => (signals.length === 0 ? 'none' : signals.map(signalName).join(' '));
  log.trace(
    `Hand-over from the ${launch.kind} launcher: blocked signals ${names(launch.blocked)}; ignored signals ${names(launch.ignored)}; descriptors ${launch.fds.join(' ')}`,
    {
      blocked: launch.blocked,
      ignored: launch.ignored,
    },
  );
  const argv = config.argv.map((a) => `'${printable(a)}'`).join(' ');
  log.trace(`Spawning ${argv} with ${childEnvironment(launch.env, extraEnv).length} environment variables, in a process group of its own`);
}

/**
 * `entry`: the file Node ran, the bundle (compiled launcher) or bin/ts-init
 * (sh launcher). `codeCache`: what became of V8's code cache for the bundle
 * (src/init/entry.cjs), said at -vvv.
 */
export function run(packageRoot: string, entry: LauncherEntry = 'bundle', codeCache?: string): void {
  // First: catch signals before anything else can take time.
  const forwarder = new Forwarder();

  let launch: Launch;
  try {
    launch = readLaunch(entry);
  } catch (error) {
    if (!(error instanceof FatalError)) throw error;
    writeFd(2, `ts-init: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const parsed = parseArgs(launch.args, launch.env);
  if (parsed.kind === 'error' && parsed.logFormat === 'json') {
    // Asked for JSON: the one line a log collector can parse, without the usage text.
    log.configure('fatal', 'json', packageRoot);
    log.fatal(parsed.message, { usageError: true });
    process.exit(1);
  }
  if (parsed.kind !== 'run') {
    const { fd, text, code } = answer(parsed, packageRoot, launch.kind);
    writeFd(fd, text);
    process.exit(code);
  }
  const config = parsed.config;
  log.configure(levelForVerbosity(config.verbosity), config.logFormat, packageRoot);
  for (const note of launch.notes) log.info(note);
  if (codeCache !== undefined) log.trace(`Code cache: ${codeCache}`);

  let native: Native | undefined;
  try {
    native = loadNative(packageRoot);
    forwarder.attachNative(native, process.pid === 1);
    prepareInit(native, config);
    const childPid = spawnProgram(native, config, launch);
    const guard = guardChild(native, childPid);
    process.on('uncaughtException', (error) => {
      log.fatal(`internal error: ${error.stack ?? error.message}`);
      process.exit(1); // signal-exit's guard kills the child's group on the way out
    });
    const supervised = native;
    void supervise(supervised, config, forwarder, childPid, guard).then((code) => exitAfterShutdown(supervised, guard, code));
  } catch (error) {
    // Catatonit's rule: bail during set-up; once the child runs, only warn.
    if (!(error instanceof FatalError)) throw error;
    log.fatal(error.message);
    if (native === undefined) process.exit(error.exitCode);
    exitNow(native, error.exitCode);
  }
}

/** The guard stays armed until the clean-up is over: if ts-init died during it, the child's group was still killed. */
function exitAfterShutdown(native: Native, guard: Guard, code: number): never {
  log.info(`Exiting with status ${code}`, { code });
  guard.disarm();
  exitNow(native, code);
}

/**
 * _exit(2) through the addon: Node's own exit tears V8 down (~17 ms) for
 * nothing. Under V8 coverage (the test suite sets NODE_V8_COVERAGE) that
 * teardown is where coverage is written, so write it first.
 */
function exitNow(native: Native, code: number): never {
  // Loaded only here: requiring node:v8 costs ~2 ms of start-up.
  if (process.env.NODE_V8_COVERAGE !== undefined) process.getBuiltinModule('node:v8').takeCoverage();
  native.exit(code);
}

/**
 * The loop, driven by the event loop: forward signals to the child, reap on
 * SIGCHLD and on a slow sweep, and when the main child is reaped, clean up
 * the rest. Resolves with the status ts-init exits with.
 */
function supervise(native: Native, config: Config, forwarder: Forwarder, childPid: number, guard: Guard): Promise<number> {
  const reaper = new Reaper(native, config.warnOnReap);
  const killAfter = config.killAfterMs !== undefined ? new KillAfter(native, childPid, config.killAfterMs) : undefined;
  const shutdown = new Shutdown(native, { gracePeriodMs: config.gracePeriodMs, pid1: process.pid === 1, reap: () => reaper.reap() });

  return new Promise((resolve) => {
    const finish = (status: ChildStatus): void => {
      guard.childReaped(() => shutdown.killProvablyOurs());
      log.info(`Main child ${describeStatus(status)}`, { child: childPid, status });
      const code = exitCodeFor(status, config.remapToZero);
      killAfter?.cancel();
      if (config.gracePeriodMs === 0) {
        resolve(code); // tini's behaviour: the rest is left to the kernel
        return;
      }
      // The main child's pid may be reused from now on: nothing more goes to it.
      forwarder.forwardTo((signal) => shutdown.ignoreSignal(signal));
      shutdown.start(() => resolve(code));
    };

    const reapAll = (): void => {
      reaper.reap();
      shutdown.check();
    };
    reaper.watch(childPid, finish);
    forwarder.onChildSignal(reapAll);
    forwarder.forwardTo((signal) => {
      if (log.enabled('trace')) log.trace(`Received ${signalName(signal)}`, { signal });
      killAfter?.onSignal(signal);
      const sent = rewriteSignal(config.rewrites, signal);
      if (sent !== signal) {
        log.info(sent === 0 ? `Dropping ${signalName(signal)} (rewritten to 0)` : `Rewriting ${signalName(signal)} to ${signalName(sent)}`, {
          signal,
          rewrittenTo: sent,
        });
      }
      if (sent !== 0) sendSignal(native, childPid, config.killProcessGroup, sent);
    });
    setInterval(reapAll, SWEEP_INTERVAL_MS);
    reaper.reap(); // the child may be gone already
  });
}
