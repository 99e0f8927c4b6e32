// The launcher contract, in-process: what the child's environment becomes,
// which signal state and descriptors it inherits.
import t from 'tap';
import { childEnvironment, environmentValue, inheritedFds, inheritedSignals } from '../../src/init/launcher-env.js';

const env = (...entries: (string | Buffer)[]): Buffer[] => entries.map((e) => (Buffer.isBuffer(e) ? e : Buffer.from(e)));
const text = (entries: Buffer[]): string[] => entries.map((e) => e.toString('latin1'));

t.test('the launcher\'s variables never reach the child; what it moved aside comes back', async (t) => {
  const raw = env('A=1', '__TS_INIT_SIGBLK=0', '__TS_INIT_SAVED_NODE_OPTIONS=--require x', 'B=2', '__TS_INIT_FDS=0 1 2');
  t.same(text(childEnvironment(raw)), ['A=1', 'B=2', 'NODE_OPTIONS=--require x']);
});

t.test('bytes stay bytes: order, duplicates, entries without =, invalid UTF-8', async (t) => {
  const odd = Buffer.from([0x58, 0x3d, 0xff, 0xfe]); // X=\xff\xfe
  const raw = env('Z=1', odd, 'NOEQUALS', 'Z=2', 'a-b.c=3');
  t.same(childEnvironment(raw), raw);
});

t.test('extra entries replace same-named ones, including a restored one', async (t) => {
  const raw = env('HOME=/', 'USER=x', '__TS_INIT_SAVED_NODE_OPTIONS=--a');
  t.same(text(childEnvironment(raw, { HOME: '/tmp/h', NODE_OPTIONS: '--b' })), ['USER=x', 'HOME=/tmp/h', 'NODE_OPTIONS=--b']);
});

t.test('environmentValue finds the first of duplicates, as getenv does', async (t) => {
  t.equal(environmentValue(env('P=1', 'P=2'), 'P')?.toString(), '1');
  t.equal(environmentValue(env('PATH=/bin'), 'PAT'), undefined);
});

t.test('inherited signal state and descriptors', async (t) => {
  t.same(inheritedSignals(env('__TS_INIT_SIGBLK=4001', '__TS_INIT_SIGIGN=0000000000000004')), { blocked: [1, 15], ignored: [3] });
  t.same(inheritedSignals(env()), { blocked: [], ignored: [] });
  t.same(inheritedFds(env('__TS_INIT_FDS= 0 1 2 7')), [0, 1, 2, 7]);
  t.same(inheritedFds(env()), [0, 1, 2], 'no launcher: stdio');
});
