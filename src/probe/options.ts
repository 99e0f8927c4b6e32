// The probe's settings, their defaults, and the parsing of its command line.
import { DURATION_SYNTAX, parseDuration } from '../shared/duration.js';

export interface ProbeOptions {
  /** PROGRAM and its arguments; with `image`, the CMD to run instead of the image's (may be empty). */
  readonly command: readonly string[];
  /** Probe this image through a container engine instead of PROGRAM on this machine. */
  readonly image?: string;
  /** The engine for `image`; default: docker if it answers, else podman. */
  readonly engine?: 'docker' | 'podman';
  /** Extra arguments for the engine's `run` (networks, volumes, --platform…). */
  readonly engineArgs?: readonly string[];
  /** Environment variables PROGRAM (or the container) starts with, on top of the inherited ones (the image's). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to let PROGRAM start when no readiness check is given (ms). */
  readonly settleMs?: number;
  /** PROGRAM is up when an HTTP GET of this URL gets any response below 500. */
  readonly readyUrl?: string;
  /** PROGRAM is up when a TCP connection to 127.0.0.1:PORT succeeds. */
  readonly readyPort?: number;
  /** How long to wait for readyUrl/readyPort (ms). */
  readonly readyTimeoutMs?: number;
  /** How many orphans the reaping check makes. */
  readonly orphans?: number;
  /** How long zombies may stay after the last orphan died before the check fails (ms). */
  readonly reapTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL (ms), docker's --stop-timeout. */
  readonly stopTimeoutMs?: number;
  /** Run PROGRAM as this numeric user and group (no passwd entry needed). */
  readonly uid?: number;
  readonly gid?: number;
  /** Run every check a second time with an init in front of PROGRAM. */
  readonly withInit?: boolean;
  /** The init and its arguments up to PROGRAM; default: this package's ts-init with `--`. */
  readonly initCommand?: readonly string[];
}

type Optional = 'readyUrl' | 'readyPort' | 'uid' | 'gid' | 'image' | 'engine';
export type ResolvedOptions = Required<Omit<ProbeOptions, Optional>> & Pick<ProbeOptions, Optional>;

export const DEFAULTS = {
  settleMs: 1000,
  readyTimeoutMs: 30_000,
  orphans: 10,
  reapTimeoutMs: 3000,
  stopTimeoutMs: 10_000,
} as const;

export type ProbeCliResult =
  | { readonly kind: 'run'; readonly options: ProbeOptions; readonly json: boolean; readonly junit: string | undefined }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

export function probeUsage(version: string): string {
  return [
    `ts-init-probe (ts-init version ${version})`,
    'Usage: ts-init-probe [OPTIONS] [--] PROGRAM [ARGS...]',
    '       ts-init-probe --image IMAGE [OPTIONS] [-- CMD [ARGS...]]',
    '',
    'Runs PROGRAM as PID 1 of a fresh PID namespace, or IMAGE as a container',
    '(docker or podman), and checks what a container runtime needs from an',
    'entrypoint: does it reap orphaned zombies, does SIGTERM (docker stop) stop it,',
    'and which exit status comes out.',
    '',
    'Options:',
    `  --settle DURATION        Time PROGRAM gets to start (default ${DEFAULTS.settleMs / 1000}s).`,
    '  --ready-url URL          PROGRAM is up when GET URL answers (status below 500).',
    '  --ready-port PORT        PROGRAM is up when 127.0.0.1:PORT accepts a connection.',
    `  --ready-timeout DURATION How long to wait for --ready-url/--ready-port (default ${DEFAULTS.readyTimeoutMs / 1000}s).`,
    `  --orphans N              Orphans the reaping check makes (default ${DEFAULTS.orphans}).`,
    `  --reap-timeout DURATION  How long zombies may stay before reaping fails (default ${DEFAULTS.reapTimeoutMs / 1000}s).`,
    `  --stop-timeout DURATION  SIGTERM to SIGKILL grace period (default ${DEFAULTS.stopTimeoutMs / 1000}s, as docker).`,
    '  --uid UID[:GID]          Run PROGRAM as this numeric user (group 0 by default), with no passwd entry.',
    '  --env NAME=VALUE         Set an environment variable for PROGRAM (repeatable).',
    '  --with-init              Check again with an init in front of PROGRAM and compare.',
    '  --json                   Print the report as JSON.',
    '  --junit FILE             Also write the report as JUnit XML to FILE.',
    '  -h, --help               Show this help and exit.',
    '  --version                Show the version and exit.',
    '',
    'Image mode:',
    '  --image IMAGE            Check IMAGE, run by a container engine; CMD after -- replaces its CMD.',
    '  --engine docker|podman   The engine (default: docker if it answers, else podman).',
    "  --engine-arg ARG         Pass ARG to the engine's run (repeatable), e.g. --engine-arg=--network=none.",
    '',
    `DURATION: ${DURATION_SYNTAX}.`,
    'Exit status: 0 when every check passes, 1 when one fails, 2 on a usage or environment error.',
    '',
  ].join('\n');
}

function parseId(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) < 2 ** 32 - 1 ? Number(text) : undefined;
}

type Setter = (value: string, into: Record<string, unknown>) => string | undefined;

function duration(key: string, flag: string): Setter {
  return (value, into) => {
    const ms = parseDuration(value);
    if (ms === undefined) return `invalid ${flag} '${value}' (expected ${DURATION_SYNTAX})`;
    into[key] = ms;
    return undefined;
  };
}

/** Appends to a repeatable option's list. */
function push(into: Record<string, unknown>, key: string, value: unknown): void {
  const list = (into[key] as unknown[] | undefined) ?? [];
  list.push(value);
  into[key] = list;
}

const WITH_VALUE: Readonly<Record<string, Setter>> = {
  '--image': (value, into) => {
    if (value === '' || value.startsWith('-')) return `invalid --image '${value}' (expected an image name, e.g. myapp:1)`;
    into.image = value;
    return undefined;
  },
  '--engine': (value, into) => {
    if (value !== 'docker' && value !== 'podman') return `invalid --engine '${value}' (expected docker or podman)`;
    into.engine = value;
    return undefined;
  },
  '--engine-arg': (value, into) => {
    push(into, 'engineArgs', value);
    return undefined;
  },
  '--env': (value, into) => {
    const eq = value.indexOf('=');
    if (eq <= 0) return `invalid --env '${value}' (expected NAME=VALUE)`;
    const env = (into.env as Record<string, string> | undefined) ?? {};
    env[value.slice(0, eq)] = value.slice(eq + 1);
    into.env = env;
    return undefined;
  },
  '--junit': (value, into) => {
    if (value === '') return "invalid --junit '' (expected a file name)";
    into.junit = value;
    return undefined;
  },
  '--settle': duration('settleMs', '--settle'),
  '--ready-timeout': duration('readyTimeoutMs', '--ready-timeout'),
  '--reap-timeout': duration('reapTimeoutMs', '--reap-timeout'),
  '--stop-timeout': duration('stopTimeoutMs', '--stop-timeout'),
  '--ready-url': (value, into) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return `invalid --ready-url '${value}' (expected an http:// URL)`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `invalid --ready-url '${value}' (expected an http:// URL)`;
    into.readyUrl = value;
    return undefined;
  },
  '--ready-port': (value, into) => {
    const port = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(port >= 1 && port <= 65535)) return `invalid --ready-port '${value}' (expected 1-65535)`;
    into.readyPort = port;
    return undefined;
  },
  '--orphans': (value, into) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= 1000)) return `invalid --orphans '${value}' (expected 1-1000)`;
    into.orphans = n;
    return undefined;
  },
  '--uid': (value, into) => {
    const [u, g, extra] = value.split(':');
    const uid = parseId(u ?? '');
    const gid = g === undefined ? 0 : parseId(g);
    if (uid === undefined || gid === undefined || extra !== undefined) return `invalid --uid '${value}' (expected UID or UID:GID, numbers)`;
    into.uid = uid;
    into.gid = gid;
    return undefined;
  },
};

/**
 * Parses the probe's options. They end at `--` or at the first argument that
 * is not an option: everything after belongs to PROGRAM.
 */
export function parseProbeArgs(args: readonly string[]): ProbeCliResult {
  const into: Record<string, unknown> = {};
  let json = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (arg === '--with-init') {
      into.withInit = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const setter = WITH_VALUE[name];
    if (setter === undefined) return { kind: 'error', message: `unknown option '${arg}'` };
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = args[++i];
    if (value === undefined) return { kind: 'error', message: `option '${name}' needs a value` };
    const problem = setter(value, into);
    if (problem !== undefined) return { kind: 'error', message: problem };
  }
  const command = args.slice(i);
  const { junit, ...options } = into as { junit?: string };
  const image = into.image !== undefined;
  if (command.length === 0 && !image) return { kind: 'error', message: 'no PROGRAM given' };
  for (const flag of ['engine', 'engineArgs'] as const) {
    if (into[flag] !== undefined && !image) return { kind: 'error', message: `--${flag === 'engine' ? 'engine' : 'engine-arg'} needs --image` };
  }
  if (into.readyUrl !== undefined && into.readyPort !== undefined) {
    return { kind: 'error', message: '--ready-url and --ready-port exclude each other' };
  }
  return { kind: 'run', options: { ...options, command }, json, junit };
}

/** What is wrong with options given through the API (the CLI parser already rejects these), or undefined. */
export function optionsProblem(o: ProbeOptions): string | undefined {
  const ms = { settleMs: o.settleMs, readyTimeoutMs: o.readyTimeoutMs, reapTimeoutMs: o.reapTimeoutMs, stopTimeoutMs: o.stopTimeoutMs };
  for (const [name, value] of Object.entries(ms)) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) return `${name} must be a duration in ms, >= 0 (got ${value})`;
  }
  if (o.orphans !== undefined && !(Number.isInteger(o.orphans) && o.orphans >= 1 && o.orphans <= 1000)) return `orphans must be 1-1000 (got ${o.orphans})`;
  if (o.readyPort !== undefined && !(Number.isInteger(o.readyPort) && o.readyPort >= 1 && o.readyPort <= 65535))
    return `readyPort must be 1-65535 (got ${o.readyPort})`;
  for (const [name, id] of [
    ['uid', o.uid],
    ['gid', o.gid],
  ] as const) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0)) return `${name} must be a non-negative integer (got ${id})`;
  }
  if (o.gid !== undefined && o.uid === undefined) return 'gid needs uid';
  if (o.image === undefined && (o.engine !== undefined || (o.engineArgs?.length ?? 0) > 0)) return 'engine and engineArgs need image';
  // The API is called from JavaScript too, where the type is only a hope.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (o.engine !== undefined && o.engine !== 'docker' && o.engine !== 'podman') return `engine must be docker or podman (got ${String(o.engine)})`;
  for (const name of Object.keys(o.env ?? {})) {
    if (name === '' || name.includes('=')) return `env names must be non-empty, without '=' (got '${name}')`;
  }
  return undefined;
}
