// The arbitrary-UID check (--uid): OpenShift and others run images as a
// random numeric user in group 0 with no passwd entry. Did PROGRAM start as
// that user, what do user-name lookups give it, can it write to its HOME,
// and does its output point at a failed lookup or a permission problem?
import type { ExecOptions, Target } from '../target.js';
import type { Lookup, UserResult } from '../types.js';

// What programs print when a user lookup or a permission check fails: Node's
// os.userInfo(), glibc tools, Python's getpass, Java, busybox, and EACCES/EPERM.
const USER_TROUBLE = new RegExp(
  [
    'uv_os_get_passwd',
    'getpwuid',
    'getpwnam',
    'cannot find name for user',
    'no such user',
    'unknown user',
    'user(?: id)? \\S+ (?:does not exist|not found)',
    'I have no name',
    'no matching entries in passwd',
    'EACCES',
    'EPERM',
    'permission denied',
    'operation not permitted',
    'EROFS',
    'read-only file system',
  ].join('|'),
  'i',
);

/** The lines of PROGRAM's output that point at a user or permission problem (at most 3). */
export function userTrouble(output: { readonly stdout: string; readonly stderr: string }): string[] {
  return [output.stdout, output.stderr]
    .flatMap((s) => s.split('\n'))
    .filter((l) => USER_TROUBLE.test(l))
    .slice(0, 3)
    .map((l) => l.trim());
}

async function lookup(target: Target, argv: readonly string[], options: ExecOptions): Promise<Lookup> {
  const r = await target.exec(argv, options);
  const out = r.stdout.trim();
  const output = r.missing ? `(no ${argv[0] ?? ''} in the image)` : r.exitCode === 0 ? out : (r.stderr.trim().split('\n')[0] ?? '');
  return { exitCode: r.exitCode, output, missing: r.missing };
}

// The HOME PROGRAM got, and whether it may write there: with sh, else node.
const SH_HOME = 'if [ -z "${HOME:-}" ]; then echo unset; elif [ -d "$HOME" ] && [ -w "$HOME" ]; then echo "writable $HOME"; else echo "not-writable $HOME"; fi';
const NODE_HOME =
  'const h=process.env.HOME;let w=false;try{require("fs").accessSync(h,2);w=require("fs").statSync(h).isDirectory()}catch{}' +
  'console.log(!h?"unset":(w?"writable ":"not-writable ")+h)';

async function homeOf(target: Target, options: ExecOptions): Promise<UserResult['home']> {
  for (const argv of [
    ['sh', '-c', SH_HOME],
    ['node', '-e', NODE_HOME],
  ]) {
    const r = await target.exec(argv, options);
    if (r.missing) continue;
    const m = /^(unset|writable|not-writable)(?: (.*))?$/m.exec(r.stdout);
    if (m === null) return undefined;
    return { path: m[2], writable: m[1] === 'writable' };
  }
  return undefined;
}

/**
 * `program` is PROGRAM's pid as numbered inside (PID 1, or the init's child),
 * undefined when it was gone. `output` is what PROGRAM wrote so far.
 */
export async function checkUser(
  target: Target,
  program: number | undefined,
  uid: number,
  gid: number,
  output: { readonly stdout: string; readonly stderr: string },
): Promise<UserResult> {
  const flagged = userTrouble(output);
  const actual = program !== undefined ? await target.view.ids(program) : undefined;
  const base = { uid, gid, actual, flagged };
  if (program === undefined || actual === undefined) {
    const summary = flagged.length > 0 ? `PROGRAM ended; its output points at the user: ${flagged[0] ?? ''}` : `PROGRAM was not running as ${uid}:${gid}`;
    return { ...base, verdict: 'fail', summary, idUn: undefined, getent: undefined, home: undefined };
  }
  // PROGRAM's own environment: an init may add NSS settings (ts-init --fix-user).
  const options: ExecOptions = { user: { uid, gid }, env: (await target.view.environment(program)) ?? {} };
  const idUn = await lookup(target, ['id', '-un'], options);
  const getent = await lookup(target, ['getent', 'passwd', String(uid)], options);
  const home = await homeOf(target, options);
  const found = { ...base, idUn, getent, home };
  if (actual.uid !== uid || actual.gid !== gid) return { ...found, verdict: 'fail', summary: `runs as ${actual.uid}:${actual.gid}, not ${uid}:${gid}` };
  if (flagged.length > 0) return { ...found, verdict: 'fail', summary: `running as ${uid}:${gid}, but its output points at the user: ${flagged[0] ?? ''}` };
  const name = idUn.missing ? '' : idUn.exitCode === 0 ? `, user name '${idUn.output}'` : ', no user name';
  const homeNote = home === undefined ? '' : home.writable ? '' : `, HOME ${home.path ?? '(unset)'} not writable`;
  return { ...found, verdict: 'pass', summary: `running as ${uid}:${gid}${name}${homeNote}` };
}

/**
 * The user check once PROGRAM's output is complete: a line written after the
 * check ran (a lookup that fails a moment later, at start-up) counts too.
 */
export function withFinalOutput(result: UserResult, output: { readonly stdout: string; readonly stderr: string }): UserResult {
  const flagged = userTrouble(output);
  if (flagged.length <= result.flagged.length) return result;
  if (result.verdict === 'fail') return { ...result, flagged };
  return { ...result, flagged, verdict: 'fail', summary: `${result.summary}, but its output points at the user: ${flagged[0] ?? ''}` };
}
