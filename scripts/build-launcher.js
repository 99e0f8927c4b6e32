// Builds the compiled launcher from src/native/launcher.c for this checkout
// (npm run build), so that the tests run the launcher of this very commit:
//
//   build/launcher/bin/ts-init     the launcher
//   build/launcher/dist            -> ../../dist (the launcher finds the
//                                  bundle at ../dist from its own directory)
//
// The same compiler as the linux-x64 prebuild (musl-gcc -static) where it
// is installed, else the system's cc. The shipped binaries are made by
// scripts/prebuild.sh (npm run prebuilds), not here. No compiler at all
// (an install from git on a slim machine): say so and leave the sh launcher
// as the only one; nothing else in the build depends on this.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'build/launcher');
const FLAGS = ['-Os', '-Wall', '-Wextra', '-Werror', '-o', join(OUT, 'bin/ts-init'), join(ROOT, 'src/native/launcher.c')];

const works = (cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
const cc = process.env.CC ?? ['musl-gcc', 'cc'].find(works);
if (cc === undefined) {
  process.stderr.write('build-launcher: no C compiler (musl-gcc or cc): the compiled launcher was not built\n');
  process.exit(0);
}
mkdirSync(join(OUT, 'bin'), { recursive: true });
rmSync(join(OUT, 'dist'), { force: true });
symlinkSync('../../dist', join(OUT, 'dist'));
const r = spawnSync(cc, cc.includes('musl') ? ['-static', ...FLAGS] : FLAGS, { stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write(`build-launcher: ${cc} failed on src/native/launcher.c\n`);
  process.exit(1);
}
