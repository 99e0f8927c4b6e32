// Exit status passes through: every code 0-255, 128+N for signal deaths, -e remaps.
import t from 'tap';
import { asPid1, tsInit, PYTHON, TS_INIT } from '../helpers/harness.js';

// One ts-init per code; four shell loops run the 256 real ts-init processes
// side by side and print what came out (each line one atomic pipe write).
t.test('every exit code 0-255 passes through unchanged', async (t) => {
  const script = 'for part in 0 1 2 3; do (for c in $(seq $part 4 255); do "$TS_INIT" -- sh -c "exit $c"; echo "$c $?"; done) & done; wait';
  const r = await tsInit(['--', 'sh', '-c', script], { env: { TS_INIT: TS_INIT }, timeout: 170_000 });
  const pairs = String(r.stdout)
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));
  t.equal(pairs.length, 256, 'all 256 codes ran');
  t.same(
    pairs.map(([want]) => want).sort((x = 0, y = 0) => x - y),
    Array.from({ length: 256 }, (_, i) => i),
    'each code once',
  );
  const wrong = pairs.filter(([want, got]) => want !== got);
  t.same(wrong, [], 'no code changed on the way');
  t.equal(r.exitCode, 0);
});

t.test('-e remaps each listed code to 0 and only those', async (t) => {
  for (const [args, code, want] of [
    [['-e', '3'], 3, 0],
    [['-e3'], 3, 0],
    [['-e', '3', '-e', '143'], 143, 0],
    [['-e', '3'], 4, 4],
    [['-e', '0'], 0, 0],
  ] as const) {
    const r = await tsInit([...args, '--', 'sh', '-c', `exit ${code}`]);
    t.equal(r.exitCode, want, `${args.join(' ')} with exit ${code} gives ${want}`);
  }
});

t.test('death by signal gives 128 + N', async (t) => {
  for (const [sig, num] of [
    ['TERM', 15],
    ['KILL', 9],
    ['INT', 2],
    ['USR1', 10],
    ['SEGV', 11],
  ] as const) {
    const r = await tsInit(['--', 'sh', '-c', `kill -${sig} $$`]);
    t.equal(r.exitCode, 128 + num, `SIG${sig} -> ${128 + num}`);
  }
  const rt = await tsInit(['--', PYTHON, '-c', 'import os, signal; os.kill(os.getpid(), signal.SIGRTMIN + 2)']);
  t.equal(rt.exitCode, 128 + 36, 'SIGRTMIN+2 -> 164');
  const remapped = await tsInit(['-e', '143', '--', 'sh', '-c', 'kill -TERM $$']);
  t.equal(remapped.exitCode, 0, '-e 143 remaps a SIGTERM death');
});

t.test("as PID 1 the exit code is the child's too", async (t) => {
  const r = await asPid1(TS_INIT, ['--', 'sh', '-c', 'exit 42']);
  t.equal(r.exitCode, 42);
});
