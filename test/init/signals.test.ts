// Forwarding: every catchable signal reaches the child, as PID 1 and not;
// -g reaches the whole process group; SIGUSR1 never starts Node's inspector.
import t from 'tap';
import {
  asPid1,
  childrenOf,
  fixture,
  inspectorListening,
  nsInitPid,
  Output,
  processExists,
  PYTHON,
  sleep,
  statusField,
  TS_INIT,
  tsInit,
  waitFor,
} from '../helpers/harness.js';

const CAUGHT = ['INT', 'HUP', 'QUIT', 'USR1', 'USR2', 'WINCH', 'CONT', 'ALRM', 'PIPE', 'RTMIN+3', 'RTMIN', '64'] as const;
const NUMBERS: Record<string, number> = {
  INT: 2,
  HUP: 1,
  QUIT: 3,
  USR1: 10,
  USR2: 12,
  WINCH: 28,
  CONT: 18,
  ALRM: 14,
  PIPE: 13,
  'RTMIN+3': 37,
  RTMIN: 34,
  '64': 64,
};

for (const mode of ['pid1', 'subreaper'] as const) {
  t.test(`forwards every signal to the child (${mode})`, async (t) => {
    const args = ['--', PYTHON, fixture('catch.py'), '--exit-on', 'TERM', ...CAUGHT];
    const proc = mode === 'pid1' ? asPid1(TS_INIT, args, { timeout: 30_000 }) : tsInit(args, { timeout: 30_000 });
    const out = new Output(proc);
    const err = new Output(proc, 'stderr');
    await out.waitForLine(/^ready/);
    const initPid = mode === 'pid1' ? await nsInitPid(proc) : (proc.pid as number);
    for (const name of CAUGHT) {
      const num = NUMBERS[name] as number;
      process.kill(initPid, num);
      await out.waitForLine(new RegExp(`^got ${num}$`));
    }
    t.pass(`all ${CAUGHT.length} signals arrived, real-time ones included`);
    t.notOk(inspectorListening(), 'SIGUSR1 did not start the Node inspector');
    t.notMatch(err.text, /Debugger listening/);
    process.kill(initPid, 'SIGTERM');
    const r = await proc;
    t.match(out.text, /^got 15$/m, 'SIGTERM forwarded');
    t.equal(r.exitCode, 0, 'child exited 0 after SIGTERM; so did ts-init');
    t.equal(out.count(/^got /), CAUGHT.length + 1, 'each signal arrived once');
  });
}

t.test('a signal that arrives before the child exists is forwarded once it does', async (t) => {
  // SigCgt shows when ts-init's listeners are in place; the signal is sent
  // at that moment, before the child has been spawned (or just after).
  // If ts-init dropped it, the child would run for 60 s and time out.
  const proc = tsInit(['--', PYTHON, fixture('catch.py'), '--exit-on', 'USR2'], { timeout: 20_000 });
  const out = new Output(proc);
  const pid = proc.pid as number;
  await waitFor(
    () => {
      const caught = statusField(pid, 'SigCgt');
      return caught !== undefined && (BigInt(`0x${caught}`) & (1n << 11n)) !== 0n;
    },
    10_000,
    'ts-init to catch SIGUSR2',
    1,
  );
  process.kill(pid, 'SIGUSR2');
  const r = await proc;
  // The child either handled it (exit 0) or got it before installing its
  // handler and died of it (128+12): either way it was forwarded.
  t.ok(r.exitCode === 0 || r.exitCode === 140, `the child got SIGUSR2 (exit ${String(r.exitCode)}, ${out.text.trim()})`);
});

t.test('-g sends signals to the whole process group; without it only the child gets them', async (t) => {
  // The child ignores SIGTERM; its own child (started before the trap) does not.
  const script = 'sleep 30 & trap "" TERM; echo started; wait; echo child-done; exit 7';
  for (const [how, args, env] of [
    ['-g', ['-g'], {}],
    ['TINI_KILL_PROCESS_GROUP', [], { TINI_KILL_PROCESS_GROUP: '1' }],
  ] as const) {
    const proc = tsInit([...args, '--', 'sh', '-c', script], { env, timeout: 20_000 });
    const out = new Output(proc);
    await out.waitForLine(/started/);
    process.kill(proc.pid as number, 'SIGTERM');
    const r = await proc;
    t.equal(r.exitCode, 7, `${how}: the grandchild died, so the child finished`);
    t.match(out.text, /child-done/);
  }
  const proc = tsInit(['--', 'sh', '-c', script], { timeout: 20_000 });
  const out = new Output(proc);
  await out.waitForLine(/started/);
  process.kill(proc.pid as number, 'SIGTERM');
  await sleep(500);
  t.ok(processExists(proc.pid as number), 'without -g: SIGTERM reached only the child, which ignores it');
  t.notMatch(out.text, /child-done/);
  // The child leads its own group (sh and its sleep): take it down with
  // ts-init, or the sleep holds our stdout pipe open for its 30 s.
  const child = childrenOf(proc.pid as number)[0];
  proc.kill('SIGKILL');
  if (child !== undefined) process.kill(-child, 'SIGKILL');
  await proc;
});

t.test('the child leads its own process group', async (t) => {
  const r = await tsInit(['--', PYTHON, '-c', 'import os; print(os.getpid() == os.getpgrp())']);
  t.equal(String(r.stdout).trim(), 'True');
});

t.test('SIGTTIN/SIGTTOU do not stop ts-init and are not forwarded', async (t) => {
  const proc = tsInit(['--', PYTHON, fixture('catch.py'), '--exit-on', 'USR1', 'TTIN', 'TTOU'], { timeout: 20_000 });
  const out = new Output(proc);
  await out.waitForLine(/^ready/);
  process.kill(proc.pid as number, 'SIGTTIN');
  process.kill(proc.pid as number, 'SIGTTOU');
  process.kill(proc.pid as number, 'SIGUSR1');
  const r = await proc;
  t.equal(r.exitCode, 0, 'ts-init kept running and forwarded the next signal');
  t.notMatch(out.text, /got (21|22)/, 'job-control stops were not forwarded');
});
