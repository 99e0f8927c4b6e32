// -r FROM:TO: the child sees TO instead of FROM; TO = 0 drops FROM.
import t from 'tap';
import { asPid1, fixture, nsInitPid, Output, PYTHON, TS_INIT, tsInit } from '../helpers/harness.js';

t.test('the child sees the rewritten signal, and a rewrite to 0 drops the signal', async (t) => {
  const proc = tsInit(['-v', '-r', 'TERM:QUIT', '--rewrite', 'USR1:0', '--', PYTHON, fixture('catch.py'), '--exit-on', 'QUIT', 'TERM', 'USR1', 'USR2'], {
    timeout: 30_000,
  });
  const out = new Output(proc);
  await out.waitForLine(/^ready/);
  proc.kill('SIGUSR1');
  // USR2 is not rewritten: once the child has it, ts-init has dealt with
  // the USR1 sent before, so a forwarded USR1 would already be on its way.
  proc.kill('SIGUSR2');
  await out.waitForLine(/^got 12$/);
  proc.kill('SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 0, 'the child exited on SIGQUIT, as asked, with 0');
  t.same(
    out.lines().filter((l) => l.startsWith('got')),
    ['got 12', 'got 3'],
    'USR2 as is, TERM as QUIT, USR1 never',
  );
  t.match(String(r.stderr), /Dropping SIGUSR1 \(rewritten to 0\)/);
  t.match(String(r.stderr), /Rewriting SIGTERM to SIGQUIT/);
});

t.test('numbers and real-time signals, as PID 1 and with -g', async (t) => {
  const proc = asPid1(TS_INIT, ['-g', '-r', '15:3', '-rRTMIN+1:USR2', '--', PYTHON, fixture('catch.py'), '--exit-on', 'QUIT', 'USR2', 'RTMIN+1'], {
    timeout: 30_000,
  });
  const out = new Output(proc);
  await out.waitForLine(/^ready/);
  const init = await nsInitPid(proc);
  process.kill(init, 35); // SIGRTMIN+1
  await out.waitForLine(/^got 12$/);
  process.kill(init, 'SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 0);
  t.same(
    out.lines().filter((l) => l.startsWith('got')),
    ['got 12', 'got 3'],
    'RTMIN+1 arrived as USR2, 15 as 3',
  );
});

t.test('the last rule for a signal wins; unrelated signals pass unchanged', async (t) => {
  const proc = tsInit(['-r', 'HUP:USR1', '-r', 'HUP:USR2', '--', PYTHON, fixture('catch.py'), '--exit-on', 'TERM', 'HUP', 'USR1', 'USR2'], { timeout: 30_000 });
  const out = new Output(proc);
  await out.waitForLine(/^ready/);
  proc.kill('SIGHUP');
  await out.waitForLine(/^got 12$/);
  proc.kill('SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 0);
  t.same(
    out.lines().filter((l) => l.startsWith('got')),
    ['got 12', 'got 15'],
  );
});

t.test('bad rules are usage errors', async (t) => {
  for (const [rule, message] of [
    ['TERM', /invalid rewrite: 'TERM' \(expected FROM:TO/],
    ['TERM:', /invalid rewrite: 'TERM:' \(unknown signal ''/],
    ['FOO:QUIT', /invalid rewrite: 'FOO:QUIT' \(unknown signal 'FOO'\)/],
    ['TERM:99', /unknown signal '99'/],
    ['0:TERM', /unknown signal '0'/],
    ['KILL:TERM', /SIGKILL is never forwarded/],
    ['CHLD:TERM', /SIGCHLD is never forwarded/],
  ] as const) {
    const r = await tsInit(['-r', rule, '--', 'true']);
    t.equal(r.exitCode, 1, `-r ${rule} exits 1`);
    t.match(String(r.stderr).split('\n')[0], message);
    t.match(String(r.stderr), /Usage: ts-init/);
  }
  const help = await tsInit(['--help']);
  t.match(String(help.stdout), /-r, --rewrite FROM:TO/);
  t.match(String(help.stdout), /--grace-period DURATION/);
  t.match(String(help.stdout), /--kill-after DURATION/);
});
