// Compiles test/fixtures/storm.c once per test process, into a temporary
// directory that goes away when the test process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { fixture } from './harness.js';

let built: string | undefined;

export function stormBinary(): string {
  if (built !== undefined) return built;
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-storm-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'storm');
  execaSync('cc', ['-O2', '-o', out, fixture('storm.c')]);
  built = out;
  return out;
}
