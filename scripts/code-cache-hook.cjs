// Preloaded (--require) into the one ts-init run that scripts/code-cache.js
// makes; never part of a normal start. As that ts-init exits, every function
// its start-up and exit ran has been compiled: V8's cache made then holds
// their bytecode, which a cache made right after compiling would not.
// ts-init exits with the addon's _exit(2), which no process 'exit' listener
// sees: the hook wraps the addon's exit as the addon is loaded.
'use strict';
const { renameSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'dist');
const ENTRY = path.join(DIST, 'ts-init.cjs');
const CACHE = path.join(DIST, 'ts-init-main.cache');

/** Writes the cache file that the entry makes of what it compiled; atomic (rename). */
function writeCache() {
  const bytes = require.cache[ENTRY]?.exports.codeCacheFile?.();
  if (bytes === undefined) return;
  const temporary = `${CACHE}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, CACHE);
  } catch (error) {
    rmSync(temporary, { force: true });
    process.stderr.write(`code cache: not written: ${error.message}\n`);
  }
}

const dlopen = process.dlopen.bind(process);
process.dlopen = (module, filename, ...rest) => {
  dlopen(module, filename, ...rest);
  const exit = module.exports?.exit;
  if (typeof exit === 'function') {
    module.exports.exit = (code) => {
      if (code === 0) writeCache();
      exit(code);
    };
  }
};
