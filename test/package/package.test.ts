// The package as users get it: `npm pack`, then installed in a fresh
// prefix where no compiler or python is reachable, and with
// --ignore-scripts. It is one package with no dependencies (the commands'
// own code, execa, pino and signal-exit bundled), under 2 MiB; the prebuilt
// addons load; when none fits, one clear line instead of a stack trace. The
// install script puts the compiled launcher in place of bin/ts-init, and
// keeps the sh launcher whenever it cannot. Also: the committed prebuilds match the sources they were built
// from, and the musl and arm64 builds are what they claim to be (as far as
// this x64 glibc machine can tell, and qemu-user for the arm64 launcher).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  t.match(readFileSync(join(ROOT, 'prebuilds/SOURCES.sha256'), 'utf8'), / src\/native\/launcher\.c\n/, "the launcher's source is among the hashed ones");
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
t.test(
  'the arm64 launcher runs its self-test under qemu-user',
  { skip: qemu ? false : 'qemu-aarch64 not installed (apt-get install qemu-user)' },
  async (t) => {
    if (!qemu) return;
    const arm = launcherPackage(join(ROOT, 'prebuilds/linux-arm64/ts-init-launcher'));
    t.teardown(() => rmSync(arm, { recursive: true, force: true }));
    const test = await run(qemu, [join(arm, 'bin/ts-init'), '--self-test']);
    t.equal(test.exitCode, 0, String(test.stderr));
    t.match(String(test.stdout), /^ts-init launcher: self-test passed \(aarch64, protocol 1, bundle .*\/dist\/ts-init\.cjs\)\n$/);
  },
);

const objdump = which('objdump');
t.test(
  'glibc prebuilds need no newer glibc than 2.17 (node:*-bullseye and older load them)',
  { skip: objdump ? false : 'objdump not installed (binutils)' },
  async (t) => {
    if (!objdump) return;
    for (const file of ['linux-x64/ts-init.glibc.node', 'linux-arm64/ts-init.glibc.node']) {
      const out = String((await run(objdump, ['-T', join(ROOT, 'prebuilds', file)])).stdout);
      const versions = [...out.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => Number(m[1]) * 1000 + Number(m[2]));
      t.ok(versions.length > 0, `${file} has versioned glibc symbols`);
      t.ok(Math.max(...versions) <= 2017, `${file}: newest is GLIBC_${Math.floor(Math.max(...versions) / 1000)}.${Math.max(...versions) % 1000}`);
    }
  },
);

t.test('the arm64 prebuild is an aarch64 shared object', async (t) => {
  const elf = readFileSync(join(ROOT, 'prebuilds/linux-arm64/ts-init.glibc.node'));
  t.equal(elf.subarray(0, 4).toString('latin1'), '\x7fELF', 'ELF');
  t.equal(elf.readUInt16LE(16), 3, 'ET_DYN (shared object)');
  t.equal(elf.readUInt16LE(18), 183, 'e_machine EM_AARCH64');
});

t.test(
  "the musl prebuild loads under musl's dynamic linker",
  { skip: which('musl-gcc') ? false : 'musl-gcc not installed (apt-get install musl-tools)' },
  async (t) => {
    const script = join(ROOT, 'scripts/check-musl-load.sh');
    const musl = join(ROOT, 'prebuilds/linux-x64/ts-init.musl.node');
    const r = await run('sh', [script, musl]);
    t.equal(r.exitCode, 0, `loads with every libc symbol resolved: ${String(r.stdout)}${String(r.stderr)}`);
    const control = await run('sh', [script, musl, 'napi_throw']);
    t.not(control.exitCode, 0, 'control: with one Node-API symbol missing, the same check fails');
    t.match(String(control.stderr), /napi_throw/, 'and names the missing symbol');
  },
);

const MAX_INSTALLED_BYTES = 2 * 1024 * 1024;
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

/** Every file's size under a directory, symlinks not followed (what `du -sb` counts, without directories). */
function bytesUnder(path: string): { bytes: number; files: number } {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return { bytes: stat.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(path)) {
    const sub = bytesUnder(join(path, entry));
    bytes += sub.bytes;
    files += sub.files;
  }
  return { bytes, files };
}

// One pack and three installs serve the subtests.
t.test('the packed package, installed in fresh prefixes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-package-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // A PATH with node, npm, sh and true only: cc, gcc, g++, make and python
  // are nowhere to be found, so node-gyp could not build even if it tried.
  const tools = join(dir, 'tools');
  mkdirSync(tools);
  for (const [name, target] of [
    ['node', process.execPath],
    ['npm', which('npm')],
    ['sh', '/bin/sh'],
    ['true', '/bin/true'],
  ] as const) {
    if (target) symlinkSync(target, join(tools, name));
  }
  const bare = { PATH: tools };
  // npm may still need the registry (packuments missing from the cache);
  // where TLS goes through a proxy whose CA is in the system bundle, Node
  // needs that bundle (the stripped environment would drop the variable).
  const ca = process.env.NODE_EXTRA_CA_CERTS ?? (existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : undefined);
  const npmEnv = { ...bare, ...(ca ? { NODE_EXTRA_CA_CERTS: ca } : {}), HOME: process.env.HOME ?? '/root' };

  // --ignore-scripts: `npm test` has just built dist/; rebuilding it here
  // would rewrite files that tests running in parallel are loading.
  const pack = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, timeout: 120_000 });
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');

  /** npm install of the tarball: into `prefix` as a project (local) or with -g --prefix (as a Dockerfile's RUN does). */
  function npmInstall(prefix: string, extra: string[], env: Record<string, string> = {}): ReturnType<typeof run> {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
    const where = extra.includes('-g') ? ['--prefix', prefix] : [];
    return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...where, ...extra, tarball], {
      cwd: prefix,
      env: { ...npmEnv, ...env },
      extendEnv: false,
      timeout: 170_000,
    });
  }
  const globalPrefix = join(dir, 'global');
  const global = await npmInstall(globalPrefix, ['-g']);
  const globalPkg = join(globalPrefix, 'lib/node_modules', manifest.name);
  const app = join(dir, 'app');
  const local = await npmInstall(app, []);
  const quiet = join(dir, 'quiet');
  const ignored = await npmInstall(quiet, ['--ignore-scripts']);

  t.test('npm pack: the tarball has the commands, their bundles and the prebuilds, and no local build', async (t) => {
    t.equal(pack.exitCode, 0, `npm pack: ${String(pack.stderr)}`);
    const listing = String((await run('tar', ['-tzf', tarball])).stdout).split('\n');
    for (const file of [
      'bin/ts-init',
      'bin/ts-init-probe',
      'dist/ts-init.cjs',
      'dist/ts-init-main.cjs',
      'dist/pino.cjs',
      'dist/ts-init-probe.mjs',
      'dist/api.mjs',
      'dist/index.d.ts',
      'scripts/install.js',
      'scripts/install-addon.js',
      'scripts/code-cache.js',
      'scripts/code-cache-hook.cjs',
      'prebuilds/linux-x64/ts-init.glibc.node',
      'prebuilds/linux-x64/ts-init.musl.node',
      'prebuilds/linux-arm64/ts-init.glibc.node',
      ...LAUNCHERS.map((l) => `prebuilds/${l}`),
    ]) {
      t.ok(listing.includes(`package/${file}`), `the tarball has ${file}`);
    }
    t.notOk(
      listing.some((f) => f.startsWith('package/build/')),
      'the tarball has no local build/',
    );
    t.notOk(listing.includes('package/dist/ts-init-main.cache'), "no code cache: V8 takes only its own version's, so the install makes it");
    t.same(
      listing.filter((f) => f.endsWith('.map')),
      [],
      'no source maps (they map to src/, which is not shipped)',
    );
    t.same(
      listing.filter((f) => /^package\/dist\/.*\.js$/.test(f)),
      [],
      "no unbundled modules of tsc's output",
    );
  });

  t.test('the published package.json declares no dependencies and installs with a dependency-free script', async (t) => {
    const published = JSON.parse(String((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout)) as Record<string, unknown>;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies']) {
      t.same(Object.keys((published[field] as Record<string, string> | undefined) ?? {}), [], `no ${field}`);
    }
    t.same(published.bin, { 'ts-init': 'bin/ts-init', 'ts-init-probe': 'bin/ts-init-probe' }, 'the commands are ts-init and ts-init-probe');
    t.equal((published.scripts as Record<string, string>).install, 'node scripts/install.js', 'the install step is our own script');
  });

  t.test('a global install in a fresh prefix adds exactly one package, under 2 MiB', async (t) => {
    t.equal(global.exitCode, 0, `npm install -g --prefix, stripped PATH: ${String(global.stderr).slice(-2000)}`);
    const ls = await run('npm', ['ls', '-g', '--prefix', globalPrefix, '--all', '--parseable'], { env: npmEnv, extendEnv: false });
    const packages = String(ls.stdout).split('\n').filter(Boolean).slice(1); // the first line is the prefix's lib itself
    t.same(packages, [globalPkg], `npm ls -g --all: only ${manifest.name}`);
    t.same(readdirSync(join(globalPrefix, 'lib/node_modules')), [manifest.name], 'nothing else in the prefix');
    t.notOk(existsSync(join(globalPkg, 'node_modules')), 'no node_modules inside the package');
    const { bytes, files } = bytesUnder(globalPkg);
    t.comment(`installed: 1 package, ${files} files, ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB)`);
    t.ok(bytes < MAX_INSTALLED_BYTES, `${bytes} bytes, under 2 MiB with the prebuilds`);
    t.same(readdirSync(join(globalPrefix, 'bin')).sort(), ['ts-init', 'ts-init-probe'], 'two commands on PATH');
  });

  t.test('the installed commands run with only node, npm, sh and true on PATH', async (t) => {
    const hidden = await run('/bin/sh', ['-c', 'for c in cc gcc g++ c++ make python3 python; do command -v $c; done'], { env: bare, extendEnv: false });
    t.equal(String(hidden.stdout).trim(), '', 'no compiler, make or python on the stripped PATH');
    // npm 11 warns that install scripts will need approval (allowScripts) but
    // still runs them; if a later npm skips them, the --ignore-scripts case
    // below is what users get.
    t.match(String(global.stdout), /> node scripts\/install\.js/, 'the install script ran');
    t.match(
      String(global.stdout),
      new RegExp(`^${manifest.name}: compiled launcher installed as bin/ts-init \\(x86_64, protocol 1, `, 'm'),
      'and put the compiled launcher in place',
    );
    t.notOk(existsSync(join(globalPkg, 'build')), 'nothing was compiled (no build/ in the installed package)');
    t.equal(readFileSync(join(globalPkg, 'bin/ts-init')).subarray(0, 4).toString('latin1'), '\x7fELF', 'bin/ts-init is the compiled launcher');
    t.same(
      readdirSync(join(globalPkg, 'bin')).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left beside it',
    );

    t.match(
      String(global.stdout),
      new RegExp(`^${manifest.name}: code cache made for Node v\\d+\\.\\d+\\.\\d+ \\(dist/ts-init-main\\.cache\\)$`, 'm'),
      'and made the code cache',
    );

    const bin = (name: string): string => join(globalPrefix, 'bin', name);
    // NODE_V8_COVERAGE empty: a Node under coverage (this test, under tap's) gives it to a child that lacks it.
    const cached = await run(bin('ts-init'), ['-vvv', '--', 'true'], { env: { ...bare, NODE_V8_COVERAGE: '' }, extendEnv: false });
    t.match(String(cached.stderr), /\] Code cache: used\n/, 'which ts-init uses');
    const seven = await run(bin('ts-init'), ['--', 'sh', '-c', 'exit 7'], { env: bare, extendEnv: false });
    t.equal(seven.exitCode, 7, `ts-init runs on the prebuild: ${String(seven.stderr)}`);
    const initVersion = await run(bin('ts-init'), ['--version'], { env: bare, extendEnv: false });
    t.match(String(initVersion.stdout), /\(compiled launcher\)/, 'ts-init --version says which launcher runs');
    const ok = await run(bin('ts-init'), ['--', 'true'], { env: bare, extendEnv: false });
    t.equal(ok.exitCode, 0, `ts-init -- true: ${String(ok.stderr)}`);
    t.equal(String(ok.stderr), '', 'and says nothing');
    const version = await run(bin('ts-init-probe'), ['--version'], { env: bare, extendEnv: false });
    t.equal(version.exitCode, 0, String(version.stderr));
    t.equal(String(version.stdout), `ts-init-probe version ${manifest.version}\n`, "ts-init-probe reads its own package's version");

    // Logging works (that the lines come from the bundled pino, not from the
    // fallback that writes without it, is the next test's).
    const json = await run(bin('ts-init'), ['--log-format', 'json', '-v', '--', 'true'], { env: bare, extendEnv: false });
    t.equal(json.exitCode, 0, String(json.stderr));
    const lines = String(json.stderr).split('\n').filter(Boolean);
    t.ok(lines.length >= 2, `info lines at -v: ${String(json.stderr)}`);
    t.ok(
      lines.every((l) => (JSON.parse(l) as { level?: number }).level === 30),
      'every line is pino JSON at level info',
    );
  });

  t.test('the bundled pino logs, and is loaded only when a line is logged', async (t) => {
    // A copy of the installed package whose pino bundle leaves a mark each
    // time it is loaded, and another once the real pino has made a logger.
    const copy = join(dir, 'marked');
    cpSync(globalPkg, copy, { recursive: true });
    const loaded = join(dir, 'pino-loaded');
    const made = join(dir, 'pino-made-a-logger');
    writeFileSync(join(copy, 'dist/pino-real.cjs'), readFileSync(join(copy, 'dist/pino.cjs')));
    writeFileSync(
      join(copy, 'dist/pino.cjs'),
      `const fs = require('node:fs');\nfs.writeFileSync(${JSON.stringify(loaded)}, '');\nconst real = require('./pino-real.cjs');\n` +
        `module.exports = (...args) => { const logger = real(...args); fs.writeFileSync(${JSON.stringify(made)}, ''); return logger; };\n`,
    );
    const silent = await run(join(copy, 'bin/ts-init'), ['--', 'true'], { env: bare, extendEnv: false });
    t.equal(silent.exitCode, 0, String(silent.stderr));
    t.notOk(existsSync(loaded), 'ts-init -- true: pino never loaded');
    const verbose = await run(join(copy, 'bin/ts-init'), ['--log-format', 'json', '-v', '--', 'true'], { env: bare, extendEnv: false });
    t.equal(verbose.exitCode, 0, String(verbose.stderr));
    t.ok(existsSync(loaded), 'control: ts-init -v -- true loads it, through the same file');
    t.ok(existsSync(made), 'and the bundled pino made the logger (no fallback)');
    t.match(String(verbose.stderr), /^\{"level":30,.*"msg":"Spawned child process 'true'/m, 'whose lines are on stderr');
  });

  t.test("the installed probe checks a program with the installed package's ts-init", async (t) => {
    // PROGRAM is ts-init itself (it passes as-is too), so the probe exits 0.
    const probe = await run(
      join(globalPrefix, 'bin/ts-init-probe'),
      ['--json', '--settle', '0.3', '--orphans', '3', '--stop-timeout', '2', '--with-init', '--', join(globalPrefix, 'bin/ts-init'), '--', 'sleep', '100'],
      { timeout: 60_000 },
    );
    t.equal(probe.exitCode, 0, `probe: ${String(probe.stderr)}${String(probe.stdout).slice(0, 2000)}`);
    const report = JSON.parse(String(probe.stdout)) as { passed: boolean; runs: { label: string; argv: string[] }[] };
    t.equal(report.passed, true, 'every check passes');
    t.equal(
      report.runs.find((r) => r.label === 'with-init')?.argv[0],
      join(globalPkg, 'bin/ts-init'),
      "--with-init uses the ts-init beside the probe's bundle",
    );
  });

  t.test('the API: import { probe } from the installed package, with its types', async (t) => {
    t.equal(local.exitCode, 0, `npm install into a project: ${String(local.stderr).slice(-2000)}`);
    const api = await run('node', ['--input-type=module', '-e', `import * as api from '${manifest.name}'; console.log(Object.keys(api).sort().join(' '))`], {
      cwd: app,
      env: bare,
      extendEnv: false,
    });
    t.equal(api.exitCode, 0, String(api.stderr));
    t.equal(String(api.stdout).trim(), 'ProbeEnvironmentError probe', 'the documented exports');
    writeFileSync(
      join(app, 'check.ts'),
      `import { probe, type ProbeReport } from '${manifest.name}';\nconst report: Promise<ProbeReport> = probe({ command: ['true'] });\nvoid report;\n`,
    );
    const tsc = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--types',
        'node',
        '--typeRoots',
        join(ROOT, 'node_modules/@types'),
        'check.ts',
      ],
      { cwd: app, timeout: 120_000 },
    );
    t.equal(tsc.exitCode, 0, `tsc against the installed package's types: ${String(tsc.stdout)}${String(tsc.stderr)}`);
  });

  t.test('--ignore-scripts installs the same working package', async (t) => {
    t.equal(ignored.exitCode, 0, `npm install --ignore-scripts: ${String(ignored.stderr).slice(-2000)}`);
    t.notMatch(String(ignored.stdout), /scripts\/install/, 'the install script did not run');
    const q = await run(join(quiet, 'node_modules/.bin/ts-init'), ['-vvv', '--', 'sh', '-c', 'exit 9'], {
      env: { ...bare, NODE_V8_COVERAGE: '' },
      extendEnv: false,
    });
    t.equal(q.exitCode, 9, `--ignore-scripts install runs: ${String(q.stderr)}`);
    t.match(String(q.stderr), /\] Code cache: none\n/, 'with its bundle compiled from source (no code cache)');
    t.equal(
      readFileSync(join(quiet, 'node_modules', manifest.name, 'bin/ts-init'), 'utf8'),
      readFileSync(TS_INIT_SH, 'utf8'),
      'bin/ts-init is the sh launcher, as shipped',
    );
    const qv = await run(join(quiet, 'node_modules/.bin/ts-init'), ['--version'], { env: bare, extendEnv: false });
    t.match(String(qv.stdout), /\(sh launcher\)/, '--version says so');
    const v = await run(join(quiet, 'node_modules/.bin/ts-init-probe'), ['--version'], { env: bare, extendEnv: false });
    t.equal(String(v.stdout), `ts-init-probe version ${manifest.version}\n`, String(v.stderr));
  });

  t.test("no prebuild fits: the install script builds with npm's node-gyp, and says plainly when it cannot", async (t) => {
    // LIBC names the C library the prebuilds are matched against; uclibc has none.
    const rebuild = await run('npm', ['rebuild', manifest.name, '--foreground-scripts'], {
      cwd: app,
      env: { ...npmEnv, LIBC: 'uclibc' },
      extendEnv: false,
      timeout: 120_000,
    });
    const out = String(rebuild.stdout) + String(rebuild.stderr);
    t.not(rebuild.exitCode, 0, 'the install fails: nothing fits and nothing can be built');
    t.match(out, /gyp ERR! find Python/, "it ran npm's own node-gyp, which finds no python on this PATH");
    t.match(
      out,
      new RegExp(`${manifest.name}: no prebuilt addon fits linux-x64 uclibc \\(Node v\\d+[^)]*\\), and building it from source failed`),
      'one line says what happened',
    );
    t.match(out, /needs python3, make and a C compiler/, 'and what to do');
  });

  t.test("no prebuild fits, a compiler is there: the install script builds with npm's node-gyp", async (t) => {
    // A copy of the project, so the other installs keep using the prebuilds.
    const copy = join(dir, 'from-source');
    cpSync(app, copy, { recursive: true });
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LIBC: 'uclibc' };
    const rebuild = await run('npm', ['rebuild', manifest.name, '--foreground-scripts'], { cwd: copy, env, extendEnv: false, timeout: 170_000 });
    t.equal(rebuild.exitCode, 0, `npm rebuild: ${String(rebuild.stdout).slice(-2000)}${String(rebuild.stderr).slice(-2000)}`);
    t.match(String(rebuild.stdout) + String(rebuild.stderr), /gyp info ok/, "npm's node-gyp built it");
    const r = await run(join(copy, 'node_modules/.bin/ts-init'), ['--', 'sh', '-c', 'exit 4'], { env, extendEnv: false });
    t.equal(r.exitCode, 4, `ts-init runs on the addon built from source: ${String(r.stderr)}`);
  });

  t.test('a local build that does not load: the prebuild is used, and the reason is named when nothing fits', async (t) => {
    const copy = join(dir, 'broken-build');
    cpSync(globalPkg, copy, { recursive: true });
    mkdirSync(join(copy, 'build/Release'), { recursive: true });
    writeFileSync(join(copy, 'build/Release/ts_init.node'), 'not an ELF file\n');
    const fallback = await run(join(copy, 'bin/ts-init'), ['--', 'sh', '-c', 'exit 5'], { env: bare, extendEnv: false });
    t.equal(fallback.exitCode, 5, `the prebuild runs the program: ${String(fallback.stderr)}`);
    const none = await run(join(copy, 'bin/ts-init'), ['--', 'true'], { env: { ...bare, LIBC: 'uclibc' }, extendEnv: false });
    const stderr = String(none.stderr);
    t.equal(none.exitCode, 1, 'nothing fits: exit 1');
    t.match(stderr, /build\/Release\/ts_init\.node: .*(invalid ELF header|file too short)/, "names the local build and dlopen's reason");
    t.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
  });

  t.test('no addon fits at run time: one line, no stack trace', async (t) => {
    const none = await run(join(quiet, 'node_modules/.bin/ts-init'), ['--', 'true'], { env: { ...bare, LIBC: 'uclibc' }, extendEnv: false });
    const stderr = String(none.stderr);
    t.equal(none.exitCode, 1, 'exit 1 when no addon fits');
    t.match(stderr, /no usable native addon for linux-x64 uclibc \(Node v\d+/, 'names platform, arch, libc and Node');
    t.match(
      stderr,
      /prebuilt: linux-arm64\/ts-init\.glibc\.node, linux-x64\/ts-init\.glibc\.node, linux-x64\/ts-init\.musl\.node/,
      'lists what the package has',
    );
    t.match(stderr, new RegExp(`npm rebuild ${manifest.name}`), 'says how to build it');
    t.notMatch(stderr, /^\s+at /m, 'no stack trace');
    t.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
  });
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
    for (const path of ['bin', 'prebuilds', 'scripts/install.js', 'scripts/install-addon.js', 'scripts/code-cache.js', 'package.json'])
      cpSync(join(ROOT, path), join(pkg, path), { recursive: true });
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
  t.equal(
    await swap(),
    'keeping the sh launcher (bin/ts-init): the compiled one for linux-x64 could not be put in place: its self-test failed (exit 3): broken build',
    'a launcher that fails its self-test',
  );
  t.ok(isSh(), 'the sh launcher stays');
  t.same(leftovers(), [], 'nothing left behind');

  copy();
  writeFileSync(join(pkg, 'prebuilds/linux-x64/ts-init-launcher'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  t.match(
    await swap(),
    /^keeping the sh launcher \(bin\/ts-init\): the compiled one for linux-x64 could not be put in place: its self-test (failed|did not run)\b/,
    'a binary this machine cannot run (libuv hands ENOEXEC to /bin/sh, which fails too)',
  );
  t.ok(isSh(), 'the sh launcher stays');
  t.same(leftovers(), [], 'nothing left behind');

  copy();
  rmSync(join(pkg, 'prebuilds/linux-x64/ts-init-launcher'));
  t.equal(await swap(), 'no compiled launcher for linux-x64: keeping the sh launcher (bin/ts-init)', 'no launcher for this platform');
  t.ok(isSh(), 'the sh launcher stays');

  // A read-only install (a read-only bind mount in a private mount namespace: root ignores permission bits).
  copy();
  const ro = await swap(['unshare', '-m', '--', 'sh', '-c', `mount --bind -o ro "${pkg}" "${pkg}" && exec "$@"`, 'x']);
  t.match(
    ro,
    /^keeping the sh launcher \(bin\/ts-init\): the compiled one for linux-x64 could not be put in place: EROFS: read-only file system/,
    'a read-only package directory',
  );
  t.ok(isSh(), 'the sh launcher stays');
});
