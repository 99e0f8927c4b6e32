// The command line: tini's flags, bad input (exit 1, one clear line, usage,
// nothing started), exec failures (126/127), help/version/license.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fixture, run, tsInit, TS_INIT } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-init-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('-h and --help print usage on stdout and exit 0', async (t) => {
  for (const flag of ['-h', '--help', '-vh']) {
    const r = await tsInit([flag]);
    t.equal(r.exitCode, 0, flag);
    t.match(String(r.stdout), /^ts-init \(ts-init version \d+\.\d+\.\d+\)\nUsage: ts-init \[OPTIONS\]/);
    for (const opt of ['-s', '-p SIGNAL', '-v', '-w', '-g', '-e EXIT_CODE', '-l', 'TINI_SUBREAPER', 'TINI_VERBOSITY', 'TINI_KILL_PROCESS_GROUP']) {
      t.match(String(r.stdout), opt, `usage mentions ${opt}`);
    }
  }
});

t.test('the usage says what TINI_VERBOSITY accepts beyond 0-4, as tini reads it', async (t) => {
  const r = await tsInit(['--help']);
  t.match(String(r.stdout), /^ {2}TINI_VERBOSITY: .*0 fatal errors, 1 warnings, 2 info, 3 debug, 4 trace; above 4 is 4 and empty is 0, as with tini\.$/m);
});

t.test('--version and -l', async (t) => {
  const v = await tsInit(['--version']);
  t.equal(v.exitCode, 0);
  t.match(String(v.stdout), /^ts-init version \d+\.\d+\.\d+ \((compiled|sh) launcher\)\n$/, 'and which launcher runs (docs/launcher.md)');
  const l = await tsInit(['-l']);
  t.equal(l.exitCode, 0);
  t.match(String(l.stdout), /MIT License/);
});

const BAD: [string, string[], Record<string, string>, RegExp][] = [
  ['unknown short option', ['-x'], {}, /invalid option -- 'x'/],
  ['unknown long option', ['--nope'], {}, /unrecognized option '--nope'/],
  ['missing program', [], {}, /missing PROGRAM/],
  ['missing program after --', ['--'], {}, /missing PROGRAM/],
  ['-e out of range', ['-e', '256'], {}, /invalid exit code for -e: '256'/],
  ['-e not a number', ['-e', 'abc'], {}, /invalid exit code for -e: 'abc'/],
  ['-e negative', ['-e', '-1'], {}, /invalid exit code for -e: '-1'/],
  ['-e without value', ['-e'], {}, /requires an argument -- 'e'/],
  ['-p unknown signal', ['-p', 'FOO'], {}, /invalid signal for -p: 'FOO'/],
  ['-p out of range', ['-p', '65'], {}, /invalid signal for -p: '65'/],
  ['-p without value', ['-p'], {}, /requires an argument -- 'p'/],
  ['bad --log-format', ['--log-format', 'xml'], {}, /invalid log format: 'xml'/],
  ['--log-format without value', ['--log-format'], {}, /requires an argument/],
  ['flag given a value', ['--license=yes'], {}, /./],
  ['TINI_VERBOSITY not a number', [], { TINI_VERBOSITY: 'loud' }, /invalid TINI_VERBOSITY: 'loud'/],
  ['TINI_VERBOSITY negative', [], { TINI_VERBOSITY: '-1' }, /invalid TINI_VERBOSITY: '-1'/],
  ['TINI_VERBOSITY with a tail', [], { TINI_VERBOSITY: '2x' }, /invalid TINI_VERBOSITY: '2x'/],
  ['TS_INIT_LOG_FORMAT unknown', [], { TS_INIT_LOG_FORMAT: 'xml' }, /invalid TS_INIT_LOG_FORMAT: 'xml'/],
  ['empty program name', ['--', ''], {}, /PROGRAM is an empty string/],
];

t.test('bad input: exit 1, one line saying what is wrong, usage, nothing started', async (t) => {
  for (const [what, args, env, message] of BAD) {
    const marker = join(dir, `started-${what.replace(/\W+/g, '-')}`);
    // The program would leave a marker if it were started.
    const program = args.includes('--') || what.startsWith('missing') || what.endsWith('without value') ? [] : ['touch', marker];
    const r = await tsInit([...args, ...program], { env });
    if (what === 'flag given a value') {
      // --license takes no value: '--license=yes' is not --license.
      t.equal(r.exitCode, 1, what);
      continue;
    }
    t.equal(r.exitCode, 1, `${what}: exit 1`);
    const err = String(r.stderr);
    t.match(err.split('\n')[0], /^ts-init: /, `${what}: first line names ts-init`);
    t.match(err.split('\n')[0], message, `${what}: says what is wrong`);
    t.match(err, /Usage: ts-init/, `${what}: then the usage`);
    t.notMatch(err, /at .*\.(c?js|ts):\d+/, `${what}: no stack trace`);
    t.notOk(existsSync(marker), `${what}: nothing was started`);
    t.equal(String(r.stdout), '', `${what}: nothing on stdout`);
  }
});

t.test('options after PROGRAM belong to PROGRAM', async (t) => {
  const r = await tsInit(['echo', '-v', '--version', '-h']);
  t.equal(r.exitCode, 0);
  t.equal(String(r.stdout), '-v --version -h\n');
  const r2 = await tsInit(['-v', '--', 'echo', '--', '-x']);
  t.equal(String(r2.stdout), '-- -x\n');
});

t.test('short options combine as with getopt', async (t) => {
  const r = await tsInit(['-vvv', '-sg', '-e3', '--', 'sh', '-c', 'exit 3']);
  t.equal(r.exitCode, 0, '-e3 remapped 3');
  t.match(String(r.stderr), /\[DEBUG ts-init \(\d+\)\] Registered as a child subreaper/, '-vvv reached debug');
  const r2 = await tsInit(['-se', '4', 'sh', '-c', 'exit 4']);
  t.equal(r2.exitCode, 0, '-se 4 takes 4 as the value of -e');
});

t.test('exec failures: 127 not found, 126 cannot execute, tini-style message', async (t) => {
  const notExec = join(dir, 'not-executable');
  writeFileSync(notExec, '#!/bin/sh\nexit 0\n');
  chmodSync(notExec, 0o644);
  const badFormat = join(dir, 'bad-format');
  writeFileSync(badFormat, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
  chmodSync(badFormat, 0o755);
  const cases: [string, string, number, RegExp][] = [
    ['not on PATH', 'no-such-program-xyz', 127, /exec no-such-program-xyz failed: No such file or directory/],
    ['missing path', join(dir, 'missing'), 127, /failed: No such file or directory/],
    ['not executable', notExec, 126, /failed: Permission denied/],
    ['a directory', dir, 126, /failed: Permission denied/],
    ['bad format', badFormat, 126, /failed: Exec format error/],
  ];
  for (const [what, program, code, message] of cases) {
    const r = await tsInit(['--', program]);
    t.equal(r.exitCode, code, `${what}: exit ${code}`);
    t.match(String(r.stderr), /^\[FATAL ts-init \(\d+\)\] exec /, `${what}: FATAL line`);
    t.match(String(r.stderr), message, what);
  }
});

t.test('PROGRAM is looked up on PATH; a non-executable match does not hide a later one', async (t) => {
  const first = join(dir, 'path1');
  const second = join(dir, 'path2');
  for (const d of [first, second]) rmSync(d, { recursive: true, force: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(first);
  mkdirSync(second);
  writeFileSync(join(first, 'tool'), '#!/bin/sh\necho first\n', { mode: 0o644 });
  writeFileSync(join(second, 'tool'), '#!/bin/sh\necho second\n', { mode: 0o755 });
  const r = await tsInit(['tool'], { env: { PATH: `${first}:${second}:/usr/bin:/bin` } });
  t.equal(String(r.stdout), 'second\n');
  const only = await tsInit(['tool'], { env: { PATH: `${first}:/usr/bin:/bin` } });
  t.equal(only.exitCode, 126, 'only a non-executable match: Permission denied');
});

t.test('-p sets the parent-death signal: ts-init gets it when its parent dies and forwards it', async (t) => {
  const out = join(dir, 'pdeath.out');
  // The parent (sh) starts ts-init in the background and exits at once.
  const script = `"$TS_INIT" -p SIGUSR2 -- /usr/bin/python3 "$CATCH" --exit-on USR2 > "$OUT" 2>&1 & sleep 1`;
  const r = await run('sh', ['-c', script], {
    env: { TS_INIT: TS_INIT, CATCH: fixture('catch.py'), OUT: out },
  });
  t.equal(r.exitCode, 0);
  const { readFileSync } = await import('node:fs');
  const { waitFor } = await import('../helpers/harness.js');
  await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('got 12'), 10_000, 'the child to get SIGUSR2');
  t.pass('the parent died; ts-init got SIGUSR2 and forwarded it');
  for (const spec of ['KILL', 'kill', '9', 'SIGTERM']) {
    const ok = await tsInit(['-p', spec, '--', 'true']);
    t.equal(ok.exitCode, 0, `-p ${spec} accepted`);
  }
});
