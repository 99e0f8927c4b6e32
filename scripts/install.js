// ts-init's install script (package.json "install"). Plain Node, no
// dependencies of its own. Two steps, each on its own:
//
// 1. swapLauncher: bin/ts-init ships as the POSIX sh launcher, which runs
//    anywhere but cannot pass everything on (docs/launcher.md). Where a
//    prebuilt compiled launcher fits this machine, copy it next to
//    bin/ts-init, run it with --self-test, and rename it over bin/ts-init
//    (atomic: a concurrent start sees one launcher or the other, never half
//    a file). On any failure the sh launcher stays, and one line says why:
//    the install itself never fails for this.
// 2. installAddon: what the install script has always run, node-gyp-build
//    (a prebuilt addon that fits, else a build from source).
//
// npm install --ignore-scripts runs neither: then bin/ts-init stays the sh
// launcher and the addon comes from prebuilds/ at run time.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF_TEST_PASSED = 'ts-init launcher: self-test passed';

/** The first line of whatever a failed step printed. */
function firstLine(text) {
  return String(text ?? '').trim().split('\n')[0] ?? '';
}

/** Puts the compiled launcher in place of bin/ts-init; returns the line to print. */
export function swapLauncher(root = ROOT) {
  const bin = join(root, 'bin/ts-init');
  // A git checkout (a .git directory, or a worktree's .git file): bin/ts-init
  // is a tracked source file there; npm run build makes build/launcher/.
  if (existsSync(join(root, '.git'))) return 'source checkout: bin/ts-init stays the sh launcher (npm run build builds the compiled one in build/launcher/)';
  const tuple = `${process.platform}-${process.arch}`;
  const prebuilt = join(root, 'prebuilds', tuple, 'ts-init-launcher');
  if (!existsSync(prebuilt)) return `no compiled launcher for ${tuple}: keeping the sh launcher (bin/ts-init)`;
  const temporary = join(root, 'bin', `.ts-init-launcher-${process.pid}.tmp`);
  try {
    copyFileSync(prebuilt, temporary);
    chmodSync(temporary, 0o755);
    const test = spawnSync(temporary, ['--self-test'], { encoding: 'utf8', timeout: 20_000 });
    if (test.error !== undefined) throw new Error(`its self-test did not run: ${test.error.message}`);
    if (test.status !== 0 || !test.stdout.startsWith(SELF_TEST_PASSED)) {
      throw new Error(`its self-test failed (${test.signal ?? `exit ${test.status}`}): ${firstLine(test.stderr) || firstLine(test.stdout)}`);
    }
    renameSync(temporary, bin);
    const details = /\((.*)\)$/.exec(firstLine(test.stdout))?.[1] ?? '';
    return `compiled launcher installed as bin/ts-init (${details})`;
  } catch (error) {
    rmSync(temporary, { force: true });
    return `keeping the sh launcher (bin/ts-init): the compiled one for ${tuple} could not be put in place: ${firstLine(error.message)}`;
  }
}

/**
 * node-gyp-build, as the install script ran it before: the prebuilt addon
 * that fits, else a build from source. Its CLI finds its load test by name
 * on PATH (npm puts node_modules/.bin there); run here by path, so that the
 * script works outside npm too. Returns the exit status.
 */
export function installAddon(root = ROOT) {
  const resolveHere = createRequire(join(root, 'package.json')).resolve;
  const fromSource = process.env.npm_config_build_from_source === 'true';
  if (!fromSource && spawnSync(process.execPath, [resolveHere('node-gyp-build/build-test.js')], { cwd: root, stdio: 'ignore' }).status === 0) return 0;
  const r = spawnSync(process.execPath, [resolveHere('node-gyp-build/bin.js')], { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`ts-init: ${swapLauncher()}\n`);
  process.exitCode = installAddon();
}
