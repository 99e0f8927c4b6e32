// Writes the README's Dockerfiles, as users copy them, for test/e2e/run.sh to
// build: only two lines change. FROM names the e2e's local base image (no
// registry here), and the package that `npm install -g` installs is the
// packed tarball, which run.sh mounts at /ctx during the build. Every other
// line stays as the README has it.
//
// usage: node readme-dockerfiles.js BASE_IMAGE TARBALL_PATH_IN_BUILD OUT_DIR
// Prints one line per Dockerfile written: "FILE<TAB>the README's FROM line".
// Fails when a README Dockerfile has no FROM, or does not install the package.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [base, tarball, out] = process.argv.slice(2);
if (!base || !tarball || !out) {
  console.error('usage: readme-dockerfiles.js BASE_IMAGE TARBALL_PATH_IN_BUILD OUT_DIR');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const name = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Options may come before the name (--allow-scripts=NAME lets npm 11 run the install script).
const install = new RegExp(`(\\bnpm install -g (?:--\\S+ )*)${escaped}(?=\\s|$)`);

const blocks = [...readme.matchAll(/^```dockerfile\n([\s\S]*?)^```\s*$/gm)].map((m) => m[1] ?? '');
if (blocks.length === 0) {
  console.error('readme-dockerfiles: README.md has no ```dockerfile block');
  process.exit(1);
}
blocks.forEach((block, i) => {
  const lines = block.split('\n');
  const from = lines.filter((line) => /^FROM\s/i.test(line));
  const installs = lines.filter((line) => install.test(line));
  if (from.length !== 1 || installs.length !== 1) {
    console.error(
      `readme-dockerfiles: README Dockerfile ${i + 1} has ${from.length} FROM lines and ${installs.length} 'npm install -g ${name}' lines; expected one of each:\n${block}`,
    );
    process.exit(1);
  }
  const changed = lines.map((line) => (/^FROM\s/i.test(line) ? `FROM ${base}` : line.replace(install, `$1${tarball}`)));
  const file = join(out, `Dockerfile.readme-${i + 1}`);
  writeFileSync(file, changed.join('\n'));
  console.log(`${file}\t${from[0]}`);
});
