// Reception cannot overflow: signals that arrive while the event loop is
// not turning (a long synchronous task, a slow execve of the child) are all
// kept and forwarded once it turns, standard ones coalesced as the kernel
// coalesces them, real-time ones as many times as they came.
import { join } from 'node:path';
import t from 'tap';
import { childrenOf, fixture, Output, PYTHON, ROOT, run, TS_INIT, waitFor } from '../helpers/harness.js';
import { readFileSync } from 'node:fs';
import { exeOf } from '../../src/shared/proc.js';
import { SIGRTMIN } from '../../src/shared/signals.js';

t.test('10,000 SIGRTMIN+3 then SIGTERM while the loop is stalled: all reach the child, SIGTERM too', async (t) => {
  // libuv's signal pipe holds 4,096 messages and drops the rest: before the
  // fix the child saw 4,096 and SIGTERM was lost.
  const r = await run(
    PYTHON,
    [fixture('burst-while-stalled.py'), process.execPath, join(ROOT, 'bin/ts-init'), '10000', 'RTMIN+3', fixture('rt-count.py'), fixture('stall-loop.cjs')],
    {
      timeout: 90_000,
    },
  );
  const o = JSON.parse(String(r.stdout).trim().split('\n').at(-1) ?? '{}') as { rt?: number; term?: number; initExit?: number | null };
  t.equal(o.rt, 10_000, 'every queued real-time signal was forwarded once');
  t.equal(o.term, 1, 'SIGTERM was forwarded');
  t.equal(o.initExit, 0, "ts-init exited with the child's status 0");
});

/** The syscall a task is in, as /proc/PID/syscall numbers it (execve: 59 on x86-64, 221 on arm64). */
const EXECVE = process.arch === 'arm64' ? 221 : 59;
const inExecve = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith(`${EXECVE} `);
  } catch {
    return false;
  }
};

t.test("signals sent while the child's execve is held are forwarded once it returns, real-time ones each time", async (t) => {
  // strace holds the first execve of every process for 1.5 s: the child's
  // execve (ts-init waits for it in vfork, its loop suspended) among them.
  const strace = run(
    'strace',
    ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=execve', '-e', 'inject=execve:delay_enter=1500000:when=1', TS_INIT, '-vv', '--', 'sleep', '5'],
    {
      timeout: 60_000,
    },
  );
  const err = new Output(strace, 'stderr');
  // strace forks short-lived copies of itself at start-up (probing ptrace): pick the other child.
  const init = await waitFor(() => childrenOf(strace.pid as number).find((c) => exeOf(c)?.endsWith('/strace') === false), 10_000, 'ts-init under strace');
  await waitFor(() => childrenOf(init).some(inExecve), 20_000, "the child's execve to be held");
  for (let i = 0; i < 5; i++) process.kill(init, SIGRTMIN + 3);
  process.kill(init, 'SIGUSR1');
  process.kill(init, 'SIGUSR1');
  await strace; // the child dies of the first signal it gets
  t.equal(err.count(/Passing signal: 'SIGRTMIN\+3'/), 5, 'SIGRTMIN+3 forwarded as many times as it came');
  t.equal(err.count(/Passing signal: 'SIGUSR1'/), 1, 'SIGUSR1 twice while pending: once, as the kernel coalesces it');
});
