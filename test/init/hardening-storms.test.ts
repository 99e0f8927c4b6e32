// Storms: orphans made while the main child exits, and signal floods.
// ts-init stays up, leaves no zombie, passes the right status, and does not
// grow. The long orphan storm is a soak: test/soak/ (npm run test:soak).
import t from 'tap';
import { asPid1, fixture, Output, PYTHON, rssKiB, run, tsInit, TS_INIT, waitFor } from '../helpers/harness.js';
import { stormBinary } from '../helpers/storm.js';

const storm = stormBinary();

t.test('orphans still being made while the main child exits: exit status exact, nothing left', async (t) => {
  for (const code of [0, 9, 255]) {
    // A background storm outlives the main child, which exits mid-storm.
    const r = await asPid1(TS_INIT, ['--', 'sh', '-c', `"$STORM" 20000 & sleep 0.2; exit ${code}`], { env: { STORM: storm }, timeout: 120_000 });
    t.equal(r.exitCode, code, `exit ${code} passed through`);
  }
  // As a subreaper, the storm's processes are ts-init's descendants: after
  // it exits none may remain (the shutdown clean-up takes them).
  const r = await tsInit(['--', 'sh', '-c', `"$STORM" 5000 & echo $!; sleep 0.2; exit 4`], { env: { STORM: storm }, timeout: 120_000 });
  t.equal(r.exitCode, 4);
  const stormPid = Number(String(r.stdout).trim());
  await waitFor(() => run('pgrep', ['-f', storm]).then((p) => p.exitCode === 1), 20_000, 'no storm process left');
  t.ok(stormPid > 0, 'the storm ran');
});

t.test('signal flood: ts-init stays up, forwards, and the child sees the last of each kind', async (t) => {
  const kinds = ['USR1', 'USR2', 'HUP', 'WINCH', 'RTMIN+1'] as const;
  const nums = [10, 12, 1, 28, 35];
  const proc = tsInit(['--', PYTHON, fixture('catch.py'), '--exit-on', 'INT', ...kinds], { timeout: 120_000 });
  const out = new Output(proc);
  await out.waitForLine(/^ready/);
  const pid = proc.pid as number;
  const before = rssKiB(pid);
  // 40,000 signals as fast as Python can send them.
  const flood = `import os, sys\npid = int(sys.argv[1])\nsigs = [${nums.join(',')}]\nfor i in range(40000): os.kill(pid, sigs[i % len(sigs)])`;
  const sent = await run(PYTHON, ['-c', flood, String(pid)], { timeout: 100_000 });
  t.equal(sent.exitCode, 0, 'the flood was sent; ts-init never went away');
  const peak = rssKiB(pid);
  // Then each kind once more, one at a time: each must arrive.
  for (const num of nums) {
    const seen = out.count(new RegExp(`^got ${num}$`));
    process.kill(pid, num);
    await waitFor(() => out.count(new RegExp(`^got ${num}$`)) > seen, 20_000, `signal ${num} after the flood`);
  }
  t.pass('after the flood every kind still arrives');
  t.ok(peak - before < 16 * 1024, `no unbounded queue: RSS grew ${peak - before} KiB during 40,000 signals`);
  process.kill(pid, 'SIGINT');
  const r = await proc;
  t.equal(r.exitCode, 0);
  t.ok(out.count(/^got /) > nums.length, `the child handled ${out.count(/^got /)} signals`);
});
