// The addon's install step (package.json "install"), with no dependency:
// when an addon that fits this machine already loads (a prebuild for this
// platform, arch and libc, or a local build/Release), it does nothing; else
// it builds src/native/addon.c with npm's own node-gyp, and when that is
// impossible it says so in one line and fails the install (ts-init could not
// run).
//
// The files it looks for are the ones src/native/loader.ts loads at run time,
// in the same order; the run time cannot import this file (it is bundled,
// and this one must run before anything is built).
//
// Runnable alone (`node scripts/install-addon.js`), or imported:
// installAddon() returns the exit status and never exits itself.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** LIBC overrides; else Alpine's marker file means musl (as src/native/loader.ts). */
function libcName(env) {
  return env.LIBC ?? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
}

/** Local build first, then this platform's prebuild (as src/native/loader.ts). */
function addonCandidates(root, env) {
  const prebuild = join(root, 'prebuilds', `${process.platform}-${process.arch}`, `ts-init.${libcName(env)}.node`);
  if (env.PREBUILDS_ONLY !== undefined) return [prebuild];
  return [join(root, 'build', 'Release', 'ts_init.node'), prebuild];
}

function loads(file) {
  try {
    const module = { exports: {} };
    process.dlopen(module, file);
    return typeof module.exports.spawn === 'function';
  } catch {
    return false;
  }
}

/**
 * npm's own node-gyp: npm names it in npm_config_node_gyp for the scripts it
 * runs; run alone, the one inside the npm found on PATH.
 */
function npmNodeGyp(env) {
  const named = env.npm_config_node_gyp;
  if (named !== undefined && named !== '' && existsSync(named)) return named;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const npm = join(dir || '.', 'npm');
    if (!existsSync(npm)) continue;
    // <npm>/bin/npm-cli.js is what the npm command links to.
    const gyp = join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(gyp)) return gyp;
  }
  return undefined;
}

function packageName(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
  } catch {
    return 'the package';
  }
}

/**
 * Makes sure an addon that loads is in place under `root`. Returns 0 when
 * one is (found or built), 1 after one line on stderr when none can be.
 */
export function installAddon({ root = PACKAGE_ROOT, env = process.env, say = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (addonCandidates(root, env).some((file) => existsSync(file) && loads(file))) return 0;

  const name = packageName(root);
  const machine = `${process.platform}-${process.arch} ${libcName(env)} (Node ${process.version})`;
  const why = `no prebuilt addon fits ${machine}`;
  const images = 'or use a linux-x64 (glibc or musl) or linux-arm64 (glibc) image, where a prebuilt addon fits';
  const gyp = npmNodeGyp(env);
  if (gyp === undefined) {
    say(`${name}: ${why}, and npm's node-gyp, which would build it from source, was not found: install with npm, ${images}.`);
    return 1;
  }
  const build = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, env, stdio: 'inherit' });
  const built = join(root, 'build', 'Release', 'ts_init.node');
  if (build.status === 0 && loads(built)) return 0;
  const status = build.error?.message ?? (build.status !== null ? `exit ${build.status}` : `signal ${build.signal}`);
  say(
    `${name}: ${why}, and building it from source failed (node-gyp ${status}; ${relative(root, built)} ${existsSync(built) ? 'does not load' : 'missing'}): ` +
      `it needs python3, make and a C compiler. Install them and run npm rebuild ${name}, ${images}.`,
  );
  return 1;
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = installAddon();
}
