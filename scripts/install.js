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
// 2. installAddon (scripts/install-addon.js): nothing when a prebuilt addon
//    (or a local build) loads, else a build from source with npm's own
//    node-gyp; the install fails with one line when that is impossible.
// 3. makeCodeCache (scripts/code-cache.js): V8's code cache for ts-init's
//    bundle, made by running ts-init once with the Node that installs the
//    package (V8 takes only a cache of its own version). Start-up is 2-3 ms
//    shorter with it; without it (any failure, one line) nothing else differs.
//
// npm install --ignore-scripts runs none: then bin/ts-init stays the sh
// launcher, the addon comes from prebuilds/ at run time, and the bundle is
// compiled from source at each start.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine, makeCodeCache } from './code-cache.js';
import { installAddon } from './install-addon.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF_TEST_PASSED = 'ts-init launcher: self-test passed';

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

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`ts-init-pid1: ${swapLauncher()}\n`);
  process.exitCode = installAddon();
  if (process.exitCode === 0) process.stdout.write(`ts-init-pid1: ${makeCodeCache()}\n`);
}
