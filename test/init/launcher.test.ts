// Both launchers (the compiled one and the sh fallback) as a user meets them:
// which one runs, no /proc, TS_INIT_NODE_FLAGS, TS_INIT_DISABLE_SIGUSR1 on a
// Node too old for it, a launcher away from its bundle, no node on PATH.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { asPid1, fixture, ROOT, run, TS_INIT_COMPILED, TS_INIT_SH } from '../helpers/harness.js';

const LAUNCHERS: [string, string][] = [
  ['compiled', TS_INIT_COMPILED],
  ['sh', TS_INIT_SH],
];

t.test('--version and the first -v line say which launcher runs', async (t) => {
  for (const [kind, init] of LAUNCHERS) {
    const v = await run(init, ['--version']);
    t.match(String(v.stdout), new RegExp(`^ts-init version \\S+ \\(${kind} launcher\\)\\n$`), `${kind}: --version`);
    const r = await run(init, ['-v', '--', 'true']);
    t.match(String(r.stderr).split('\n')[0], new RegExp(`^\\[INFO  ts-init \\(\\d+\\)\\] Launcher: ${kind} `), `${kind}: first -v line`);
  }
  const direct = await run(process.execPath, [join(ROOT, 'dist/ts-init.cjs'), '--version'], { env: { __TS_INIT_LAUNCH: '0' } });
  t.equal(
    String(direct.stdout),
    `ts-init version ${/version (\S+)/.exec(String((await run(TS_INIT_SH, ['--version'])).stdout))?.[1]} (no launcher)\n`,
    'node on the bundle: no launcher, and __TS_INIT_LAUNCH=0 from outside is not taken for a record',
  );
});

t.test('the compiled launcher checks itself (the install script runs this)', async (t) => {
  const r = await run(TS_INIT_COMPILED, ['--self-test']);
  t.equal(r.exitCode, 0);
  t.match(String(r.stdout), /^ts-init launcher: self-test passed \((x86_64|aarch64), protocol 1, bundle \/.*\/dist\/ts-init\.cjs\)\n$/);
});

t.test('without /proc the program still gets stdin, stdout and stderr (and, compiled, every inherited descriptor)', async (t) => {
  const program = 'read line; echo "in=$line"; echo err >&2; echo five >&5 || echo "no fd 5"';
  for (const [kind, init] of LAUNCHERS) {
    // --grace-period=0: the clean-up after the program lists processes in /proc (another part's concern).
    const script = `umount -l /proc && exec 5>&1 && exec "$0" -v -s --grace-period=0 -- sh -c '${program}'`;
    const r = await run('unshare', ['-m', '--', 'sh', '-c', script, init], { input: 'hello\n', stdin: 'pipe' });
    const out = String(r.stdout);
    t.match(out, /^in=hello$/m, `${kind}: stdin and stdout reach the program`);
    t.match(String(r.stderr), /^err$/m, `${kind}: stderr reaches the program`);
    if (kind === 'compiled') {
      t.match(out, /^five$/m, 'compiled: descriptor 5 too, found without /proc');
      t.match(String(r.stderr), /No \/proc: the launcher found the inherited descriptors by probing/, 'said once with -v');
    } else {
      t.match(out, /^no fd 5$/m, 'sh: only 0, 1 and 2 (documented)');
      t.match(String(r.stderr), /No \/proc: the sh launcher could not list the inherited descriptors; the program gets 0, 1 and 2/, 'said once with -v');
    }
  }
});

t.test("TS_INIT_NODE_FLAGS: split at whitespace, never globbed, never quoted; ts-init's arguments survive --title", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'globbed-if-this-shows'), '');
  const show = 'tr "\\0" " " < /proc/$PPID/cmdline; echo; printf "[%s]" "$@"';
  for (const [kind, init] of LAUNCHERS) {
    // --title rewrites Node's command line: ts-init must not read its own arguments back from it.
    const r = await run(init, ['--', 'sh', '-c', show, 'x', 'a b', '*', ''], { cwd: dir, env: { TS_INIT_NODE_FLAGS: '\t--title=glob*\n  --stack-size=900 ' } });
    t.equal(r.exitCode, 0, `${kind}: runs (${String(r.stderr)})`);
    const [cmdline, args] = String(r.stdout).split('\n');
    t.match(cmdline, /^glob\* /, `${kind}: the title is the literal word, not a file name it globbed to`);
    t.equal(args, '[a b][*][]', `${kind}: the program's arguments are intact`);

    const quoted = await run(init, ['--', 'true'], { env: { TS_INIT_NODE_FLAGS: '--title="my init"' } });
    t.equal(quoted.exitCode, 1, `${kind}: a word that is no option is refused`);
    t.equal(
      String(quoted.stderr),
      "ts-init: TS_INIT_NODE_FLAGS: 'init\"' is not a Node option (the value is split at whitespace, with no quoting; give values as --name=value)\n",
      `${kind}: in one line`,
    );
  }
});

t.test('TS_INIT_DISABLE_SIGUSR1=1 on a Node without the flag: one line, exit 1, instead of Node\'s "bad option"', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-old-node-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'include/node'), { recursive: true });
  symlinkSync(process.execPath, join(dir, 'bin/node'));
  writeFileSync(join(dir, 'include/node/node_version.h'), '#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 20\n');
  for (const [kind, init] of LAUNCHERS) {
    const r = await run(init, ['--', 'true'], { env: { TS_INIT_NODE: join(dir, 'bin/node'), TS_INIT_DISABLE_SIGUSR1: '1' } });
    t.equal(r.exitCode, 1, kind);
    t.equal(
      String(r.stderr),
      `ts-init: TS_INIT_DISABLE_SIGUSR1=1, but Node 20.20 (${join(dir, 'bin/node')}) has no --disable-sigusr1 (it came with Node 22.14 and 23.7): unset the variable, or set it to 0\n`,
      `${kind}: one line that says what to do`,
    );
  }
});

t.test('the compiled launcher away from its package, or without node: one line each', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-lost-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(TS_INIT_COMPILED, join(dir, 'bin/ts-init'));
  await run('chmod', ['755', join(dir, 'bin/ts-init')]);
  const lost = await run(join(dir, 'bin/ts-init'), ['--', 'true']);
  t.equal(lost.exitCode, 1);
  t.match(
    String(lost.stderr),
    new RegExp(
      `^ts-init: cannot read ts-init's code at ${dir}/dist/ts-init\\.cjs \\(No such file or directory; launcher ${dir}/bin/ts-init\\): reinstall ts-init\\n$`,
    ),
  );

  const none = await run(TS_INIT_COMPILED, ['--', 'true'], { env: { PATH: dir, TS_INIT_NODE: '' }, extendEnv: false });
  t.equal(none.exitCode, 127, 'no node on PATH: 127, as a shell says "not found"');
  t.equal(String(none.stderr), `ts-init: cannot find node on PATH (${dir}): install Node.js 20 or later, or set TS_INIT_NODE to its path\n`);
});

t.test('the old fault hook is gone: __TS_INIT_FAULT from outside does nothing', async (t) => {
  for (const [kind, init] of LAUNCHERS) {
    const r = await run(init, ['--', 'sh', '-c', 'sleep 0.5; exit 4'], { env: { __TS_INIT_FAULT: 'throw-after-spawn' } });
    t.equal(r.exitCode, 4, `${kind}: the program ran to its end`);
    t.equal(String(r.stderr), '', `${kind}: no injected fault`);
  }
});

t.test("as PID 1, a SIGTERM while Node is still loading ts-init's code is not lost", async (t) => {
  // The entry file (dist/ts-init.cjs) gives SIGTERM a handler before the bundle is read; the
  // fixture sends the signal right then. Without a handler the kernel would drop it and the
  // program would run its 30 s.
  // Both ways the entry compiles the bundle: with its code cache (as users run it), and through
  // Node's loader (under this suite's coverage, when tap collects it).
  for (const [kind, init] of LAUNCHERS) {
    for (const [how, coverage] of [
      ['code cache', ''],
      ["Node's loader", process.env.NODE_V8_COVERAGE ?? ''],
    ]) {
      const env = { TS_INIT_NODE_FLAGS: `--require=${fixture('term-before-bundle.cjs')}`, NODE_V8_COVERAGE: coverage };
      const r = await asPid1(init, ['--', 'sleep', '30'], { env, timeout: 25_000 });
      t.equal(r.exitCode, 143, `${kind}, ${how}: forwarded to the program once it ran (${String(r.stderr)})`);
    }
  }
});
