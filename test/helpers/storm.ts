// Compiles test/fixtures/storm.c once per test process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { fixture } from './harness.js';

let built: string | undefined;

export function stormBinary(): string {
  if (built !== undefined) return built;
  const out = join(mkdtempSync(join(tmpdir(), 'ts-init-storm-')), 'storm');
  execaSync('cc', ['-O2', '-o', out, fixture('storm.c')]);
  built = out;
  return out;
}
