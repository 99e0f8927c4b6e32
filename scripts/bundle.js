// Bundles what the package runs, so that it installs no dependencies at all
// (one package in an image instead of 38; execa and the 21 under it were 22):
//
//   dist/ts-init.cjs        what the launchers start: a copy of
//                           src/init/entry.cjs, a few lines that give the
//                           stop signals a handler before the init is read
//   dist/ts-init-main.cjs   the init (signal-exit inside), CommonJS
//   dist/pino.cjs           pino, loaded by src/shared/log.ts only when a line
//                           is logged, so start-up never reads it
//   dist/ts-init-probe.mjs  ts-init-probe's command line  } ESM, execa inside;
//   dist/api.mjs            the package's API (index.ts)  } what both use is
//   dist/chunks/*.mjs       their shared code             } in dist/chunks/
//
// The init is one file to read and compile at start-up instead of a module
// graph (start-up time is an init's first cost). Minified: measured on the
// loaded 2-core bench machine, interleaved, 40 runs each, `ts-init -- true`
// took ~2.8 ms less CPU (~2%) and ~5 ms less wall time with the 32 KB
// minified bundle than with the 57 KB plain one: fewer bytes to read and scan
// before the child can start. Names are not kept: a bundle's stack traces
// point into generated code either way. The others are minified for size.
//
// Source maps are separate files that Node never reads at start-up (only
// with --enable-source-maps or V8 coverage): they map the test suite's
// coverage of the subprocesses back to src/, and only to src/ (code from
// node_modules is left unmapped: scripts/own-sources.js). They are not
// published (they point into src/, which the package does not carry).
//
// A bundle must not import a package at run time: the build fails if one
// does (the published package has no node_modules to find it in).
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { build } from 'esbuild';
import { ownSourcesOnly } from './own-sources.js';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
};

// Bundled CommonJS code (cross-spawn under execa) calls require() for Node's
// modules; an ESM bundle has no require of its own, so give it one.
const esmRequire = "import { createRequire as __tsInitCreateRequire } from 'node:module'; const require = __tsInitCreateRequire(import.meta.url);";

rmSync('dist/chunks', { recursive: true, force: true }); // no stale chunk may be packed
copyFileSync('src/init/entry.cjs', 'dist/ts-init.cjs');
const results = await Promise.all([
  build({ ...common, entryPoints: ['src/init/main.ts'], outfile: 'dist/ts-init-main.cjs', format: 'cjs' }),
  // Node's assert module opens process.stderr as it loads, which makes fd 2
  // non-blocking for the child too: pino's tree gets a local assert instead.
  build({
    ...common,
    entryPoints: [createRequire(import.meta.url).resolve('pino')],
    outfile: 'dist/pino.cjs',
    format: 'cjs',
    alias: { assert: './src/shared/assert-lite.cjs' },
  }),
  build({
    ...common,
    entryPoints: { 'ts-init-probe': 'src/probe/cli.ts', api: 'src/index.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: esmRequire },
  }),
]);

const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const leaks = results.flatMap((r) =>
  Object.entries(r.metafile.outputs).flatMap(([file, output]) =>
    output.imports
      .filter((i) => i.external && !builtin.has(i.path) && !i.path.startsWith('./') && !i.path.startsWith('../'))
      .map((i) => `${file} imports ${i.path}`),
  ),
);
if (leaks.length > 0) {
  console.error(`bundle: a bundle loads a package at run time, which the published package will not have:\n  ${leaks.join('\n  ')}`);
  process.exit(1);
}

for (const file of results.flatMap((r) => Object.keys(r.metafile.outputs)).filter((f) => f.endsWith('.map'))) {
  writeFileSync(file, JSON.stringify(ownSourcesOnly(JSON.parse(readFileSync(file, 'utf8')))));
}
