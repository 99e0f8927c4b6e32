// Command line and environment: tini's flags and variables, plus ours.
// Arguments arrive as raw bytes so the program's own arguments reach it
// unchanged, whatever their encoding.
import { DURATION_SYNTAX, parseDuration } from '../shared/duration.js';
import { printable, type LogFormat } from '../shared/log.js';
import { parseSignal } from '../shared/signals.js';
import { checkHome, checkNssWrapper, checkUserName } from './fix-user.js';
import { environmentValue } from './launcher-env.js';
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
  /** --fix-user: give a UID without a passwd entry a name, and any non-root UID a writable HOME (fix-user.ts). */
  fixUser: boolean;
  userName: string | undefined;
  /** --home / TS_INIT_HOME, as bytes: it reaches a passwd line and the child's HOME unchanged. */
  home: Buffer | undefined;
  /** TS_INIT_NSS_WRAPPER: library path, 'none', or undefined to search. */
  nssWrapper: Buffer | undefined;
}

export type CliResult =
  | { kind: 'run'; config: Config }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'license' }
  /** logFormat: the format asked for before the error was found, for the one line that reports it. */
  | { kind: 'error'; message: string; logFormat: LogFormat };

type Env = Readonly<Record<string, string | undefined>>;

/** The environment, read as text (UTF-8) or, for paths, as bytes. */
interface Variables {
  text(name: string): string | undefined;
  bytes(name: string): Buffer | undefined;
}

function isEntryList(env: Env | readonly Buffer[]): env is readonly Buffer[] {
  return Array.isArray(env);
}

function variables(env: Env | readonly Buffer[]): Variables {
  if (isEntryList(env)) return { text: (name) => environmentValue(env, name)?.toString(), bytes: (name) => environmentValue(env, name) };
  return { text: (name) => env[name], bytes: (name) => (env[name] === undefined ? undefined : Buffer.from(env[name])) };
}

/** A value that is set and not empty. */
function nonEmpty<T extends { length: number }>(value: T | undefined): T | undefined {
  return value !== undefined && value.length > 0 ? value : undefined;
}

// tini's top level; TINI_VERBOSITY and -v beyond it print the same.
const MAX_VERBOSITY = 4;

interface OptionSpec {
  short?: string;
  long?: string;
  /** Name of the value the option takes; absent for a flag. */
  value?: string;
  help: string;
  /** Applies the option (the value as text, and as the bytes given); returns an error message for a bad value. */
  apply(config: Config, value: string, bytes: Buffer): string | undefined;
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
  {
    short: 's',
    help: 'Register as a process subreaper (automatic when not PID 1).',
    apply: (c) => {
      c.subreaper = true;
      return undefined;
    },
  },
  {
    short: 'p',
    value: 'SIGNAL',
    help: 'Send SIGNAL to ts-init when its parent dies, e.g. "-p SIGKILL".',
    apply: (c, v) => {
      const sig = parseSignal(v);
      if (sig === undefined) return `invalid signal for -p: '${v}' (expected a name such as SIGKILL or KILL, or a number)`;
      c.parentDeathSignal = sig;
      return undefined;
    },
  },
  {
    short: 'v',
    help: 'Generate more verbose output. Repeat up to 3 times.',
    apply: (c) => {
      c.verbosity = Math.min(MAX_VERBOSITY, c.verbosity + 1);
      return undefined;
    },
  },
  {
    short: 'w',
    help: 'Print a warning when processes are getting reaped.',
    apply: (c) => {
      c.warnOnReap = true;
      return undefined;
    },
  },
  {
    short: 'g',
    help: "Send signals to the child's process group.",
    apply: (c) => {
      c.killProcessGroup = true;
      return undefined;
    },
  },
  { short: 'e', value: 'EXIT_CODE', help: 'Exit code (0-255) to be remapped to 0 (can be repeated).', apply: parseExitCode },
  {
    long: 'log-format',
    value: 'FORMAT',
    help: "Log as 'text' (tini-style lines, default) or 'json' (pino).",
    apply: (c, v) => {
      if (v !== 'text' && v !== 'json') return `invalid log format: '${v}' (expected 'text' or 'json')`;
      c.logFormat = v;
      return undefined;
    },
  },
  {
    short: 'r',
    long: 'rewrite',
    value: 'FROM:TO',
    help: 'Forward signal FROM as TO (names or numbers; TO 0 drops FROM), e.g. "-r TERM:QUIT". Repeatable.',
    apply: (c, v) => {
      const rule = parseRewrite(v);
      if (typeof rule === 'string') return rule;
      c.rewrites.set(rule[0], rule[1]);
      return undefined;
    },
  },
  {
    long: 'grace-period',
    value: 'DURATION',
    help: `When the program exits, SIGTERM the other processes and SIGKILL those left after DURATION (default: ${DEFAULT_GRACE_PERIOD_MS / 1000}s; 0 exits at once, as tini).`,
    apply: (c, v) => {
      const ms = parseDelay(v, 'grace period for --grace-period', true);
      if (typeof ms === 'string') return ms;
      c.gracePeriodMs = ms;
      return undefined;
    },
  },
  {
    long: 'kill-after',
    value: 'DURATION',
    help: "After ts-init receives SIGTERM, SIGINT, SIGQUIT or SIGHUP, SIGKILL the program's process group if it still runs DURATION later.",
    apply: (c, v) => {
      const ms = parseDelay(v, 'delay for --kill-after', false);
      if (typeof ms === 'string') return ms;
      c.killAfterMs = ms;
      return undefined;
    },
  },
  {
    long: 'fix-user',
    help: 'When this UID has no passwd entry, give the program USER, LOGNAME, a writable HOME and (with libnss_wrapper) an entry; when its entry has no writable home, a writable HOME. Nothing as root.',
    apply: (c) => {
      c.fixUser = true;
      return undefined;
    },
  },
  {
    long: 'user-name',
    value: 'NAME',
    help: 'With --fix-user: the name the UID gets (default: app).',
    apply: (c, v) => {
      c.userName = v;
      return checkUserName(v);
    },
  },
  {
    long: 'home',
    value: 'DIR',
    help: 'With --fix-user: HOME when the inherited one is unset, / or not writable (created 0700 if missing; an existing one must belong to this UID or root, and no other user or group but group 0 may write to it).',
    apply: (c, _v, bytes) => {
      c.home = bytes;
      return checkHome(bytes);
    },
  },
];

const ENV_HELP: [string, string][] = [
  ['TINI_SUBREAPER', 'Register as a process subreaper (any value).'],
  ['TINI_VERBOSITY', 'Set the verbosity level (default: 1): 0 fatal errors, 1 warnings, 2 info, 3 debug, 4 trace; above 4 is 4 and empty is 0, as with tini.'],
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
  lines.push(
    '',
    `DURATION: ${DURATION_SYNTAX}.`,
    '',
    "Exit status: the program's, or 128+N when signal N killed it; 1 for a usage error;",
    '126 when PROGRAM cannot be executed, 127 when it is not found.',
    '',
  );
  return lines.join('\n');
}

const ON = ['1', 'true', 'yes'];
const OFF = ['', '0', 'false', 'no'];

/** TS_INIT_FIX_USER and its companions, checked as strictly as the flags. */
function userDefaults(config: Config, env: Variables): string | undefined {
  const fix = env.text('TS_INIT_FIX_USER');
  if (fix !== undefined && !OFF.includes(fix.toLowerCase())) {
    if (!ON.includes(fix.toLowerCase()))
      return `invalid TS_INIT_FIX_USER: '${printable(fix)}' (expected 1, true or yes to enable; 0, false, no or empty to disable)`;
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
  if (config.nssWrapper !== undefined) return checkNssWrapper(config.nssWrapper);
  return undefined;
}

/** The configuration the environment gives, and the first problem found in it (the log format is read first, to report it). */
function defaults(env: Variables): { config: Config; problem?: string } {
  const config: Config = {
    argv: [],
    subreaper: env.text('TINI_SUBREAPER') !== undefined,
    parentDeathSignal: undefined,
    verbosity: 1,
    warnOnReap: false,
    killProcessGroup: env.text('TINI_KILL_PROCESS_GROUP') !== undefined,
    remapToZero: new Set(),
    logFormat: 'text',
    gracePeriodMs: DEFAULT_GRACE_PERIOD_MS,
    killAfterMs: undefined,
    rewrites: new Map(),
    fixUser: false,
    userName: nonEmpty(env.text('TS_INIT_USER_NAME')),
    home: nonEmpty(env.bytes('TS_INIT_HOME')),
    nssWrapper: nonEmpty(env.bytes('TS_INIT_NSS_WRAPPER')),
  };
  const format = env.text('TS_INIT_LOG_FORMAT');
  if (format !== undefined && format !== '') {
    if (format !== 'text' && format !== 'json') return { config, problem: `invalid TS_INIT_LOG_FORMAT: '${printable(format)}' (expected 'text' or 'json')` };
    config.logFormat = format;
  }
  // tini reads TINI_VERBOSITY with atoi(): empty is 0, and every level above
  // 4 prints what 4 does. Text that is not a number is a mistake we report.
  const verbosity = env.text('TINI_VERBOSITY');
  if (verbosity !== undefined) {
    if (!/^\d*$/.test(verbosity.trim()))
      return {
        config,
        problem: `invalid TINI_VERBOSITY: '${printable(verbosity)}' (expected a number: 0 fatal errors only, 1 warnings, 2 info, 3 debug, 4 or more trace)`,
      };
    config.verbosity = Math.min(MAX_VERBOSITY, Number(verbosity.trim()));
  }
  const grace = env.text('TS_INIT_GRACE_PERIOD');
  if (grace !== undefined && grace !== '') {
    const ms = parseDelay(grace, 'TS_INIT_GRACE_PERIOD', true);
    if (typeof ms === 'string') return { config, problem: ms };
    config.gracePeriodMs = ms;
  }
  const killAfter = env.text('TS_INIT_KILL_AFTER');
  if (killAfter !== undefined && killAfter !== '') {
    const ms = parseDelay(killAfter, 'TS_INIT_KILL_AFTER', false);
    if (typeof ms === 'string') return { config, problem: ms };
    config.killAfterMs = ms;
  }
  return { config, problem: userDefaults(config, env) };
}

/**
 * Parses ts-init's own options, stopping at `--` or at the first argument
 * that is not an option (getopt's "+" mode): everything after that belongs
 * to PROGRAM, so `ts-init ls -l` runs `ls -l`.
 */
export function parseArgs(args: readonly Buffer[], env: Env | readonly Buffer[]): CliResult {
  const { config, problem: envProblem } = defaults(variables(env));
  const fail = (message: string): CliResult => ({ kind: 'error', message, logFormat: config.logFormat });
  if (envProblem !== undefined) return fail(envProblem);
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
      if (spec === undefined) return fail(`unrecognized option '--${printable(name)}'`);
      let value: Buffer = Buffer.alloc(0);
      if (spec.value !== undefined) {
        // latin1 has one character per byte: eq is a byte offset too.
        if (eq !== -1) value = (args[i] as Buffer).subarray(eq + 1);
        else if (i + 1 < args.length) value = args[++i] as Buffer;
        else return fail(`option '--${name}' requires an argument (${spec.value})`);
      } else if (eq !== -1) {
        return fail(`option '--${name}' doesn't allow an argument`);
      }
      const problem = spec.apply(config, value.toString(), value);
      if (problem !== undefined) return fail(problem);
      continue;
    }

    // A cluster of short options: -vvv, -sg, -e3, -se 3.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      const clusterAction = ACTIONS[`-${letter}`];
      if (clusterAction !== undefined) return { kind: clusterAction };
      const spec = OPTIONS.find((o) => o.short === letter);
      if (spec === undefined) return fail(`invalid option -- '${printable(letter)}'`);
      let value: Buffer = Buffer.alloc(0);
      if (spec.value !== undefined) {
        if (j + 1 < arg.length) value = (args[i] as Buffer).subarray(j + 1);
        else if (i + 1 < args.length) value = args[++i] as Buffer;
        else return fail(`option requires an argument -- '${letter}' (${spec.value})`);
      }
      const problem = spec.apply(config, value.toString(), value);
      if (problem !== undefined) return fail(problem);
      if (spec.value !== undefined) break;
    }
  }
  config.argv = args.slice(i);
  // The variables may sit in an image for a switchable --fix-user; the flags
  // on a command line without it are a mistake worth reporting.
  const orphan = args
    .slice(0, i)
    .map((a) => /^--(user-name|home)(=|$)/.exec(a.toString('latin1'))?.[1])
    .find(Boolean);
  if (!config.fixUser && orphan !== undefined) {
    return fail(`--${orphan} only applies with --fix-user (or TS_INIT_FIX_USER=1)`);
  }
  if (config.argv.length === 0) return fail('missing PROGRAM to run');
  if ((config.argv[0] as Buffer).length === 0) return fail('PROGRAM is an empty string');
  return { kind: 'run', config };
}
