// --fix-user's decisions that the system tests cannot reach without
// writing to /etc: name collisions, LD_PRELOAD merging, name and HOME checks.
import t from 'tap';
import { appendPreload, checkHome, checkUserName, chooseName, isUsableHome } from '../../src/init/fix-user.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\n# a comment\nnode:x:1000:1000::/home/node:/bin/bash\n';

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

t.test('LD_PRELOAD: appended, never replaced, never doubled', async (t) => {
  const lib = '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so';
  t.equal(appendPreload(undefined, lib), lib);
  t.equal(appendPreload('', lib), lib);
  t.equal(appendPreload('  ', lib), lib);
  t.equal(appendPreload('/usr/lib/libjemalloc.so.2', lib), `/usr/lib/libjemalloc.so.2:${lib}`);
  t.equal(appendPreload(`a.so ${lib}`, lib), `a.so ${lib}`, 'already there (space-separated)');
  t.equal(appendPreload(`${lib}:b.so`, lib), `${lib}:b.so`, 'already there (colon-separated)');
});

t.test('names and homes that cannot go into a passwd line are refused', async (t) => {
  for (const good of ['app', 'web-1', '_svc', 'a.b', 'x'.repeat(32)]) t.equal(checkUserName(good), undefined, good);
  for (const bad of ['', '-x', '1000', '.hidden', 'a:b', 'a b', 'a\nb', 'x'.repeat(33), 'é']) t.type(checkUserName(bad), 'string', JSON.stringify(bad));
  t.equal(checkHome('/home/app'), undefined);
  for (const bad of ['rel', '', '/a:b', '/a\nb']) t.type(checkHome(bad), 'string', JSON.stringify(bad));
});

t.test('a usable HOME is set, not /, and writable', async (t) => {
  t.equal(isUsableHome(undefined), false);
  t.equal(isUsableHome(''), false);
  t.equal(isUsableHome('/'), false);
  t.equal(isUsableHome('/nonexistent-ts-init-home'), false);
  t.equal(isUsableHome('/etc/passwd'), false, 'a file is not a home');
  t.equal(isUsableHome('/tmp'), true);
});
