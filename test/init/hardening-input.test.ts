// Hostile input and hostile limits: a clear message and a documented exit
// code every time, never a stack trace, never a program started after a
// usage error; ts-init stays up when the child runs into its limits.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { asPid1, nsInitPid, Output, PYTHON, run, tsInit, TS_INIT, waitFor, zombieChildren } from '../helpers/harness.js';
import { stormBinary } from '../helpers/storm.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-init-fuzz-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// A small deterministic generator, so a failure can be replayed.
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const TOKENS = [
  '-',
  '--',
  '---',
  '-e',
  '-e',
  '-p',
  '-r',
  '-x',
  '-vvvv',
  '-sgw',
  '-h?',
  '-e256',
  '-e-1',
  '-pFOO',
  '--grace-period',
  '--grace-period=-1',
  '--kill-after',
  '--log-format',
  '--log-format=',
  '--rewrite',
  'TERM:',
  ':QUIT',
  'TERM:FOO',
  'abc',
  '',
  ' ',
  '256',
  '3',
  'KILL',
  'SIGRTMAX+1',
  '99999999999999999999',
  '--fix-user',
  '--home',
  '-=',
  '--=x',
];

t.test('CLI fuzz: 150 random argument lists', async (t) => {
  const random = prng(20261128);
  let usageErrors = 0;
  for (let i = 0; i < 150; i++) {
    const n = 1 + Math.floor(random() * 4);
    const args = Array.from({ length: n }, () => TOKENS[Math.floor(random() * TOKENS.length)] as string);
    const marker = join(dir, `ran-${i}`);
    const r = await tsInit([...args, 'touch', marker], { timeout: 20_000 });
    const err = String(r.stderr);
    t.notMatch(err, /\n\s+at .+:\d+:\d+\)?\n/, `#${i} ${JSON.stringify(args)}: no stack trace`);
    if (r.exitCode === 1 && err.startsWith('ts-init: ')) {
      usageErrors++;
      if (existsSync(marker)) t.fail(`#${i} ${JSON.stringify(args)}: a program ran despite the usage error`);
    } else if (!existsSync(marker)) {
      // Not a usage error: then something was run, or a documented code came out.
      t.ok([0, 1, 126, 127].includes(r.exitCode ?? -1), `#${i} ${JSON.stringify(args)}: documented exit code ${String(r.exitCode)}: ${err.split('\n')[0]}`);
    }
  }
  t.ok(usageErrors > 50, `most random lists are usage errors (${usageErrors})`);
});

t.test('invalid UTF-8 in option values: a clear usage error', async (t) => {
  const code = `import subprocess, sys\np = subprocess.run([sys.argv[1].encode(), b'-e', b'\\xff\\xfe', b'true'], capture_output=True)\nprint(p.returncode)\nsys.stdout.flush()\nsys.stdout.buffer.write(p.stderr)`;
  const r = await run(PYTHON, ['-c', code, TS_INIT]);
  const [status, first] = String(r.stdout).split('\n');
  t.equal(status, '1');
  t.match(first, /^ts-init: invalid exit code for -e: /);
});

t.test('an argument list near ARG_MAX reaches the child whole', async (t) => {
  // 1.5 MB of arguments (ARG_MAX is 2 MiB here, shared with the environment).
  const args = Array.from({ length: 15_000 }, (_, i) => `argument-${String(i).padStart(90, '0')}`);
  const r = await tsInit(['--', 'sh', '-c', 'echo $#; eval "echo \\${$#}"', 'sh', ...args], { timeout: 60_000 });
  t.equal(r.exitCode, 0);
  t.equal(String(r.stdout), `15000\n${args.at(-1) as string}\n`);
});

t.test('limits too low for Node: one clear line and exit 1, not a core dump', async (t) => {
  const nofile = await run('prlimit', ['--nofile=16:16', TS_INIT, '--', 'true']);
  t.equal(nofile.exitCode, 1);
  t.match(String(nofile.stderr), /^ts-init: the open-files limit \(ulimit -n\) is 16; ts-init needs at least 24/);
  const as = await run('sh', ['-c', `ulimit -v 500000; "${TS_INIT}" -- true`]);
  t.equal(as.exitCode, 1);
  t.match(String(as.stderr), /^ts-init: the address-space limit \(ulimit -v\) is 488 MiB; Node.js needs at least 768 MiB/);
  const enough = await run('prlimit', ['--nofile=64:64', TS_INIT, '--', 'sh', '-c', 'exit 3']);
  t.equal(enough.exitCode, 3, 'with 64 descriptors everything works');
});

t.test('the child runs out of descriptors: ts-init is unaffected', async (t) => {
  const r = await tsInit(
    [
      '--',
      PYTHON,
      '-c',
      'import os\nfds=[]\ntry:\n  while True: fds.append(os.open("/dev/null", os.O_RDONLY))\nexcept OSError as e: print(e.errno)\nraise SystemExit(4)',
    ],
    {},
  );
  t.equal(String(r.stdout), '24\n', 'EMFILE in the child');
  t.equal(r.exitCode, 4);
});

t.test('RLIMIT_NPROC reached by the child during a storm: ts-init stays up and reaps', async (t) => {
  // As root the limit is not enforced, so the storm runs as uid 10077; five
  // processes: the storm, two workers and a middle or two, then fork fails.
  const storm = stormBinary();
  chmodSync(dirname(storm), 0o755);
  const script = `setpriv --reuid 10077 --regid 0 --clear-groups prlimit --nproc=5 "${storm}" 2000 2; echo after-storm; sleep 30`;
  const proc = asPid1(TS_INIT, ['--', 'sh', '-c', script], { timeout: 120_000 });
  const out = new Output(proc);
  const err = new Output(proc, 'stderr');
  const init = await nsInitPid(proc);
  await out.waitForLine(/^after-storm$/, 100_000);
  t.match(err.text, /fork failed: Resource temporarily unavailable/, 'fork hit RLIMIT_NPROC in the child');
  await waitFor(() => zombieChildren(init).length === 0, 20_000, 'no zombies under PID 1');
  process.kill(init, 'SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 143, 'ts-init stayed up and passed on the forwarded SIGTERM death');
});
