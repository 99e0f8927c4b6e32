// The package's version, for --version and the usage texts of both commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function packageVersion(packageRoot: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
