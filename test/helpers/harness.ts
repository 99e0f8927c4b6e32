// The zombie-reaping test harness: runs ts-init (or a peer) as PID 1 of a
// fresh PID namespace, watches processes through /proc, and bounds every
// wait so that a hung child fails a test instead of hanging CI.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type ResultPromise } from 'execa';
import { which } from '../../src/shared/path.js';
import { childrenOf, stateOf } from '../../src/shared/proc.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The POSIX sh fallback launcher, as committed (installs replace it with the compiled one where it runs). */
export const TS_INIT_SH = join(ROOT, 'bin/ts-init');
/** The compiled launcher of this checkout (scripts/build-launcher.js, run by npm run build). */
export const TS_INIT_COMPILED = join(ROOT, 'build/launcher/bin/ts-init');
/** What the suite runs: the compiled launcher, as installs get it; TS_INIT_TEST_LAUNCHER=sh for the fallback. */
export const TS_INIT = process.env.TS_INIT_TEST_LAUNCHER === 'sh' ? TS_INIT_SH : TS_INIT_COMPILED;
if (!existsSync(TS_INIT)) throw new Error(`${TS_INIT} is missing: run npm run build (it builds the compiled launcher with musl-gcc or cc)`);
export const FIXTURES = join(ROOT, 'test/fixtures');
/** Debian's python3: the fixtures catch real-time signals, which Node cannot. */
export const PYTHON = '/usr/bin/python3';
export const fixture = (name: string): string => join(FIXTURES, name);

// Under tap's coverage, ts-init and the probe run as subprocesses: they write
// their V8 coverage (NODE_V8_COVERAGE) into a directory any UID can write to
// (tests run ts-init as uid 10000 too), moved to where tap collects the test
// processes' own when this test process exits. The report then covers
// src/init as well, mapped back from the bundle through its source map.
/**
 * A subprocess's V8 coverage, less Node's own modules: each ts-init writes
 * ~200 KB, nearly all of it node:internal/*, and a run makes a thousand of
 * them; the report only ever uses the scripts of this package.
 */
function ownCoverage(json: string): string {
  const coverage = JSON.parse(json) as { result: { url: string }[]; 'source-map-cache'?: Record<string, unknown> };
  const ours = (url: string): boolean => url.startsWith(`file://${ROOT}/`) && !url.includes('/node_modules/');
  coverage.result = coverage.result.filter((script) => ours(script.url));
  const maps = coverage['source-map-cache'];
  if (maps !== undefined) coverage['source-map-cache'] = Object.fromEntries(Object.entries(maps).filter(([url]) => ours(url)));
  return JSON.stringify(coverage);
}

if (process.env._TAPJS_PROCESSINFO_COVERAGE_ === '1') {
  const collected = join(ROOT, '.tap/coverage');
  const shared = mkdtempSync(join(tmpdir(), 'ts-init-coverage-'));
  chmodSync(shared, 0o1777);
  process.env.NODE_V8_COVERAGE = shared;
  process.on('exit', () => {
    try {
      mkdirSync(collected, { recursive: true });
      for (const file of readdirSync(shared)) writeFileSync(join(collected, `subprocess-${file}`), ownCoverage(readFileSync(join(shared, file), 'utf8')));
    } catch (error) {
      // Coverage is a report, not a verdict: never fail a test over it.
      process.stderr.write(`# subprocess coverage not collected: ${String(error)}\n`);
    }
    rmSync(shared, { recursive: true, force: true });
  });
}

/** Every process a test starts is killed with SIGKILL when its time is up. */
const BASE: Options = { reject: false, timeout: 60_000, killSignal: 'SIGKILL', stdin: 'ignore', buffer: true, stripFinalNewline: false };

export function run(file: string, args: readonly string[], options: Options = {}): ResultPromise {
  return execa(file, args, { ...BASE, ...options });
}

export function tsInit(args: readonly string[], options: Options = {}): ResultPromise {
  return run(TS_INIT, args, options);
}

/**
 * Runs `file args` as PID 1 of a new PID namespace with its own /proc.
 * --kill-child: if unshare dies (test timeout), the namespace dies with it.
 */
export function asPid1(file: string, args: readonly string[], options: Options = {}): ResultPromise {
  return run('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', '--', file, ...args], options);
}

// The /proc readers are ts-init's own (one implementation for src, tests and bench).
export { childrenOf, descendantPids as descendantsOf, rssKiB, stateOf, statusField, zombieChildren } from '../../src/shared/proc.js';

export function processExists(pid: number): boolean {
  return stateOf(pid) !== undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined/false; throws after timeoutMs. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Host pid of the namespace's PID 1 started by asPid1. */
export function nsInitPid(proc: ResultPromise, timeoutMs = 10_000): Promise<number> {
  const unsharePid = proc.pid;
  if (unsharePid === undefined) throw new Error('unshare did not start');
  return waitFor(() => childrenOf(unsharePid)[0], timeoutMs, 'the namespace PID 1');
}

/** Accumulates a process's output and waits for a line matching a pattern. */
export class Output {
  text = '';
  constructor(proc: ResultPromise, stream: 'stdout' | 'stderr' = 'stdout') {
    proc[stream]?.on('data', (chunk: Buffer) => {
      this.text += chunk.toString();
    });
  }

  lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }

  waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(() => this.lines().find((l) => pattern.test(l)), timeoutMs, `a line matching ${pattern} in:\n${this.text}`);
  }

  count(pattern: RegExp): number {
    return this.lines().filter((l) => pattern.test(l)).length;
  }
}

/** Whether anything listens on 9229, Node's inspector port (0x240D; state 0A = LISTEN). */
export function inspectorListening(): boolean {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      if (
        readFileSync(file, 'utf8')
          .split('\n')
          .some((l) => /:240D \S+ 0A /.test(l))
      )
        return true;
    } catch {
      // no IPv6
    }
  }
  return false;
}

/** Which of tini's peers are installed (from Debian's packages; catatonit hides in podman's libexec). */
export function peer(name: 'tini' | 'dumb-init' | 'catatonit'): string | undefined {
  return which(name, '/usr/bin:/usr/sbin:/usr/local/bin:/usr/libexec/podman');
}
