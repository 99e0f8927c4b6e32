// The architecture, checked: the folders of src/ depend on each other only
// downwards (shared <- native <- init; shared <- probe), there is no import
// cycle, and the package entry exports the documented API and nothing more.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { ROOT } from './helpers/harness.js';

const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of a module, as paths of .ts files under src/ (type-only imports included: they are dependencies too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g)) {
    out.push(resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
  }
  return out;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const folder = (file: string): string => relative(SRC, file).split('/')[0] ?? '';

// What each folder may import besides itself.
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  shared: [],
  native: ['shared'],
  init: ['shared', 'native'],
  probe: ['shared'],
  'index.ts': ['init', 'probe', 'shared'],
};

t.test('every relative import names a module that exists', async (t) => {
  for (const [file, deps] of graph) {
    for (const dep of deps) t.ok(graph.has(dep), `${relative(ROOT, file)} imports ${relative(ROOT, dep)}`);
  }
});

t.test('folders depend only downwards', async (t) => {
  const wrong: string[] = [];
  for (const [file, deps] of graph) {
    const from = folder(file);
    for (const dep of deps) {
      const to = folder(dep);
      if (to !== from && !(ALLOWED[from] ?? []).includes(to)) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, dep)}`);
    }
  }
  t.same(wrong, [], 'no import against the layering');
});

t.test('no import cycles', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  t.same(cycles, []);
});

t.test('src/ has no modules at its top level but the package entry', async (t) => {
  t.same(
    readdirSync(SRC).filter((name) => name.endsWith('.ts')),
    ['index.ts'],
  );
});

t.test('the package entry exports the documented API only', async (t) => {
  const api = await import('../src/index.js');
  t.same(Object.keys(api).sort(), ['ProbeEnvironmentError', 'probe']);
});

t.test('only the two mains exit', async (t) => {
  const exiting = files.filter((f) => /\b(process\.exit|native\.exit|\.exit\()\s*\(?/.test(readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '')));
  t.same(exiting.map((f) => relative(SRC, f)).sort(), ['init/main.ts', 'probe/cli.ts']);
});
