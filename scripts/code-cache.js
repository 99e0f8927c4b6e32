// Makes dist/ts-init-main.cache, V8's code cache for ts-init's bundle
// (src/init/entry.cjs uses it; docs/benchmarks.md says what it buys): by
// npm run build, and by the install script with the Node that installs the
// package, since V8 accepts only a cache made by its own version. It runs
// ts-init once, `ts-init -- true`, through the launcher the package has and
// with that Node, and scripts/code-cache-hook.cjs writes the cache as that
// ts-init exits. A failure leaves no cache and fails nothing: ts-init then
// compiles its bundle from source, as it always could.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The first line of what a failed step printed (the install script's lines use it too). */
export const firstLine = (text) =>
  String(text ?? '')
    .trim()
    .split('\n')[0] ?? '';

const NONE = 'ts-init compiles its bundle at each start';

/** Makes the cache; returns the line to print. Never throws: a missing cache must not fail an install. */
export function makeCodeCache(root = ROOT) {
  try {
    return runOnce(root);
  } catch (error) {
    return `no code cache (${firstLine(error.message)}); ${NONE}`;
  }
}

function runOnce(root) {
  const cache = join(root, 'dist/ts-init-main.cache');
  rmSync(cache, { force: true }); // a cache of the previous bundle is of no use
  // And what a run killed between its write and its rename left (the hook writes NAME.PID.tmp).
  for (const file of existsSync(join(root, 'dist')) ? readdirSync(join(root, 'dist')) : []) {
    if (/^ts-init-main\.cache\.\d+\.tmp$/.test(file)) rmSync(join(root, 'dist', file), { force: true });
  }
  // A clone's npm ci runs the install script before its build (prepare) has made the bundle.
  if (!existsSync(join(root, 'dist/ts-init-main.cjs'))) return 'no bundle yet: npm run build makes the code cache with it';
  // The launcher of this checkout's build, else the package's own (after the install swap, the compiled one).
  const built = join(root, 'build/launcher/bin/ts-init');
  const launcher = existsSync(built) ? built : join(root, 'bin/ts-init');
  const env = { ...process.env, TS_INIT_NODE: process.execPath, TS_INIT_NODE_FLAGS: `--require=${join(root, 'scripts/code-cache-hook.cjs')}` };
  // Under V8 coverage the entry compiles the bundle without a cache, and so could not make one.
  // Empty, not deleted: a Node under coverage gives a child's env that lacks the name its own value.
  env.NODE_V8_COVERAGE = '';
  const run = spawnSync(launcher, ['--', 'true'], { env, encoding: 'utf8', timeout: 20_000 });
  if (run.error !== undefined) return `no code cache (ts-init did not run: ${run.error.message}); ${NONE}`;
  if (run.status !== 0) return `no code cache (ts-init -- true: ${firstLine(run.stderr) || `exit ${run.status ?? run.signal}`}); ${NONE}`;
  if (!existsSync(cache)) return `no code cache (ts-init wrote none${run.stderr ? `: ${firstLine(run.stderr)}` : ''}); ${NONE}`;
  return `code cache made for Node ${process.version} (dist/ts-init-main.cache)`;
}

// node scripts/code-cache.js [PACKAGE_ROOT]: this checkout, or another copy of the package (the tests').
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`code-cache: ${makeCodeCache(process.argv[2] === undefined ? ROOT : resolve(process.argv[2]))}\n`);
}
