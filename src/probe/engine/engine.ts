// A container engine's command line, and the places where docker and podman
// differ in what the probe asks of them. Everything the probe does to a
// container goes through here, so a Kubernetes backend (kubectl) would be a
// sibling of this module, not a change to the checks.
import { execa } from 'execa';
import { which } from '../../shared/path.js';
import { ProbeEnvironmentError } from '../namespace.js';

export type EngineName = 'docker' | 'podman';
export const ENGINES: readonly EngineName[] = ['docker', 'podman'];

export interface EngineResult {
  /** undefined when the command was killed (timeout). */
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** The first line of an engine's complaint, for one-line messages. */
export function firstLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

export class Engine {
  constructor(
    readonly name: EngineName,
    /** The CLI, resolved on PATH. */
    readonly bin: string,
    /** Which engine answers the CLI: the docker CLI may talk to podman's Docker-compatible service. */
    readonly server: EngineName = name,
  ) {}

  async cli(args: readonly string[], timeoutMs = 120_000): Promise<EngineResult> {
    const r = await execa(this.bin, args, { reject: false, timeout: timeoutMs, killSignal: 'SIGKILL', stdin: 'ignore', maxBuffer: 16 * 1024 * 1024 });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * `run` flags for a numeric user with no passwd entry, as `docker run -u`
   * gives it. podman adds an entry for the UID to /etc/passwd by default
   * (home = the workdir), which would hide the very problem --uid looks for.
   */
  userArgs(uid: number, gid: number): string[] {
    return ['--user', `${uid}:${gid}`, ...(this.name === 'podman' ? ['--passwd=false'] : [])];
  }

  /** `rm` that kills at once: podman's `rm -f` first waits out a 10 s stop timeout; docker's SIGKILLs. */
  removeCommand(): string[] {
    return this.name === 'podman' ? ['rm', '--force', '--time', '0'] : ['rm', '--force'];
  }

  /**
   * The host a published port is reached on: the engine's own machine when
   * the CLI talks to it over TCP (DOCKER_HOST=tcp://docker:2375 with GitLab's
   * docker:dind, CONTAINER_HOST for podman --remote), else this machine.
   */
  get publishHost(): { readonly bind: string; readonly connect: string } {
    const url = process.env[this.name === 'docker' ? 'DOCKER_HOST' : 'CONTAINER_HOST'];
    const m = url !== undefined ? /^tcp:\/\/\[?([^\]/]+?)\]?(?::\d+)?\/?$/.exec(url) : null;
    return m?.[1] !== undefined ? { bind: '0.0.0.0', connect: m[1] } : { bind: '127.0.0.1', connect: '127.0.0.1' };
  }

  /** What `run --init` puts in front: Docker ships tini as docker-init, podman catatonit. */
  get initName(): string {
    return this.server === 'podman' ? 'catatonit' : 'tini';
  }
}

/**
 * Whether the engine answers, and which engine it is: docker's server
 * version fails when no daemon answers, and its components name podman when
 * the CLI talks to `podman system service`. podman has no daemon.
 */
async function answers(name: EngineName, bin: string): Promise<Engine | string> {
  const format = name === 'docker' ? '{{.Server.Version}} {{range .Server.Components}}{{.Name}};{{end}}' : '{{.Client.Version}}';
  const r = await new Engine(name, bin).cli(['version', '--format', format], 15_000);
  if (r.exitCode !== 0 || r.stdout.trim() === '') return firstLine(r.stderr) || `exit ${String(r.exitCode)}`;
  return new Engine(name, bin, name === 'docker' && r.stdout.includes('Podman Engine') ? 'podman' : name);
}

/** The engine to use: the one asked for, else whichever answers first, docker before podman. */
export async function chooseEngine(wanted: EngineName | undefined): Promise<Engine> {
  const problems: string[] = [];
  for (const name of wanted !== undefined ? [wanted] : ENGINES) {
    const bin = which(name);
    if (bin === undefined) {
      problems.push(`${name}: not on PATH`);
      continue;
    }
    const answer = await answers(name, bin);
    if (typeof answer !== 'string') return answer;
    problems.push(`${name}: ${answer}`);
  }
  const what = wanted !== undefined ? `${wanted} does not answer` : 'no container engine answers (tried docker, then podman)';
  throw new ProbeEnvironmentError(`${what}: ${problems.join('; ')}`);
}
