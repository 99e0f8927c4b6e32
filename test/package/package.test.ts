// The package as users get it: `npm pack`, then installed in a fresh
// directory where no compiler or python is reachable, and with
// --ignore-scripts. The prebuilt addons must load; when none fits, one clear
// line instead of a stack trace. The install script puts the compiled
// launcher in place of bin/ts-init, and keeps the sh launcher whenever it
// cannot. Also: the committed prebuilds match the sources they were built
// from, and the musl and arm64 builds are what they claim to be (as far as
// this x64 glibc machine can tell, and qemu-user for the arm64 launcher).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, run, TS_INIT_SH } from '../helpers/harness.js';

const which = (cmd: string): string | undefined => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

const LAUNCHERS = ['linux-x64/ts-init-launcher', 'linux-arm64/ts-init-launcher'];
const ELF_MACHINE: Record<string, number> = { 'linux-x64': 62, 'linux-arm64': 183 };

t.test('committed prebuilds were built from the current sources (else: npm run prebuilds)', async (t) => {
  const r = await run('sha256sum', ['-c', 'prebuilds/SOURCES.sha256'], { cwd: ROOT });
  t.equal(r.exitCode, 0, String(r.stdout) + String(r.stderr));
  for (const file of ['linux-x64/ts-init.glibc.node', 'linux-x64/ts-init.musl.node', 'linux-arm64/ts-init.glibc.node', ...LAUNCHERS]) {
    t.ok(existsSync(join(ROOT, 'prebuilds', file)), `prebuilds/${file} is there`);
  }
  t.match(readFileSync(join(ROOT, 'prebuilds/SOURCES.sha256'), 'utf8'), / src\/native\/launcher\.c\n/, 'the launcher\'s source is among the hashed ones');
});


/** The ELF file's machine, and whether a program header asks for a dynamic loader (PT_INTERP). */
function elfFacts(file: string): { magic: string; type: number; machine: number; interpreter: boolean } {
  const elf = readFileSync(file);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  let interpreter = false;
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) interpreter ||= elf.readUInt32LE(phoff + i * size) === 3;
  return { magic: elf.subarray(0, 4).toString('latin1'), type: elf.readUInt16LE(16), machine: elf.readUInt16LE(18), interpreter };
}

/** A package-shaped directory around a launcher binary: bin/ts-init, and dist/ pointing at this checkout's bundle. */
function launcherPackage(binary: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-launcher-pkg-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/ts-init'), readFileSync(binary), { mode: 0o755 });
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
  return dir;
}

t.test('the prebuilt launchers are static executables for their machine, and pass their self-test', async (t) => {
  for (const file of LAUNCHERS) {
    const facts = elfFacts(join(ROOT, 'prebuilds', file));
    t.equal(facts.magic, '\x7fELF', `${file}: ELF`);
    t.equal(facts.type, 2, `${file}: ET_EXEC, a program`);
    t.equal(facts.machine, ELF_MACHINE[file.split('/')[0] as string], `${file}: built for its machine`);
    t.notOk(facts.interpreter, `${file}: statically linked (no dynamic loader asked for: serves glibc and musl images alike)`);
  }
  const x64 = launcherPackage(join(ROOT, 'prebuilds/linux-x64/ts-init-launcher'));
  t.teardown(() => rmSync(x64, { recursive: true, force: true }));
  const test = await run(join(x64, 'bin/ts-init'), ['--self-test']);
  t.match(String(test.stdout), /^ts-init launcher: self-test passed \(x86_64, protocol 1, bundle .*\/dist\/ts-init\.cjs\)\n$/, 'x64 self-test');
  const r = await run(join(x64, 'bin/ts-init'), ['--', 'sh', '-c', 'exit 5']);
  t.equal(r.exitCode, 5, `the x64 prebuild runs ts-init: ${String(r.stderr)}`);
});

const qemu = which('qemu-aarch64');
t.test('the arm64 launcher runs its self-test under qemu-user', { skip: qemu ? false : 'qemu-aarch64 not installed (apt-get install qemu-user)' }, async (t) => {
  if (!qemu) return;
  const arm = launcherPackage(join(ROOT, 'prebuilds/linux-arm64/ts-init-launcher'));
  t.teardown(() => rmSync(arm, { recursive: true, force: true }));
  const test = await run(qemu, [join(arm, 'bin/ts-init'), '--self-test']);
  t.equal(test.exitCode, 0, String(test.stderr));
  t.match(String(test.stdout), /^ts-init launcher: self-test passed \(aarch64, protocol 1, bundle .*\/dist\/ts-init\.cjs\)\n$/);
});

const objdump = which('objdump');
t.test('glibc prebuilds need no newer glibc than 2.17 (node:*-bullseye and older load them)', { skip: objdump ? false : 'objdump not installed (binutils)' }, async (t) => {
  if (!objdump) return;
  for (const file of ['linux-x64/ts-init.glibc.node', 'linux-arm64/ts-init.glibc.node']) {
    const out = String((await run(objdump, ['-T', join(ROOT, 'prebuilds', file)])).stdout);
    const versions = [...out.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => Number(m[1]) * 1000 + Number(m[2]));
    t.ok(versions.length > 0, `${file} has versioned glibc symbols`);
    t.ok(Math.max(...versions) <= 2017, `${file}: newest is GLIBC_${Math.floor(Math.max(...versions) / 1000)}.${Math.max(...versions) % 1000}`);
  }
});

t.test('the arm64 prebuild is an aarch64 shared object', async (t) => {
  const elf = readFileSync(join(ROOT, 'prebuilds/linux-arm64/ts-init.glibc.node'));
  t.equal(elf.subarray(0, 4).toString('latin1'), '\x7fELF', 'ELF');
  t.equal(elf.readUInt16LE(16), 3, 'ET_DYN (shared object)');
  t.equal(elf.readUInt16LE(18), 183, 'e_machine EM_AARCH64');
});

t.test('the musl prebuild loads under musl\'s dynamic linker', { skip: which('musl-gcc') ? false : 'musl-gcc not installed (apt-get install musl-tools)' }, async (t) => {
  const script = join(ROOT, 'scripts/check-musl-load.sh');
  const musl = join(ROOT, 'prebuilds/linux-x64/ts-init.musl.node');
  const r = await run('sh', [script, musl]);
  t.equal(r.exitCode, 0, `loads with every libc symbol resolved: ${String(r.stdout)}${String(r.stderr)}`);
  const control = await run('sh', [script, musl, 'napi_throw']);
  t.not(control.exitCode, 0, 'control: with one Node-API symbol missing, the same check fails');
  t.match(String(control.stderr), /napi_throw/, 'and names the missing symbol');
});

t.test('npm pack, install with no compiler or python reachable, and with --ignore-scripts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-package-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // --ignore-scripts: `npm test` has just built dist/; rebuilding it here
  // would rewrite files that tests running in parallel are loading.
  const pack = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, timeout: 120_000 });
  t.equal(pack.exitCode, 0, `npm pack: ${String(pack.stderr)}`);
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');
  const listing = String((await run('tar', ['-tzf', tarball])).stdout).split('\n');
  for (const file of ['bin/ts-init', 'dist/ts-init.cjs', 'scripts/install.js', 'prebuilds/linux-x64/ts-init.glibc.node', 'prebuilds/linux-x64/ts-init.musl.node', 'prebuilds/linux-arm64/ts-init.glibc.node', ...LAUNCHERS.map((l) => `prebuilds/${l}`)]) {
    t.ok(listing.includes(`package/${file}`), `the tarball has ${file}`);
  }
  t.notOk(listing.some((f) => f.startsWith('package/build/')), 'the tarball has no local build/');

  // A PATH with node, npm and sh only: cc, gcc, g++, make and python are
  // nowhere to be found, so node-gyp could not build even if it tried.
  const tools = join(dir, 'tools');
  mkdirSync(tools);
  for (const [name, target] of [['node', process.execPath], ['npm', which('npm')], ['sh', '/bin/sh']] as const) {
    if (target) symlinkSync(target, join(tools, name));
  }
  const bare = { PATH: tools };
  const hidden = await run('/bin/sh', ['-c', 'for c in cc gcc g++ c++ make python3 python; do command -v $c; done'], { env: bare, extendEnv: false });
  t.equal(String(hidden.stdout).trim(), '', 'no compiler, make or python on the stripped PATH');

  // npm may still need the registry (packuments missing from the cache);
  // where TLS goes through a proxy whose CA is in the system bundle, Node
  // needs that bundle (the stripped environment would drop the variable).
  const ca = process.env['NODE_EXTRA_CA_CERTS'] ?? (existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : undefined);
  const network: Record<string, string> = ca ? { NODE_EXTRA_CA_CERTS: ca } : {};
  const npmInstall = (prefix: string, extra: string[], env: Record<string, string> = {}) => {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
    return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...extra, tarball], {
      cwd: prefix,
      env: { ...bare, ...network, HOME: process.env['HOME'] ?? '/root', ...env },
      extendEnv: false,
      timeout: 170_000,
    });
  };

  const app = join(dir, 'app');
  const installed = await npmInstall(app, []);
  t.equal(installed.exitCode, 0, `npm install with scripts, stripped PATH: ${String(installed.stderr).slice(-2000)}`);
  // npm 11 warns that install scripts will need approval (allowScripts) but
  // still runs them; if a later npm skips them, the --ignore-scripts case
  // below is what users get.
  t.match(String(installed.stdout), /> node scripts\/install\.js/, 'the install script ran');
  t.match(String(installed.stdout), /^ts-init: compiled launcher installed as bin\/ts-init \(x86_64, protocol 1, /m, 'and put the compiled launcher in place');
  const pkg = join(app, 'node_modules/ts-init');
  t.notOk(existsSync(join(pkg, 'build')), 'nothing was compiled (no build/ in the installed package)');
  t.equal(readFileSync(join(pkg, 'bin/ts-init')).subarray(0, 4).toString('latin1'), '\x7fELF', 'bin/ts-init is the compiled launcher');
  t.same(readdirSync(join(pkg, 'bin')).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left beside it');
  const r = await run(join(app, 'node_modules/.bin/ts-init'), ['--', 'sh', '-c', 'exit 7'], { env: bare, extendEnv: false });
  t.equal(r.exitCode, 7, `the installed ts-init runs on the prebuild: ${String(r.stderr)}`);
  const version = await run(join(app, 'node_modules/.bin/ts-init'), ['--version'], { env: bare, extendEnv: false });
  t.match(String(version.stdout), /\(compiled launcher\)/, '--version says so');

  // Control: the same install script, when no prebuild fits (LIBC is the
  // variable node-gyp-build reads), falls back to compiling, and fails here.
  const rebuild = await run('npm', ['rebuild', 'ts-init', '--foreground-scripts'], {
    cwd: app,
    env: { ...bare, ...network, HOME: process.env['HOME'] ?? '/root', LIBC: 'uclibc' },
    extendEnv: false,
    timeout: 120_000,
  });
  t.not(rebuild.exitCode, 0, 'control: with no fitting prebuild the install script tries to compile and cannot');
  t.match(String(rebuild.stdout) + String(rebuild.stderr), /gyp ERR! find Python/, 'because node-gyp finds no python on this PATH');

  const quiet = join(dir, 'quiet');
  const ignored = await npmInstall(quiet, ['--ignore-scripts']);
  t.equal(ignored.exitCode, 0, `npm install --ignore-scripts: ${String(ignored.stderr).slice(-2000)}`);
  const q = await run(join(quiet, 'node_modules/.bin/ts-init'), ['--', 'sh', '-c', 'exit 9'], { env: bare, extendEnv: false });
  t.equal(q.exitCode, 9, `--ignore-scripts install runs: ${String(q.stderr)}`);
  t.equal(readFileSync(join(quiet, 'node_modules/ts-init/bin/ts-init'), 'utf8'), readFileSync(TS_INIT_SH, 'utf8'), '--ignore-scripts: bin/ts-init is the sh launcher, as shipped');
  const qv = await run(join(quiet, 'node_modules/.bin/ts-init'), ['--version'], { env: bare, extendEnv: false });
  t.match(String(qv.stdout), /\(sh launcher\)/, '--version says so');

  // No binary fits: one line that says why and what to do, no stack trace.
  const none = await run(join(quiet, 'node_modules/.bin/ts-init'), ['--', 'true'], { env: { ...bare, LIBC: 'uclibc' }, extendEnv: false });
  const stderr = String(none.stderr);
  t.equal(none.exitCode, 1, 'exit 1 when no addon fits');
  t.match(stderr, /no usable native addon for linux-x64 uclibc \(Node v\d+/, 'names platform, arch, libc and Node');
  t.match(stderr, /prebuilt: linux-arm64\/ts-init\.glibc\.node, linux-x64\/ts-init\.glibc\.node, linux-x64\/ts-init\.musl\.node/, 'lists what the package has');
  t.notMatch(stderr, /^\s+at /m, 'no stack trace');
  t.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
});

// The swap on its own (scripts/install.js swapLauncher), on an unpacked copy
// of the package: whatever goes wrong, bin/ts-init stays the sh launcher,
// nothing is left behind, and one line says why.
t.test('install script: the sh launcher stays when the compiled one cannot be put in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-swap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = join(dir, 'pkg');
  const copy = (): void => {
    rmSync(pkg, { recursive: true, force: true });
    mkdirSync(pkg);
    for (const path of ['bin', 'prebuilds', 'scripts/install.js', 'package.json']) cpSync(join(ROOT, path), join(pkg, path), { recursive: true });
    symlinkSync(join(ROOT, 'dist'), join(pkg, 'dist'));
  };
  const swap = async (wrap: string[] = []): Promise<string> => {
    const code = `import(${JSON.stringify(join(pkg, 'scripts/install.js'))}).then((m) => console.log(m.swapLauncher()))`;
    return String((await run(wrap[0] ?? process.execPath, [...(wrap.length > 0 ? [...wrap.slice(1), process.execPath] : []), '-e', code])).stdout).trim();
  };
  const isSh = (): boolean => readFileSync(join(pkg, 'bin/ts-init'), 'utf8') === readFileSync(TS_INIT_SH, 'utf8');
  const leftovers = (): string[] => readdirSync(join(pkg, 'bin')).filter((f) => f.endsWith('.tmp'));

  copy();
  t.match(await swap(), /^compiled launcher installed as bin\/ts-init \(x86_64, /, 'control: the swap works on this copy');
  t.notOk(isSh(), 'control: bin/ts-init was replaced');

  copy();
  writeFileSync(join(pkg, 'prebuilds/linux-x64/ts-init-launcher'), '#!/bin/sh\necho "broken build" >&2; exit 3\n');
  t.equal(await swap(), 'keeping the sh launcher (bin/ts-init): the compiled one for linux-x64 could not be put in place: its self-test failed (exit 3): broken build', 'a launcher that fails its self-test');
  t.ok(isSh(), 'the sh launcher stays');
  t.same(leftovers(), [], 'nothing left behind');

  copy();
  writeFileSync(join(pkg, 'prebuilds/linux-x64/ts-init-launcher'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  t.match(await swap(), /^keeping the sh launcher \(bin\/ts-init\): the compiled one for linux-x64 could not be put in place: its self-test (failed|did not run)\b/, 'a binary this machine cannot run (libuv hands ENOEXEC to /bin/sh, which fails too)');
  t.ok(isSh(), 'the sh launcher stays');
  t.same(leftovers(), [], 'nothing left behind');

  copy();
  rmSync(join(pkg, 'prebuilds/linux-x64/ts-init-launcher'));
  t.equal(await swap(), 'no compiled launcher for linux-x64: keeping the sh launcher (bin/ts-init)', 'no launcher for this platform');
  t.ok(isSh(), 'the sh launcher stays');

  // A read-only install (a read-only bind mount in a private mount namespace: root ignores permission bits).
  copy();
  const ro = await swap(['unshare', '-m', '--', 'sh', '-c', `mount --bind -o ro "${pkg}" "${pkg}" && exec "$@"`, 'x']);
  t.match(ro, /^keeping the sh launcher \(bin\/ts-init\): the compiled one for linux-x64 could not be put in place: EROFS: read-only file system/, 'a read-only package directory');
  t.ok(isSh(), 'the sh launcher stays');
});
