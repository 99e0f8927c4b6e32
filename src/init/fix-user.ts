// --fix-user: make an arbitrary UID without a passwd entry (OpenShift, any
// cluster with a runAsUser policy) look like a real user to the child, and
// give a UID whose entry has no usable home (podman, CRI-O) a writable HOME.
// Only the child's environment changes: ts-init writes nothing outside a
// fresh private directory of its own, never touches /etc, never needs root.
//
// Paths and environment values are bytes (Buffers) from end to end: Node's
// process.env decodes UTF-8 lossily, and the program must get its HOME and
// LD_PRELOAD exactly as they were.
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import type { Native, PasswdEntry } from '../native/loader.js';
import { FatalError } from '../shared/errors.js';
import { log, printable } from '../shared/log.js';
import { environmentValue } from './launcher-env.js';

export const DEFAULT_USER_NAME = 'app';
// A portable user name: no ':' or newline (it goes into a passwd line), not
// all digits (chown and ls would read it as a UID), not starting with '-'.
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const SLASH = 0x2f;

export interface FixUserSettings {
  /** --user-name / TS_INIT_USER_NAME; the default name when undefined. */
  readonly userName: string | undefined;
  /** --home / TS_INIT_HOME: the HOME to use when the inherited one is unusable. */
  readonly home: Buffer | undefined;
  /** TS_INIT_NSS_WRAPPER: a library path, 'none', or undefined to search. */
  readonly nssWrapper: Buffer | undefined;
}

/** A setting that cannot be honoured: ts-init says so and exits 1. */
export class FixUserError extends FatalError {}

/**
 * Why `value` cannot be a field of a passwd or group line, or undefined:
 * ':' would split the field, a line break would end the entry and start
 * another one (an injected user), NUL ends the C string a reader sees.
 */
export function passwdFieldProblem(value: Buffer | string): string | undefined {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  if (bytes.includes(0x3a)) return "it contains ':'";
  if (bytes.includes(0x0a) || bytes.includes(0x0d)) return 'it contains a line break';
  if (bytes.includes(0)) return 'it contains a NUL byte';
  return undefined;
}

export interface PasswdFields {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** The full name (GECOS) git and mail tools sign with. */
  readonly gecos: string;
  readonly home: Buffer;
  readonly shell: string;
}

function checkField(what: string, value: Buffer | string): void {
  const problem = passwdFieldProblem(value);
  if (problem !== undefined) throw new FixUserError(`--fix-user: the ${what} '${printable(value)}' cannot go into a passwd entry: ${problem}`);
}

function checkId(what: string, id: number): void {
  if (!Number.isInteger(id) || id < 0) throw new FixUserError(`--fix-user: ${what} ${id} is not a valid ID`);
}

/** NAME:x:UID:GID:GECOS:HOME:SHELL and a newline; throws FixUserError rather than write a field that would split the line. */
export function passwdLine(fields: PasswdFields): Buffer {
  checkField('user name', fields.name);
  checkId('UID', fields.uid);
  checkId('GID', fields.gid);
  checkField('full name', fields.gecos);
  checkField('home directory', fields.home);
  checkField('shell', fields.shell);
  return Buffer.concat([Buffer.from(`${fields.name}:x:${fields.uid}:${fields.gid}:${fields.gecos}:`), fields.home, Buffer.from(`:${fields.shell}\n`)]);
}

/** NAME:x:GID: and a newline, checked as passwdLine is. */
export function groupLine(name: string, gid: number): Buffer {
  checkField('group name', name);
  checkId('GID', gid);
  return Buffer.from(`${name}:x:${gid}:\n`);
}

/** Returns an error message for a bad --user-name value. */
export function checkUserName(name: string): string | undefined {
  if (USER_NAME.test(name)) return undefined;
  return `invalid user name: '${printable(name)}' (expected 1-32 letters, digits, '.', '_' or '-', starting with a letter or '_')`;
}

/** Returns an error message for a bad --home value. */
export function checkHome(dir: Buffer): string | undefined {
  if (dir[0] !== SLASH) return `invalid home directory: '${printable(dir)}' (expected an absolute path)`;
  const problem = passwdFieldProblem(dir);
  if (problem !== undefined) return `invalid home directory: '${printable(dir)}' (a passwd entry cannot hold it: ${problem})`;
  return undefined;
}

/** Returns an error message for a bad TS_INIT_NSS_WRAPPER value. */
export function checkNssWrapper(path: Buffer): string | undefined {
  if (path.toString('latin1') === 'none') return undefined;
  if (path[0] !== SLASH) return `invalid TS_INIT_NSS_WRAPPER: '${printable(path)}' (expected an absolute path or 'none')`;
  // The dynamic loader splits LD_PRELOAD at spaces and colons.
  if (path.includes(0x3a) || path.includes(0x20))
    return `invalid TS_INIT_NSS_WRAPPER: '${printable(path)}' (LD_PRELOAD cannot hold a path with ':' or a space)`;
  return undefined;
}

// Debian and Ubuntu install into the multiarch directory; RHEL into lib64;
// Alpine into /usr/lib. 64-bit directories come first so a 32-bit copy in
// /usr/lib (RHEL's .i686 package) is never preloaded into 64-bit programs.
const MULTIARCH: Readonly<Record<string, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  ia32: 'i386-linux-gnu',
};
const LIBRARY = 'libnss_wrapper.so';

/** DIR/NAME, for a directory given as bytes. */
function within(dir: Buffer, name: string): Buffer {
  return Buffer.concat([dir, Buffer.from(dir[dir.length - 1] === SLASH ? name : `/${name}`)]);
}

function isReadableFile(path: Buffer): boolean {
  try {
    accessSync(path, fsConstants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The installed libnss_wrapper, or undefined when there is none. */
export function findNssWrapper(setting: Buffer | undefined): Buffer | undefined {
  if (setting?.toString('latin1') === 'none') return undefined;
  if (setting !== undefined) {
    if (!isReadableFile(setting)) throw new FixUserError(`TS_INIT_NSS_WRAPPER: '${printable(setting)}' is not a readable file`);
    return setting;
  }
  const triplet = MULTIARCH[process.arch];
  const dirs = [
    ...(triplet !== undefined ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : []),
    '/usr/lib64',
    '/lib64',
    '/usr/local/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
  return dirs.map((d) => within(Buffer.from(d), LIBRARY)).find(isReadableFile);
}

function isWritableDirectory(path: Buffer): boolean {
  try {
    accessSync(path, fsConstants.W_OK | fsConstants.X_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A HOME the program can use: set, absolute, not "/", one a passwd entry can hold, a directory it can write to. */
export function isUsableHome(home: Buffer | undefined): boolean {
  if (home?.[0] !== SLASH || /^\/+$/.test(home.toString('latin1'))) return false;
  return passwdFieldProblem(home) === undefined && isWritableDirectory(home);
}

/**
 * Why a directory is not private to UID `me`, or undefined: OpenSSH's rule
 * for ~/.ssh (StrictModes: owned by the user or root, writable by neither
 * group nor others), with one allowance for random-UID platforms: write
 * access through group 0, root's group, which OpenShift runs every UID with
 * and tells image authors to grant (chgrp 0, chmod g=u).
 */
export function privateDirectoryProblem(st: { readonly uid: number; readonly gid: number; readonly mode: number }, me: number): string | undefined {
  if (st.uid !== me && st.uid !== 0) return `belongs to UID ${st.uid}, not to UID ${me} or root`;
  if ((st.mode & 0o002) !== 0) return 'is writable by every user';
  if ((st.mode & 0o020) !== 0 && st.gid !== 0) return `is writable by group ${st.gid}`;
  return undefined;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/**
 * Creates the configured home when missing (0700, parents too), then checks
 * what it is now, symlinks resolved: a directory private to this UID (so no
 * one else can plant files in it or read what the program leaves there) and
 * writable. Throws FixUserError otherwise.
 */
function prepareHome(dir: Buffer): Buffer {
  const me = uid();
  const shown = `--fix-user: home directory ${printable(dir)}`;
  try {
    // 0700: a home is private; the umask can only narrow it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new FixUserError(`--fix-user: cannot create home directory ${printable(dir)}: ${errorCode(error)}`);
  }
  let real: Buffer;
  try {
    real = realpathSync(dir, { encoding: 'buffer' });
    const problem = privateDirectoryProblem(statSync(real), me);
    const where = real.equals(dir) ? shown : `${shown} (${printable(real)})`;
    if (problem !== undefined) throw new FixUserError(`${where} ${problem}; use a directory only this UID (or root) can write to`);
  } catch (error) {
    if (error instanceof FixUserError) throw error;
    throw new FixUserError(`${shown} cannot be checked: ${errorCode(error)}`);
  }
  if (!isWritableDirectory(real)) throw new FixUserError(`${shown} is not a directory this user (UID ${me}) can write to`);
  return dir;
}

function readOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0); // distroless images may have no /etc/passwd at all
  }
}

function withNewline(text: Buffer): Buffer {
  return text.length === 0 || text[text.length - 1] === 0x0a ? text : Buffer.concat([text, Buffer.from('\n')]);
}

/** Field `index` of every non-comment line of a colon-separated database. */
function column(database: string, index: number): string[] {
  return database
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':')[index] ?? '');
}

/**
 * The name the generated entry gets. A name asked for explicitly must be
 * free; the default steps aside (to app-UID) when the image already has a
 * user of that name, so two entries never share one name.
 */
export function chooseName(requested: string | undefined, passwd: string, uidValue: number): string {
  const taken = new Set(column(passwd, 0));
  if (requested !== undefined) {
    if (taken.has(requested)) throw new FixUserError(`user name '${requested}' already belongs to another user in /etc/passwd; choose another --user-name`);
    return requested;
  }
  return taken.has(DEFAULT_USER_NAME) ? `${DEFAULT_USER_NAME}-${uidValue}` : DEFAULT_USER_NAME;
}

/**
 * Appends to an existing LD_PRELOAD (e.g. jemalloc) rather than replacing it.
 * latin1 maps each byte to one character and back, so the value keeps every
 * byte while it is split at the loader's separators, space and ':'.
 */
export function appendPreload(existing: Buffer | undefined, library: Buffer): Buffer {
  const text = existing?.toString('latin1') ?? '';
  if (existing === undefined || text.trim() === '') return library;
  if (text.split(/[ :]+/).includes(library.toString('latin1'))) return existing;
  return Buffer.concat([existing, Buffer.from(':'), library]);
}

function uid(): number {
  return process.geteuid?.() ?? -1;
}

function gid(): number {
  return process.getegid?.() ?? -1;
}

/** TMPDIR when it is an absolute path, else /tmp. */
function tmpDir(env: readonly Buffer[]): Buffer {
  const tmp = environmentValue(env, 'TMPDIR');
  return tmp?.[0] === SLASH ? tmp : Buffer.from('/tmp');
}

/**
 * Refuses a TMPDIR that would put the default home where a passwd entry
 * cannot hold it, before anything is created.
 */
function checkHomeParent(tmp: Buffer): void {
  const problem = passwdFieldProblem(tmp);
  if (problem !== undefined) {
    throw new FixUserError(
      `--fix-user: the default home would be made in TMPDIR '${printable(tmp)}', which a passwd entry cannot hold (${problem}); set TMPDIR to another directory or give --home`,
    );
  }
}

// Node takes a Buffer prefix (since 16.5, and returns the path as bytes with
// encoding 'buffer'); @types/node only declares a string one.
const mkdtempBytes = mkdtempSync as unknown as (prefix: Buffer, options: { encoding: 'buffer' }) => Buffer;

/** A private 0700 directory, ours, for the passwd copy (and HOME by default). */
function makePrivateDir(tmp: Buffer): Buffer | undefined {
  try {
    return mkdtempBytes(within(tmp, 'ts-init-'), { encoding: 'buffer' }); // mkdtemp creates it 0700
  } catch (error) {
    log.warn(`--fix-user: cannot create a private directory in ${printable(tmp)} (${errorCode(error)}); no passwd entry or default HOME can be made there`);
    return undefined;
  }
}

/** Writes a file that must not exist yet, readable by its owner only. */
function writePrivate(path: Buffer, content: Buffer): void {
  try {
    writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new FixUserError(`--fix-user: cannot write ${printable(path)}: ${errorCode(error)}`);
  }
}

/** --home when given, else home/ in a new private directory; undefined when that cannot be made. */
function fallbackHome(settings: FixUserSettings, tmp: Buffer): Buffer | undefined {
  if (settings.home !== undefined) return prepareHome(settings.home);
  checkHomeParent(tmp);
  const dir = makePrivateDir(tmp);
  return dir === undefined ? undefined : prepareHome(within(dir, 'home'));
}

/**
 * The UID has an entry already (the image's, or the runtime's: podman and
 * CRI-O add one whose home is the working directory). Its name stays; only
 * a HOME the program cannot write to is replaced.
 */
function fixHome(settings: FixUserSettings, env: readonly Buffer[], me: number, entry: PasswdEntry): Map<string, Buffer> {
  const inherited = environmentValue(env, 'HOME');
  if (isUsableHome(inherited)) {
    log.info(`--fix-user: UID ${me} is already '${entry.name}'; nothing to change`);
    return new Map();
  }
  const own = Buffer.from(entry.dir);
  const home = isUsableHome(own) ? own : fallbackHome(settings, tmpDir(env));
  const was = inherited === undefined ? '(unset)' : `'${printable(inherited)}'`;
  if (home === undefined) {
    log.warn(`--fix-user: UID ${me} is already '${entry.name}', but HOME ${was} is not a writable directory and no other could be made`);
    return new Map();
  }
  log.info(`--fix-user: UID ${me} is already '${entry.name}', but HOME ${was} is not a writable directory: HOME=${printable(home)}`);
  return new Map([['HOME', home]]);
}

/**
 * The environment entries that make the child's UID a known user with a
 * writable HOME, or none when it is one already. Root is left alone. Throws
 * FixUserError for settings that cannot work.
 */
export function fixUser(native: Native, settings: FixUserSettings, env: readonly Buffer[]): Map<string, Buffer> {
  const me = uid();
  if (me === 0) {
    // An image with ENV TS_INIT_FIX_USER=1 must still run as root (local runs, CI).
    log.info('--fix-user: running as root (UID 0); nothing to change');
    return new Map();
  }
  const existing = native.getpwuid(me);
  if (existing !== null) return fixHome(settings, env, me, existing);

  // Validated before anything is created, so a refusal leaves no trace.
  const library = findNssWrapper(settings.nssWrapper);
  const passwd = readOrEmpty('/etc/passwd');
  const name = chooseName(settings.userName, passwd.toString('latin1'), me);
  const extra = new Map<string, Buffer>([
    ['USER', Buffer.from(name)],
    ['LOGNAME', Buffer.from(name)],
  ]);
  const tmp = tmpDir(env);

  const inherited = environmentValue(env, 'HOME');
  let home = isUsableHome(inherited) ? inherited : settings.home !== undefined ? prepareHome(settings.home) : undefined;
  if (home === undefined) checkHomeParent(tmp);
  const dir = library !== undefined || home === undefined ? makePrivateDir(tmp) : undefined;
  if (home === undefined && dir !== undefined) home = prepareHome(within(dir, 'home'));
  if (home !== undefined && home !== inherited) extra.set('HOME', home);

  if (library === undefined) {
    log.info(
      `--fix-user: libnss_wrapper not found, so UID ${me} still has no passwd entry: whoami, id -un and getpwuid() (os.userInfo(), pwd) will fail. ` +
        'Install it in the image (Debian/Ubuntu: libnss-wrapper, Alpine and RHEL: nss_wrapper) or point TS_INIT_NSS_WRAPPER at it',
    );
  } else if (dir !== undefined) {
    const myGid = gid();
    const passwdFile = within(dir, 'passwd');
    // The GECOS field is the full name git and mail tools sign with: the name.
    writePrivate(
      passwdFile,
      Buffer.concat([withNewline(passwd), passwdLine({ name, uid: me, gid: myGid, gecos: name, home: home ?? Buffer.from('/'), shell: '/bin/sh' })]),
    );
    // nss_wrapper answers every lookup from its files alone, so the group
    // file must hold our GID; the system's serves when it does already.
    const group = readOrEmpty('/etc/group');
    let groupFile: Buffer = Buffer.from('/etc/group');
    if (!column(group.toString('latin1'), 2).includes(String(myGid))) {
      groupFile = within(dir, 'group');
      const known = native.getgrgid(myGid);
      const groupName = known !== null && passwdFieldProblem(known) === undefined ? known : name;
      writePrivate(groupFile, Buffer.concat([withNewline(group), groupLine(groupName, myGid)]));
    }
    extra.set('LD_PRELOAD', appendPreload(environmentValue(env, 'LD_PRELOAD'), library));
    extra.set('NSS_WRAPPER_PASSWD', passwdFile);
    extra.set('NSS_WRAPPER_GROUP', groupFile);
  }
  const shownHome = home !== undefined ? printable(home) : '(unset)';
  log.info(
    `--fix-user: UID ${me} runs as '${name}', HOME=${shownHome}${library !== undefined && dir !== undefined ? `, passwd entry in ${printable(dir)} via ${printable(library)}` : ''}`,
  );
  return extra;
}
