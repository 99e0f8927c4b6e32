// The arbitrary-UID check (--uid): OpenShift and others run images as a
// random numeric user in group 0 with no passwd entry. Did PROGRAM start as
// that user, and what do user-name lookups give it?
import { execa } from 'execa';
import { environmentOf, idsOf } from '../../shared/proc.js';
import { enter, type Namespace } from '../namespace.js';
import type { Lookup, UserResult } from '../types.js';



/** The argv prefix that drops to uid:gid with no supplementary groups. */
export function asUser(uid: number, gid: number): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
}

async function lookup(ns: Namespace, pid1: number, env: Record<string, string>, uid: number, gid: number, argv: readonly string[]): Promise<Lookup> {
  const inside = enter(ns.mode, pid1);
  const r = await execa(inside.file, [...inside.args, ...asUser(uid, gid), ...argv], {
    reject: false,
    timeout: 10_000,
    killSignal: 'SIGKILL',
    stdin: 'ignore',
    env,
    extendEnv: false,
  });
  const out = r.stdout.trim();
  return { exitCode: r.exitCode, output: r.exitCode === 0 ? out : (r.stderr.trim().split('\n')[0] ?? '') };
}

/** `program` is the host pid of PROGRAM itself: PID 1, or the init's child. */
export async function checkUser(ns: Namespace, pid1: number, program: number, uid: number, gid: number): Promise<UserResult> {
  const actual = idsOf(program);
  // PROGRAM's own environment: an init may add NSS settings (ts-init --fix-user).
  const env = environmentOf(program) ?? {};
  const idUn = await lookup(ns, pid1, env, uid, gid, ['id', '-un']);
  const getent = await lookup(ns, pid1, env, uid, gid, ['getent', 'passwd', String(uid)]);
  const name = idUn.exitCode === 0 ? `user name '${idUn.output}'` : 'no user name';
  if (actual === undefined) return { verdict: 'fail', summary: `PROGRAM was not running as ${uid}:${gid}`, uid, gid, actual, idUn, getent };
  if (actual.uid !== uid || actual.gid !== gid) {
    return { verdict: 'fail', summary: `runs as ${actual.uid}:${actual.gid}, not ${uid}:${gid}`, uid, gid, actual, idUn, getent };
  }
  return { verdict: 'pass', summary: `running as ${uid}:${gid}, ${name}`, uid, gid, actual, idUn, getent };
}
