// V8's code cache for ts-init's bundle (src/init/entry.cjs, made by
// scripts/code-cache.js): used when it was made for exactly this bundle by
// this Node, and otherwise never, with ts-init behaving the same either way.
// The suite runs ts-init under V8 coverage, which compiles the bundle
// without the cache; these runs turn coverage off (NODE_V8_COVERAGE='') to
// take the path every user takes.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ROOT, run, TS_INIT_COMPILED, TS_INIT_SH } from '../helpers/harness.js';

const NO_COVERAGE = { NODE_V8_COVERAGE: '' };
const CACHE_LINE = /\[TRACE ts-init \(\d+\)\] Code cache: (.*)\n/;
const MAGIC_LENGTH = 'ts-init code cache 1\n'.length;

const codeCache = (stderr: unknown): string | undefined => CACHE_LINE.exec(String(stderr))?.[1];

/** A copy of what ts-init runs from (bundle, cache, addon, launchers, the cache script), to damage freely. */
function packageCopy(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-code-cache-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'dist'));
  for (const file of ['ts-init.cjs', 'ts-init-main.cjs', 'ts-init-main.cache', 'pino.cjs']) cpSync(join(ROOT, 'dist', file), join(dir, 'dist', file));
  for (const file of ['package.json', 'bin', 'prebuilds', 'scripts', 'build/Release/ts_init.node']) {
    if (existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(dir, file), { recursive: true });
  }
  return dir;
}

/** `node DIR/dist/ts-init.cjs -vvv -- sh -c 'exit 7'`: the launcher makes no difference to the cache (the first test). */
function runCopy(dir: string, nodeArgs: string[] = []): ReturnType<typeof run> {
  return run(process.execPath, [...nodeArgs, join(dir, 'dist/ts-init.cjs'), '-vvv', '--', 'sh', '-c', 'exit 7'], { env: NO_COVERAGE });
}

t.test('the build made a cache, and ts-init uses it whichever way it starts', async (t) => {
  t.ok(existsSync(join(ROOT, 'dist/ts-init-main.cache')), 'npm run build made dist/ts-init-main.cache');
  for (const [how, file, args] of [
    ['compiled launcher', TS_INIT_COMPILED, []],
    ['sh launcher', TS_INIT_SH, []],
    ['no launcher', process.execPath, [join(ROOT, 'dist/ts-init.cjs')]],
  ] as const) {
    const r = await run(file, [...args, '-vvv', '--', 'sh', '-c', 'exit 7'], { env: NO_COVERAGE });
    t.equal(r.exitCode, 7, `${how}: the status passed through`);
    t.equal(codeCache(r.stderr), 'used', `${how}: -vvv says the cache was used`);
  }
  // The rest of the suite runs ts-init under coverage (when tap collects it): the bundle is then compiled as Node's loader does.
  const inherited = await run(TS_INIT_COMPILED, ['-vvv', '--', 'true']);
  const expected = process.env.NODE_V8_COVERAGE ? 'not used (NODE_V8_COVERAGE is set)' : 'used';
  t.equal(codeCache(inherited.stderr), expected, `with this suite's environment: ${expected}`);
});

t.test('no cache: the bundle is compiled from source, nothing else differs', async (t) => {
  const dir = packageCopy(t);
  rmSync(join(dir, 'dist/ts-init-main.cache'));
  const r = await runCopy(dir);
  t.equal(r.exitCode, 7);
  t.equal(codeCache(r.stderr), 'none');
  t.match(String(r.stderr), /Spawned child process 'sh'/);
});

t.test('a cache made for another build of the bundle is never used, even when the lengths are equal', async (t) => {
  // V8 checks only the source's length: without ts-init's own comparison it
  // would run the old bytecode, and print the old line.
  const dir = packageCopy(t);
  const bundle = join(dir, 'dist/ts-init-main.cjs');
  const before = readFileSync(bundle, 'utf8');
  const after = before.replace('Spawned child process', 'Spawned CHILD process');
  t.not(after, before, 'the copy of the bundle is changed');
  t.equal(Buffer.byteLength(after), Buffer.byteLength(before), 'to a source of the same length');
  writeFileSync(bundle, after);
  const r = await runCopy(dir);
  t.equal(r.exitCode, 7);
  t.equal(codeCache(r.stderr), 'not for this bundle (stale or damaged): compiled from source');
  t.match(String(r.stderr), /Spawned CHILD process 'sh'/, 'the code that ran is the changed source');
});

t.test('a cache V8 refuses (other V8 flags, another Node, a damaged header) is refused, and ts-init runs', async (t) => {
  const dir = packageCopy(t);
  const flags = await runCopy(dir, ['--stack-size=900']);
  t.equal(flags.exitCode, 7);
  t.equal(codeCache(flags.stderr), 'refused by V8 (made by another Node, or with other V8 flags): compiled from source', 'another V8 flag');

  // V8's header: magic number, then the hash of the V8 version that made it.
  const file = join(dir, 'dist/ts-init-main.cache');
  const bytes = readFileSync(file);
  const v8Data = MAGIC_LENGTH + 4 + bytes.readUInt32LE(MAGIC_LENGTH);
  bytes[v8Data + 4] = (bytes[v8Data + 4] ?? 0) ^ 0xff;
  writeFileSync(file, bytes);
  const version = await runCopy(dir);
  t.equal(version.exitCode, 7);
  t.equal(codeCache(version.stderr), 'refused by V8 (made by another Node, or with other V8 flags): compiled from source', 'another V8 version');

  writeFileSync(file, bytes.subarray(0, v8Data - 10));
  const truncated = await runCopy(dir);
  t.equal(truncated.exitCode, 7);
  t.equal(codeCache(truncated.stderr), 'not for this bundle (stale or damaged): compiled from source', 'cut short');

  rmSync(file);
  mkdirSync(file);
  const unreadable = await runCopy(dir);
  t.equal(unreadable.exitCode, 7);
  t.equal(codeCache(unreadable.stderr), 'unreadable (EISDIR)', 'not a file');
});

t.test('scripts/code-cache.js makes the cache by running ts-init once, and says so when it cannot', async (t) => {
  const dir = packageCopy(t);
  const cache = join(dir, 'dist/ts-init-main.cache');
  rmSync(cache);
  const leftover = join(dir, 'dist/ts-init-main.cache.4242.tmp'); // as a run killed mid-write leaves it
  writeFileSync(leftover, 'half a cache');
  const made = await run(process.execPath, [join(dir, 'scripts/code-cache.js'), dir], { env: { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE ?? '' } });
  t.equal(made.exitCode, 0, String(made.stderr));
  t.equal(String(made.stdout), `code-cache: code cache made for Node ${process.version} (dist/ts-init-main.cache)\n`);
  t.ok(existsSync(cache), 'the file is there (made under coverage too: the run it makes has coverage off)');
  t.equal(codeCache((await runCopy(dir)).stderr), 'used', 'and ts-init uses it');
  t.notOk(existsSync(leftover), "a killed run's temporary file is removed");
  t.same(
    readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.tmp')),
    [],
    'and none is left by this one',
  );

  // ts-init cannot run (no addon for it): no cache, one line, and still exit 0.
  for (const addon of ['prebuilds', 'build']) rmSync(join(dir, addon), { recursive: true, force: true });
  const failed = await run(process.execPath, [join(dir, 'scripts/code-cache.js'), dir], { env: NO_COVERAGE });
  t.equal(failed.exitCode, 0, 'a missing cache fails nothing');
  t.match(String(failed.stdout), /^code-cache: no code cache \(.+\); ts-init compiles its bundle at each start\n$/);
  t.notOk(existsSync(cache), 'and the old cache is gone with the bundle it was made for');

  // Not even the old cache can be removed (here a directory in its place): one line, exit 0, no throw.
  mkdirSync(join(cache, 'in-the-way'), { recursive: true });
  const blocked = await run(process.execPath, [join(dir, 'scripts/code-cache.js'), dir], { env: NO_COVERAGE });
  t.equal(blocked.exitCode, 0, `an install never fails for the cache: ${String(blocked.stderr)}`);
  t.match(String(blocked.stdout), /^code-cache: no code cache \(.+\); ts-init compiles its bundle at each start\n$/);
});
