// `npm run bench`: ts-init against the real peers (Debian's tini, dumb-init,
// catatonit) and a "no init" baseline, each as PID 1 of a fresh PID
// namespace, all measured in the same run and interleaved so that the load
// of a shared machine falls on every contender alike. Ratios are the result;
// absolute times depend on the machine.
//
//   node bench/run.js [--quick] [--runs N] [--orphans N] [--storm-reps N] [--out FILE]
//                     [--only startup,idle,signals,burst,storm,exit,termWindow] [--compare DIR]
//
// --compare DIR adds another checkout's build (DIR/build/launcher/bin/ts-init, else DIR/bin/ts-init; e.g. main in
// a git worktree) as the column "before", measured in the same run.
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTools, nsArgv, which } from './lib.js';
import { burstScenario, exitScenario, idleScenario, signalScenario, startupScenario, stormScenario, termWindowScenario } from './scenarios.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// What installs get: the compiled launcher (npm run bench builds this
// checkout's, build/launcher/); the sh launcher is measured beside it.
const TS_INIT_SH = join(ROOT, 'bin/ts-init');
const TS_INIT_COMPILED = join(ROOT, 'build/launcher/bin/ts-init');
const TS_INIT = existsSync(TS_INIT_COMPILED) ? TS_INIT_COMPILED : TS_INIT_SH;
const BUNDLE = join(ROOT, 'dist/ts-init.cjs');
const BARE_INIT = join(ROOT, 'bench/bare-init.cjs');
const NODE = process.execPath;

// ---- options -----------------------------------------------------------------

function options(argv) {
  const o = {
    quick: false,
    runs: undefined,
    orphans: undefined,
    stormReps: undefined,
    out: join(ROOT, 'bench/results/latest.json'),
    only: undefined,
    compare: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--runs') o.runs = Number(argv[++i]);
    else if (argv[i] === '--out') o.out = resolve(argv[++i]);
    else if (argv[i] === '--orphans') o.orphans = Number(argv[++i]);
    else if (argv[i] === '--storm-reps') o.stormReps = Number(argv[++i]);
    else if (argv[i] === '--only') o.only = argv[++i].split(',');
    else if (argv[i] === '--compare') o.compare = resolve(argv[++i]);
    else {
      process.stderr.write('usage: node bench/run.js [--quick] [--runs N] [--orphans N] [--storm-reps N] [--out FILE] [--only LIST] [--compare DIR]\n');
      process.exit(2);
    }
  }
  const base = o.quick
    ? {
        startupRuns: 8,
        idleSeconds: 3,
        settleMs: 1500,
        signals: 60,
        burst: 32,
        rtBurst: 10_000,
        rtBurstRuns: 2,
        orphans: 300,
        stormReps: 1,
        exitRuns: 5,
        termReps: 1,
        termStepMs: 10,
        termMaxMs: 200,
      }
    : {
        startupRuns: 30,
        idleSeconds: 10,
        settleMs: 3000,
        signals: 300,
        burst: 32,
        rtBurst: 10_000,
        rtBurstRuns: 6,
        orphans: 1000,
        stormReps: 2,
        exitRuns: 15,
        termReps: 3,
        termStepMs: 5,
        termMaxMs: 200,
      };
  if (o.runs !== undefined && o.runs > 0) {
    base.startupRuns = o.runs;
    base.exitRuns = Math.max(3, Math.round(o.runs / 2));
  }
  // The storm's length is the machine's fork rate: ~7 ms per double fork on
  // the shared 2-core VM, so 1000 orphans x 2 repetitions is most of the run.
  if (o.orphans === undefined) delete o.orphans;
  if (o.stormReps === undefined) delete o.stormReps;
  if (o.only === undefined) delete o.only;
  return { ...base, ...o };
}

const opts = options(process.argv.slice(2));
const log = (line) => process.stderr.write(`${line}\n`);
// The launcher runs `node` from PATH; make it the same Node as every other row.
const ENV = { ...process.env, TS_INIT_NODE: NODE };
delete ENV.NODE_OPTIONS;
// Makes every Node parse a CA bundle at start-up (tens of ms): set on some
// build machines, rare in containers, and it would inflate the node -e 0 floor.
delete ENV.NODE_EXTRA_CA_CERTS;

// ---- contenders -----------------------------------------------------------------

const variants = [{ id: 'none', prefix: [] }];
const skipped = [];
for (const name of ['tini', 'dumb-init', 'catatonit']) {
  const path = which(name);
  if (path === undefined) skipped.push(name);
  else variants.push({ id: name, prefix: [path, '--'] });
}
variants.push({ id: 'ts-init', prefix: [TS_INIT, '--'] });
if (opts.compare !== undefined) {
  // The other checkout's launcher of the same kind as ours, so that only the init differs.
  const compiled = join(opts.compare, 'build/launcher/bin/ts-init');
  const before = TS_INIT === TS_INIT_COMPILED && existsSync(compiled) ? compiled : join(opts.compare, 'bin/ts-init');
  variants.push({ id: 'before', prefix: [before, '--'] });
}
const PEERS = variants.filter((v) => !['ts-init', 'none', 'before'].includes(v.id)).map((v) => v.id);

const { work, TOOLS } = compileTools(ROOT);
const ctx = { variants, opts, TOOLS, ENV, NODE, TS_INIT, work, log };
// The launchers alone: each execs a "node" that is `true` (a symlink in a
// prefix with the real Node's node_version.h, so the version probe reads
// what it reads in production), against `true` under the same `env`.
const FAKE_NODE = join(work, 'fake-node/bin/node');
{
  mkdirSync(dirname(FAKE_NODE), { recursive: true });
  symlinkSync(which('true') ?? '/bin/true', FAKE_NODE);
  const header = join(dirname(dirname(realpathSync(NODE))), 'include/node/node_version.h');
  if (existsSync(header)) {
    mkdirSync(join(work, 'fake-node/include/node'), { recursive: true });
    copyFileSync(header, join(work, 'fake-node/include/node/node_version.h'));
  }
}
const withFakeNode = (argv) => nsArgv(['env', `TS_INIT_NODE=${FAKE_NODE}`, ...argv]);
const EXTRA_STARTUP = [
  { id: 'ts-init-sh', argv: nsArgv([TS_INIT_SH, '--', 'true']) },
  { id: 'ts-init-no-launcher', argv: nsArgv([NODE, '--v8-pool-size=1', BUNDLE, '--', 'true']) },
  { id: 'bare-node-init', argv: nsArgv([NODE, BARE_INIT, 'true']) },
  { id: 'env-true', argv: withFakeNode(['true']) },
  { id: 'launcher-compiled', argv: withFakeNode([TS_INIT_COMPILED, '--', 'true']) },
  { id: 'launcher-sh', argv: withFakeNode([TS_INIT_SH, '--', 'true']) },
];
// The early-SIGTERM window: each contender's program sleeps 0.5 s.
const TERM_CONTENDERS = [
  ...(which('tini') ? [{ id: 'tini', argv: [which('tini'), '--', 'sleep', '0.5'] }] : []),
  { id: 'node', argv: [NODE, BARE_INIT, 'sleep', '0.5'] },
  { id: 'ts-init', argv: [TS_INIT, '--', 'sleep', '0.5'] },
  { id: 'ts-init-sh', argv: [TS_INIT_SH, '--', 'sleep', '0.5'] },
];

// ---- report -----------------------------------------------------------------------

const COLUMNS = ['none', 'node', ...PEERS, ...(opts.compare !== undefined ? ['before'] : []), 'ts-init'];
const SCENARIOS = ['startup', 'idle', 'signals', 'burst', 'storm', 'exit', 'termWindow'];
// With --only, the figures of the scenarios not run are left out.
const withAll = (results) => ({ ...Object.fromEntries(SCENARIOS.map((k) => [k, {}])), ...results });

function fmt(value, digits) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  return Number(value).toFixed(digits);
}

function ratio(a, b) {
  if (a === undefined || b === undefined || b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

function table(results) {
  const s = withAll(results);
  const rows = [];
  const row = (figure, unit, get, digits, ratioTo = PEERS) => {
    const values = Object.fromEntries(COLUMNS.map((c) => [c, get(c)]));
    rows.push({ figure: `${figure} (${unit})`, values, digits, ratioTo });
  };
  row('start-up, INIT -- true', 'ms', (c) => s.startup[c]?.medianMs, 1, ['node', ...PEERS]);
  row('  CPU time (user+sys)', 'ms', (c) => s.startup[c]?.cpuMedianMs, 1, ['node', ...PEERS]);
  row('idle VmRSS', 'MiB', (c) => s.idle[c]?.rssMiB, 1, ['node', ...PEERS]);
  row('  of which anonymous (RssAnon)', 'MiB', (c) => s.idle[c]?.anonMiB, 1, ['node', ...PEERS]);
  row('idle VmHWM', 'MiB', (c) => s.idle[c]?.hwmMiB, 1, ['node', ...PEERS]);
  row('threads', 'n', (c) => s.idle[c]?.threads, 0, ['node', ...PEERS]);
  row(`CPU over ${fmt(s.idle['ts-init']?.windowSec, 0)} s idle`, 'ms', (c) => s.idle[c]?.cpuMs, 2, ['node', ...PEERS]);
  row('idle wake-ups (all context switches)', '/s', (c) => s.idle[c]?.wakeupsPerSec, 2, ['node', ...PEERS]);
  row('  of which voluntary (blocking waits)', '/s', (c) => s.idle[c]?.voluntaryPerSec, 2, ['node', ...PEERS]);
  row('signal latency, median', 'µs', (c) => s.signals[c]?.medianUs, 0);
  row('signal latency, p99', 'µs', (c) => s.signals[c]?.p99Us, 0);
  row('  named (SIGUSR1), p99', 'µs', (c) => s.signals[c]?.namedP99Us, 0);
  row('  real-time (RTMIN+3), p99', 'µs', (c) => s.signals[c]?.rtP99Us, 0);
  row('signals delivered', `of ${opts.signals}`, (c) => s.signals[c]?.delivered, 0);
  row('RT burst delivered', `of ${opts.burst}`, (c) => s.signals[c]?.burstDelivered, 0);
  row(`${opts.rtBurst} queued SIGRTMIN+3: reached the child, median`, 'n', (c) => s.burst[c]?.deliveredMedian, 0);
  row('  fewest in one run', 'n', (c) => s.burst[c]?.deliveredMin, 0);
  row('  SIGTERM after them handled', `runs of ${opts.rtBurstRuns}`, (c) => s.burst[c]?.termHandled, 0);
  row(`storm (${opts.orphans} orphans): peak zombies`, 'n', (c) => s.storm[c]?.peakZombies, 1);
  row('storm: end → zero zombies', 'ms', (c) => s.storm[c]?.drainMs, 2);
  row('storm: orphans reaped', '/s', (c) => s.storm[c]?.reapedPerSec, 0);
  row('storm: zombies left', 'n', (c) => s.storm[c]?.zombiesLeft, 0);
  row('exit latency, child _exit → init gone', 'ms', (c) => s.exit[c]?.medianMs, 2);

  const ratioCols = ['node', ...PEERS].map((p) => `÷ ${p}`);
  const header = ['figure', ...COLUMNS.map((c) => (c === 'none' ? 'no init' : c === 'before' ? 'ts-init before' : c)), ...ratioCols];
  const lines = [header, header.map(() => '---')];
  for (const r of rows) {
    if (COLUMNS.every((c) => r.values[c] === undefined)) continue; // a scenario left out with --only
    const ts = r.values['ts-init'];
    lines.push([
      r.figure,
      ...COLUMNS.map((c) => fmt(r.values[c], r.digits)),
      ...['node', ...PEERS].map((p) => (r.ratioTo.includes(p) ? ratio(ts, r.values[p]) : '')),
    ]);
  }
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

function targets(results) {
  const s = withAll(results);
  const ts = (k) => s[k]['ts-init'];
  const out = [];
  const check = (ok, text) => out.push(`${ok ? 'met   ' : 'MISSED'} ${text}`);
  if (ts('startup') !== undefined) startupTargets(s, ts, check, out);
  if (Object.keys(s.termWindow).length > 0) termWindowTargets(s, check, out);
  if (ts('idle') !== undefined) {
    const mem = ts('idle').rssMiB - s.idle.node?.rssMiB;
    check(mem <= 6, `idle RSS ≤ idle node + 6 MiB: ${mem >= 0 ? '+' : ''}${mem.toFixed(1)} MiB`);
  }
  if (s.storm.tini !== undefined && ts('storm') !== undefined) {
    const st = ts('storm');
    check(st.peakZombies <= s.storm.tini.peakZombies, `storm peak zombies ≤ tini's: ${st.peakZombies} vs ${s.storm.tini.peakZombies}`);
    check(
      st.drainMs !== undefined && st.drainMs <= s.storm.tini.drainMs + 5,
      `storm drain ≤ tini's + 5 ms: ${fmt(st.drainMs, 2)} vs ${fmt(s.storm.tini.drainMs, 2)} ms`,
    );
    check(st.zombiesLeft === 0, `storm zombies left = 0: ${st.zombiesLeft}`);
  }
  const sg = ts('signals');
  if (sg !== undefined) {
    check(
      sg.p99Us < 2000 && sg.delivered === sg.sent && sg.burstDelivered === sg.burstSent,
      `signal p99 < 2 ms, none lost: ${fmt(sg.p99Us, 0)} µs, ${sg.delivered}/${sg.sent}, burst ${sg.burstDelivered}/${sg.burstSent}`,
    );
  }
  const b = ts('burst');
  if (b !== undefined) {
    const tini = s.burst.tini;
    check(
      b.deliveredMin === b.sent && b.termHandled === b.runs,
      `${b.sent} queued RT signals all reach the child and SIGTERM after them is handled: fewest ${b.deliveredMin}, SIGTERM ${b.termHandled}/${b.runs}` +
        (tini !== undefined ? ` (tini: fewest ${tini.deliveredMin}, SIGTERM ${tini.termHandled}/${tini.runs})` : ''),
    );
  }
  if (s.idle.tini !== undefined && ts('idle') !== undefined) {
    const w = ts('idle').wakeupsPerSec;
    check(w <= s.idle.tini.wakeupsPerSec * 1.05 + 0.05, `idle wake-ups ≤ tini's: ${w.toFixed(2)}/s vs ${s.idle.tini.wakeupsPerSec.toFixed(2)}/s`);
  }
  return out.join('\n');
}

function startupTargets(s, ts, check, out) {
  const su = ts('startup')?.medianMs / s.startup.node?.medianMs;
  const suCpu = ts('startup')?.cpuMedianMs / s.startup.node?.cpuMedianMs;
  check(su <= 1.15, `start-up ≤ 1.15× node -e 0: ${su.toFixed(2)}× wall, ${suCpu.toFixed(2)}× CPU`);
  const st = s.startup;
  const bare = ts('startup')?.medianMs / st['bare-node-init']?.medianMs;
  const bareCpu = ts('startup')?.cpuMedianMs / st['bare-node-init']?.cpuMedianMs;
  check(bare <= 1.05, `start-up ≤ 1.05× a bare Node init that spawns its argv (bench/bare-init.cjs): ${bare.toFixed(2)}× wall, ${bareCpu.toFixed(2)}× CPU`);
  for (const [id, name] of [
    ['launcher-compiled', 'the compiled launcher'],
    ['launcher-sh', 'the sh launcher'],
  ]) {
    out.push(
      `       ${name} alone (its node is true): +${fmt(st[id].medianMs - st['env-true'].medianMs, 2)} ms wall, +${fmt(st[id].cpuMedianMs - st['env-true'].cpuMedianMs, 2)} ms CPU over plain true`,
    );
  }
  out.push(
    `       ts-init -- true: ${fmt(ts('startup').medianMs, 1)} ms (${TS_INIT === TS_INIT_COMPILED ? 'compiled' : 'sh'} launcher), ${fmt(st['ts-init-sh'].medianMs, 1)} ms (sh launcher), ` +
      `${fmt(st['ts-init-no-launcher'].medianMs, 1)} ms (no launcher); bare Node init ${fmt(st['bare-node-init'].medianMs, 1)} ms, ${fmt(st['bare-node-init'].cpuMedianMs, 1)} ms CPU`,
  );
}

function termWindowTargets(s, check, out) {
  const tw = s.termWindow;
  check(
    tw['ts-init']?.windowMs !== undefined && tw.node?.windowMs !== undefined && tw['ts-init'].windowMs <= tw.node.windowMs + 5,
    `early-SIGTERM window ≤ a bare Node init's + 5 ms: ts-init ${fmt(tw['ts-init']?.windowMs, 0)} ms, bare Node ${fmt(tw.node?.windowMs, 0)} ms ` +
      `(sh launcher ${fmt(tw['ts-init-sh']?.windowMs, 0)} ms, tini ${fmt(tw.tini?.windowMs, 0)} ms; step ${opts.termStepMs} ms, ${opts.termReps} run(s) per delay)`,
  );
  out.push(
    `       handled in at least half the runs from: ts-init ${fmt(tw['ts-init']?.halfMs, 0)} ms, bare Node ${fmt(tw.node?.halfMs, 0)} ms, ` +
      `sh launcher ${fmt(tw['ts-init-sh']?.halfMs, 0)} ms, tini ${fmt(tw.tini?.halfMs, 0)} ms (per-delay counts in the JSON)`,
  );
}

// ---- main ------------------------------------------------------------------------

async function main() {
  if (skipped.length > 0) log(`bench: not installed, skipped: ${skipped.join(', ')} (apt-get install ${skipped.join(' ')})`);
  const results = {};
  const began = Date.now();
  for (const [name, fn] of [
    ['startup', (c) => startupScenario(c, EXTRA_STARTUP)],
    ['idle', idleScenario],
    ['signals', signalScenario],
    ['burst', burstScenario],
    ['storm', stormScenario],
    ['exit', exitScenario],
    ['termWindow', (c) => termWindowScenario(c, TERM_CONTENDERS)],
  ]) {
    if (opts.only !== undefined && !opts.only.includes(name)) continue;
    const t = Date.now();
    log(`bench: ${name}…`);
    results[name] = await fn(ctx);
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
  process.stdout.write(
    `\nts-init benchmark, ${report.date}: ${cpus().length} × ${cpuModel}, Linux ${release()}, Node ${process.version}, load ${report.machine.load}\n\n`,
  );
  process.stdout.write(`${table(results)}\n\n${targets(results)}\n\n`);
  process.stdout.write(`JSON: ${opts.out}\n`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
