// Bundles the init's entry point into one CommonJS file: one file to read
// and compile at start-up instead of a module graph (start-up time is an
// init's first cost). pino and node-gyp-build stay external: they are loaded
// only when needed, from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/ts-init.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['pino', 'node-gyp-build'],
  legalComments: 'none',
  logLevel: 'warning',
});
