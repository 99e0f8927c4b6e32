// Whatever the child does to itself, ts-init follows it correctly.
import t from 'tap';
import { asPid1, childrenOf, nsInitPid, Output, PYTHON, sleep, stateOf, tsInit, TS_INIT, waitFor } from '../helpers/harness.js';

t.test('the child execs something else: its status is still the one passed on', async (t) => {
  const r = await tsInit(['--', 'sh', '-c', 'exec sh -c "exec sh -c \\"exit 4\\""']);
  t.equal(r.exitCode, 4);
});

t.test('the child tries setsid (refused: it leads its group, as under tini) and still gets signals', async (t) => {
  for (const args of [[], ['-g']]) {
    const code = [
      'import os, signal, sys, time',
      'try:\n    os.setsid()\n    print("setsid ok", flush=True)\nexcept OSError as e:\n    print("setsid", e.errno, flush=True)',
      'signal.signal(signal.SIGUSR1, lambda *a: sys.exit(21))',
      "print('ready', flush=True)",
      'time.sleep(30)',
    ].join('\n');
    const proc = tsInit([...args, '--', PYTHON, '-c', code], { timeout: 40_000 });
    const out = new Output(proc);
    await out.waitForLine(/ready/);
    t.match(out.text, /setsid 1\n/, 'EPERM: a process group leader cannot start a session');
    process.kill(proc.pid as number, 'SIGUSR1');
    const r = await proc;
    t.equal(r.exitCode, 21, `${args.join(' ') || 'no -g'}: the child got SIGUSR1`);
  }
  // A grandchild that leaves the group with setsid is out of -g's reach, as
  // with tini: only the child's group is signalled.
  const grand =
    '/usr/bin/python3 -c "import os,time; os.setsid(); time.sleep(30)" & echo $!; sleep 0.3; trap "exit 8" USR1; echo ready; while :; do sleep 0.1; done';
  const proc = tsInit(['-g', '--', 'sh', '-c', grand], { timeout: 40_000 });
  const out = new Output(proc);
  await out.waitForLine(/ready/);
  const grandPid = Number(out.lines()[0]);
  process.kill(proc.pid as number, 'SIGUSR1');
  const r = await proc;
  t.equal(r.exitCode, 8, 'the child got the group signal');
  t.ok(grandPid > 0);
  try {
    process.kill(grandPid, 'SIGKILL');
  } catch {
    // already gone: the shutdown clean-up took it
  }
});

t.test('the child stops itself and is continued: not mistaken for an exit', async (t) => {
  const proc = asPid1(TS_INIT, ['--', 'sh', '-c', 'echo stopping; kill -STOP $$; echo continued; exit 3'], { timeout: 30_000 });
  const out = new Output(proc);
  await out.waitForLine(/stopping/);
  const init = await nsInitPid(proc);
  const child = await waitFor(
    () => {
      const kids = childrenOf(init);
      return kids.find((k) => stateOf(k) === 'T');
    },
    10_000,
    'the child to be stopped',
  );
  t.ok(child > 0);
  await sleep(200);
  t.match(stateOf(init), /^[RS]$/, 'ts-init still running while the child is stopped');
  process.kill(init, 'SIGCONT');
  const r = await proc;
  t.match(out.text, /continued/);
  t.equal(r.exitCode, 3);
});

t.test('the child closes stdin, stdout and stderr', async (t) => {
  const r = await tsInit(['--', 'sh', '-c', 'exec 0<&- 1>&- 2>&-; sleep 0.2; exit 3']);
  t.equal(r.exitCode, 3);
});

t.test('the child forks and exits, leaving a grandchild as the only process', async (t) => {
  const r = await asPid1(TS_INIT, ['-v', '--', 'sh', '-c', 'sleep 30 & exit 5'], { timeout: 30_000 });
  t.equal(r.exitCode, 5, "the main child's status, not the grandchild's");
  t.match(String(r.stderr), /Main child exited normally \(with status '5'\)/);
});

t.test('the child exits before ts-init has finished setting up', async (t) => {
  for (let i = 0; i < 20; i++) {
    const r = await tsInit(['--', 'sh', '-c', `exit ${i}`]);
    if (r.exitCode !== i) t.fail(`run ${i}: got ${String(r.exitCode)}`);
  }
  const r = await tsInit(['--', '/bin/true']);
  t.equal(r.exitCode, 0);
});

t.test('stdin as /dev/null, a closed stdin, and a pipe', async (t) => {
  const devnull = await tsInit(['--', 'sh', '-c', 'cat; exit 2'], { stdin: 'ignore' });
  t.equal(devnull.exitCode, 2);
  const piped = await tsInit(['--', 'sh', '-c', 'read line; echo "[$line]"'], { stdin: 'pipe', input: 'hello\n' });
  t.equal(String(piped.stdout), '[hello]\n');
  const { run } = await import('../helpers/harness.js');
  const closed = await run('sh', ['-c', `"${TS_INIT}" -- sh -c 'exit 7' <&-`]);
  t.equal(closed.exitCode, 7);
});

t.test("socket activation: LISTEN_FDS passes, LISTEN_PID is rewritten to the child's pid", async (t) => {
  const { run } = await import('../helpers/harness.js');
  const show = 'echo "$$ $LISTEN_PID $LISTEN_FDS"; ls /proc/self/fd | grep -qx 3 && echo fd3-open';
  // exec keeps the pid, so LISTEN_PID names ts-init, as systemd would set it.
  const r = await run('sh', ['-c', `exec 3</dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec "${TS_INIT}" -- sh -c '${show}'`]);
  const [self, listenPid, fds] = String(r.stdout).split('\n')[0]?.split(' ') ?? [];
  t.equal(listenPid, self, 'LISTEN_PID now names the child');
  t.equal(fds, '1');
  t.match(String(r.stdout), /fd3-open/, 'the activated socket fd is inherited');
  const other = await run('sh', ['-c', `LISTEN_PID=12345 "${TS_INIT}" -- sh -c 'echo $LISTEN_PID'`]);
  t.equal(String(other.stdout), '12345\n', 'a LISTEN_PID meant for someone else is left alone');
});
