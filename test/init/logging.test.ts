// Logging: tini-shaped text lines or pino JSON on stderr, verbosity levels,
// and an init that survives a closed stderr or a pipe with no reader.
import t from 'tap';
import { fixture, processExists, PYTHON, run, tsInit, TS_INIT, waitFor } from '../helpers/harness.js';

t.test('text lines read like tini\'s', async (t) => {
  const r = await tsInit(['-v', '--', 'sh', '-c', 'exit 4']);
  t.equal(r.exitCode, 4);
  const lines = String(r.stderr).trim().split('\n');
  t.match(lines[0], /^\[INFO  ts-init \(\d+\)\] Launcher: (compiled|sh) /, 'first, which launcher started ts-init');
  t.match(lines[1], /^\[INFO  ts-init \(\d+\)\] Spawned child process 'sh' with pid '\d+'$/);
  t.match(lines.at(-1), /^\[INFO  ts-init \(\d+\)\] /);
  t.match(String(r.stderr), /Main child exited normally \(with status '4'\)/);
});

t.test('--log-format json and TS_INIT_LOG_FORMAT=json give pino JSON lines', async (t) => {
  for (const [args, env] of [[['--log-format', 'json'], {}], [['--log-format=json'], {}], [[], { TS_INIT_LOG_FORMAT: 'json' }]] as const) {
    const r = await tsInit(['-v', ...args, '--', 'true'], { env });
    const records = String(r.stderr).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
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
