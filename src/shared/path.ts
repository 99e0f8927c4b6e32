// Finding a program on PATH as execvp() does, for ts-init (bytes: PATH and
// the name may be any encoding) and the probe (strings).
import { accessSync, constants as fsConstants, statSync } from 'node:fs';

// glibc's execvp() searches this when PATH is unset.
export const DEFAULT_PATH = '/bin:/usr/bin';

export interface PathMatch {
  readonly path: Buffer;
  /** False when the file exists but cannot be executed: execve then reports EACCES. */
  readonly executable: boolean;
}

function fileState(path: Buffer): 'executable' | 'denied' | 'missing' {
  try {
    if (!statSync(path).isFile()) return 'denied';
    accessSync(path, fsConstants.X_OK);
    return 'executable';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'denied' : 'missing';
  }
}

/**
 * Finds `program` as execvp() would: a name with a slash is used as given;
 * otherwise each PATH entry in turn (an empty entry is the current
 * directory). A match that exists but cannot be executed is remembered, so
 * the error is "Permission denied" rather than "not found", as in shells.
 * Undefined when nothing of that name is found.
 */
export function lookPath(program: Buffer, pathValue: Buffer | undefined): PathMatch | undefined {
  if (program.includes(0x2f)) return { path: program, executable: fileState(program) === 'executable' };
  const path = pathValue ?? Buffer.from(DEFAULT_PATH);
  let denied: Buffer | undefined;
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path[i] !== 0x3a) continue;
    const dir = path.subarray(start, i);
    start = i + 1;
    const candidate = dir.length === 0 ? program : Buffer.concat([dir, Buffer.from('/'), program]);
    const state = fileState(candidate);
    if (state === 'executable') return { path: candidate, executable: true };
    if (state === 'denied' && denied === undefined) denied = candidate;
  }
  return denied !== undefined ? { path: denied, executable: false } : undefined;
}

/** The executable file a name resolves to on PATH, undefined if none. */
export function which(name: string, pathValue: string | undefined = process.env.PATH): string | undefined {
  const match = lookPath(Buffer.from(name), pathValue === undefined ? undefined : Buffer.from(pathValue));
  return match?.executable === true ? match.path.toString() : undefined;
}
