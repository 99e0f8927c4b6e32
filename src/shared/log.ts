// Logging: pino, written synchronously to fd 2, loaded only when a line is
// actually emitted (most runs of an init never log anything, and loading
// pino costs start-up time).
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type LogFormat = 'text' | 'json';

const LEVEL_VALUES: Record<Level, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 };
// tini's labels, padded to five characters, so that scripts grepping for
// "[WARN  tini" patterns need only the name changed.
const LABELS: Record<number, string> = { 60: 'FATAL', 50: 'ERROR', 40: 'WARN ', 30: 'INFO ', 20: 'DEBUG', 10: 'TRACE' };

/** tini's verbosity scale: 0 fatal only, 1 warnings (default), 2 info, 3 debug, 4 trace. */
export function levelForVerbosity(verbosity: number): Level {
  const levels: Level[] = ['fatal', 'warn', 'info', 'debug', 'trace'];
  return levels[Math.max(0, Math.min(verbosity, levels.length - 1))] ?? 'warn';
}

type Fields = Record<string, unknown>;
interface PinoLike {
  fatal(obj: Fields, msg: string): void;
  error(obj: Fields, msg: string): void;
  warn(obj: Fields, msg: string): void;
  info(obj: Fields, msg: string): void;
  debug(obj: Fields, msg: string): void;
  trace(obj: Fields, msg: string): void;
}
type PinoFactory = (options: Record<string, unknown>, stream: { write(line: string): void }) => PinoLike;

// pino and what it needs, bundled into one file of the package by
// scripts/bundle.js (the package installs no dependencies), apart from the
// init's own bundle so that start-up never reads it.
const PINO_BUNDLE = 'dist/pino.cjs';

// Writing to a pipe with no reader raises SIGPIPE in ts-init itself; the
// forwarder must not pass that one on to the child (it would kill it).
let selfInflictedSigpipes = 0;

/** True (once per occurrence) when a SIGPIPE came from our own log write. */
export function takeSelfInflictedSigpipe(): boolean {
  if (selfInflictedSigpipes === 0) return false;
  selfInflictedSigpipes--;
  return true;
}

/** Never throws: a closed stderr or a pipe with no reader must not kill PID 1. */
export function writeStderr(text: string): void {
  writeFd(2, text);
}

/** writeSync that never throws (stdout for -h/--version, stderr for logs). */
export function writeFd(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') selfInflictedSigpipes++;
    // Nowhere left to report to; dropping the line is the only safe choice.
  }
}

/**
 * How bytes from outside (a path, an environment value) appear in a log
 * line: as UTF-8 text when they are UTF-8, with control characters and
 * every byte that is not UTF-8 escaped (\n, \xff), so that one message
 * stays one line and shows what was really there.
 */
export function printable(value: Buffer | string): string {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const text = bytes.toString();
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };
  if (Buffer.from(text).equals(bytes)) {
    // C0 and C1 controls and DEL, by code point.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    return text.replace(/[\\\u0000-\u001f\u007f-\u009f]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  let out = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    out += named[c] ?? (byte >= 0x20 && byte < 0x7f ? c : `\\x${byte.toString(16).padStart(2, '0')}`);
  }
  return out;
}

function textLine(json: string): string {
  try {
    const record = JSON.parse(json) as { level?: number; pid?: number; msg?: string };
    return `[${LABELS[record.level ?? 30] ?? 'INFO '} ts-init (${record.pid ?? process.pid})] ${record.msg ?? ''}\n`;
  } catch {
    return json;
  }
}

export class Logger {
  private threshold: number;
  private pino: PinoLike | undefined;

  constructor(
    private level: Level = 'warn',
    private format: LogFormat = 'text',
    private packageRoot?: string,
  ) {
    this.threshold = LEVEL_VALUES[level];
  }

  configure(level: Level, format: LogFormat, packageRoot: string | undefined): void {
    this.level = level;
    this.format = format;
    this.packageRoot = packageRoot;
    this.threshold = LEVEL_VALUES[level];
    this.pino = undefined;
  }

  enabled(level: Level): boolean {
    return LEVEL_VALUES[level] >= this.threshold;
  }

  fatal(msg: string, fields: Fields = {}): void {
    this.emit('fatal', msg, fields);
  }
  error(msg: string, fields: Fields = {}): void {
    this.emit('error', msg, fields);
  }
  warn(msg: string, fields: Fields = {}): void {
    this.emit('warn', msg, fields);
  }
  info(msg: string, fields: Fields = {}): void {
    this.emit('info', msg, fields);
  }
  debug(msg: string, fields: Fields = {}): void {
    this.emit('debug', msg, fields);
  }
  trace(msg: string, fields: Fields = {}): void {
    this.emit('trace', msg, fields);
  }

  private emit(level: Level, msg: string, fields: Fields): void {
    if (LEVEL_VALUES[level] < this.threshold) return;
    const logger = this.load();
    if (logger === undefined) {
      // pino could not be loaded (a broken install): still say it, in the format asked for.
      const record = { level: LEVEL_VALUES[level], time: Date.now(), pid: process.pid, name: 'ts-init', ...fields, msg };
      writeStderr(this.format === 'json' ? `${JSON.stringify(record)}\n` : `[${LABELS[LEVEL_VALUES[level]]} ts-init (${process.pid})] ${msg}\n`);
      return;
    }
    logger[level](fields, msg);
  }

  private load(): PinoLike | undefined {
    if (this.pino !== undefined) return this.pino;
    if (this.packageRoot === undefined) return undefined;
    try {
      const require = createRequire(join(this.packageRoot, 'package.json'));
      const pino = require(join(this.packageRoot, PINO_BUNDLE)) as PinoFactory;
      const text = this.format === 'text';
      this.pino = pino(
        { level: this.level, name: 'ts-init', base: { pid: process.pid } },
        { write: (line: string) => writeStderr(text ? textLine(line) : line) },
      );
      return this.pino;
    } catch {
      return undefined;
    }
  }
}

/** The one logger of the process. */
export const log = new Logger();
