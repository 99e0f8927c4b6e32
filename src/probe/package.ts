// Where this package is installed: the probe takes ts-init (for --with-init)
// and its version from there. This module runs as src/probe/package.ts
// (tests), dist/probe/package.js (tsc's output) or inside a bundle chunk
// (dist/chunks/, the published package), so the root is found, not counted:
// the nearest directory above this file that has a package.json (neither
// src/ nor dist/ has one).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRootAbove(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return dirname(file); // no package.json anywhere above: a copied file; its own folder
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = packageRootAbove(fileURLToPath(import.meta.url));
