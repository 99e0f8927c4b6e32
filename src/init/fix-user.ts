// --fix-user: make an arbitrary UID without a passwd entry (OpenShift, any
// cluster with a runAsUser policy) look like a real user to the child.
// Only the child's environment changes: ts-init writes nothing outside a
// fresh private directory of its own, never touches /etc, never needs root.
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Native } from '../native/loader.js';
import { FatalError } from '../shared/errors.js';
import { log } from '../shared/log.js';

export const DEFAULT_USER_NAME = 'app';
/** What a usable NSS_WRAPPER / HOME path may not contain: passwd's separators. */
const PASSWD_UNSAFE = /[:\n\r\0]/;
// A portable user name: no ':' or newline (it goes into a passwd line), not
// all digits (chown and ls would read it as a UID), not starting with '-'.
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

export interface FixUserSettings {
  /** --user-name / TS_INIT_USER_NAME; the default name when undefined. */
  readonly userName: string | undefined;
  /** --home / TS_INIT_HOME: the HOME to use when the inherited one is unusable. */
  readonly home: string | undefined;
  /** TS_INIT_NSS_WRAPPER: a library path, 'none', or undefined to search. */
  readonly nssWrapper: string | undefined;
}

/** A setting that cannot be honoured: ts-init says so and exits 1. */
export class FixUserError extends FatalError {}

/** Returns an error message for a bad --user-name value. */
export function checkUserName(name: string): string | undefined {
  if (USER_NAME.test(name)) return undefined;
  return `invalid user name: '${name}' (expected 1-32 letters, digits, '.', '_' or '-', starting with a letter or '_')`;
}

/** Returns an error message for a bad --home value. */
export function checkHome(dir: string): string | undefined {
  if (!dir.startsWith('/')) return `invalid home directory: '${dir}' (expected an absolute path)`;
  if (PASSWD_UNSAFE.test(dir)) return `invalid home directory: '${dir}' (a passwd entry cannot hold ':' or a newline)`;
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

function isReadableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The installed libnss_wrapper, or undefined when there is none. */
export function findNssWrapper(setting: string | undefined): string | undefined {
  if (setting === 'none') return undefined;
  if (setting !== undefined) {
    if (!isReadableFile(setting)) throw new FixUserError(`TS_INIT_NSS_WRAPPER: '${setting}' is not a readable file`);
    return setting;
  }
  const triplet = MULTIARCH[process.arch];
  const dirs = [
    ...(triplet !== undefined ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : []),
    '/usr/lib64', '/lib64', '/usr/local/lib64', '/usr/lib', '/lib', '/usr/local/lib',
  ];
  return dirs.map((d) => join(d, LIBRARY)).find(isReadableFile);
}

function isWritableDirectory(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK | fsConstants.X_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A HOME the program can use: set, not "/", a directory it can write to. */
export function isUsableHome(home: string | undefined): home is string {
  return home !== undefined && home !== '' && home !== '/' && !PASSWD_UNSAFE.test(home) && isWritableDirectory(home);
}

/** Creates the configured home when missing; it must end up writable. */
function prepareHome(dir: string): string {
  try {
    // 0700: a home is private; the umask can only narrow it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new FixUserError(`cannot create home directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!isWritableDirectory(dir)) throw new FixUserError(`home directory ${dir} is not a directory this user (UID ${uid()}) can write to`);
  return dir;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // distroless images may have no /etc/passwd at all
  }
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
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

/** Appends to an existing LD_PRELOAD (e.g. jemalloc) rather than replacing it. */
export function appendPreload(existing: string | undefined, library: string): string {
  if (existing === undefined || existing.trim() === '') return library;
  if (existing.split(/[:\s]+/).includes(library)) return existing;
  return `${existing}:${library}`;
}

function uid(): number {
  return process.geteuid?.() ?? -1;
}

function gid(): number {
  return process.getegid?.() ?? -1;
}

/** A private 0700 directory, ours, for the passwd copy (and HOME by default). */
function makePrivateDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const tmp = env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp';
  try {
    return mkdtempSync(join(tmp, 'ts-init-')); // mkdtemp creates it 0700
  } catch (error) {
    log.warn(`--fix-user: cannot create a private directory in ${tmp} (${(error as NodeJS.ErrnoException).code ?? String(error)}); no passwd entry or default HOME can be made there`);
    return undefined;
  }
}

/** Writes a file that must not exist yet, readable by its owner only. */
function writePrivate(path: string, content: string): void {
  try {
    writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new FixUserError(`--fix-user: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * The environment entries that make the child's UID a known user, or none
 * when it is one already. Throws FixUserError for settings that cannot work.
 */
export function fixUser(native: Native, settings: FixUserSettings, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const me = uid();
  if (me === 0) {
    throw new FixUserError('--fix-user (TS_INIT_FIX_USER) is refused as root: UID 0 has a passwd entry already; use it only for a non-root UID');
  }
  const existing = native.getpwuid(me);
  if (existing !== null) {
    log.info(`--fix-user: UID ${me} is already '${existing.name}'; nothing to change`);
    return {};
  }
  // Validated before anything is created, so a refusal leaves no trace.
  const library = findNssWrapper(settings.nssWrapper);
  const passwd = readOrEmpty('/etc/passwd');
  const name = chooseName(settings.userName, passwd, me);
  const extra: Record<string, string> = { USER: name, LOGNAME: name };

  let home = isUsableHome(env.HOME) ? env.HOME : undefined;
  if (home === undefined && settings.home !== undefined) home = prepareHome(settings.home);

  const needPrivate = library !== undefined || home === undefined;
  const dir = needPrivate ? makePrivateDir(env) : undefined;
  if (home === undefined && dir !== undefined) home = prepareHome(join(dir, 'home'));
  if (home !== undefined && home !== env.HOME) extra.HOME = home;

  if (library === undefined) {
    log.info(
      `--fix-user: libnss_wrapper not found, so UID ${me} still has no passwd entry: whoami, id -un and getpwuid() (os.userInfo(), pwd) will fail. ` +
        'Install it in the image (Debian/Ubuntu: libnss-wrapper, Alpine and RHEL: nss_wrapper) or point TS_INIT_NSS_WRAPPER at it',
    );
  } else if (dir !== undefined) {
    const group = readOrEmpty('/etc/group');
    const myGid = gid();
    const passwdFile = join(dir, 'passwd');
    // The GECOS field is the full name git and mail tools sign with: the name.
    writePrivate(passwdFile, `${withNewline(passwd)}${name}:x:${me}:${myGid}:${name}:${home ?? '/'}:/bin/sh\n`);
    // nss_wrapper answers every lookup from its files alone, so the group
    // file must hold our GID; the system's serves when it does already.
    let groupFile = '/etc/group';
    if (!column(group, 2).includes(String(myGid))) {
      groupFile = join(dir, 'group');
      writePrivate(groupFile, `${withNewline(group)}${native.getgrgid(myGid) ?? name}:x:${myGid}:\n`);
    }
    extra.LD_PRELOAD = appendPreload(env.LD_PRELOAD, library);
    extra.NSS_WRAPPER_PASSWD = passwdFile;
    extra.NSS_WRAPPER_GROUP = groupFile;
  }
  log.info(`--fix-user: UID ${me} runs as '${name}', HOME=${extra.HOME ?? env.HOME ?? '(unset)'}${library !== undefined && dir !== undefined ? `, passwd entry in ${dir} via ${library}` : ''}`);
  return extra;
}
