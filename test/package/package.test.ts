// The package as users get it: `npm pack`, then installed in a fresh
// directory where no compiler or python is reachable, and with
// --ignore-scripts. The prebuilt addons must load; when none fits, one clear
// line instead of a stack trace. Also: the committed prebuilds match the
// sources they were built from, and the musl and arm64 builds are what they
// claim to be (as far as this x64 glibc machine can tell).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, run } from '../helpers/harness.js';

const which = (cmd: string): string | undefined => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

t.test('committed prebuilds were built from the current sources (else: npm run prebuilds)', async (t) => {
  const r = await run('sha256sum', ['-c', 'prebuilds/SOURCES.sha256'], { cwd: ROOT });
  t.equal(r.exitCode, 0, String(r.stdout) + String(r.stderr));
  for (const file of ['linux-x64/ts-init.glibc.node', 'linux-x64/ts-init.musl.node', 'linux-arm64/ts-init.glibc.node']) {
    t.ok(existsSync(join(ROOT, 'prebuilds', file)), `prebuilds/${file} is there`);
  }
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
  for (const file of ['bin/ts-init', 'dist/ts-init.cjs', 'prebuilds/linux-x64/ts-init.glibc.node', 'prebuilds/linux-x64/ts-init.musl.node', 'prebuilds/linux-arm64/ts-init.glibc.node']) {
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
  const ca = process.env.NODE_EXTRA_CA_CERTS ?? (existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : undefined);
  const network: Record<string, string> = ca ? { NODE_EXTRA_CA_CERTS: ca } : {};
  const npmInstall = (prefix: string, extra: string[], env: Record<string, string> = {}) => {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
    return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...extra, tarball], {
      cwd: prefix,
      env: { ...bare, ...network, HOME: process.env.HOME ?? '/root', ...env },
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
  t.match(String(installed.stdout), /> node-gyp-build/, 'the install script (node-gyp-build) ran');
  const pkg = join(app, 'node_modules/ts-init');
  t.notOk(existsSync(join(pkg, 'build')), 'nothing was compiled (no build/ in the installed package)');
  const r = await run(join(app, 'node_modules/.bin/ts-init'), ['--', 'sh', '-c', 'exit 7'], { env: bare, extendEnv: false });
  t.equal(r.exitCode, 7, `the installed ts-init runs on the prebuild: ${String(r.stderr)}`);

  // Control: the same install script, when no prebuild fits (LIBC is the
  // variable node-gyp-build reads), falls back to compiling, and fails here.
  const rebuild = await run('npm', ['rebuild', 'ts-init', '--foreground-scripts'], {
    cwd: app,
    env: { ...bare, ...network, HOME: process.env.HOME ?? '/root', LIBC: 'uclibc' },
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

  // No binary fits: one line that says why and what to do, no stack trace.
  const none = await run(join(quiet, 'node_modules/.bin/ts-init'), ['--', 'true'], { env: { ...bare, LIBC: 'uclibc' }, extendEnv: false });
  const stderr = String(none.stderr);
  t.equal(none.exitCode, 1, 'exit 1 when no addon fits');
  t.match(stderr, /no usable native addon for linux-x64 uclibc \(Node v\d+/, 'names platform, arch, libc and Node');
  t.match(stderr, /prebuilt: linux-arm64\/ts-init\.glibc\.node, linux-x64\/ts-init\.glibc\.node, linux-x64\/ts-init\.musl\.node/, 'lists what the package has');
  t.notMatch(stderr, /^\s+at /m, 'no stack trace');
  t.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
});
