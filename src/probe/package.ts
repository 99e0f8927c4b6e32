// Where this package is installed: the probe takes ts-init (for --with-init)
// and its version from there. This file is src/probe/ or dist/probe/.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
