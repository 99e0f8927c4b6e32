// `node bench/flags.js [--runs N] [FLAGS...]`: what each Node/V8 flag buys
// ts-init, one flag set at a time, interleaved in the same run against the
// launcher's defaults and an idle `node`: start-up, idle memory and threads,
// exit latency. Every flag set is also checked for behaviour (exit status
// passed through, SIGTERM forwarded, nothing printed) before it is measured,
// since a flag that prints a warning or breaks forwarding is no use to an init.
//
// Each extra argument is one flag set ("--v8-pool-size=1 --jitless"); with
// none, the list below is tried. A V8 flag (--max-semi-space-size, --jitless…)
// makes V8 refuse the code cache made without it (dist/ts-init-main.cache),
// so its start-up figure includes compiling the bundle from source: compare
// it with the defaults run with `rm dist/ts-init-main.cache`, or make the cache
// under that flag, before reading a start-up difference as the flag's.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTools, nsArgv } from './lib.js';
import { exitScenario, idleScenario, startupScenario } from './scenarios.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TS_INIT = join(ROOT, 'bin/ts-init');
const NODE = process.execPath;

const CANDIDATES = [
  '--v8-pool-size=1',
  '--single-threaded',
  '--max-semi-space-size=1',
  '--max-old-space-size=16',
  '--no-opt',
  '--lite-mode --no-expose-wasm',
  '--jitless --no-expose-wasm',
];

const args = process.argv.slice(2);
let runs = 20;
const sets = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else sets.push(args[i]);
}
const flagSets = ['', ...(sets.length > 0 ? sets : CANDIDATES)];
const ENV = { ...process.env, TS_INIT_NODE: NODE };
delete ENV.NODE_OPTIONS;
delete ENV.NODE_EXTRA_CA_CERTS; // see run.js
delete ENV.TS_INIT_NODE_FLAGS;

/** Exit status passed through, SIGTERM forwarded (143), and a silent stderr. */
function behaves(flags) {
  const env = { ...ENV, TS_INIT_NODE_FLAGS: flags };
  const exit3 = spawnSync(TS_INIT, ['--', 'sh', '-c', 'exit 3'], { env, encoding: 'utf8' });
  const term = spawnSync(TS_INIT, ['--', 'sh', '-c', 'kill -TERM $PPID; sleep 5'], { env, encoding: 'utf8', timeout: 20_000 });
  const problems = [];
  if (exit3.status !== 3) problems.push(`exit 3 gave ${exit3.status}`);
  if (term.status !== 143) problems.push(`SIGTERM gave ${term.status}`);
  const noise = `${exit3.stderr}${term.stderr}`.trim();
  if (noise !== '') problems.push(`stderr: ${noise.split('\n')[0]}`);
  return problems;
}

const variants = [];
for (const flags of flagSets) {
  const problems = behaves(flags);
  if (problems.length > 0) {
    process.stderr.write(`flags: '${flags}' rejected: ${problems.join('; ')}\n`);
    continue;
  }
  // env(1) execs, so ts-init is still PID 1; the base row pays the same exec.
  variants.push({ id: flags === '' ? '(launcher default)' : flags, prefix: ['env', `TS_INIT_NODE_FLAGS=${flags}`, TS_INIT, '--'] });
}

const { work, TOOLS } = compileTools(ROOT);
const opts = { startupRuns: runs, exitRuns: Math.max(5, Math.round(runs / 2)), idleSeconds: 2, settleMs: 3000 };
const ctx = { variants, opts, TOOLS, ENV, NODE, TS_INIT, work, log: (l) => process.stderr.write(`${l}\n`) };
try {
  const startup = await startupScenario(ctx, [{ id: 'node', argv: nsArgv([NODE, '-e', '0']) }]);
  const idle = await idleScenario(ctx);
  const exit = await exitScenario(ctx);
  const base = variants[0].id;
  const pct = (a, b) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
  const lines = [
    `| flags | start-up ms | ÷ node -e 0 | vs default | start-up CPU ms | vs default | RSS MiB | RssAnon MiB | threads | exit latency ms | vs default |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const v of variants) {
    const s = startup[v.id].medianMs;
    const c = startup[v.id].cpuMedianMs;
    const m = idle[v.id];
    const e = exit[v.id].medianMs;
    lines.push(
      `| ${v.id} | ${s.toFixed(1)} | ${(s / startup.node.medianMs).toFixed(2)}× | ${pct(s, startup[base].medianMs)} | ${c.toFixed(1)} | ${pct(c, startup[base].cpuMedianMs)} | ${m.rssMiB.toFixed(1)} | ${m.anonMiB.toFixed(1)} | ${m.threads} | ${e.toFixed(2)} | ${pct(e, exit[base].medianMs)} |`,
    );
  }
  const n = idle.node;
  lines.push(
    `| idle node (reference) | ${startup.node.medianMs.toFixed(1)} | 1.00× | | ${startup.node.cpuMedianMs.toFixed(1)} | | ${n.rssMiB.toFixed(1)} | ${n.anonMiB.toFixed(1)} | ${n.threads} | | |`,
  );
  process.stdout.write(`${lines.join('\n')}\n(median of ${runs} start-ups and ${opts.exitRuns} exits per row, interleaved)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
