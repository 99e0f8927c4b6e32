// The measurements, each over a list of contenders ("variants": an
// argv prefix that runs a command under that init), interleaved so that a
// shared machine's load falls on every contender alike. Used by run.js (the
// peers) and flags.js (ts-init under different Node flags).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, exitOf, median, nsArgv, nsPid1, quantile, sleep, snapshot, start, stop, waitFor } from './lib.js';

const SIGUSR1 = 10;
const SIGRT_LATENCY = 37; // SIGRTMIN+3: the addon's real-time path
const SIGRT_BURST = 39; // SIGRTMIN+5: queued, so none may be lost
const SIGTERM = 15;

// ---- 1. start-up ----------------------------------------------------------------

export async function startupScenario(ctx, extra = []) {
  const { variants, opts, TOOLS, ENV, NODE } = ctx;
  const rows = [...variants.map((v) => ({ id: v.id, argv: nsArgv([...v.prefix, 'true']) })), { id: 'node', argv: nsArgv([NODE, '-e', '0']) }, ...extra];
  const args = ['startup', String(opts.startupRuns + 1)];
  rows.forEach((r, i) => args.push(...(i > 0 ? ['::'] : []), ...r.argv));
  const out = spawnSync(TOOLS, args, { env: ENV, encoding: 'utf8', maxBuffer: 1 << 24 });
  const times = rows.map(() => []);
  const cpu = rows.map(() => []);
  const failures = rows.map(() => 0);
  out.stdout
    .trim()
    .split('\n')
    .slice(rows.length) // the first round warms the page cache; dropped
    .forEach((line) => {
      const [idx, ns, code, cpuUs] = line.split(' ').map(Number);
      times[idx].push(ns / 1e6);
      cpu[idx].push(cpuUs / 1e3);
      if (code !== 0) failures[idx]++;
    });
  const result = {};
  rows.forEach((r, i) => {
    result[r.id] = {
      medianMs: median(times[i]),
      p90Ms: quantile(times[i], 0.9),
      // user + system time of the whole tree (unshare, init, child): robust to other load
      cpuMedianMs: median(cpu[i]),
      runs: times[i].length,
      failures: failures[i],
    };
  });
  return result;
}

// ---- 2. idle footprint --------------------------------------------------------

export async function idleScenario(ctx) {
  const { variants, opts, ENV, NODE } = ctx;
  const rows = [
    ...variants.map((v) => ({ id: v.id, argv: nsArgv([...v.prefix, 'sleep', '3600']), init: v.id !== 'none' })),
    { id: 'node', argv: nsArgv([NODE, '-e', 'setInterval(() => {}, 1e9)']), init: false },
  ];
  // All at once: they are idle, and the same window covers every contender.
  const procs = rows.map((r) => start(r.argv, { env: ENV }));
  try {
    const pids = await Promise.all(procs.map((p) => nsPid1(p)));
    await Promise.all(
      rows.map(async (r, i) => {
        if (r.init) await waitFor(() => childrenOf(pids[i]).length > 0, 20_000, `${r.id}'s child`);
      }),
    );
    await sleep(opts.settleMs);
    const before = pids.map(snapshot);
    const t0 = process.hrtime.bigint();
    await sleep(opts.idleSeconds * 1000);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = pids.map(snapshot);
    const result = {};
    rows.forEach((r, i) => {
      result[r.id] = {
        rssMiB: after[i].rssKiB / 1024,
        hwmMiB: after[i].hwmKiB / 1024,
        anonMiB: after[i].anonKiB / 1024,
        threads: after[i].threads,
        cpuMs: (after[i].cpuNs - before[i].cpuNs) / 1e6,
        wakeupsPerSec: (after[i].switches - before[i].switches) / seconds,
        voluntaryPerSec: (after[i].voluntary - before[i].voluntary) / seconds,
        windowSec: seconds,
      };
    });
    return result;
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
  }
}

// ---- 3. signal forwarding ----------------------------------------------------------

/** Reads the 16-byte {sig, pad, ns} records that `tools sigchild` writes. */
class Records {
  constructor(stream) {
    this.buf = Buffer.alloc(0);
    this.queue = [];
    this.wake = undefined;
    stream.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 16) {
        this.queue.push({ sig: this.buf.readInt32LE(0), ns: this.buf.readBigInt64LE(8) });
        this.buf = this.buf.subarray(16);
      }
      this.wake?.();
    });
  }

  async next(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
    return this.queue.shift();
  }
}

export async function signalScenario(ctx) {
  const { variants, opts, TOOLS, ENV } = ctx;
  const procs = variants.map((v) => start(nsArgv([...v.prefix, TOOLS, 'sigchild']), { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] }));
  try {
    const records = procs.map((p) => new Records(p.stdout));
    for (const [i, r] of records.entries()) {
      const ready = await r.next(30_000);
      if (ready?.sig !== 0) throw new Error(`${variants[i].id}: the signal child did not start`);
    }
    const pids = await Promise.all(procs.map((p) => nsPid1(p)));
    await sleep(300);
    const lat = variants.map(() => ({ named: [], rt: [], sent: 0, lost: 0 }));
    for (let n = 0; n < opts.signals; n++) {
      const sig = n % 2 === 0 ? SIGUSR1 : SIGRT_LATENCY;
      // Interleaved: one signal to each contender in turn, waiting for each.
      for (let k = 0; k < variants.length; k++) {
        const i = (k + n) % variants.length;
        records[i].queue.length = 0;
        lat[i].sent++;
        const t0 = process.hrtime.bigint();
        process.kill(pids[i], sig);
        const rec = await records[i].next(1000);
        if (rec === undefined || rec.sig !== sig) {
          lat[i].lost++;
          continue;
        }
        (sig === SIGUSR1 ? lat[i].named : lat[i].rt).push(Number(rec.ns - t0) / 1000);
      }
    }
    // A burst of one real-time signal: the kernel queues each, so each must arrive.
    const burst = [];
    for (let i = 0; i < variants.length; i++) {
      records[i].queue.length = 0;
      for (let b = 0; b < opts.burst; b++) process.kill(pids[i], SIGRT_BURST);
      await sleep(500);
      burst.push(records[i].queue.filter((r) => r.sig === SIGRT_BURST).length);
    }
    const result = {};
    variants.forEach((v, i) => {
      const all = [...lat[i].named, ...lat[i].rt];
      result[v.id] = {
        medianUs: median(all),
        p99Us: quantile(all, 0.99),
        namedMedianUs: median(lat[i].named),
        namedP99Us: quantile(lat[i].named, 0.99),
        rtMedianUs: median(lat[i].rt),
        rtP99Us: quantile(lat[i].rt, 0.99),
        sent: lat[i].sent,
        delivered: lat[i].sent - lat[i].lost,
        burstSent: opts.burst,
        burstDelivered: burst[i],
      };
    });
    // SIGTERM goes through each init to the child, which exits; its init follows.
    for (const pid of pids) process.kill(pid, SIGTERM);
    await Promise.all(procs.map((p) => exitOf(p, 5000)));
    return result;
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
  }
}

// ---- 4. orphan storm ------------------------------------------------------------

export async function stormScenario(ctx) {
  const { variants, opts, TOOLS, ENV, log } = ctx;
  const runs = variants.map(() => []);
  for (let rep = 0; rep < opts.stormReps; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + rep) % variants.length;
      const v = variants[i];
      // Sampling every 200 µs; 2 s after the storm, whatever is left stays left.
      const p = start(nsArgv([...v.prefix, TOOLS, 'storm', String(opts.orphans), '200', '2000']), { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (c) => {
        out += c;
      });
      const code = await exitOf(p, 300_000);
      await stop(p);
      try {
        runs[i].push(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        log(`bench: ${v.id} storm gave no result (exit ${code})`);
      }
    }
  }
  const result = {};
  variants.forEach((v, i) => {
    const r = runs[i];
    const pick = (key) => median(r.map((x) => x[key]));
    const drained = r.filter((x) => x.drainMs >= 0);
    result[v.id] = {
      orphans: pick('orphans'),
      peakZombies: pick('peakZombies'),
      drainMs: drained.length === r.length ? median(drained.map((x) => x.drainMs)) : undefined,
      reapedPerSec: pick('reapedPerSec'),
      stormMs: pick('stormMs'),
      zombiesLeft: Math.max(...r.map((x) => x.zombiesLeft + x.othersLeft)),
      reps: r.length,
    };
  });
  return result;
}

// ---- 6. early-SIGTERM window -------------------------------------------------------

/**
 * As PID 1 of a fresh namespace, each contender gets SIGTERM at fixed delays
 * after its exec (`tools termat`); its program sleeps 0.5 s. Handled: the
 * signal reached the program (exit 143). Lost: the kernel dropped it, since a
 * namespace's PID 1 without a handler ignores SIGTERM, and Node resets
 * every disposition at start-up; the run then ends with the sleep (exit 0).
 * The window is the smallest delay from which on every run was handled.
 */
export async function termWindowScenario(ctx, contenders) {
  const { opts, TOOLS, ENV } = ctx;
  const delays = [];
  for (let d = 0; d <= opts.termMaxMs; d += opts.termStepMs) delays.push(d);
  const handled = contenders.map(() => delays.map(() => 0));
  const runs = contenders.map(() => delays.map(() => 0));
  for (let rep = 0; rep < opts.termReps; rep++) {
    for (const [j, d] of delays.entries()) {
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + rep + j) % contenders.length;
        const out = spawnSync(TOOLS, ['termat', String(d * 1000), ...contenders[i].argv], { env: ENV, encoding: 'utf8', timeout: 30_000 });
        const code = Number(out.stdout.trim().split(' ')[0]);
        runs[i][j]++;
        if (code === 143) handled[i][j]++;
      }
    }
  }
  // From which delay on were all runs (windowMs), and at least half (halfMs),
  // handled? On a loaded machine the first is set by the slowest start-up.
  const from = (i, enough) => {
    let at = 0;
    delays.forEach((d, j) => {
      if (!enough(handled[i][j], runs[i][j])) at = d + opts.termStepMs;
    });
    return at > opts.termMaxMs ? undefined : at;
  };
  const result = {};
  contenders.forEach((c, i) => {
    result[c.id] = {
      windowMs: from(i, (h, n) => h === n),
      halfMs: from(i, (h, n) => 2 * h >= n),
      handled: delays.map((d, j) => `${d}:${handled[i][j]}/${runs[i][j]}`).join(' '),
    };
  });
  return result;
}

// ---- 5. exit latency -------------------------------------------------------------

function lineFrom(stream, timeoutMs) {
  return new Promise((resolvePromise) => {
    let text = '';
    const t = setTimeout(() => resolvePromise(undefined), timeoutMs);
    const onData = (c) => {
      text += c;
      const nl = text.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(t);
        stream.off('data', onData);
        resolvePromise(text.slice(0, nl));
      }
    };
    stream.on('data', onData);
  });
}

export async function exitScenario(ctx) {
  const { variants, opts, TOOLS, ENV, work } = ctx;
  const times = variants.map(() => []);
  for (let run = 0; run < opts.exitRuns; run++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + run) % variants.length;
      const v = variants[i];
      const fifo = join(work, `go-${run}-${i}`);
      spawnSync('mkfifo', [fifo]);
      const p = start(nsArgv([...v.prefix, TOOLS, 'exitchild', fifo]), { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
      const childLine = lineFrom(p.stdout, 30_000);
      let watcher;
      try {
        const pid1 = await nsPid1(p);
        if (v.id !== 'none') await waitFor(() => childrenOf(pid1).length > 0, 20_000, `${v.id}'s child`);
        await sleep(150); // let the init finish whatever follows the spawn
        watcher = start([TOOLS, 'pidwait', String(pid1)], { stdio: ['ignore', 'pipe', 'inherit'] });
        const ready = await lineFrom(watcher.stdout, 10_000);
        if (ready !== 'ready') throw new Error(`pidwait: ${ready}`);
        const initGone = lineFrom(watcher.stdout, 10_000);
        const fd = openSync(fifo, 'w');
        writeSync(fd, 'x');
        closeSync(fd);
        const [t0, t1] = await Promise.all([childLine, initGone]);
        if (t0 !== undefined && t1 !== undefined) times[i].push(Number(BigInt(t1) - BigInt(t0)) / 1e6);
      } finally {
        if (watcher !== undefined) await stop(watcher);
        await stop(p);
        rmSync(fifo, { force: true });
      }
    }
  }
  const result = {};
  variants.forEach((v, i) => {
    result[v.id] = { medianMs: median(times[i]), p90Ms: quantile(times[i], 0.9), runs: times[i].length };
  });
  return result;
}

// ---- 6. real-time burst, then SIGTERM -----------------------------------------

/**
 * COUNT queued SIGRTMIN+3 sent to the init as fast as a C loop can, then
 * SIGTERM; the child takes them one by one (blocked, sigtimedwait), so it
 * counts every one that reached it. Per contender: the median count and in
 * how many runs SIGTERM got through. An init that receives signals through
 * a bounded queue loses the tail of the burst, and SIGTERM with it.
 */
export async function burstScenario(ctx) {
  const { variants, opts, TOOLS, ENV } = ctx;
  const runs = variants.map(() => []);
  for (let rep = 0; rep < opts.rtBurstRuns; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + rep) % variants.length;
      const p = start(nsArgv([...variants[i].prefix, TOOLS, 'rtcount', String(SIGRT_LATENCY), '1500']), { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const ready = await lineFrom(p.stdout, 30_000);
        if (ready !== 'ready') continue;
        const pid1 = await nsPid1(p);
        const result = lineFrom(p.stdout, 60_000);
        spawnSync(TOOLS, ['burst', String(pid1), String(opts.rtBurst), String(SIGRT_LATENCY)]);
        const line = await result;
        const [, count, , term] = (line ?? '').split(' ');
        if (line !== undefined) runs[i].push({ count: Number(count), term: Number(term) > 0 });
      } finally {
        await stop(p);
      }
    }
  }
  const result = {};
  variants.forEach((v, i) => {
    result[v.id] = {
      sent: opts.rtBurst,
      deliveredMedian: median(runs[i].map((r) => r.count)),
      deliveredMin: Math.min(...runs[i].map((r) => r.count)),
      termHandled: runs[i].filter((r) => r.term).length,
      runs: runs[i].length,
    };
  });
  return result;
}
