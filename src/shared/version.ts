// The package's version, for --version and the usage texts of both commands,
// and its name on npm, for messages that say what to install.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function manifestField(packageRoot: string, field: 'name' | 'version'): string {
  try {
    const value = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function packageVersion(packageRoot: string): string {
  return manifestField(packageRoot, 'version');
}

export function packageName(packageRoot: string): string {
  return manifestField(packageRoot, 'name');
}
