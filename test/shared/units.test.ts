// src/shared in-process: the signal table, durations, PATH lookup, /proc readers.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseDuration } from '../../src/shared/duration.js';
import { lookPath, which } from '../../src/shared/path.js';
import { argvOf, childrenOf, commOf, descendants, environmentOf, splitAtNul, statOf } from '../../src/shared/proc.js';
import { FORWARDED_NAMED, FORWARDED_REALTIME, isForwardable, parseSignal, parseSignalSet, signalName } from '../../src/shared/signals.js';
import { run, waitFor } from '../helpers/harness.js';

t.test('the signal table: every signal Node knows, the same forwarded set as tini', async (t) => {
  const all = Object.keys(constants.signals).filter((name) => name !== 'SIGIOT' && name !== 'SIGPOLL');
  const kept = ['SIGCHLD', 'SIGKILL', 'SIGSTOP', 'SIGFPE', 'SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGTRAP', 'SIGSYS', 'SIGTTIN', 'SIGTTOU'];
  t.same([...FORWARDED_NAMED].sort(), all.filter((n) => !kept.includes(n)).sort());
  const numbers = FORWARDED_NAMED.map((n) => constants.signals[n]);
  t.same(
    numbers,
    [...numbers].sort((a, b) => a - b),
    'in numeric order',
  );
  t.same(
    FORWARDED_REALTIME,
    Array.from({ length: 31 }, (_, i) => 34 + i),
  );
  t.ok(isForwardable(15) && isForwardable(34) && isForwardable(64));
  t.notOk(isForwardable(9) || isForwardable(17) || isForwardable(32));
});

t.test('signal names and parsing', async (t) => {
  t.equal(signalName(6), 'SIGABRT', 'not the alias SIGIOT');
  t.equal(signalName(29), 'SIGIO', 'not the alias SIGPOLL');
  t.equal(signalName(35), 'SIGRTMIN+1');
  t.equal(signalName(64), 'SIGRTMAX');
  t.equal(signalName(99), 'signal 99');
  for (const [text, n] of [
    ['KILL', 9],
    ['sigterm', 15],
    [' 9 ', 9],
    ['RTMIN', 34],
    ['SIGRTMAX-1', 63],
    ['rtmin+30', 64],
  ] as const) {
    t.equal(parseSignal(text), n, text);
  }
  for (const bad of ['0', '32', '65', 'RTMIN+31', 'RTMAX+1', 'FOO', '']) t.equal(parseSignal(bad), undefined, `'${bad}'`);
  t.equal(parseSignal('0', true), 0);
  t.same(parseSignalSet('0000000000004002'), [2, 15]);
  t.same(parseSignalSet('8000000000000000'), [64]);
  t.same(parseSignalSet('xyz'), []);
});

t.test('durations', async (t) => {
  for (const [text, ms] of [
    ['10', 10_000],
    ['0.5', 500],
    ['.25', 250],
    ['5.', 5000],
    ['250ms', 250],
    ['2s', 2000],
    [' 1 ', 1000],
    ['1.5ms', 2],
  ] as const) {
    t.equal(parseDuration(text), ms, text);
  }
  for (const bad of ['', '-1', '1e3', '5m', 'ms', '1 s', '0x10']) t.equal(parseDuration(bad), undefined, `'${bad}'`);
});

t.test('lookPath: execvp order, a denied match remembered, a slash means as given', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['a', 'b', 'c']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'a', 'tool'), '', { mode: 0o644 });
  writeFileSync(join(dir, 'b', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  mkdirSync(join(dir, 'c', 'tool'));
  chmodSync(join(dir, 'b', 'tool'), 0o755);
  const path = (...ds: string[]): Buffer => Buffer.from(ds.map((d) => join(dir, d)).join(':'));
  t.same(lookPath(Buffer.from('tool'), path('a', 'b')), { path: Buffer.from(join(dir, 'b', 'tool')), executable: true });
  t.same(lookPath(Buffer.from('tool'), path('a')), { path: Buffer.from(join(dir, 'a', 'tool')), executable: false }, 'only a denied match');
  t.same(lookPath(Buffer.from('tool'), path('c')), { path: Buffer.from(join(dir, 'c', 'tool')), executable: false }, 'a directory is denied');
  t.equal(lookPath(Buffer.from('nothing-here'), path('a', 'b')), undefined);
  t.same(lookPath(Buffer.from('./x/y'), path('a')), { path: Buffer.from('./x/y'), executable: false }, 'a slash: as given');
  t.equal(which('sh', '/nonexistent:/bin'), '/bin/sh');
  t.equal(which('tool', join(dir, 'a')), undefined, 'which wants an executable');
});

t.test('/proc readers see a live child, its argv, environment and children', async (t) => {
  const proc = run('sh', ['-c', 'sleep 30 & wait'], { env: { TS_INIT_UNIT: 'yes' }, timeout: 20_000 });
  const pid = proc.pid as number;
  // Until sh's child has exec'd, it is a copy of sh.
  const kids = await waitFor(
    () => {
      const found = childrenOf(pid);
      return found.length === 1 && commOf(found[0] as number) === 'sleep' ? found : undefined;
    },
    10_000,
    "sh's sleep",
  );
  t.equal(kids.length, 1, 'sh has its sleep as a child');
  t.same(argvOf(kids[0] as number), ['sleep', '30']);
  t.equal(environmentOf(pid)?.TS_INIT_UNIT, 'yes');
  t.same(
    descendants(pid).map((p) => p.pid),
    kids,
  );
  t.equal(statOf(kids[0] as number)?.ppid, pid);
  process.kill(kids[0] as number, 'SIGKILL');
  await proc;
  t.equal(statOf(pid), undefined, 'a gone process reads as undefined');
  t.same(childrenOf(pid), []);
});

t.test('splitAtNul keeps empty strings and drops the tail after the last NUL', async (t) => {
  t.same(splitAtNul(Buffer.from('a\0\0b\0')).map(String), ['a', '', 'b']);
  t.same(splitAtNul(Buffer.from('')), []);
});
