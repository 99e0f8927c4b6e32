// Command line and environment: tini's flags and variables, plus ours.
// Arguments arrive as raw bytes so the program's own arguments reach it
// unchanged, whatever their encoding.
import { DURATION_SYNTAX, parseDuration } from '../shared/duration.js';
import type { LogFormat } from '../shared/log.js';
import { parseSignal } from '../shared/signals.js';
import { checkHome, checkUserName } from './fix-user.js';
import { parseRewrite } from './rewrite.js';
import { DEFAULT_GRACE_PERIOD_MS } from './shutdown.js';

export interface Config {
  /** argv of the program; argv[0] is the name as given (resolved on PATH later). */
  argv: Buffer[];
  subreaper: boolean;
  parentDeathSignal: number | undefined;
  verbosity: number;
  warnOnReap: boolean;
  killProcessGroup: boolean;
  remapToZero: Set<number>;
  logFormat: LogFormat;
  /** After the main child exits, how long the others get between SIGTERM and SIGKILL; 0: exit at once (tini). */
  gracePeriodMs: number;
  /** After a terminating signal, SIGKILL the child's group if it is still running this long after; undefined: never. */
  killAfterMs: number | undefined;
  /** -r FROM:TO, applied before forwarding; TO = 0 drops FROM. */
  rewrites: Map<number, number>;
  /** --fix-user: give a UID without a passwd entry a name and a HOME (src/user.ts). */
  fixUser: boolean;
  userName: string | undefined;
  home: string | undefined;
  /** TS_INIT_NSS_WRAPPER: library path, 'none', or undefined to search. */
  nssWrapper: string | undefined;
}

export type CliResult =
  | { kind: 'run'; config: Config }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'license' }
  | { kind: 'error'; message: string };

type Env = Readonly<Record<string, string | undefined>>;

interface OptionSpec {
  short?: string;
  long?: string;
  /** Name of the value the option takes; absent for a flag. */
  value?: string;
  help: string;
  /** Applies the option; returns an error message for a bad value. */
  apply(config: Config, value: string): string | undefined;
}

type Action = 'help' | 'version' | 'license';
const ACTIONS: Record<string, Action> = { '-h': 'help', '--help': 'help', '--version': 'version', '-l': 'license', '--license': 'license' };

// setTimeout's limit (2^31 - 1 ms), in whole seconds.
const MAX_SECONDS = 2147483;

/** A DURATION for --grace-period and --kill-after, in ms; a message when it is not one. */
function parseDelay(value: string, what: string, allowZero: boolean): number | string {
  const ms = parseDuration(value);
  if (ms === undefined || ms > MAX_SECONDS * 1000 || (!allowZero && ms === 0)) {
    return `invalid ${what}: '${value}' (expected ${DURATION_SYNTAX}; from ${allowZero ? '0' : 'above 0'} to ${MAX_SECONDS} s)`;
  }
  return ms;
}

function parseExitCode(config: Config, value: string): string | undefined {
  if (!/^\d{1,3}$/.test(value) || Number(value) > 255) {
    return `invalid exit code for -e: '${value}' (expected a number from 0 to 255)`;
  }
  config.remapToZero.add(Number(value));
  return undefined;
}

const OPTIONS: OptionSpec[] = [
  { short: 's', help: 'Register as a process subreaper (automatic when not PID 1).', apply: (c) => { c.subreaper = true; return undefined; } },
  {
    short: 'p', value: 'SIGNAL', help: 'Send SIGNAL to ts-init when its parent dies, e.g. "-p SIGKILL".',
    apply: (c, v) => {
      const sig = parseSignal(v);
      if (sig === undefined) return `invalid signal for -p: '${v}' (expected a name such as SIGKILL or KILL, or a number)`;
      c.parentDeathSignal = sig;
      return undefined;
    },
  },
  { short: 'v', help: 'Generate more verbose output. Repeat up to 3 times.', apply: (c) => { c.verbosity = Math.min(4, c.verbosity + 1); return undefined; } },
  { short: 'w', help: 'Print a warning when processes are getting reaped.', apply: (c) => { c.warnOnReap = true; return undefined; } },
  { short: 'g', help: "Send signals to the child's process group.", apply: (c) => { c.killProcessGroup = true; return undefined; } },
  { short: 'e', value: 'EXIT_CODE', help: 'Exit code (0-255) to be remapped to 0 (can be repeated).', apply: parseExitCode },
  {
    long: 'log-format', value: 'FORMAT', help: "Log as 'text' (tini-style lines, default) or 'json' (pino).",
    apply: (c, v) => {
      if (v !== 'text' && v !== 'json') return `invalid log format: '${v}' (expected 'text' or 'json')`;
      c.logFormat = v;
      return undefined;
    },
  },
  {
    short: 'r', long: 'rewrite', value: 'FROM:TO', help: 'Forward signal FROM as TO (names or numbers; TO 0 drops FROM), e.g. "-r TERM:QUIT". Repeatable.',
    apply: (c, v) => {
      const rule = parseRewrite(v);
      if (typeof rule === 'string') return rule;
      c.rewrites.set(rule[0], rule[1]);
      return undefined;
    },
  },
  {
    long: 'grace-period', value: 'DURATION', help: `When the program exits, SIGTERM the other processes and SIGKILL those left after DURATION (default: ${DEFAULT_GRACE_PERIOD_MS / 1000}s; 0 exits at once, as tini).`,
    apply: (c, v) => {
      const ms = parseDelay(v, 'grace period for --grace-period', true);
      if (typeof ms === 'string') return ms;
      c.gracePeriodMs = ms;
      return undefined;
    },
  },
  {
    long: 'kill-after', value: 'DURATION', help: "After ts-init receives SIGTERM, SIGINT, SIGQUIT or SIGHUP, SIGKILL the program's process group if it still runs DURATION later.",
    apply: (c, v) => {
      const ms = parseDelay(v, 'delay for --kill-after', false);
      if (typeof ms === 'string') return ms;
      c.killAfterMs = ms;
      return undefined;
    },
  },
  { long: 'fix-user', help: 'When this UID has no passwd entry, give the program USER, LOGNAME, a writable HOME and (with libnss_wrapper) an entry.', apply: (c) => { c.fixUser = true; return undefined; } },
  { long: 'user-name', value: 'NAME', help: 'With --fix-user: the name the UID gets (default: app).', apply: (c, v) => { c.userName = v; return checkUserName(v); } },
  { long: 'home', value: 'DIR', help: 'With --fix-user: HOME when the inherited one is unset, / or not writable (created 0700 if missing).', apply: (c, v) => { c.home = v; return checkHome(v); } },
];

const ENV_HELP: [string, string][] = [
  ['TINI_SUBREAPER', 'Register as a process subreaper (any value).'],
  ['TINI_VERBOSITY', 'Set the verbosity level, 0 to 4 (default: 1).'],
  ['TINI_KILL_PROCESS_GROUP', "Send signals to the child's process group (any value)."],
  ['TS_INIT_LOG_FORMAT', "Log format, 'text' or 'json' (default: text)."],
  ['TS_INIT_GRACE_PERIOD', 'As --grace-period.'],
  ['TS_INIT_KILL_AFTER', 'As --kill-after.'],
  ['TS_INIT_FIX_USER', "As --fix-user when '1', 'true' or 'yes'; off when '', '0', 'false' or 'no'."],
  ['TS_INIT_USER_NAME', 'As --user-name.'],
  ['TS_INIT_HOME', 'As --home.'],
  ['TS_INIT_NSS_WRAPPER', "Path of libnss_wrapper for --fix-user, or 'none' (default: search the usual library directories)."],
];

export function usage(version: string): string {
  const lines = [
    `ts-init (ts-init version ${version})`,
    'Usage: ts-init [OPTIONS] [--] PROGRAM [ARGS] | --version',
    '',
    'Execute a program under the supervision of a valid init process (ts-init)',
    '',
    'Command line options:',
    '',
    '  --version: Show version and exit.',
    '  -h, --help: Show this help message and exit.',
  ];
  for (const o of OPTIONS) {
    const flag = [o.short !== undefined ? `-${o.short}` : '', o.long !== undefined ? `--${o.long}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${flag}${o.value !== undefined ? ` ${o.value}` : ''}: ${o.help}`);
  }
  lines.push('  -l, --license: Show license and exit.', '', 'Environment variables:', '');
  for (const [name, help] of ENV_HELP) lines.push(`  ${name}: ${help}`);
  lines.push('', `DURATION: ${DURATION_SYNTAX}.`, '', 'Exit status: the program\'s, or 128+N when signal N killed it; 1 for a usage error;', '126 when PROGRAM cannot be executed, 127 when it is not found.', '');
  return lines.join('\n');
}

const ON = ['1', 'true', 'yes'];
const OFF = ['', '0', 'false', 'no'];

/** TS_INIT_FIX_USER and its companions, checked as strictly as the flags. */
function userDefaults(config: Config, env: Env): string | undefined {
  const fix = env.TS_INIT_FIX_USER;
  if (fix !== undefined && !OFF.includes(fix.toLowerCase())) {
    if (!ON.includes(fix.toLowerCase())) return `invalid TS_INIT_FIX_USER: '${fix}' (expected 1, true or yes to enable; 0, false, no or empty to disable)`;
    config.fixUser = true;
  }
  if (config.userName !== undefined) {
    const problem = checkUserName(config.userName);
    if (problem !== undefined) return `TS_INIT_USER_NAME: ${problem}`;
  }
  if (config.home !== undefined) {
    const problem = checkHome(config.home);
    if (problem !== undefined) return `TS_INIT_HOME: ${problem}`;
  }
  if (config.nssWrapper !== undefined && config.nssWrapper !== 'none' && !config.nssWrapper.startsWith('/')) {
    return `invalid TS_INIT_NSS_WRAPPER: '${config.nssWrapper}' (expected an absolute path or 'none')`;
  }
  return undefined;
}

function defaults(env: Env): Config | string {
  const config: Config = {
    argv: [],
    subreaper: env.TINI_SUBREAPER !== undefined,
    parentDeathSignal: undefined,
    verbosity: 1,
    warnOnReap: false,
    killProcessGroup: env.TINI_KILL_PROCESS_GROUP !== undefined,
    remapToZero: new Set(),
    logFormat: 'text',
    gracePeriodMs: DEFAULT_GRACE_PERIOD_MS,
    killAfterMs: undefined,
    rewrites: new Map(),
    fixUser: false,
    userName: env.TS_INIT_USER_NAME || undefined,
    home: env.TS_INIT_HOME || undefined,
    nssWrapper: env.TS_INIT_NSS_WRAPPER || undefined,
  };
  const verbosity = env.TINI_VERBOSITY;
  if (verbosity !== undefined && verbosity !== '') {
    if (!/^\d+$/.test(verbosity.trim())) return `invalid TINI_VERBOSITY: '${verbosity}' (expected a number from 0 to 4)`;
    config.verbosity = Math.min(4, Number(verbosity.trim()));
  }
  const format = env.TS_INIT_LOG_FORMAT;
  if (format !== undefined && format !== '') {
    if (format !== 'text' && format !== 'json') return `invalid TS_INIT_LOG_FORMAT: '${format}' (expected 'text' or 'json')`;
    config.logFormat = format;
  }
  const grace = env.TS_INIT_GRACE_PERIOD;
  if (grace !== undefined && grace !== '') {
    const ms = parseDelay(grace, 'TS_INIT_GRACE_PERIOD', true);
    if (typeof ms === 'string') return ms;
    config.gracePeriodMs = ms;
  }
  const killAfter = env.TS_INIT_KILL_AFTER;
  if (killAfter !== undefined && killAfter !== '') {
    const ms = parseDelay(killAfter, 'TS_INIT_KILL_AFTER', false);
    if (typeof ms === 'string') return ms;
    config.killAfterMs = ms;
  }
  const userProblem = userDefaults(config, env);
  if (userProblem !== undefined) return userProblem;
  return config;
}

/**
 * Parses ts-init's own options, stopping at `--` or at the first argument
 * that is not an option (getopt's "+" mode): everything after that belongs
 * to PROGRAM, so `ts-init ls -l` runs `ls -l`.
 */
export function parseArgs(args: readonly Buffer[], env: Env): CliResult {
  const base = defaults(env);
  if (typeof base === 'string') return { kind: 'error', message: base };
  const config = base;
  // -v on the command line counts up from the environment's level.
  let i = 0;
  for (; i < args.length; i++) {
    const arg = (args[i] as Buffer).toString('latin1');
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const action = ACTIONS[arg];
    if (action !== undefined) return { kind: action };

    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const spec = OPTIONS.find((o) => o.long === name);
      if (spec === undefined) return { kind: 'error', message: `unrecognized option '--${name}'` };
      let value = '';
      if (spec.value !== undefined) {
        if (eq !== -1) value = arg.slice(eq + 1);
        else if (i + 1 < args.length) value = (args[++i] as Buffer).toString();
        else return { kind: 'error', message: `option '--${name}' requires an argument (${spec.value})` };
      } else if (eq !== -1) {
        return { kind: 'error', message: `option '--${name}' doesn't allow an argument` };
      }
      const problem = spec.apply(config, value);
      if (problem !== undefined) return { kind: 'error', message: problem };
      continue;
    }

    // A cluster of short options: -vvv, -sg, -e3, -se 3.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      const clusterAction = ACTIONS[`-${letter}`];
      if (clusterAction !== undefined) return { kind: clusterAction };
      const spec = OPTIONS.find((o) => o.short === letter);
      if (spec === undefined) return { kind: 'error', message: `invalid option -- '${letter}'` };
      let value = '';
      if (spec.value !== undefined) {
        if (j + 1 < arg.length) value = (args[i] as Buffer).subarray(j + 1).toString();
        else if (i + 1 < args.length) value = (args[++i] as Buffer).toString();
        else return { kind: 'error', message: `option requires an argument -- '${letter}' (${spec.value})` };
      }
      const problem = spec.apply(config, value);
      if (problem !== undefined) return { kind: 'error', message: problem };
      if (spec.value !== undefined) break;
    }
  }
  config.argv = args.slice(i);
  // The variables may sit in an image for a switchable --fix-user; the flags
  // on a command line without it are a mistake worth reporting.
  const orphan = args.slice(0, i).map((a) => /^--(user-name|home)(=|$)/.exec(a.toString('latin1'))?.[1]).find(Boolean);
  if (!config.fixUser && orphan !== undefined) {
    return { kind: 'error', message: `--${orphan} only applies with --fix-user (or TS_INIT_FIX_USER=1)` };
  }
  if (config.argv.length === 0) return { kind: 'error', message: 'missing PROGRAM to run' };
  if ((config.argv[0] as Buffer).length === 0) return { kind: 'error', message: 'PROGRAM is an empty string' };
  return { kind: 'run', config };
}
