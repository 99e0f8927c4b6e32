// `npm run bench`: ts-init against the real peers (Debian's tini, dumb-init,
// catatonit) and a "no init" baseline, each as PID 1 of a fresh PID
// namespace, all measured in the same run and interleaved so that the load
// of a shared machine falls on every contender alike. Ratios are the result;
// absolute times depend on the machine.
//
//   node bench/run.js [--quick] [--runs N] [--out FILE]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childrenOf, exitOf, median, nsArgv, nsPid1, quantile, sleep, snapshot, start, stop, waitFor, which } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TS_INIT = join(ROOT, 'bin/ts-init');
const NODE = process.execPath;
const SIGUSR1 = 10;
const SIGRT_LATENCY = 37; // SIGRTMIN+3: the addon's real-time path
const SIGRT_BURST = 39; // SIGRTMIN+5: queued, so none may be lost
const SIGTERM = 15;

// ---- options -----------------------------------------------------------------

function options(argv) {
  const o = { quick: false, runs: undefined, out: join(ROOT, 'bench/results/latest.json') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--runs') o.runs = Number(argv[++i]);
    else if (argv[i] === '--out') o.out = resolve(argv[++i]);
    else {
      process.stderr.write('usage: node bench/run.js [--quick] [--runs N] [--out FILE]\n');
      process.exit(2);
    }
  }
  const base = o.quick
    ? { startupRuns: 8, idleSeconds: 3, settleMs: 1500, signals: 60, burst: 32, orphans: 300, stormReps: 1, exitRuns: 5 }
    : { startupRuns: 30, idleSeconds: 10, settleMs: 2000, signals: 300, burst: 32, orphans: 1000, stormReps: 2, exitRuns: 15 };
  if (o.runs !== undefined && o.runs > 0) {
    base.startupRuns = o.runs;
    base.exitRuns = Math.max(3, Math.round(o.runs / 2));
  }
  return { ...o, ...base };
}

const opts = options(process.argv.slice(2));
const log = (line) => process.stderr.write(`${line}\n`);
// The launcher runs `node` from PATH; make it the same Node as every other row.
const ENV = { ...process.env, TS_INIT_NODE: NODE };
delete ENV.NODE_OPTIONS;

// ---- contenders -----------------------------------------------------------------

const variants = [{ id: 'none', prefix: [] }];
const skipped = [];
for (const name of ['tini', 'dumb-init', 'catatonit']) {
  const path = which(name);
  if (path === undefined) skipped.push(name);
  else variants.push({ id: name, prefix: [path, '--'] });
}
variants.push({ id: 'ts-init', prefix: [TS_INIT, '--'] });
const PEERS = variants.filter((v) => v.id !== 'ts-init' && v.id !== 'none').map((v) => v.id);

// ---- the C helpers, compiled here so a fresh clone needs nothing prebuilt --------

const work = mkdtempSync(join(tmpdir(), 'ts-init-bench-'));
const TOOLS = join(work, 'tools');
{
  const cc = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', TOOLS, join(ROOT, 'bench/tools.c')], { stdio: 'inherit' });
  if (cc.status !== 0) {
    log('bench: could not compile bench/tools.c (a C compiler is needed)');
    process.exit(1);
  }
}

// ---- 1. start-up ----------------------------------------------------------------

async function startupScenario() {
  const rows = [
    ...variants.map((v) => ({ id: v.id, argv: nsArgv([...v.prefix, 'true']) })),
    { id: 'node', argv: nsArgv([NODE, '-e', '0']) },
    // The polyglot entry also runs as a plain CommonJS file: no sh in front.
    { id: 'ts-init-no-sh', argv: nsArgv([NODE, TS_INIT, '--', 'true']) },
  ];
  const args = ['startup', String(opts.startupRuns + 1)];
  rows.forEach((r, i) => args.push(...(i > 0 ? ['::'] : []), ...r.argv));
  const out = spawnSync(TOOLS, args, { env: ENV, encoding: 'utf8', maxBuffer: 1 << 24 });
  const times = rows.map(() => []);
  const failures = rows.map(() => 0);
  out.stdout
    .trim()
    .split('\n')
    .slice(rows.length) // the first round warms the page cache; dropped
    .forEach((line) => {
      const [idx, ns, code] = line.split(' ').map(Number);
      times[idx].push(ns / 1e6);
      if (code !== 0) failures[idx]++;
    });
  const result = {};
  rows.forEach((r, i) => {
    result[r.id] = { medianMs: median(times[i]), p90Ms: quantile(times[i], 0.9), runs: times[i].length, failures: failures[i] };
  });
  return result;
}

// ---- 2. idle footprint --------------------------------------------------------

async function idleScenario() {
  const rows = [
    ...variants.map((v) => ({ id: v.id, argv: nsArgv([...v.prefix, 'sleep', '3600']), init: v.id !== 'none' })),
    { id: 'node', argv: nsArgv([NODE, '-e', 'setInterval(() => {}, 1e9)']), init: false },
  ];
  // All at once: they are idle, and the same window covers every contender.
  const procs = rows.map((r) => start(r.argv, { env: ENV }));
  try {
    const pids = await Promise.all(procs.map((p) => nsPid1(p)));
    await Promise.all(rows.map((r, i) => (r.init ? waitFor(() => childrenOf(pids[i]).length > 0, 20_000, `${r.id}'s child`) : undefined)));
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
        threads: after[i].threads,
        cpuMs: (after[i].cpuNs - before[i].cpuNs) / 1e6,
        wakeupsPerSec: (after[i].switches - before[i].switches) / seconds,
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

async function signalScenario() {
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

async function stormScenario() {
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

async function exitScenario() {
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

// ---- report -----------------------------------------------------------------------

const COLUMNS = ['none', 'node', ...PEERS, 'ts-init'];

function fmt(value, digits) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  return Number(value).toFixed(digits);
}

function ratio(a, b) {
  if (a === undefined || b === undefined || b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

function table(results) {
  const s = results;
  const rows = [];
  const row = (figure, unit, get, digits, ratioTo = PEERS) => {
    const values = Object.fromEntries(COLUMNS.map((c) => [c, get(c)]));
    rows.push({ figure: `${figure} (${unit})`, values, digits, ratioTo });
  };
  row('start-up, INIT -- true', 'ms', (c) => s.startup[c]?.medianMs, 1, ['node', ...PEERS]);
  row('idle VmRSS', 'MiB', (c) => s.idle[c]?.rssMiB, 1, ['node', ...PEERS]);
  row('idle VmHWM', 'MiB', (c) => s.idle[c]?.hwmMiB, 1, ['node', ...PEERS]);
  row('threads', 'n', (c) => s.idle[c]?.threads, 0, ['node', ...PEERS]);
  row(`CPU over ${fmt(s.idle['ts-init']?.windowSec, 0)} s idle`, 'ms', (c) => s.idle[c]?.cpuMs, 2, ['node', ...PEERS]);
  row('idle wake-ups', '/s', (c) => s.idle[c]?.wakeupsPerSec, 2, ['node', ...PEERS]);
  row('signal latency, median', 'µs', (c) => s.signals[c]?.medianUs, 0);
  row('signal latency, p99', 'µs', (c) => s.signals[c]?.p99Us, 0);
  row('  named (SIGUSR1), p99', 'µs', (c) => s.signals[c]?.namedP99Us, 0);
  row('  real-time (RTMIN+3), p99', 'µs', (c) => s.signals[c]?.rtP99Us, 0);
  row('signals delivered', `of ${opts.signals}`, (c) => s.signals[c]?.delivered, 0);
  row('RT burst delivered', `of ${opts.burst}`, (c) => s.signals[c]?.burstDelivered, 0);
  row(`storm (${opts.orphans} orphans): peak zombies`, 'n', (c) => s.storm[c]?.peakZombies, 0);
  row('storm: end → zero zombies', 'ms', (c) => s.storm[c]?.drainMs, 2);
  row('storm: orphans reaped', '/s', (c) => s.storm[c]?.reapedPerSec, 0);
  row('storm: zombies left', 'n', (c) => s.storm[c]?.zombiesLeft, 0);
  row('exit latency, child _exit → init gone', 'ms', (c) => s.exit[c]?.medianMs, 2);

  const ratioCols = ['node', ...PEERS].map((p) => `÷ ${p}`);
  const header = ['figure', ...COLUMNS.map((c) => (c === 'none' ? 'no init' : c)), ...ratioCols];
  const lines = [header, header.map(() => '---')];
  for (const r of rows) {
    const ts = r.values['ts-init'];
    lines.push([
      r.figure,
      ...COLUMNS.map((c) => fmt(r.values[c], r.digits)),
      ...['node', ...PEERS].map((p) => (r.ratioTo.includes(p) ? ratio(ts, r.values[p]) : '')),
    ]);
  }
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

function targets(s) {
  const ts = (k) => s[k]['ts-init'];
  const out = [];
  const check = (ok, text) => out.push(`${ok ? 'met   ' : 'MISSED'} ${text}`);
  const su = ts('startup')?.medianMs / s.startup.node?.medianMs;
  check(su <= 1.15, `start-up ≤ 1.15× node -e 0: ${su.toFixed(2)}×`);
  const launcher = ts('startup')?.medianMs - s.startup['ts-init-no-sh']?.medianMs;
  out.push(`       (sh launcher's cost: ${launcher.toFixed(1)} ms, median with sh minus median without)`);
  const mem = ts('idle')?.rssMiB - s.idle.node?.rssMiB;
  check(mem <= 6, `idle RSS ≤ idle node + 6 MiB: ${mem >= 0 ? '+' : ''}${mem.toFixed(1)} MiB`);
  if (s.storm.tini !== undefined) {
    const st = ts('storm');
    check(st.peakZombies <= s.storm.tini.peakZombies, `storm peak zombies ≤ tini's: ${st.peakZombies} vs ${s.storm.tini.peakZombies}`);
    check(st.drainMs !== undefined && st.drainMs <= s.storm.tini.drainMs + 5, `storm drain ≤ tini's + 5 ms: ${fmt(st.drainMs, 2)} vs ${fmt(s.storm.tini.drainMs, 2)} ms`);
    check(st.zombiesLeft === 0, `storm zombies left = 0: ${st.zombiesLeft}`);
  }
  const sg = ts('signals');
  check(sg.p99Us < 2000 && sg.delivered === sg.sent && sg.burstDelivered === sg.burstSent, `signal p99 < 2 ms, none lost: ${fmt(sg.p99Us, 0)} µs, ${sg.delivered}/${sg.sent}, burst ${sg.burstDelivered}/${sg.burstSent}`);
  if (s.idle.tini !== undefined) {
    const w = ts('idle').wakeupsPerSec;
    check(w <= s.idle.tini.wakeupsPerSec * 1.05 + 0.05, `idle wake-ups ≤ tini's: ${w.toFixed(2)}/s vs ${s.idle.tini.wakeupsPerSec.toFixed(2)}/s`);
  }
  return out.join('\n');
}

// ---- main ------------------------------------------------------------------------

async function main() {
  if (skipped.length > 0) log(`bench: not installed, skipped: ${skipped.join(', ')} (apt-get install ${skipped.join(' ')})`);
  const results = {};
  const began = Date.now();
  for (const [name, fn] of [
    ['startup', startupScenario],
    ['idle', idleScenario],
    ['signals', signalScenario],
    ['storm', stormScenario],
    ['exit', exitScenario],
  ]) {
    const t = Date.now();
    log(`bench: ${name}…`);
    results[name] = await fn();
    log(`bench: ${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel, kernel: release(), node: process.version, load: readFileSync('/proc/loadavg', 'utf8').trim() },
    options: opts,
    skipped,
    results,
    seconds: (Date.now() - began) / 1000,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nts-init benchmark, ${report.date}: ${cpus().length} × ${cpuModel}, Linux ${release()}, Node ${process.version}, load ${report.machine.load}\n\n`);
  process.stdout.write(`${table(results)}\n\n${targets(results)}\n\n`);
  process.stdout.write(`start-up without the sh launcher (node bin/ts-init): ${fmt(results.startup['ts-init-no-sh']?.medianMs, 1)} ms; JSON: ${opts.out}\n`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
