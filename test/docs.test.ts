// The documentation stands alone: every relative link leads to a file (and
// heading) of this repository, nothing points outside it except public
// http(s) URLs, repository paths named in the text exist, the README stays
// short enough for the people who write Dockerfiles, and its set-up commands
// are the ones package.json and .ci/run really have. Fast: files only.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README_MAX_BYTES = 16 * 1024;
const SETUP_HEADING = 'From a clone: run the example, run the tests';

const docs = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The text outside fenced code blocks (links and headings live there). */
function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .filter((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return false;
      }
      return !fenced;
    })
    .join('\n');
}

/** The fenced code blocks, with their info string (`sh`, `dockerfile`…). */
function codeBlocks(markdown: string): { info: string; body: string }[] {
  const blocks: { info: string; body: string }[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) blocks.push({ info: (m[1] ?? '').trim(), body: m[2] ?? '' });
  return blocks;
}

/** GitHub's anchor for a heading: inline markup dropped, lower case, punctuation gone, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Every anchor a document offers, duplicates numbered as GitHub does (x, x-1, x-2). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Inline links and images: [text](target) and ![alt](target). */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
}

/**
 * What is wrong with one link of `from` (a repository path), or undefined.
 * Allowed: http(s) URLs, anchors of the same file, relative paths to a file
 * of the repository, with an anchor that file has when it is Markdown.
 */
function linkProblem(from: string, target: string, readFile: (path: string) => string | undefined): string | undefined {
  if (/^https?:\/\//i.test(target)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return `${target}: only http(s) URLs may leave the repository`;
  if (target.startsWith('/')) return `${target}: an absolute path points outside the repository; use a relative one`;
  const [path = '', anchor] = target.split('#', 2);
  const file = path === '' ? from : join(dirname(from), decodeURIComponent(path));
  if (file.startsWith('..')) return `${target}: leaves the repository`;
  const content = readFile(file);
  if (content === undefined) return `${target}: ${file} does not exist`;
  if (anchor !== undefined && anchor !== '' && file.endsWith('.md') && !anchors(content).has(anchor)) {
    return `${target}: ${file} has no heading with the anchor #${anchor}`;
  }
  return undefined;
}

function readRepoFile(path: string): string | undefined {
  const full = join(ROOT, path);
  if (relative(ROOT, full).startsWith('..') || !existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

t.test('the link checker itself tells good links from bad ones', async (t) => {
  const files: Record<string, string> = { 'README.md': '# Top\n## Shutdown\n', 'docs/a.md': '## 1. The launcher: `bin/ts-init`\n' };
  const fake = (p: string): string | undefined => files[p];
  t.equal(linkProblem('docs/a.md', '../README.md#shutdown', fake), undefined);
  t.equal(linkProblem('README.md', 'docs/a.md#1-the-launcher-bints-init', fake), undefined);
  t.equal(linkProblem('README.md', 'https://github.com/krallin/tini', fake), undefined);
  t.match(linkProblem('README.md', 'docs/missing.md', fake), /does not exist/);
  t.match(linkProblem('README.md', '#no-such-heading', fake), /no heading/);
  t.match(linkProblem('docs/a.md', '../../shared/DESIGN.md', fake), /leaves the repository/);
  t.match(linkProblem('README.md', '/work/shared/DESIGN.md', fake), /absolute path/);
  t.match(linkProblem('README.md', 'file:///etc/passwd', fake), /only http/);
  t.equal(slug("SIGUSR1 and Node's inspector"), 'sigusr1-and-nodes-inspector');
  t.equal(slug('When to choose it over tini, and what it costs'), 'when-to-choose-it-over-tini-and-what-it-costs');
});

t.test('every relative link leads to an existing file and heading', async (t) => {
  for (const doc of docs) {
    const found = links(read(doc));
    const problems = found.map((target) => linkProblem(doc, target, readRepoFile)).filter((p) => p !== undefined);
    t.same(problems, [], `${doc}: ${found.length} links`);
  }
});

t.test('every page in docs/ can be reached from the README or CONTRIBUTING.md', async (t) => {
  const reached = new Set<string>();
  const queue = ['README.md', 'CONTRIBUTING.md'];
  for (let doc = queue.shift(); doc !== undefined; doc = queue.shift()) {
    if (reached.has(doc)) continue;
    reached.add(doc);
    for (const target of links(read(doc))) {
      const path = target.split('#', 1)[0] ?? '';
      if (path === '' || /^[a-z][a-z0-9+.-]*:/i.test(path)) continue;
      const file = join(dirname(doc), decodeURIComponent(path));
      if (file.endsWith('.md') && existsSync(join(ROOT, file))) queue.push(file);
    }
  }
  t.same(
    docs.filter((doc) => !reached.has(doc)),
    [],
    'no page is left unlinked',
  );
});

// Paths of the repository named in the text (`src/native/addon.c`) must
// exist, so that a move (src/addon.c → src/native/addon.c) cannot leave the
// documentation behind. Generated places (dist/, build/, .matrix/,
// bench/results/) and patterns (test/**/*.test.ts, .matrix/<major>/) are not
// files in a clone, so they are not checked.
const TRACKED = /^(?:\.ci|bench|bin|docs|examples|prebuilds|scripts|src|test)\/[\w./-]*$/;
const GENERATED = 'bench/results/';

/** The words of inline code and code blocks, where commands and paths are written. */
function codeWords(markdown: string): string[] {
  const inline = [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const blocks = codeBlocks(markdown).map((b) => b.body);
  return [...inline, ...blocks].flatMap((code) => code.split(/\s+/)).map((w) => w.replace(/^["'([]+|["'),.:;\]]+$/g, ''));
}

t.test('repository paths named in the documentation exist', async (t) => {
  for (const doc of docs) {
    const named = codeWords(read(doc)).filter((p) => TRACKED.test(p) && !p.startsWith(GENERATED));
    const missing = [...new Set(named)].filter((p) => !existsSync(join(ROOT, p)));
    t.same(missing, [], `${doc}: ${named.length} paths named`);
  }
});

// Files of the machines the project is developed on, outside the
// repository, that the repository once cited; spelled in pieces so that
// this file does not match itself.
const OUTSIDE = [['DESIGN', '.md'].join(''), ['CONTAINERS', '.md'].join(''), ['/work', '/'].join(''), ['../', 'shared/', '[A-Z]'].join('')];

t.test('nothing in the documentation or the code points outside the repository', async (t) => {
  const self = relative(ROOT, fileURLToPath(import.meta.url));
  const files = [...docs];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|cjs|mjs|c|h|sh|py|gyp)$|^run$|^ts-init(-probe)?$/.test(entry.name) && path !== self) files.push(path);
    }
  };
  for (const dir of ['src', 'test', 'bench', 'scripts', 'bin', '.ci']) walk(dir);
  for (const file of files) {
    const text = read(file);
    const hits = OUTSIDE.filter((pattern) => new RegExp(pattern.replace(/\./g, '\\.')).test(text));
    t.same(hits, [], file);
  }
});

t.test(`README.md is at most ${README_MAX_BYTES / 1024} KB`, async (t) => {
  const size = statSync(join(ROOT, 'README.md')).size;
  t.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes`);
});

t.test("the README's set-up commands are the project's: npm run example, npm test, and .ci/run's packages", async (t) => {
  const readme = read('README.md');
  const at = readme.indexOf(`## ${SETUP_HEADING}`);
  t.ok(at >= 0, `README.md has the section "${SETUP_HEADING}"`);
  const end = readme.indexOf('\n## ', at + 1);
  const section = readme.slice(at, end < 0 ? undefined : end);
  const shell = codeBlocks(section)
    .filter((b) => b.info === 'sh')
    .map((b) => b.body)
    .join('\n');
  t.ok(shell.length > 0, 'the section has a sh block');

  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const used = [...shell.matchAll(/\bnpm (?:run ([\w:-]+)|(test)\b)/g)].map((m) => m[1] ?? m[2] ?? '');
  t.same([...new Set(used)].sort(), ['example', 'test'], 'it runs the example and the tests, nothing else');
  for (const name of used) t.ok(scripts[name] !== undefined, `package.json has a "${name}" script`);

  // Every package the README installs is one CI installs too (CI is the
  // proof that these commands work on a fresh machine).
  const installs = (text: string): string[] =>
    [...text.replace(/\\\n/g, ' ').matchAll(/apt-get install([^\n&|;>]*)/g)].flatMap((m) =>
      (m[1] ?? '').split(/\s+/).filter((w) => w !== '' && !w.startsWith('-')),
    );
  const readmePackages = installs(shell);
  const ciPackages = new Set(installs(read('.ci/run')));
  t.ok(readmePackages.length > 0, 'the README installs packages with apt-get');
  t.same(
    readmePackages.filter((p) => !ciPackages.has(p)),
    [],
    `.ci/run installs all of: ${readmePackages.join(' ')}`,
  );
});

// The package's name on the npm registry. `ts-init` there is another
// project (a TypeScript package initializer whose command rewrites the
// app's package.json), so an install line naming it installs that instead.
// Names known to be someone else's (CONTRIBUTING.md, "The package name"):
const TAKEN_NAMES = ['ts-init'];
// Not `npm install-scripts` (npm 11's approval command), which installs nothing.
const NPM_INSTALL = /\bnpm\s+(?:install|i|add|isntall|in|ins|inst|insta|instal)(?![\w-])/;
// npm options that take a separate value (`--prefix DIR`): that word is no package.
const NPM_VALUE_OPTIONS = new Set([
  '--prefix',
  '--cache',
  '--registry',
  '--location',
  '--omit',
  '--include',
  '--tag',
  '--userconfig',
  '--globalconfig',
  '--loglevel',
  '-C',
  '--workspace',
  '-w',
]);

/** The package specs (non-option words) of each `npm install` in a piece of code. */
function installedSpecs(code: string): { line: string; specs: string[] }[] {
  const out: { line: string; specs: string[] }[] = [];
  for (const line of code.replace(/\\\n/g, ' ').split('\n')) {
    const at = NPM_INSTALL.exec(line);
    if (at === null) continue;
    // The command ends where the shell or the sentence does.
    const rest = line.slice(at.index + at[0].length).split(/&&|\|\||[;|#`)]/, 1)[0] ?? '';
    const words = rest.split(/\s+/).filter((w) => w !== '');
    const specs: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const word = words[i] ?? '';
      if (word.startsWith('-')) {
        if (NPM_VALUE_OPTIONS.has(word)) i++;
        continue;
      }
      specs.push(word.replace(/^["']|["']$/g, ''));
    }
    out.push({ line: line.trim(), specs });
  }
  return out;
}

/** The package name of a spec: `name`, `name@1.2`, `@scope/name@^1`; paths and URLs as they are. */
const specName = (spec: string): string => (spec.startsWith('@') ? `@${spec.slice(1).split('@', 1)[0] ?? ''}` : (spec.split('@', 1)[0] ?? ''));

/** What is wrong with the install lines of a document: each must install `name` and nothing else. */
function installProblems(markdown: string, name: string): string[] {
  const inline = [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const code = [...inline, ...codeBlocks(markdown).map((b) => b.body)];
  return code
    .flatMap(installedSpecs)
    .flatMap(({ line, specs }) => specs.filter((spec) => specName(spec) !== name).map((spec) => `\`${line}\` installs ${spec}, not ${name}`));
}

t.test('the install-line checker itself tells our package from others', async (t) => {
  t.same(installProblems('```dockerfile\nRUN npm install -g ts-init-pid1\n```\n', 'ts-init-pid1'), []);
  t.same(installProblems('Run `npm i -D ts-init-pid1@^1.0` or `npm install --prefix /opt ts-init-pid1`.', 'ts-init-pid1'), []);
  t.same(installProblems('`npm install` compiles nothing, and `npm install --ignore-scripts` works.', 'ts-init-pid1'), []);
  t.same(installProblems('```sh\nnpm ci && npm install -g \\\n  ts-init-pid1 && npm run example\n```\n', 'ts-init-pid1'), []);
  t.same(
    installProblems('`npm install-scripts approve ts-init-pid1` and `npm install -g --allow-scripts=ts-init-pid1 ts-init-pid1`', 'ts-init-pid1'),
    [],
    'install-scripts is not an install; --allow-scripts= is an option',
  );
  t.same(installProblems('```dockerfile\nRUN npm install -g ts-init\n```\n', 'ts-init-pid1'), [
    '`RUN npm install -g ts-init` installs ts-init, not ts-init-pid1',
  ]);
  t.same(installProblems('`npm i -g ts-init@0.1.0`', 'ts-init-pid1'), ['`npm i -g ts-init@0.1.0` installs ts-init@0.1.0, not ts-init-pid1']);
  t.same(installProblems('```sh\nnpm install --cache /tmp/c ts-init-pid1 execa\n```\n', 'ts-init-pid1'), [
    '`npm install --cache /tmp/c ts-init-pid1 execa` installs execa, not ts-init-pid1',
  ]);
});

t.test("every npm install line in the documentation names this package (package.json's name)", async (t) => {
  const name = (JSON.parse(read('package.json')) as { name: string }).name;
  t.notOk(TAKEN_NAMES.includes(name), `"${name}" is not a name another project has on the npm registry`);
  let lines = 0;
  for (const doc of docs) {
    const text = read(doc);
    lines += codeBlocks(text)
      .flatMap((b) => installedSpecs(b.body))
      .filter((l) => l.specs.length > 0).length;
    t.same(installProblems(text, name), [], doc);
  }
  t.ok(lines >= 2, `the documentation has install lines to check (${lines}: the README's Dockerfiles at least)`);
});
