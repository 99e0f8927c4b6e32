// The launcher contract, in-process: the compiled launcher's record, and
// what the child's environment becomes.
import t from 'tap';
import { childEnvironment, environmentValue, parseRecord } from '../../src/init/launcher-env.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const text = (entries: Buffer[]): string[] => entries.map((e) => e.toString('latin1'));

/** A record as src/native/launcher.c writes it (header, fds, then NUL-ended args and environment). */
function record(o: { args: string[]; env: string[]; fds: number[]; blocked?: bigint; ignored?: bigint; flags?: number; protocol?: number }): Buffer {
  const header = Buffer.alloc(48);
  b('TSINITL\0').copy(header, 0);
  header.writeUInt32LE(o.protocol ?? 1, 8);
  header.writeUInt32LE(o.flags ?? 0, 12);
  header.writeUInt32LE(o.args.length, 16);
  header.writeUInt32LE(o.env.length, 20);
  header.writeUInt32LE(o.fds.length, 24);
  header.writeBigUInt64LE(o.blocked ?? 0n, 32);
  header.writeBigUInt64LE(o.ignored ?? 0n, 40);
  const fds = Buffer.alloc(4 * o.fds.length);
  o.fds.forEach((fd, i) => fds.writeUInt32LE(fd, 4 * i));
  return Buffer.concat([header, fds, ...[...o.args, ...o.env].map((s) => b(`${s}\0`))]);
}

t.test('the record: arguments and environment byte for byte, signal sets, descriptors', async (t) => {
  const r = parseRecord(
    record({
      args: ['-v', '--', 'prog', 'a\xffb', ''],
      env: ['A-B=1', 'NOEQUALS', 'X=\xfe', 'A-B=2', '__TS_INIT_EVIL=1'],
      fds: [0, 1, 2, 300],
      blocked: 1n << 14n,
      ignored: (1n << 2n) | (1n << 63n),
    }),
  );
  t.same(text(r.args), ['-v', '--', 'prog', 'a\xffb', '']);
  t.same(text(r.env), ['A-B=1', 'NOEQUALS', 'X=\xfe', 'A-B=2'], 'order, duplicates, odd names kept; no __TS_INIT_* passes');
  t.same(r.blocked, [15]);
  t.same(r.ignored, [3, 64]);
  t.same(r.fds, [0, 1, 2, 300], 'past 256 too');
  t.same(r.notes, []);
});

t.test('the record: notes for a launch without /proc or with the environment dropped', async (t) => {
  t.match(parseRecord(record({ args: [], env: [], fds: [0], flags: 1 })).notes, [/No \/proc/]);
  t.match(parseRecord(record({ args: [], env: [], fds: [0], flags: 2 })).notes, [/E2BIG/]);
});

t.test('a record from another protocol or cut short is a FatalError saying what to do', async (t) => {
  t.throws(() => parseRecord(record({ args: [], env: [], fds: [], protocol: 2 })), /from protocol 2, and this ts-init reads 1.*reinstall/);
  const whole = record({ args: ['x'], env: ['A=1'], fds: [0] });
  t.throws(() => parseRecord(whole.subarray(0, whole.length - 2)), /cut short/);
  t.throws(() => parseRecord(b('nonsense')), /is not one/);
});

t.test('childEnvironment: extra entries (bytes) replace same-named ones, the rest stays as it was', async (t) => {
  const env = [b('HOME=/'), b('A=\xff'), b('HOME=/dup'), b('HOMEX=1'), b('NOEQUALS')];
  t.same(
    text(
      childEnvironment(
        env,
        new Map([
          ['HOME', b('/h\xff')],
          ['USER', b('app')],
        ]),
      ),
    ),
    ['A=\xff', 'HOMEX=1', 'NOEQUALS', 'HOME=/h\xff', 'USER=app'],
  );
  t.same(childEnvironment(env), env, 'nothing to replace');
});

t.test('environmentValue finds the first of duplicates, as getenv does', async (t) => {
  t.equal(environmentValue([b('P=1'), b('P=2')], 'P')?.toString(), '1');
  t.equal(environmentValue([b('PATH=/bin')], 'PAT'), undefined);
  t.equal(environmentValue([b('P')], 'P'), undefined, 'an entry without = has no value');
});
