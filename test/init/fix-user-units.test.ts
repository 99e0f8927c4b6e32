// --fix-user's decisions that the system tests cannot reach without
// writing to /etc: name collisions, LD_PRELOAD merging, name and HOME
// checks, the passwd line builder and the private-directory rule.
import t from 'tap';
import {
  appendPreload,
  checkHome,
  checkNssWrapper,
  checkUserName,
  chooseName,
  groupLine,
  isUsableHome,
  passwdFieldProblem,
  passwdLine,
  privateDirectoryProblem,
} from '../../src/init/fix-user.js';
import { printable } from '../../src/shared/log.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\n# a comment\nnode:x:1000:1000::/home/node:/bin/bash\n';
const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const FF = b('\xff');

t.test('the default name is app, or app-UID when the image has an app already', async (t) => {
  t.equal(chooseName(undefined, PASSWD, 10000), 'app');
  t.equal(chooseName(undefined, `${PASSWD}app:x:1001:0::/opt/app:/bin/sh\n`, 10000), 'app-10000');
  t.equal(chooseName(undefined, '', 10000), 'app', 'no /etc/passwd at all (distroless)');
});

t.test('a requested name must be free', async (t) => {
  t.equal(chooseName('web', PASSWD, 10000), 'web');
  t.throws(() => chooseName('node', PASSWD, 10000), /user name 'node' already belongs to another user/);
  t.equal(chooseName('comment', PASSWD, 10000), 'comment', 'comment lines are not entries');
});

t.test('LD_PRELOAD: appended, never replaced, never doubled, every byte kept', async (t) => {
  const lib = b('/usr/lib/x86_64-linux-gnu/libnss_wrapper.so');
  const same = (got: Buffer, want: string, what = want): void => {
    t.equal(got.toString('latin1'), want, what);
  };
  same(appendPreload(undefined, lib), lib.toString('latin1'));
  same(appendPreload(b(''), lib), lib.toString('latin1'));
  same(appendPreload(b('  '), lib), lib.toString('latin1'));
  same(appendPreload(b('/usr/lib/libjemalloc.so.2'), lib), `/usr/lib/libjemalloc.so.2:${lib.toString('latin1')}`);
  same(appendPreload(b(`a.so ${lib.toString('latin1')}`), lib), `a.so ${lib.toString('latin1')}`, 'already there (space-separated)');
  same(appendPreload(b(`${lib.toString('latin1')}:b.so`), lib), `${lib.toString('latin1')}:b.so`, 'already there (colon-separated)');
  const odd = b('/tmp/lib\xff.so');
  t.same(appendPreload(odd, lib), Buffer.concat([odd, b(':'), lib]), 'a value that is not UTF-8 keeps its bytes');
  // U+00A0 is latin1 0xa0, which \s would match: the loader splits at space and ':' only.
  same(
    appendPreload(b(`x\xa0${lib.toString('latin1')}`), lib),
    `x\xa0${lib.toString('latin1')}:${lib.toString('latin1')}`,
    'no-break space is not a separator',
  );
});

t.test('names, homes and the library path that cannot be written safely are refused', async (t) => {
  for (const good of ['app', 'web-1', '_svc', 'a.b', 'x'.repeat(32)]) t.equal(checkUserName(good), undefined, good);
  for (const bad of ['', '-x', '1000', '.hidden', 'a:b', 'a b', 'a\nb', 'x'.repeat(33), 'é']) t.type(checkUserName(bad), 'string', JSON.stringify(bad));
  t.notMatch(checkUserName('a\nb') ?? '', /\n/, 'the message stays one line');
  t.equal(checkHome(b('/home/app')), undefined);
  t.equal(checkHome(Buffer.concat([b('/home/'), FF])), undefined, 'bytes that are not UTF-8 are fine');
  for (const bad of ['rel', '', '/a:b', '/a\nb', '/a\rb']) t.type(checkHome(b(bad)), 'string', JSON.stringify(bad));
  t.match(checkHome(b('/a\nb')) ?? '', "'/a\\nb'", 'shown escaped, on one line');
  t.equal(checkNssWrapper(b('none')), undefined);
  t.equal(checkNssWrapper(b('/opt/lib/libnss_wrapper.so')), undefined);
  for (const bad of ['libnss_wrapper.so', '/a:b/libnss_wrapper.so', '/a b/libnss_wrapper.so']) t.type(checkNssWrapper(b(bad)), 'string', bad);
});

t.test('a passwd field may hold any byte but the separators', async (t) => {
  t.equal(passwdFieldProblem('/home/app'), undefined);
  t.equal(passwdFieldProblem(Buffer.concat([b('/h'), FF])), undefined);
  t.equal(passwdFieldProblem('/t:mp'), "it contains ':'");
  t.equal(passwdFieldProblem('/t\nmp'), 'it contains a line break');
  t.equal(passwdFieldProblem('/t\rmp'), 'it contains a line break');
  t.equal(passwdFieldProblem(b('/t\0mp')), 'it contains a NUL byte');
});

t.test('passwdLine builds one line byte for byte, or refuses', async (t) => {
  const home = Buffer.concat([b('/srv/h'), FF]);
  const line = passwdLine({ name: 'app', uid: 10000, gid: 0, gecos: 'app', home, shell: '/bin/sh' });
  t.same(line, Buffer.concat([b('app:x:10000:0:app:/srv/h'), FF, b(':/bin/sh\n')]));
  const base = { name: 'app', uid: 10000, gid: 0, gecos: 'app', home: b('/h'), shell: '/bin/sh' };
  // The reported injection: TMPDIR=/tmp/t:mp made the entry's home /tmp/t and its shell "mp/…".
  t.throws(
    () => passwdLine({ ...base, home: b('/tmp/t:mp/ts-init-x/home') }),
    /the home directory '\/tmp\/t:mp\/ts-init-x\/home' cannot go into a passwd entry: it contains ':'/,
  );
  t.throws(
    () => passwdLine({ ...base, home: b('/tmp/t\nmp/ts-init-x/home') }),
    /the home directory '\/tmp\/t\\nmp\/ts-init-x\/home' cannot go into a passwd entry: it contains a line break/,
  );
  t.throws(() => passwdLine({ ...base, name: 'a:b' }), /user name/);
  t.throws(() => passwdLine({ ...base, gecos: 'x\ny' }), /full name/);
  t.throws(() => passwdLine({ ...base, shell: '/bin/sh:' }), /shell/);
  t.throws(() => passwdLine({ ...base, uid: -1 }), /UID -1 is not a valid ID/);
  t.throws(() => passwdLine({ ...base, gid: 1.5 }), /GID 1.5 is not a valid ID/);
  t.same(groupLine('app', 12345), b('app:x:12345:\n'));
  t.throws(() => groupLine('a\nb', 1), /group name/);
});

t.test("a private directory: OpenSSH's StrictModes rule, plus write through group 0", async (t) => {
  const me = 10000;
  const dir = (uid: number, gid: number, mode: number) => ({ uid, gid, mode: 0o040000 | mode });
  t.equal(privateDirectoryProblem(dir(me, 0, 0o700), me), undefined, 'ours, 0700');
  t.equal(privateDirectoryProblem(dir(me, me, 0o755), me), undefined, 'ours, 0755');
  t.equal(privateDirectoryProblem(dir(0, 0, 0o755), me), undefined, "root's (writability is checked apart)");
  t.equal(privateDirectoryProblem(dir(0, 0, 0o770), me), undefined, 'OpenShift: root:0, chmod g=u');
  t.equal(privateDirectoryProblem(dir(me, 0, 0o770), me), undefined, 'ours, writable through group 0');
  t.equal(privateDirectoryProblem(dir(20000, 20000, 0o777), me), 'belongs to UID 20000, not to UID 10000 or root');
  t.equal(privateDirectoryProblem(dir(20000, 0, 0o700), me), 'belongs to UID 20000, not to UID 10000 or root');
  t.equal(privateDirectoryProblem(dir(me, 12345, 0o770), me), 'is writable by group 12345');
  t.equal(privateDirectoryProblem(dir(me, 0, 0o707), me), 'is writable by every user');
  t.equal(privateDirectoryProblem(dir(0, 0, 0o1777), me), 'is writable by every user', '/tmp: sticky does not make it private');
});

t.test('a usable HOME is absolute, not /, writable, and fits a passwd entry', async (t) => {
  t.equal(isUsableHome(undefined), false);
  t.equal(isUsableHome(b('')), false);
  t.equal(isUsableHome(b('/')), false);
  t.equal(isUsableHome(b('//')), false);
  t.equal(isUsableHome(b('tmp')), false, 'relative');
  t.equal(isUsableHome(b('/nonexistent-ts-init-home')), false);
  t.equal(isUsableHome(b('/etc/passwd')), false, 'a file is not a home');
  t.equal(isUsableHome(b('/tmp')), true);
});

t.test('printable: one line, every byte visible', async (t) => {
  t.equal(printable('/home/app'), '/home/app');
  t.equal(printable('/home/é'), '/home/é', 'UTF-8 stays text');
  t.equal(printable('a\nb\tc'), 'a\\nb\\tc');
  t.equal(printable(b('/lib\xff.so')), '/lib\\xff.so', 'a byte that is not UTF-8');
  t.equal(printable('a\\b'), 'a\\\\b', 'a backslash is escaped, so the escapes are unambiguous');
  t.equal(printable('\u0085'), '\\u0085', 'C1 controls too');
});
