// Logging: tini-shaped text lines or pino JSON on stderr, verbosity levels,
// and an init that survives a closed stderr or a pipe with no reader.
import t from 'tap';
import { join } from 'node:path';
import { fixture, peer, processExists, PYTHON, ROOT, run, tsInit, TS_INIT, waitFor } from '../helpers/harness.js';

t.test("text lines read like tini's", async (t) => {
  const r = await tsInit(['-v', '--', 'sh', '-c', 'exit 4']);
  t.equal(r.exitCode, 4);
  const lines = String(r.stderr).trim().split('\n');
  t.match(lines[0], /^\[INFO  ts-init \(\d+\)\] Launcher: (compiled|sh) /, 'first, which launcher started ts-init');
  t.match(lines[1], /^\[INFO  ts-init \(\d+\)\] Spawned child process 'sh' with pid '\d+'$/);
  t.match(lines.at(-1), /^\[INFO  ts-init \(\d+\)\] /);
  t.match(String(r.stderr), /Main child exited normally \(with status '4'\)/);
});

t.test('--log-format json and TS_INIT_LOG_FORMAT=json give pino JSON lines', async (t) => {
  for (const [args, env] of [
    [['--log-format', 'json'], {}],
    [['--log-format=json'], {}],
    [[], { TS_INIT_LOG_FORMAT: 'json' }],
  ] as const) {
    const r = await tsInit(['-v', ...args, '--', 'true'], { env });
    const records = String(r.stderr)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    t.ok(records.length >= 2, `${JSON.stringify(args)} ${JSON.stringify(env)}: several records`);
    const spawned = records.find((rec) => String(rec.msg).startsWith('Spawned child process'));
    t.ok(spawned, 'the spawn is logged');
    t.equal(spawned?.level, 30, 'pino info level');
    t.equal(spawned?.name, 'ts-init');
    t.equal(typeof spawned?.pid, 'number');
    t.equal(typeof spawned?.time, 'number');
    t.equal(typeof spawned?.child, 'number', 'the child pid is a field of its own');
  }
});

t.test('verbosity: TINI_VERBOSITY=0 silences warnings, -v counts up from the environment', async (t) => {
  const orphan = ['--', 'sh', '-c', '(sleep 0.05 &); sleep 0.3'];
  const quiet = await tsInit(['-w', ...orphan], { env: { TINI_VERBOSITY: '0' } });
  t.equal(String(quiet.stderr), '', 'no warning at verbosity 0');
  const warn = await tsInit(['-w', ...orphan]);
  t.match(String(warn.stderr), /^\[WARN  ts-init \(\d+\)\] Reaped zombie process with pid=\d+$/m, 'default verbosity shows -w warnings');
  const info = await tsInit(['--', 'true'], { env: { TINI_VERBOSITY: '2' } });
  t.match(String(info.stderr), /\[INFO  ts-init/, 'TINI_VERBOSITY=2 shows info');
  const trace = await tsInit(['-vv', '--', 'true'], { env: { TINI_VERBOSITY: '1' } });
  t.match(String(trace.stderr), /\[DEBUG ts-init/, '1 + -vv = debug');
});

const labels = (stderr: unknown): Set<string> => new Set([...String(stderr).matchAll(/^\[(\w+) +ts-init \(\d+\)\]/gm)].map((m) => m[1] as string));

t.test('-vvv (trace) shows what -vv does not: the hand-over, the spawn, each signal received, each waitpid result', async (t) => {
  // The child ignores SIGUSR2 and sends one to ts-init; an orphan exits on its own.
  const program = ['--', 'sh', '-c', 'trap "" USR2; (sleep 0.05 &); kill -USR2 $PPID; sleep 0.3'];
  const debug = await tsInit(['-vv', ...program]);
  t.equal(debug.exitCode, 0);
  t.notOk(labels(debug.stderr).has('TRACE'), '-vv: no trace lines');
  const trace = await tsInit(['-vvv', ...program]);
  t.equal(trace.exitCode, 0);
  const err = String(trace.stderr);
  const fds = /^\[TRACE ts-init \(\d+\)\] Hand-over from the (?:compiled|sh) launcher: blocked signals none; ignored signals none; descriptors ([\d ]+)$/m.exec(
    err,
  )?.[1];
  t.ok(fds !== undefined && ['0', '1', '2'].every((fd) => fds.split(' ').includes(fd)), `the hand-over line lists stdio: ${fds}`);
  t.match(err, /^\[TRACE ts-init \(\d+\)\] Spawning 'sh' '-c' 'trap .*' with \d+ environment variables, in a process group of its own$/m);
  t.match(err, /^\[TRACE ts-init \(\d+\)\] Received SIGUSR2$/m);
  const child = /Spawned child process 'sh' with pid '(\d+)'/.exec(err)?.[1];
  t.match(err, new RegExp(`^\\[TRACE ts-init \\(\\d+\\)\\] waitpid: pid ${child} exited normally \\(with status '0'\\)$`, 'm'), 'the main child');
  t.match(err, /^\[TRACE ts-init \(\d+\)\] waitpid: pid \d+ exited normally[^\n]*\n\[DEBUG ts-init \(\d+\)\] Reaped zombie process/m, 'the orphan');
});

t.test('TINI_VERBOSITY as tini reads it: above 4 is 4 (everything), empty is 0', async (t) => {
  const nine = await tsInit(['--', 'true'], { env: { TINI_VERBOSITY: '9' } });
  const four = await tsInit(['--', 'true'], { env: { TINI_VERBOSITY: '4' } });
  t.equal(nine.exitCode, 0, 'accepted');
  t.same(labels(nine.stderr), labels(four.stderr), '9 prints what 4 prints');
  t.ok(labels(nine.stderr).has('TRACE'), 'trace included');
  const orphan = ['-w', '--', 'sh', '-c', '(sleep 0.05 &); sleep 0.3'];
  const empty = await tsInit(orphan, { env: { TINI_VERBOSITY: '' } });
  t.equal(String(empty.stderr), '', 'empty: not even the -w warning, as with TINI_VERBOSITY=0');
  const tini = peer('tini');
  if (tini !== undefined) {
    const theirs = await run(tini, ['-s', ...orphan], { env: { TINI_VERBOSITY: '' } });
    t.equal(String(theirs.stderr), '', 'tini: the same');
    const reference = await run(tini, ['-s', ...orphan]);
    t.match(String(reference.stderr), /Reaped zombie process/, 'tini warns when the variable is unset (the comparison can fail)');
    const nineTini = await run(tini, ['-s', '--', 'true'], { env: { TINI_VERBOSITY: '9' } });
    t.match(String(nineTini.stderr) + String(nineTini.stdout), /\[TRACE tini/, 'tini: 9 includes trace');
  }
});

t.test('usage errors are one JSON record when JSON was asked for before the mistake', async (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--log-format', 'json', '-x', 'true'], {}, /^invalid option -- 'x'$/],
    [['--log-format=json'], {}, /^missing PROGRAM to run$/],
    [['--log-format=json', '--home=/x', 'true'], {}, /^--home only applies with --fix-user/],
    [['-x', 'true'], { TS_INIT_LOG_FORMAT: 'json' }, /^invalid option -- 'x'$/],
    [['true'], { TS_INIT_LOG_FORMAT: 'json', TINI_VERBOSITY: 'loud' }, /^invalid TINI_VERBOSITY: 'loud'/],
    [['true'], { TS_INIT_LOG_FORMAT: 'json', TS_INIT_FIX_USER: 'maybe' }, /^invalid TS_INIT_FIX_USER: 'maybe'/],
    [['-e', '300', 'true'], { TS_INIT_LOG_FORMAT: 'json', TINI_VERBOSITY: '0' }, /^invalid exit code for -e: '300'/],
  ];
  for (const [args, env, message] of cases) {
    const what = `${args.join(' ')} ${JSON.stringify(env)}`;
    const r = await tsInit(args, { env });
    t.equal(r.exitCode, 1, `${what}: exit 1`);
    t.equal(String(r.stdout), '', `${what}: nothing on stdout`);
    const lines = String(r.stderr).trimEnd().split('\n');
    t.equal(lines.length, 1, `${what}: one line`);
    let record: Record<string, unknown> = {};
    t.doesNotThrow(() => {
      record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    }, `${what}: JSON`);
    t.equal(record.level, 60, `${what}: fatal`);
    t.equal(record.name, 'ts-init');
    t.equal(record.usageError, true);
    t.match(String(record.msg), message, what);
  }
  // Not known yet when the mistake comes first, or is the format itself: text and usage.
  for (const [args, env] of [
    [['-x', '--log-format', 'json', 'true'], {}],
    [['true'], { TS_INIT_LOG_FORMAT: 'xml' }],
  ] as const) {
    const r = await tsInit(args, { env });
    t.equal(r.exitCode, 1);
    t.match(String(r.stderr), /^ts-init: .*\n.*Usage: ts-init/s, `${args.join(' ')} ${JSON.stringify(env)}: text`);
  }
});

t.test('without pino (a broken install) lines keep the format asked for', async (t) => {
  const code = `import(process.argv[1]).then(({ Logger }) => { for (const f of ['json', 'text']) new Logger('info', f, '/nonexistent').warn('no pino here', { child: 7 }); })`;
  const r = await run(process.execPath, ['-e', code, join(ROOT, 'dist/shared/log.js')]);
  const [json = '', text = ''] = String(r.stderr).trimEnd().split('\n');
  const record = JSON.parse(json) as Record<string, unknown>;
  t.match(record, { level: 40, name: 'ts-init', msg: 'no pino here', child: 7 }, 'a pino-shaped record');
  t.equal(typeof record.time, 'number');
  t.match(text, /^\[WARN  ts-init \(\d+\)\] no pino here$/);
});

t.test('a closed stderr does not hurt: exit status still passes through', async (t) => {
  const r = await run('sh', ['-c', `"${TS_INIT}" -vvv -w -- sh -c '(sleep 0.05 &); sleep 0.3; exit 6' 2>&-`]);
  t.equal(r.exitCode, 6);
});

t.test('stderr is a pipe with no reader: ts-init survives and the child is not hit by our SIGPIPE', async (t) => {
  const code = [
    'import os, subprocess, sys',
    'r, w = os.pipe()',
    'os.close(r)',
    "p = subprocess.run([sys.argv[1], '-vvv', '-w', '--', 'sh', '-c', '(sleep 0.05 &); sleep 0.3; exit 5'], stderr=w, stdout=subprocess.DEVNULL)",
    'print(p.returncode)',
  ].join('\n');
  const r = await run(PYTHON, ['-c', code, TS_INIT]);
  t.equal(String(r.stdout).trim(), '5', 'the child exited 5 on its own; ts-init passed it on');
});

t.test('an internal error while the child runs: the guard kills the child, ts-init exits 1 with a message', async (t) => {
  // The fault comes from a module Node preloads: no test hook in the shipped code.
  const r = await tsInit(['-v', '--', 'sleep', '30'], { env: { TS_INIT_NODE_FLAGS: `--require=${fixture('fault-after-spawn.cjs')}` }, timeout: 20_000 });
  t.equal(r.exitCode, 1);
  const err = String(r.stderr);
  t.match(err, /\[FATAL ts-init \(\d+\)\] internal error: Error: injected fault/);
  t.match(err, /killing the child's process group \d+ so nothing runs unsupervised/);
  const child = Number(/with pid '(\d+)'/.exec(err)?.[1]);
  t.ok(child > 0, 'the child pid was logged');
  await waitFor(() => !processExists(child), 5_000, 'the child to be gone');
  t.pass('the child does not outlive ts-init');
});
