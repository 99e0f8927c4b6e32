// Small helpers for the benchmark driver: statistics, /proc readers, process
// plumbing. Plain ESM so the bench runs on a fresh clone without a compile
// step of its own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Compiles bench/tools.c into a fresh temporary directory: nothing prebuilt to ship. */
export function compileTools(root) {
  const work = mkdtempSync(join(tmpdir(), 'ts-init-bench-'));
  const TOOLS = join(work, 'tools');
  const cc = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', TOOLS, join(root, 'bench/tools.c')], { stdio: 'inherit' });
  if (cc.status !== 0) {
    process.stderr.write('bench: could not compile bench/tools.c (a C compiler is needed)\n');
    process.exit(1);
  }
  return { work, TOOLS };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(values) {
  return quantile(values, 0.5);
}

/** Nearest-rank quantile; undefined for an empty list. */
export function quantile(values, q) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  if (q === 0.5 && v.length % 2 === 0) return (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
}

/** Runs `argv` as PID 1 of a fresh PID namespace; the namespace dies with unshare. */
export function nsArgv(argv) {
  return ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', '--', ...argv];
}

// ts-init's own /proc reader and PATH lookup (npm run bench builds dist/ first).
import { which as whichOnPath } from '../dist/shared/path.js';
export { childrenOf } from '../dist/shared/proc.js';
import { childrenOf } from '../dist/shared/proc.js';

export async function waitFor(check, timeoutMs, what, everyMs = 5) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Host pid of the namespace's PID 1 under an unshare process. */
export function nsPid1(unshare, timeoutMs = 20_000) {
  return waitFor(() => childrenOf(unshare.pid)[0], timeoutMs, 'the namespace PID 1');
}

function statusFields(path) {
  const out = {};
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
  } catch {
    // the task is gone
  }
  return out;
}

/**
 * Footprint of a process: memory from /proc/PID/status, and CPU time and
 * context switches summed over every thread (a wake-up of any thread counts).
 */
export function snapshot(pid) {
  const main = statusFields(`/proc/${pid}/status`);
  let cpuNs = 0;
  let voluntary = 0;
  let switches = 0;
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    // gone
  }
  for (const tid of tasks) {
    const st = statusFields(`/proc/${pid}/task/${tid}/status`);
    voluntary += Number(st.voluntary_ctxt_switches ?? 0);
    switches += Number(st.voluntary_ctxt_switches ?? 0) + Number(st.nonvoluntary_ctxt_switches ?? 0);
    try {
      // schedstat: nanoseconds on CPU, first field; finer than utime/stime ticks.
      cpuNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread ended between the two reads
    }
  }
  return {
    rssKiB: parseInt(main.VmRSS ?? '0', 10),
    anonKiB: parseInt(main.RssAnon ?? '0', 10),
    hwmKiB: parseInt(main.VmHWM ?? '0', 10),
    threads: Number(main.Threads ?? tasks.length),
    cpuNs,
    switches,
    voluntary,
  };
}

/** Spawns a long-lived process; stdio defaults to ignored. */
export function start(argv, options = {}) {
  return spawn(argv[0], argv.slice(1), { stdio: 'ignore', ...options });
}

/** Sends SIGKILL to an unshare process (its namespace dies with it) and waits. */
export async function stop(proc, timeoutMs = 5000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const done = exitOf(proc, timeoutMs);
  proc.kill('SIGKILL');
  await done;
}

export function exitOf(proc, timeoutMs) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode ?? proc.signalCode);
  return new Promise((r) => {
    // A pending timer would keep the bench alive after its last scenario.
    const t = setTimeout(() => r('timeout'), timeoutMs);
    proc.once('exit', (code, sig) => {
      clearTimeout(t);
      r(code ?? sig);
    });
  });
}

/** Absolute path of an executable on PATH or in the usual places (catatonit hides in podman's libexec), or undefined. */
export function which(name) {
  return whichOnPath(name, [process.env.PATH ?? '', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/libexec/podman'].join(':'));
}
