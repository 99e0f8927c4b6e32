// Wait statuses and the exit codes they become, in-process.
import t from 'tap';
import { decodeStatus, describeStatus, exitCodeFor } from '../../src/init/exit-status.js';

t.test('decodeStatus reads the W* macros', async (t) => {
  t.same(decodeStatus(0), { kind: 'exited', code: 0 });
  t.same(decodeStatus(3 << 8), { kind: 'exited', code: 3 });
  t.same(decodeStatus(255 << 8), { kind: 'exited', code: 255 });
  t.same(decodeStatus(15), { kind: 'signaled', signal: 15, coreDumped: false });
  t.same(decodeStatus(6 | 0x80), { kind: 'signaled', signal: 6, coreDumped: true });
  t.same(decodeStatus(64), { kind: 'signaled', signal: 64, coreDumped: false }, 'SIGRTMAX');
});

t.test('exitCodeFor: N, 128+S, and -e remaps', async (t) => {
  const none = new Set<number>();
  t.equal(exitCodeFor({ kind: 'exited', code: 7 }, none), 7);
  t.equal(exitCodeFor({ kind: 'signaled', signal: 15, coreDumped: false }, none), 143);
  t.equal(exitCodeFor({ kind: 'signaled', signal: 64, coreDumped: false }, none), 192);
  t.equal(exitCodeFor({ kind: 'signaled', signal: 15, coreDumped: false }, new Set([143])), 0, '-e 143 makes a SIGTERM death 0');
  t.equal(exitCodeFor({ kind: 'exited', code: 3 }, new Set([143])), 3, 'only the listed codes');
});

t.test('describeStatus reads like tini', async (t) => {
  t.equal(describeStatus({ kind: 'exited', code: 4 }), "exited normally (with status '4')");
  t.equal(describeStatus({ kind: 'signaled', signal: 9, coreDumped: false }), 'was killed by SIGKILL');
  t.equal(describeStatus({ kind: 'signaled', signal: 6, coreDumped: true }), 'was killed by SIGABRT (core dumped)');
  t.equal(describeStatus({ kind: 'signaled', signal: 37, coreDumped: false }), 'was killed by SIGRTMIN+3');
});
