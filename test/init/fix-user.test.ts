// --fix-user: a random UID with group 0 and no passwd entry (OpenShift's
// way), run for real through setpriv. Every check compares what the child
// sees without the flag (the failures users report) and with it.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { fixture, ROOT, run, tsInit } from '../helpers/harness.js';

const UID = 10000;
const NSS_WRAPPER = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']
  .map((d) => join(d, 'libnss_wrapper.so'))
  .find((p) => existsSync(p));

// UID 10000 may not reach the checkout (a clone under /root, mode 0700) or
// root's node (nvm). So the test runs a copy of the installed package, the
// fixture and, when needed, node, from a 0755 directory under /tmp; the same
// directory holds one 0700 scratch directory per run, owned by the test UID
// and used as its TMPDIR (where --fix-user writes).
const stage = mkdtempSync('/tmp/ts-init-user-test-');
t.teardown(() => rmSync(stage, { recursive: true, force: true }));
const scratch = join(stage, 'scratch');
const pkg = join(stage, 'pkg');

// What npm would install: package.json's "files", plus the local addon build.
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
for (const path of [...manifest.files, 'package.json', 'build/Release/ts_init.node']) {
  if (existsSync(join(ROOT, path))) cpSync(join(ROOT, path), join(pkg, path), { recursive: true });
}
cpSync(fixture('identity.sh'), join(stage, 'identity.sh'));
const asTestUid = ['setpriv', '--reuid', String(UID), '--regid', '0', '--clear-groups', '--'] as const;
let nodeDir = dirname(process.execPath);
if ((await run(asTestUid[0], [...asTestUid.slice(1), 'test', '-x', process.execPath])).exitCode !== 0) {
  nodeDir = join(stage, 'node');
  cpSync(process.execPath, join(nodeDir, 'node'));
}
mkdirSync(scratch);
await run('chmod', ['-R', 'a+rX', stage]);
const TS_INIT = join(pkg, 'bin/ts-init');
const IDENTITY = join(stage, 'identity.sh');
const PATH = `${nodeDir}:/usr/local/bin:/usr/bin:/bin`;
t.comment(`UID ${UID} runs ${TS_INIT} with the node in ${nodeDir}`);

let runs = 0;
function privateTmp(uid = UID, gid = 0): string {
  const dir = join(scratch, `tmp${++runs}`);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, uid, gid);
  return dir;
}

interface Probe {
  rc: number;
  out: string;
}
type Probes = Map<string, Probe>;

function parseProbes(stdout: string): Probes {
  const probes: Probes = new Map();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [name = '', rc = '', ...rest] = line.split('\t');
    probes.set(name, { rc: Number(rc), out: rest.join('\t') });
  }
  return probes;
}

function probe(probes: Probes, name: string): Probe {
  const found = probes.get(name);
  if (found === undefined) throw new Error(`probe ${name} missing from the identity report`);
  return found;
}

interface Options {
  uid?: number;
  gid?: number;
  env?: Record<string, string>;
  /** Variables whose values are not UTF-8: set byte for byte (execa's env is strings). */
  bytes?: Record<string, Buffer>;
  home?: string | null;
}

// Sets the byte-valued variables, then exec's the rest of its arguments.
const EXEC_WITH_BYTES = [
  'import json, os, sys',
  'env = dict(os.environb)',
  'env.update({k.encode(): bytes.fromhex(v) for k, v in json.loads(sys.argv[1]).items()})',
  'os.execve(sys.argv[2], sys.argv[2:], env)',
].join('\n');

/**
 * ts-init ARGS -- sh identity.sh, as UID/GID with no supplementary groups and
 * a minimal environment. Output is read as latin1: one character per byte, so
 * bytes that are not UTF-8 come back as they were written.
 */
async function asUser(args: readonly string[], options: Options = {}) {
  const uid = options.uid ?? UID;
  const tmp = privateTmp(uid, options.gid ?? 0);
  const env: Record<string, string> = { PATH, TMPDIR: tmp, ...options.env };
  if (options.home !== null) env.HOME = options.home ?? '/root';
  const setpriv = [
    '/usr/bin/setpriv',
    '--reuid',
    String(uid),
    '--regid',
    String(options.gid ?? 0),
    '--clear-groups',
    '--',
    TS_INIT,
    ...args,
    '--',
    'sh',
    IDENTITY,
  ];
  const hex = Object.fromEntries(Object.entries(options.bytes ?? {}).map(([k, v]) => [k, v.toString('hex')]));
  const [file, ...rest] = options.bytes === undefined ? setpriv : ['/usr/bin/python3', '-c', EXEC_WITH_BYTES, JSON.stringify(hex), ...setpriv];
  const r = await run(file as string, rest, { env, extendEnv: false, timeout: 30_000, encoding: 'latin1' });
  return { r, tmp, probes: parseProbes(String(r.stdout)), stderr: String(r.stderr) };
}

/** A directory under the scratch area, owned by `uid` (the test UID by default). */
function ownedDir(name: string | Buffer, mode = 0o700, uid = UID, gid = 0): Buffer {
  const path = Buffer.concat([Buffer.from(`${scratch}/`), Buffer.from(name)]);
  mkdirSync(path, { mode });
  chmodSync(path, mode);
  chownSync(path, uid, gid);
  return path;
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const etc = { passwd: sha('/etc/passwd'), group: sha('/etc/group') };

const reachable = await run(asTestUid[0], [...asTestUid.slice(1), TS_INIT, '--', 'true'], { env: { PATH }, extendEnv: false });
if (reachable.exitCode !== 0) {
  t.fail(`the staged copy of ts-init in ${pkg} cannot run as UID ${UID}: ${String(reachable.stderr)}`);
} else {
  t.ok(NSS_WRAPPER, 'libnss_wrapper is installed (.ci/run installs libnss-wrapper)');

  t.test('without --fix-user the random UID is nameless (the reported failures)', async (t) => {
    const { r, probes } = await asUser([]);
    t.equal(r.exitCode, 0);
    t.not(probe(probes, 'whoami').rc, 0, 'whoami fails');
    t.match(probe(probes, 'whoami').out, `cannot find name for user ID ${UID}`);
    t.not(probe(probes, 'id-un').rc, 0, 'id -un fails');
    t.equal(probe(probes, 'getent').rc, 2, 'getent passwd: key not found');
    t.not(probe(probes, 'node-userinfo').rc, 0, 'os.userInfo() throws');
    t.match(probe(probes, 'node-userinfo').out, /uv_os_get_passwd|ENOENT/);
    t.not(probe(probes, 'python-getuser').rc, 0, 'getpass.getuser() raises');
    t.match(probe(probes, 'python-getuser').out, /KeyError|OSError/);
    t.match(probe(probes, 'python-getpwuid').out, /KeyError/, 'pwd.getpwuid() raises KeyError');
    t.not(probe(probes, 'home-writable').rc, 0, 'HOME=/root is not writable');
    if (probes.has('git-author')) t.match(probe(probes, 'git-author').out, 'unable to auto-detect name', 'git has no author name');
    t.equal(probe(probes, 'env:USER').rc, 1, 'no USER');
    t.equal(probe(probes, 'env:LD_PRELOAD').rc, 1, 'no LD_PRELOAD');
  });

  t.test('--fix-user names the UID for every lookup and gives a private writable HOME', async (t) => {
    const { r, tmp, probes, stderr } = await asUser(['--fix-user']);
    t.equal(r.exitCode, 0, stderr);
    for (const name of ['whoami', 'id-un', 'node-userinfo', 'python-getuser', 'python-getpwuid']) {
      t.same(probe(probes, name), { rc: 0, out: 'app' }, `${name} says app`);
    }
    if (probes.has('git-author')) t.same(probe(probes, 'git-author'), { rc: 0, out: 'app ' }, 'git signs as app');
    const home = probe(probes, 'home-writable');
    t.equal(home.rc, 0, 'HOME is writable');
    t.equal(home.out, join(dirname(probe(probes, 'env:NSS_WRAPPER_PASSWD').out), 'home'), 'HOME sits in the private directory');
    t.equal(probe(probes, 'getent').out, `app:x:${UID}:0:app:${home.out}:/bin/sh`);
    t.equal(probe(probes, 'env:USER').out, 'app');
    t.equal(probe(probes, 'env:LOGNAME').out, 'app');
    t.equal(probe(probes, 'env:LD_PRELOAD').out, NSS_WRAPPER);
    t.equal(probe(probes, 'env:NSS_WRAPPER_GROUP').out, '/etc/group', 'GID 0 is known: the system group file serves');

    const passwd = probe(probes, 'env:NSS_WRAPPER_PASSWD').out;
    const dir = dirname(passwd);
    t.equal(dirname(dir), tmp, 'the private directory is made in TMPDIR');
    for (const [path, mode] of [
      [dir, 0o700],
      [passwd, 0o600],
      [home.out, 0o700],
    ] as const) {
      const st = statSync(path);
      t.equal(st.uid, UID, `${path} belongs to the user`);
      t.equal(st.mode & 0o777, mode, `${path} is ${mode.toString(8)}`);
    }
    t.ok(readFileSync(passwd, 'utf8').startsWith(readFileSync('/etc/passwd', 'utf8')), 'the copy keeps every system entry');
    t.same({ passwd: sha('/etc/passwd'), group: sha('/etc/group') }, etc, '/etc is untouched');
  });

  t.test('TS_INIT_FIX_USER and TS_INIT_USER_NAME enable it without changing the arguments', async (t) => {
    const { r, probes } = await asUser([], { env: { TS_INIT_FIX_USER: '1', TS_INIT_USER_NAME: 'web' } });
    t.equal(r.exitCode, 0);
    t.same(probe(probes, 'whoami'), { rc: 0, out: 'web' });
    const off = await asUser([], { env: { TS_INIT_FIX_USER: '0' } });
    t.not(probe(off.probes, 'whoami').rc, 0, 'TS_INIT_FIX_USER=0 leaves it off');
  });

  t.test('--user-name and --home: the HOME is created 0700, parents included', async (t) => {
    const home = join(scratch, `home${++runs}`);
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, UID, 0);
    const wanted = join(home, 'nested/web');
    const { r, probes, stderr } = await asUser(['--fix-user', '--user-name', 'web', `--home=${wanted}`]);
    t.equal(r.exitCode, 0, stderr);
    t.same(probe(probes, 'whoami'), { rc: 0, out: 'web' });
    t.same(probe(probes, 'home-writable'), { rc: 0, out: wanted });
    t.match(probe(probes, 'getent').out, `:${wanted}:/bin/sh`);
    t.equal(statSync(wanted).mode & 0o777, 0o700);
    t.equal(statSync(wanted).uid, UID);
  });

  t.test('a usable HOME is kept; an unset one or / is replaced', async (t) => {
    const own = join(scratch, `home${++runs}`);
    mkdirSync(own, { mode: 0o700 });
    chownSync(own, UID, 0);
    const kept = await asUser(['--fix-user'], { home: own });
    t.same(probe(kept.probes, 'home-writable'), { rc: 0, out: own }, 'writable HOME kept');
    t.match(probe(kept.probes, 'getent').out, `:${own}:/bin/sh`, 'and used in the entry');
    for (const home of [null, '/']) {
      const { probes } = await asUser(['--fix-user'], { home });
      const got = probe(probes, 'home-writable');
      t.equal(got.rc, 0, `HOME ${home ?? 'unset'} replaced by a writable one`);
      t.match(got.out, /\/ts-init-[^/]+\/home$/);
    }
  });

  t.test('an existing LD_PRELOAD is kept and nss_wrapper appended', async (t) => {
    const { probes } = await asUser(['--fix-user'], { env: { LD_PRELOAD: 'libm.so.6' } });
    t.equal(probe(probes, 'env:LD_PRELOAD').out, `libm.so.6:${NSS_WRAPPER}`);
    t.same(probe(probes, 'whoami'), { rc: 0, out: 'app' });
  });

  t.test('an unknown GID gets a group entry in a private group copy', async (t) => {
    const { r, probes, stderr } = await asUser(['--fix-user'], { gid: 12345 });
    t.equal(r.exitCode, 0, stderr);
    const group = probe(probes, 'env:NSS_WRAPPER_GROUP').out;
    t.not(group, '/etc/group');
    t.ok(readFileSync(group, 'utf8').endsWith('\napp:x:12345:\n'), 'the copy ends with the new group');
    t.equal(statSync(group).mode & 0o777, 0o600);
    t.match(probe(probes, 'getent').out, `app:x:${UID}:12345:`);
  });

  t.test('without nss_wrapper: USER, LOGNAME, HOME only, and an info line says how to fix the rest', async (t) => {
    const { r, probes, stderr } = await asUser(['-v', '--fix-user'], { env: { TS_INIT_NSS_WRAPPER: 'none' } });
    t.equal(r.exitCode, 0);
    t.equal(probe(probes, 'env:USER').out, 'app');
    t.equal(probe(probes, 'env:LOGNAME').out, 'app');
    t.equal(probe(probes, 'home-writable').rc, 0, 'HOME writable');
    t.same(probe(probes, 'python-getuser'), { rc: 0, out: 'app' }, 'getpass.getuser() reads LOGNAME');
    t.not(probe(probes, 'whoami').rc, 0, 'whoami still fails');
    t.not(probe(probes, 'node-userinfo').rc, 0, 'os.userInfo() still fails');
    t.equal(probe(probes, 'env:LD_PRELOAD').rc, 1, 'no LD_PRELOAD');
    t.match(stderr, /\[INFO  ts-init \(\d+\)\] --fix-user: libnss_wrapper not found.*whoami.*libnss-wrapper/);
  });

  t.test('a UID that has an entry and a writable HOME is left alone, with one line at -v', async (t) => {
    const own = ownedDir(`nobody${++runs}`, 0o700, 65534, 65534).toString();
    const { r, probes, stderr } = await asUser(['-v', '--fix-user'], { uid: 65534, gid: 65534, home: own });
    t.equal(r.exitCode, 0);
    t.same(probe(probes, 'whoami'), { rc: 0, out: 'nobody' });
    for (const name of ['USER', 'LOGNAME', 'LD_PRELOAD', 'NSS_WRAPPER_PASSWD']) t.equal(probe(probes, `env:${name}`).rc, 1, `no ${name}`);
    t.equal(probe(probes, 'env:HOME').out, own, 'HOME unchanged');
    t.equal(stderr.split('\n').filter((l) => l.includes('--fix-user')).length, 1, 'one --fix-user line');
    t.match(stderr, "UID 65534 is already 'nobody'; nothing to change");
  });

  // podman -u 10000 adds "10000:*:10000:0:container user:WORKDIR:/bin/sh" to
  // the image's /etc/passwd and sets HOME=WORKDIR ("/" by default); CRI-O does
  // the same on OpenShift when /etc/passwd is group-writable. nss_wrapper
  // plays that entry here, for ts-init's lookup and the program's alike.
  t.test('an entry whose home is / or not writable (podman, CRI-O): the name stays, HOME becomes writable', async (t) => {
    const workdir = ownedDir(`workdir${++runs}`, 0o755, 0, 0).toString();
    for (const home of ['/', workdir]) {
      const passwd = join(scratch, `podman-passwd${++runs}`);
      writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8')}${UID}:*:${UID}:0:container user:${home}:/bin/sh\n`, { mode: 0o644 });
      const env = { LD_PRELOAD: NSS_WRAPPER ?? '', NSS_WRAPPER_PASSWD: passwd, NSS_WRAPPER_GROUP: '/etc/group' };
      const before = await asUser([], { env, home });
      t.same(probe(before.probes, 'whoami'), { rc: 0, out: String(UID) }, `${home}: the runtime's entry names the UID`);
      t.not(probe(before.probes, 'home-writable').rc, 0, `${home}: but HOME is not writable`);

      const { r, probes, stderr } = await asUser(['-v', '--fix-user'], { env, home });
      t.equal(r.exitCode, 0, stderr);
      t.same(probe(probes, 'whoami'), { rc: 0, out: String(UID) }, 'the existing entry still answers');
      const got = probe(probes, 'home-writable');
      t.equal(got.rc, 0, `${home}: HOME is writable now`);
      t.match(got.out, /\/ts-init-[^/]+\/home$/, 'a private home');
      t.equal(probe(probes, 'env:LD_PRELOAD').out, NSS_WRAPPER, 'LD_PRELOAD untouched');
      t.equal(probe(probes, 'env:NSS_WRAPPER_PASSWD').out, passwd, "the runtime's passwd file untouched");
      t.equal(probe(probes, 'env:USER').rc, 1, 'USER is not invented for an entry that exists');
      t.match(stderr, new RegExp(`--fix-user: UID ${UID} is already '${UID}', but HOME '${home}' is not a writable directory: HOME=\\S+/home`));
    }
  });

  t.test('a TMPDIR that a passwd line cannot hold is refused when the default home would go there', async (t) => {
    for (const name of ['t:mp', 't\nmp']) {
      const tmp = ownedDir(`${name}${++runs}`).toString();
      const { r, probes, stderr } = await asUser(['--fix-user'], { env: { TMPDIR: tmp } });
      t.equal(r.exitCode, 1, JSON.stringify(name));
      t.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
      t.match(stderr, /^\[FATAL ts-init \(\d+\)\] --fix-user: .*TMPDIR/);
      t.equal(probes.size, 0, 'the program did not run');
      t.same(readdirSync(tmp), [], 'nothing was made in TMPDIR');
    }
    const own = ownedDir(`home${++runs}`).toString();
    const tmp = ownedDir(`t:mp${++runs}`).toString();
    const { r, probes, stderr } = await asUser(['--fix-user'], { env: { TMPDIR: tmp }, home: own });
    t.equal(r.exitCode, 0, `with a usable HOME only the passwd copy goes to TMPDIR: ${stderr}`);
    t.equal(probe(probes, 'getent').out, `app:x:${UID}:0:app:${own}:/bin/sh`);
  });

  t.test('LD_PRELOAD and HOME that are not UTF-8 reach the program byte for byte', async (t) => {
    const lib = Buffer.concat([Buffer.from(`${stage}/lib`), Buffer.from([0xff]), Buffer.from('.so')]);
    copyFileSync(join(dirname(NSS_WRAPPER ?? '/usr/lib/x'), 'libm.so.6'), lib);
    chmodSync(lib, 0o755);
    const home = ownedDir(Buffer.concat([Buffer.from(`home${++runs}-`), Buffer.from([0xff])]));
    const { r, probes, stderr } = await asUser(['--fix-user'], { bytes: { LD_PRELOAD: lib, HOME: home }, home: null });
    t.equal(r.exitCode, 0, stderr);
    t.equal(probe(probes, 'env:LD_PRELOAD').out, `${lib.toString('latin1')}:${NSS_WRAPPER}`, 'LD_PRELOAD kept, nss_wrapper appended');
    t.same(probe(probes, 'home-writable'), { rc: 0, out: home.toString('latin1') }, 'the writable HOME is kept');
    t.equal(probe(probes, 'getent').out, `app:x:${UID}:0:app:${home.toString('latin1')}:/bin/sh`, 'and written into the entry as it is');
    t.same(probe(probes, 'whoami'), { rc: 0, out: 'app' });
  });

  t.test('a --home that exists must be private, as OpenSSH wants ~/.ssh: owned by the UID or root, writable by no one else', async (t) => {
    const other = ownedDir(`other${++runs}`, 0o777, 20000, 20000);
    const link = join(scratch, `link${runs}`);
    symlinkSync(other, link);
    const cases: [string, string][] = [
      [link, `belongs to UID 20000`],
      [ownedDir(`shared${runs}`, 0o770, UID, 12345).toString(), 'writable by group 12345'],
      [ownedDir(`open${runs}`, 0o777).toString(), 'writable by every user'],
      [ownedDir(`sticky${runs}`, 0o1777, 0, 0).toString(), 'writable by every user'],
    ];
    for (const [home, why] of cases) {
      const { r, tmp, probes, stderr } = await asUser(['--fix-user', '--home', home]);
      t.equal(r.exitCode, 1, home);
      t.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
      t.match(stderr, `--fix-user: home directory ${home}`);
      t.match(stderr, why);
      t.equal(probes.size, 0, 'the program did not run');
      t.same(readdirSync(tmp), [], 'nothing was left in TMPDIR');
    }
    // OpenShift's own recipe: chgrp 0 and chmod g=u, owned by root.
    const ocp = ownedDir(`ocp${runs}`, 0o770, 0, 0).toString();
    const ok = await asUser(['--fix-user', '--home', ocp]);
    t.equal(ok.r.exitCode, 0, ok.stderr);
    t.same(probe(ok.probes, 'home-writable'), { rc: 0, out: ocp }, 'root-owned, writable through group 0: accepted');
  });

  t.test('settings that cannot work stop ts-init before anything is created', async (t) => {
    for (const [args, message] of [
      [['--fix-user', '--user-name', 'root'], "user name 'root' already belongs to another user"],
      [['--fix-user', '--home', '/root/app'], 'cannot create home directory /root/app: EACCES'],
      [['--fix-user', '--home', '/etc'], 'home directory /etc is not a directory this user (UID 10000) can write to'],
    ] as const) {
      const { r, tmp, probes, stderr } = await asUser(args);
      t.equal(r.exitCode, 1, args.join(' '));
      t.match(stderr, message);
      t.equal(probes.size, 0, 'the program did not run');
      t.same(readdirSync(tmp), [], 'nothing was left in TMPDIR');
    }
    const missing = await asUser(['--fix-user'], { env: { TS_INIT_NSS_WRAPPER: '/nonexistent/libnss_wrapper.so' } });
    t.equal(missing.r.exitCode, 1);
    t.match(missing.stderr, "TS_INIT_NSS_WRAPPER: '/nonexistent/libnss_wrapper.so' is not a readable file");
  });
}

t.test("as root --fix-user is a no-op: the image's ENV TS_INIT_FIX_USER=1 still runs under a plain docker run", async (t) => {
  const program = ['--', 'sh', '-c', 'echo "ran HOME=$HOME ${LD_PRELOAD-no-preload} ${NSS_WRAPPER_PASSWD-no-passwd}"'];
  for (const [args, env] of [
    [['--fix-user'], {}],
    [[], { TS_INIT_FIX_USER: 'yes' }],
  ] as const) {
    const quiet = await tsInit([...args, ...program], { env: { ...env, HOME: '/' } });
    t.equal(quiet.exitCode, 0, `${args.join(' ')} ${JSON.stringify(env)}`);
    t.equal(String(quiet.stdout), 'ran HOME=/ no-preload no-passwd\n', 'the program ran with its environment untouched');
    t.equal(String(quiet.stderr), '', 'silent by default');
    const told = await tsInit(['-v', ...args, ...program], { env: { ...env, HOME: '/' } });
    const lines = String(told.stderr)
      .split('\n')
      .filter((l) => l.includes('--fix-user'));
    t.equal(lines.length, 1, 'one line at -v');
    t.match(lines[0], /^\[INFO  ts-init \(\d+\)\] --fix-user: running as root \(UID 0\); nothing to change$/);
  }
});

t.test('bad --fix-user settings are usage errors', async (t) => {
  for (const [args, env, message] of [
    [['--fix-user', '--user-name', 'a:b'], {}, "ts-init: invalid user name: 'a:b'"],
    [['--fix-user', '--user-name', '-x'], {}, "ts-init: invalid user name: '-x'"],
    [['--fix-user', '--home', 'rel/dir'], {}, "ts-init: invalid home directory: 'rel/dir' (expected an absolute path)"],
    [['--fix-user', '--home', '/a:b'], {}, "ts-init: invalid home directory: '/a:b'"],
    [['--user-name', 'web'], {}, 'ts-init: --user-name only applies with --fix-user'],
    [['--home=/x'], {}, 'ts-init: --home only applies with --fix-user'],
    [[], { TS_INIT_FIX_USER: 'maybe' }, "ts-init: invalid TS_INIT_FIX_USER: 'maybe'"],
    [[], { TS_INIT_HOME: 'rel' }, 'ts-init: TS_INIT_HOME: invalid home directory'],
    [[], { TS_INIT_USER_NAME: 'a b' }, 'ts-init: TS_INIT_USER_NAME: invalid user name'],
    [[], { TS_INIT_NSS_WRAPPER: 'libnss_wrapper.so' }, "ts-init: invalid TS_INIT_NSS_WRAPPER: 'libnss_wrapper.so'"],
  ] as const) {
    const r = await tsInit([...args, '--', 'sh', '-c', 'echo ran'], { env });
    t.equal(r.exitCode, 1, `${args.join(' ')} ${JSON.stringify(env)}`);
    const first = String(r.stderr).split('\n')[0] ?? '';
    t.ok(first.startsWith(message), `one line says what is wrong: ${first}`);
    t.match(String(r.stderr), 'Usage: ts-init');
    t.equal(String(r.stdout), '', 'the program did not run');
  }
});
