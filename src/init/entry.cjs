// The first of ts-init's code that Node runs: dist/ts-init.cjs (copied there
// by scripts/bundle.js), the file both launchers start. It is kept tiny so
// that the stop signals have a handler as early as a Node program can give
// them one: a namespace's PID 1 without a handler loses SIGTERM (the
// kernel drops it), and reading, compiling and evaluating the rest of
// ts-init (dist/ts-init-main.cjs, ~44 KB) takes a few milliseconds more.
// Node delivers a signal to JavaScript listeners only once the event loop
// runs, and by then ts-init's Forwarder listens too (it is the first thing
// run() sets up): these listeners only make sure Node installs its handler
// now. They stay, doing nothing, like the Forwarder's own (removing the
// last listener of a signal would restore its default action).
'use strict';
const early = () => {
  // Nothing to do: the listener only makes Node install its handler now.
};
for (const name of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) process.on(name, early);

// The bundle is compiled with V8's code cache when there is one for it
// (dist/ts-init-main.cache, made at install and by npm run build:
// scripts/code-cache.js). Compiling the bundle is most of what ts-init adds
// to Node's own start-up; with the cache, V8 takes the bytecode of every
// function a start-up runs instead of parsing the source again
// (docs/benchmarks.md: 2-3 ms, 7-10 %). Whatever is wrong with the cache
// (missing, unreadable, made for another build of the bundle, refused by
// V8 because another Node or other V8 flags made it), the bundle is
// compiled from source as without one; run() names the outcome at -vvv.
const { readFileSync } = require('node:fs');
const path = require('node:path');

const MAIN = path.join(__dirname, 'ts-init-main.cjs');
const CACHE = path.join(__dirname, 'ts-init-main.cache');
// The cache file: this line, the bundle's byte length (4 bytes, LE), the
// bundle's bytes, then V8's data. V8 checks only the source's length, so the
// bundle's own bytes, compared here, make sure the bytecode is for this
// source and no other.
const MAGIC = Buffer.from('ts-init code cache 1\n');
// CommonJS's wrapper, on the bundle's first line; columnOffset takes its
// length back off, so that positions on that line stay the file's own.
const HEADER = '(function (exports, require, module, __filename, __dirname) {';

/** The V8 data in the cache file, if it was made for exactly `source`; else why not. */
function readCache(source) {
  let file;
  try {
    file = readFileSync(CACHE);
  } catch (error) {
    return { status: error.code === 'ENOENT' ? 'none' : `unreadable (${error.code ?? error.message})` };
  }
  const start = MAGIC.length + 4;
  const fits =
    file.length > start &&
    file.subarray(0, MAGIC.length).equals(MAGIC) &&
    file.readUInt32LE(MAGIC.length) === source.length &&
    file.length > start + source.length &&
    file.subarray(start, start + source.length).equals(source);
  if (!fits) return { status: 'not for this bundle (stale or damaged): compiled from source' };
  return { status: 'used', data: file.subarray(start + source.length) };
}

/** The bundle's exports, compiled with the code cache when it fits; and what a new cache is made from. */
function loadMain() {
  // V8 coverage (the test suite) maps its offsets back to src/ through the
  // file as Node's own loader compiles it: no wrapper, no cache.
  if (process.env.NODE_V8_COVERAGE) return { main: require(MAIN), status: 'not used (NODE_V8_COVERAGE is set)' };
  const { Script } = require('node:vm');
  const source = readFileSync(MAIN);
  const cache = readCache(source);
  const script = new Script(`${HEADER}${source.toString('utf8')}\n})`, { filename: MAIN, columnOffset: -HEADER.length, cachedData: cache.data });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, MAIN, __dirname);
  const refused = cache.data !== undefined && script.cachedDataRejected;
  const status = refused ? 'refused by V8 (made by another Node, or with other V8 flags): compiled from source' : cache.status;
  return { main: mod.exports, status, script, source };
}

const loaded = loadMain();

module.exports = {
  /** The sh launcher requires this file and calls run with 'sh'. */
  run: (packageRoot, entry) => loaded.main.run(packageRoot, entry, loaded.status),
  /**
   * The bytes of a new cache file for the bundle this process compiled,
   * from what it has compiled so far (scripts/code-cache-hook.cjs asks as
   * ts-init exits, when every function of a start-up and an exit has run);
   * undefined when the bundle was not compiled here (NODE_V8_COVERAGE).
   */
  codeCacheFile: () => {
    if (loaded.script === undefined) return undefined;
    const length = Buffer.alloc(4);
    length.writeUInt32LE(loaded.source.length);
    return Buffer.concat([MAGIC, length, loaded.source, loaded.script.createCachedData()]);
  },
};
// The compiled launcher runs this file itself (node dist/ts-init.cjs); the
// sh launcher requires it from bin/ts-init and calls run.
if (require.main === module) module.exports.run(path.join(__dirname, '..'), 'bundle');
