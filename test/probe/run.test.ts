// The probe's verdicts on real programs run as PID 1 of a fresh PID
// namespace: known-good entrypoints pass, each known-bad one fails for the
// reason it is known to be bad.
import { createServer } from 'node:net';
import t from 'tap';
import { probe, ProbeEnvironmentError } from '../../src/index.js';
import { fixture, PYTHON, TS_INIT, TS_INIT_SH } from '../helpers/harness.js';
import { exit, reaping, stop } from './helpers/checks.js';

// Short settle and stop timeouts keep the known-bad cases (each waits for
// its SIGKILL) to a few seconds.
const FAST = { settleMs: 300, stopTimeoutMs: 2000, orphans: 6, reapTimeoutMs: 1500 } as const;

// Each probe runs in a namespace of its own and waits out its timeouts
// (a known-bad PID 1 waits for its SIGKILL): four at a time.
t.jobs = 4;

/** A TCP port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

t.test('known good: ts-init in front of a program reaps, stops on SIGTERM, exits 143', async (t) => {
  const report = await probe({ ...FAST, command: [TS_INIT, '--', 'sleep', '100'] });
  const run = report.runs[0];
  t.equal(run?.start.verdict, 'pass', 'started');
  const r = reaping(run);
  t.equal(r.verdict, 'pass', `reaping: ${r.summary}`);
  t.equal(r.created, FAST.orphans, 'every orphan was made');
  t.equal(r.reaped, r.created, 'and every one reaped');
  t.equal(r.zombiesLeft, 0);
  const s = stop(run);
  t.equal(s.verdict, 'pass', `stop: ${s.summary}`);
  t.equal(s.killed, false, 'no SIGKILL needed');
  t.equal(s.pid1CatchesSigterm, true, 'ts-init listens for SIGTERM');
  t.equal(exit(run).runtimeCode, 143, 'the program died of the forwarded SIGTERM');
  t.equal(exit(run).verdict, 'pass');
  t.equal(report.passed, true);
  t.equal(report.exitCode, 0);
});

t.test('known bad: sleep as PID 1 never reaps and ignores SIGTERM', async (t) => {
  const report = await probe({ ...FAST, command: ['sleep', '100'] });
  const run = report.runs[0];
  const r = reaping(run);
  t.equal(r.verdict, 'fail', `reaping: ${r.summary}`);
  t.equal(r.created, FAST.orphans);
  t.equal(r.reaped, 0, 'not one orphan reaped');
  t.equal(r.zombiesLeft, FAST.orphans, 'all of them left as zombies');
  t.equal(r.maxZombiesAtOnce, FAST.orphans, 'the zombies accumulated');
  const s = stop(run);
  t.equal(s.verdict, 'fail', `stop: ${s.summary}`);
  t.equal(s.killed, true, 'SIGKILLed after the stop timeout');
  t.equal(s.pid1CatchesSigterm, false, 'sleep has no handler');
  t.match(s.summary, /ignored SIGTERM/);
  t.equal(exit(run).runtimeCode, 137, 'a runtime would show 137');
  t.equal(exit(run).verdict, 'fail');
  t.equal(report.exitCode, 1);
  t.match(report.advice.join('\n'), /ENTRYPOINT \["ts-init", "--"\]/, 'advises ts-init');
  t.match(report.advice.join('\n'), /no SIGTERM handler/);
});

t.test('known bad: a Node server with no SIGTERM listener ignores docker stop', async (t) => {
  const port = await freePort();
  const report = await probe({ ...FAST, readyPort: port, command: ['node', fixture('probe-server.cjs'), String(port)] });
  const run = report.runs[0];
  t.equal(run?.start.verdict, 'pass', `up: ${run?.start.summary ?? ''}`);
  t.equal(run?.start.readiness.how, 'port');
  const s = stop(run);
  t.equal(s.verdict, 'fail', `stop: ${s.summary}`);
  t.equal(s.killed, true);
  t.equal(s.pid1CatchesSigterm, true, "Node's own handler catches SIGTERM, then drops it as PID 1");
  t.match(report.advice.join('\n'), /process\.on\('SIGTERM'/, 'advises a listener');
  t.equal(reaping(run).verdict, 'fail', 'Node waits only for its own children');
  t.equal(report.exitCode, 1);
});

t.test('a Node server that handles SIGTERM stops cleanly with 0', async (t) => {
  const port = await freePort();
  const report = await probe({
    ...FAST,
    readyUrl: `http://127.0.0.1:${port}/`,
    command: ['node', fixture('probe-server.cjs'), String(port), '--handle-sigterm'],
  });
  const run = report.runs[0];
  t.equal(run?.start.readiness.how, 'url');
  t.equal(run?.start.verdict, 'pass', `answered: ${run?.start.summary ?? ''}`);
  t.equal(stop(run).verdict, 'pass', `stop: ${stop(run).summary}`);
  t.equal(exit(run).runtimeCode, 0);
  t.equal(exit(run).verdict, 'pass');
});

t.test('known bad: sh -c without exec reaps but ignores SIGTERM', async (t) => {
  const report = await probe({ ...FAST, command: ['sh', '-c', 'sleep 100; echo done'] });
  const run = report.runs[0];
  t.equal(reaping(run).verdict, 'pass', `the shell's wait() collects orphans: ${reaping(run).summary}`);
  t.equal(stop(run).verdict, 'fail', `stop: ${stop(run).summary}`);
  t.equal(stop(run).killed, true);
  t.same(run?.pid1?.children, ['sleep'], "the command runs as the shell's child");
  t.match(report.advice.join('\n'), /`sh -c` command needs `exec`/);
  t.equal(report.exitCode, 1);
});

t.test('known bad: a shell script that starts its server without exec; ts-init fixes it', async (t) => {
  const port = await freePort();
  const report = await probe({ ...FAST, readyPort: port, withInit: true, command: [fixture('probe-no-exec.sh'), String(port)] });
  const [asIs, withInit] = report.runs;
  t.equal(asIs?.label, 'as-is');
  t.equal(stop(asIs).verdict, 'fail', `as PID 1: ${stop(asIs).summary}`);
  t.equal(exit(asIs).runtimeCode, 137);
  t.same(asIs?.pid1?.children, ['node'], "the server is the shell's child");
  const advice = report.advice.join('\n');
  t.match(advice, /shell script \(probe-no-exec\.sh\) needs `exec`/);
  t.match(advice, /with ts-init: stopped in \d+ ms/, 'shows that the init fixes it');
  t.equal(withInit?.label, 'with-init');
  t.equal(stop(withInit).verdict, 'pass', `behind ts-init: ${stop(withInit).summary}`);
  t.equal(reaping(withInit).verdict, 'pass');
  t.equal(exit(withInit).runtimeCode, 143);
  t.equal(report.exitCode, 1, 'the as-is run failed');
});

t.test('a PID 1 that reaps once a second passes, flagged as periodic', async (t) => {
  const report = await probe({ ...FAST, command: [PYTHON, fixture('probe-periodic-reaper.py')] });
  const r = reaping(report.runs[0]);
  t.equal(r.verdict, 'pass', r.summary);
  t.equal(r.zombiesLeft, 0);
  t.equal(r.periodic, true, 'zombies waited for the timer');
  t.ok(r.maxZombiesAtOnce > 1, `zombies piled up between rounds (max ${r.maxZombiesAtOnce})`);
  t.match(report.advice.join('\n'), /reaps on a timer/);
  t.equal(stop(report.runs[0]).verdict, 'pass');
  t.equal(report.exitCode, 0);
});

t.test('--uid runs PROGRAM as a numeric user with no passwd entry; ts-init --fix-user gives it a name', async (t) => {
  const report = await probe({ ...FAST, uid: 54321, withInit: true, command: ['sleep', '100'] });
  const [asIs, withInit] = report.runs;
  const user = asIs?.user;
  t.ok(user, 'the user check ran');
  t.equal(user?.verdict, 'pass', user?.summary ?? '');
  t.same(user?.actual, { uid: 54321, gid: 0 }, 'group 0 by default, as OpenShift');
  t.not(user?.idUn?.exitCode, 0, '`id -un` finds no name');
  t.match(user?.idUn?.output ?? '', /54321/);
  t.equal(user?.getent?.exitCode, 2, '`getent passwd` has no entry');
  // The probe runs its own package's bin/ts-init (in a checkout, the sh launcher).
  t.match(
    withInit?.argv ?? [],
    ['setpriv', /--reuid=54321/, /--regid=0/, '--clear-groups', '--', TS_INIT_SH, '--fix-user', '--', 'sleep'],
    'the init runs as that user, with --fix-user',
  );
  t.same(withInit?.user?.actual, { uid: 54321, gid: 0 }, "PROGRAM itself (the init's child) runs as that user");
  t.equal(withInit?.user?.idUn?.exitCode, 0, `behind ts-init --fix-user \`id -un\` answers: ${withInit?.user?.idUn?.output ?? ''}`);
  t.match(withInit?.user?.getent?.output ?? '', /^[^:]+:x:54321:0:/, 'and getent finds an entry');
  t.match(report.advice.join('\n'), /no passwd entry .*behind ts-init --fix-user/);
  t.equal(reaping(withInit).verdict, 'pass', 'ts-init reaps as a non-root PID 1 too');
});

t.test('a server that never opens its port fails the start check; the other checks still run', async (t) => {
  const port = await freePort();
  const report = await probe({ ...FAST, readyPort: port, readyTimeoutMs: 500, command: [TS_INIT, '--', 'sleep', '100'] });
  const run = report.runs[0];
  t.equal(run?.start.verdict, 'fail');
  t.match(run?.start.summary ?? '', /not ready within 0\.5 s/);
  t.equal(run?.start.readiness.ready, false);
  t.equal(reaping(run).verdict, 'pass');
  t.equal(stop(run).verdict, 'pass');
  t.equal(report.exitCode, 1);
  t.match(report.advice.join('\n'), /never became ready/);
});

t.test('a program that exits at once fails the start check; the rest is skipped', async (t) => {
  const report = await probe({ ...FAST, command: ['sh', '-c', 'exit 3'] });
  const run = report.runs[0];
  t.equal(run?.start.verdict, 'fail');
  t.match(run?.start.summary ?? '', /exited on its own .*exit status 3/);
  t.same(run?.start.earlyExit, { code: 3, signal: undefined });
  t.equal(run?.reaping.verdict, 'skip');
  t.equal(run?.stop.verdict, 'skip');
  t.equal(report.exitCode, 1);
});

t.test('a program that cannot be executed is an environment error', async (t) => {
  await t.rejects(probe({ command: ['/nonexistent/program'] }), ProbeEnvironmentError);
  await t.rejects(probe({ command: ['no-such-program-xyz'] }), { message: /not found on PATH/ });
  await t.rejects(probe({ command: [fixture('probe-server.cjs')] }), { message: /permission denied/ }, 'not executable');
  await t.rejects(probe({ command: ['/tmp'] }), { message: /not a regular file/ });
});

t.test('options out of range through the API are rejected before anything runs', async (t) => {
  await t.rejects(probe({ command: ['sleep', '1'], orphans: 0 }), RangeError);
  await t.rejects(probe({ command: ['sleep', '1'], stopTimeoutMs: -1 }), { message: /stopTimeoutMs must be/ });
  await t.rejects(probe({ command: ['sleep', '1'], gid: 5 }), { message: /gid needs uid/ });
});

// Issue 12, defect 10: under load the probe looked at PROGRAM during its
// execve(), when /proc shows no argv and no environment yet, took that for
// PROGRAM and ran the lookups in an empty environment (no nss_wrapper):
// "id: cannot find name for user ID 54321". The fixture holds that state
// from its start-up until 4 s, so the probe, looking after a 2 s settle,
// meets it every time.
t.test('--uid --with-init: PROGRAM caught in the middle of its exec is waited for, not taken as it is', async (t) => {
  const report = await probe({ ...FAST, settleMs: 2000, uid: 54321, withInit: true, command: [PYTHON, fixture('probe-mid-exec.py'), '4', 'sleep', '100'] });
  const withInit = report.runs[1];
  t.equal(withInit?.user?.idUn?.exitCode, 0, `behind ts-init --fix-user \`id -un\` answers: ${withInit?.user?.idUn?.output ?? ''}`);
  t.match(withInit?.user?.getent?.output ?? '', /^[^:]+:x:54321:0:/, 'and getent finds an entry');
  t.same(withInit?.pid1?.children, ['sleep'], 'PROGRAM is the program it became');
});

t.test("--uid: an entrypoint that is itself an init (ts-init --fix-user): the lookups run in its child's environment", async (t) => {
  // No settle time: the checks start while ts-init is still starting; its child is waited for.
  const report = await probe({ ...FAST, settleMs: 0, uid: 54321, command: [TS_INIT, '--fix-user', '--', 'sleep', '100'] });
  const user = report.runs[0]?.user;
  t.equal(user?.idUn?.exitCode, 0, `\`id -un\` answers: ${user?.idUn?.output ?? ''}`);
  t.equal(user?.home?.writable, true, 'HOME is the writable one ts-init made');
  t.equal(report.runs[0]?.pid1?.children.includes('sleep'), true);
});
