// Starting the main child: where the program is, and which environment and
// signal state it gets. The fork/exec itself is the addon's.
import type { Native, SpawnError } from '../native/loader.js';
import { FatalError } from '../shared/errors.js';
import { lookPath } from '../shared/path.js';
import { ENOENT, ENOTDIR } from '../shared/signals.js';
import { childEnvironment, environmentValue, type Launch } from './launcher-env.js';

/** PROGRAM is nowhere on PATH: reported exactly as a failed execve would be. */
class ResolveError extends Error implements SpawnError {
  readonly errno = ENOENT;
  readonly syscall = 'execve';
}

/** The file to execve for PROGRAM (see lookPath); throws ResolveError when there is none. */
export function resolveProgram(program: Buffer, pathValue: Buffer | undefined): Buffer {
  const match = lookPath(program, pathValue);
  if (match === undefined) throw new ResolveError('No such file or directory');
  return match.path;
}

/** Exit code for a failed start: 127 when not found, 126 when it cannot be executed (as shells do). */
export function execFailureCode(errno: number): number {
  return errno === ENOENT || errno === ENOTDIR ? 127 : 126;
}

function isSpawnError(error: unknown): error is SpawnError {
  return error instanceof Error && typeof (error as Partial<SpawnError>).errno === 'number';
}

/**
 * Starts PROGRAM and returns its pid. When it cannot be started, throws a
 * FatalError saying why, with tini's exit code: 127 not found, 126 not
 * executable, 1 for any other step that failed.
 */
export function startChild(native: Native, argv: readonly Buffer[], launch: Launch, extraEnv: ReadonlyMap<string, Buffer> = new Map()): number {
  const program = argv[0] as Buffer;
  try {
    const file = resolveProgram(program, environmentValue(launch.env, 'PATH'));
    return native.spawn(file, argv, childEnvironment(launch.env, extraEnv), {
      blocked: launch.blocked,
      ignored: launch.ignored,
      foreground: true,
      fds: launch.fds,
      // systemd-style socket activation names the pid that should take the
      // sockets; when that was us, it is the child now.
      listenPid: environmentValue(launch.env, 'LISTEN_PID')?.toString() === String(process.pid),
    });
  } catch (error) {
    if (!isSpawnError(error)) throw error;
    const exec = error.syscall === 'execve';
    throw new FatalError(
      `${exec ? `exec ${program.toString()}` : error.syscall} failed: ${native.strerror(error.errno)}`,
      exec ? execFailureCode(error.errno) : 1,
    );
  }
}
