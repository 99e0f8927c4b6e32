// Reaping: orphans reparented to ts-init never stay zombies, as PID 1 of a
// namespace and as a child subreaper; -w names each one reaped.
import t from 'tap';
import { asPid1, fixture, nsInitPid, Output, PYTHON, tsInit, TS_INIT, waitFor, zombieChildren } from '../helpers/harness.js';

const STORM = 3000;

t.test(`orphan storm of ${STORM} as PID 1: every orphan reaped, none left`, async (t) => {
  // The main child holds on for 30 s after the storm; the test ends it with
  // SIGTERM once the zombies are gone, so no wait depends on speed.
  const proc = asPid1(TS_INIT, ['-w', '--', PYTHON, fixture('orphans.py'), String(STORM), '30'], { timeout: 120_000 });
  const out = new Output(proc);
  const err = new Output(proc, 'stderr');
  const init = await nsInitPid(proc);
  await out.waitForLine(/^made \d+/, 100_000);
  t.equal(out.lines()[0], `made ${STORM}`, 'the storm made every orphan');
  await waitFor(() => zombieChildren(init).length === 0 && err.count(/Reaped zombie/) === STORM, 25_000, 'zero zombies under PID 1 while the child still runs');
  process.kill(init, 'SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 143, "exit status is still the main child's (killed by the forwarded SIGTERM)");
  t.equal(err.count(/^\[WARN  ts-init \(1\)\] Reaped zombie process with pid=\d+$/), STORM, `-w reported ${STORM} reaped orphans`);
});

t.test('as a subreaper (not PID 1): orphans are reparented to ts-init and reaped', async (t) => {
  const proc = tsInit(['-w', '--', PYTHON, fixture('orphans.py'), '500', '30'], { timeout: 60_000, env: { ORPHAN_LIFE: '0.2' } });
  const out = new Output(proc);
  const err = new Output(proc, 'stderr');
  await out.waitForLine(/^made 500$/, 50_000);
  const pid = proc.pid as number;
  await waitFor(() => err.count(/Reaped zombie process/) === 500 && zombieChildren(pid).length === 0, 25_000, 'all 500 reaped while the child runs');
  process.kill(pid, 'SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 143);
  t.equal(err.count(new RegExp(`^\\[WARN  ts-init \\(${pid}\\)\\] Reaped zombie process with pid=\\d+$`)), 500, 'each orphan reaped once, by ts-init');
});

t.test('-s and TINI_SUBREAPER register explicitly; ts-init says so at debug level', async (t) => {
  for (const [args, env] of [
    [['-s', '-vv'], {}],
    [['-vv'], { TINI_SUBREAPER: '1' }],
    [['-vv'], {}],
  ] as const) {
    const r = await tsInit([...args, '--', 'true'], { env });
    t.equal(r.exitCode, 0);
    t.match(String(r.stderr), /Registered as a child subreaper/, `${JSON.stringify(args)} ${JSON.stringify(env)}`);
  }
});

t.test('without -w, reaping is silent at the default verbosity', async (t) => {
  const r = await asPid1(TS_INIT, ['--', 'sh', '-c', '(sleep 0.1 &); sleep 0.4']);
  t.equal(r.exitCode, 0);
  t.equal(String(r.stderr), '');
});
