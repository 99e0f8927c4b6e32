// ts-init-probe's command line: options, messages, and the documented exit
// statuses (0 all pass, 1 a check failed, 2 usage or environment error).
import { join } from 'node:path';
import t from 'tap';
import { probeMain } from '../../src/probe/cli.js';
import { parseDuration } from '../../src/shared/duration.js';
import { parseProbeArgs } from '../../src/probe/options.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { childrenOf, descendantsOf, processExists, ROOT, run, TS_INIT, waitFor, zombieChildren } from '../helpers/harness.js';
import { commOf } from '../../src/shared/proc.js';

const PROBE_BIN = join(ROOT, 'bin/ts-init-probe');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await probeMain(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

t.test("the package entry exports the probe API (import { probe } from 'ts-init-pid1')", async (t) => {
  const api = await import('../../src/index.js');
  const direct = await import('../../src/probe/run.js');
  const namespace = await import('../../src/probe/namespace.js');
  t.equal(api.probe, direct.probe);
  t.equal(api.ProbeEnvironmentError, namespace.ProbeEnvironmentError);
});

t.test('options are parsed up to PROGRAM', async (t) => {
  const r = parseProbeArgs(['--settle', '500ms', '--stop-timeout=2', '--uid', '1000', '--with-init', '--json', 'prog', '--settle', 'x']);
  t.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  t.same(r.options, { settleMs: 500, stopTimeoutMs: 2000, uid: 1000, gid: 0, withInit: true, command: ['prog', '--settle', 'x'] });
  t.equal(r.json, true);
  const image = parseProbeArgs([
    '--image',
    'myapp:1',
    '--engine=podman',
    '--engine-arg',
    '--network=none',
    '--engine-arg=-v=/x:/y',
    '--env',
    'A=1',
    '--env',
    'B=x=y',
    '--junit',
    'r.xml',
    '--',
    'sh',
    '-c',
    'x',
  ]);
  t.same(image.kind === 'run' ? [image.options, image.junit] : undefined, [
    { image: 'myapp:1', engine: 'podman', engineArgs: ['--network=none', '-v=/x:/y'], env: { A: '1', B: 'x=y' }, command: ['sh', '-c', 'x'] },
    'r.xml',
  ]);
  const imageOnly = parseProbeArgs(['--image', 'myapp:1']);
  t.same(imageOnly.kind === 'run' ? imageOnly.options.command : undefined, [], "no CMD: the image's own");
  const g = parseProbeArgs(['--uid', '1000:1000', '--', '--weird-program']);
  t.same(g.kind === 'run' ? [g.options.gid, g.options.command] : undefined, [1000, ['--weird-program']]);
  t.equal(parseDuration('10'), 10_000, 'plain numbers are seconds, as docker --stop-timeout');
  t.equal(parseDuration('0.5'), 500);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('2s'), 2000);
  t.equal(parseDuration('-1'), undefined);
});

t.test('bad options: one line saying what is wrong, the usage, exit 2', async (t) => {
  for (const [args, message] of [
    [[], /no PROGRAM given/],
    [['--bogus', 'sleep'], /unknown option '--bogus'/],
    [['--stop-timeout', 'soon', 'sleep'], /invalid --stop-timeout 'soon'/],
    [['--settle'], /option '--settle' needs a value/],
    [['--uid', 'root', 'sleep'], /invalid --uid 'root'/],
    [['--uid', '1:2:3', 'sleep'], /invalid --uid/],
    [['--ready-port', '70000', 'sleep'], /invalid --ready-port '70000'/],
    [['--ready-url', 'ftp://x/', 'sleep'], /invalid --ready-url/],
    [['--ready-url', 'http://127.0.0.1:1/', '--ready-port', '1', 'sleep'], /exclude each other/],
    [['--orphans', '0', 'sleep'], /invalid --orphans '0'/],
    [['--engine', 'podman', 'sleep'], /--engine needs --image/],
    [['--engine-arg', '--network=none', 'sleep'], /--engine-arg needs --image/],
    [['--image', 'x', '--engine', 'kubectl'], /invalid --engine 'kubectl' \(expected docker or podman\)/],
    [['--image', '--engine'], /invalid --image '--engine'/],
    [['--env', 'NOVALUE', 'sleep'], /invalid --env 'NOVALUE' \(expected NAME=VALUE\)/],
    [['--env', '=x', 'sleep'], /invalid --env '=x'/],
  ] as const) {
    const r = await cli([...args]);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.match(r.err.split('\n')[0] ?? '', message);
    t.match(r.err, /Usage: ts-init-probe/);
    t.equal(r.out, '', 'nothing on stdout');
  }
});

t.test('--help and --version exit 0 on stdout', async (t) => {
  const help = await cli(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /Usage: ts-init-probe \[OPTIONS\] \[--\] PROGRAM/);
  const version = await cli(['--version']);
  t.equal(version.code, 0);
  t.match(version.out, /^ts-init-probe version \d+\.\d+\.\d+/);
});

t.test('a program that cannot be executed: clear message, exit 2', async (t) => {
  const missing = await cli(['--', 'no-such-program-xyz']);
  t.equal(missing.code, 2);
  t.equal(missing.err, "ts-init-probe: cannot execute 'no-such-program-xyz': not found on PATH\n");
  const dir = await cli(['/tmp']);
  t.equal(dir.code, 2);
  t.match(dir.err, /cannot execute '\/tmp': not a regular file/);
});

t.test('no unshare on PATH: an environment error, exit 2', async (t) => {
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const r = await cli(['--', '/bin/sleep', '1']);
    t.equal(r.code, 2);
    t.match(r.err, /unshare \(util-linux\) is not installed/);
  } finally {
    process.env.PATH = saved;
  }
});

t.test('a program that exits at once: FAIL in the table, exit 1', async (t) => {
  const r = await cli(['--settle', '0.3', '--', 'true']);
  t.equal(r.code, 1);
  t.match(r.out, /start\s+FAIL\s+PID 1 exited on its own after \d+ ms \(exit status 0\)/);
  t.match(r.out, /reaping\s+SKIP/);
  t.match(r.out, /daemonizes/, 'an exit 0 at start-up suggests a program that forks into the background');
  t.match(r.out, /Result: FAIL/);
});

// Issue 14, item 5: a usage error prints its reason first and then the
// usage; the last lines alone say nothing about what was wrong.
t.test('PROGRAM fails with a usage error: Last output shows the line that says what was wrong', async (t) => {
  const r = await cli(['--settle', '0.3', '--', TS_INIT, '-Z', '--', 'sleep', '1']);
  t.equal(r.code, 1);
  const last = /Last output as PID 1:\n((?:  [|…].*\n)+)/.exec(r.out)?.[1] ?? '';
  t.match(last, /\| ts-init: invalid option -- 'Z'/, 'the reason');
  t.match(last, /127 when it is not found/, 'and still the last lines');
});

t.test('--junit FILE: one testcase per check, figures in system-out, failures with the advice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-probe-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'probe.xml');
  const r = await cli(['--junit', file, '--settle', '0.3', '--orphans', '3', '--reap-timeout', '0.5', '--stop-timeout', '1', '--', 'sleep', '100']);
  t.equal(r.code, 1);
  const xml = readFileSync(file, 'utf8');
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="ts-init-probe" tests="4" failures="3" errors="0" skipped="0">/);
  t.match(xml, /<testcase classname="ts-init-probe.as-is" name="start" time="\d+\.\d{3}">\n      <system-out>PASS: still running/);
  t.match(
    xml,
    /<testcase classname="ts-init-probe.as-is" name="reaping" time="[\d.]+">\n      <failure message="0\/3 reaped, 3 zombies left after 500 ms" type="fail">0\/3 reaped[^<]*Advice:\n- PID 1 \(sleep\) never waits/,
  );
  t.match(xml, /&quot;zombiesLeft&quot;:3/, 'the figures as JSON');
  const bad = await cli(['--junit', join(dir, 'no/such/dir/x.xml'), 'sleep', '1']);
  t.equal(bad.code, 2);
  t.match(bad.err, /^ts-init-probe: cannot write --junit file '.*x\.xml': ENOENT on its directory\n$/);
});

t.test('--env NAME=VALUE reaches PROGRAM', async (t) => {
  const r = await cli([
    '--env',
    'PROBE_TEST=yes',
    '--settle',
    '0.3',
    '--orphans',
    '1',
    '--reap-timeout',
    '0.5',
    '--stop-timeout',
    '0.5',
    '--',
    'sh',
    '-c',
    'test "$PROBE_TEST" = yes && exec sleep 100; exit 7',
  ]);
  t.match(r.out, /start\s+PASS/, r.out);
});

t.test('--json: the whole report, machine-readable', async (t) => {
  const r = await cli(['--json', '--settle', '0.3', '--orphans', '3', '--', TS_INIT, '--', 'sleep', '100']);
  t.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as {
    passed: boolean;
    exitCode: number;
    runs: { reaping: { verdict: string; created: number }; stop: { verdict: string }; exit: { runtimeCode: number } }[];
  };
  t.equal(report.passed, true);
  t.equal(report.exitCode, 0);
  t.equal(report.runs[0]?.reaping.verdict, 'pass');
  t.equal(report.runs[0]?.reaping.created, 3);
  t.equal(report.runs[0]?.stop.verdict, 'pass');
  t.equal(report.runs[0]?.exit.runtimeCode, 143);
});

t.test('the installed binary runs the built probe end to end', async (t) => {
  const r = await run(PROBE_BIN, ['--settle', '0.3', '--orphans', '3', '--reap-timeout', '0.5', '--stop-timeout', '1', '--with-init', '--', 'sleep', '100']);
  t.equal(r.exitCode, 1, 'sleep as PID 1 fails');
  const out = String(r.stdout);
  t.match(out, /check\s+as PID 1\s+behind ts-init/);
  t.match(out, /reaping\s+FAIL\s+0\/3 reaped, 3 zombies left.*PASS\s+3\/3 reaped/);
  t.match(out, /stop \(SIGTERM\)\s+FAIL\s+ignored SIGTERM.*PASS\s+stopped in \d+ ms/);
  t.match(out, /exit status\s+FAIL\s+137.*PASS\s+143/);
  t.match(out, /use ENTRYPOINT \["ts-init", "--"\]/);
});

t.test('an interrupted probe takes the namespace it probes down with it', async (t) => {
  const proc = run(PROBE_BIN, ['--', 'sleep', '100']);
  const probePid = proc.pid ?? 0;
  // The probe's unshare whose child, the namespace's PID 1, is sleep (not the preflight's `true`).
  const [holder, pid1] = await waitFor(
    () => {
      for (const pid of childrenOf(probePid)) {
        const child = childrenOf(pid)[0];
        if (commOf(pid) === 'unshare' && child !== undefined && commOf(child) === 'sleep') return [pid, child] as const;
      }
      return undefined;
    },
    20_000,
    'sleep as PID 1 of the probed namespace',
  );
  process.kill(probePid, 'SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 143);
  await waitFor(() => !processExists(pid1) && !processExists(holder), 10_000, 'the namespace to be gone');
  t.pass('nothing left behind');
});

/** The probe's unshare and the namespace's PID 1 once PID 1 runs `comm` (not the preflight's `true`). */
function probedNamespace(probePid: number, comm: string): Promise<readonly [number, number]> {
  return waitFor(
    () => {
      for (const pid of descendantsOf(probePid)) {
        const child = childrenOf(pid)[0];
        if (commOf(pid) === 'unshare' && child !== undefined && commOf(child) === comm) return [pid, child] as const;
      }
      return undefined;
    },
    20_000,
    `${comm} as PID 1 of the probed namespace`,
  );
}

// Issue 12, defect 9: SIGKILL (OOM killer, `timeout -s KILL`) gives the
// probe no chance to clean up, so the namespace must end by itself.
t.test('a SIGKILLed probe leaves no namespace running', async (t) => {
  const proc = run(PROBE_BIN, ['--', 'sleep', '4321']);
  const [holder, pid1] = await probedNamespace(proc.pid ?? 0, 'sleep');
  process.kill(proc.pid ?? 0, 'SIGKILL');
  await proc;
  await waitFor(() => !processExists(pid1) && !processExists(holder), 10_000, 'the namespace to be gone');
  t.pass('the namespace ended with the probe');
});

// Issue 12, defect 9: Ctrl-C in the middle of the reaping check, when the
// probe has files of its own in TMPDIR; process.exit() skipped their removal.
t.test('Ctrl-C during the checks: the probe removes what it made in TMPDIR', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ts-init-probe-test-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const proc = run(PROBE_BIN, ['--settle', '0.2', '--reap-timeout', '30', '--', 'sleep', '4322'], { env: { TMPDIR: tmp } });
  const [, pid1] = await probedNamespace(proc.pid ?? 0, 'sleep');
  // The orphans' zombies under PID 1: the reaping check is under way.
  await waitFor(() => zombieChildren(pid1).length > 0, 20_000, 'zombies under PID 1');
  process.kill(proc.pid ?? 0, 'SIGINT');
  const r = await proc;
  t.equal(r.exitCode, 130);
  t.same(readdirSync(tmp), [], 'nothing left in TMPDIR');
});

const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--'];
// A clone under /root (mode 0700) is out of nobody's reach: nothing can run as nobody then.
const nobodyReaches = (await run('setpriv', [...nobody, 'test', '-r', join(ROOT, 'node_modules/execa/package.json')])).exitCode === 0;

t.test('without root the probe uses an unprivileged user namespace', { skip: nobodyReaches ? false : `nobody cannot read ${ROOT}` }, async (t) => {
  const r = await run('setpriv', [...nobody, PROBE_BIN, '--json', '--settle', '0.3', '--orphans', '3', '--', TS_INIT, '--', 'sleep', '100'], {
    env: { HOME: '/tmp' },
    cwd: '/tmp',
  });
  // Where the kernel forbids user namespaces to unprivileged users, the probe must say so and exit 2.
  if (r.exitCode === 2) {
    t.match(String(r.stderr), /unprivileged user namespaces are unavailable/);
    return;
  }
  t.equal(r.exitCode, 0, String(r.stderr));
  const report = JSON.parse(String(r.stdout)) as { namespace: string; passed: boolean };
  t.equal(report.namespace, 'userns');
  t.equal(report.passed, true);
});
