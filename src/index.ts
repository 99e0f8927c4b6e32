// The programmatic API: what the README documents, nothing more.
export { parseArgs, usage, type Config, type CliResult } from './init/cli.js';
export { decodeStatus, exitCodeFor, describeStatus, type ChildStatus } from './init/exit-status.js';
export { parseSignal, signalName, signalNumber, FORWARDED_NAMED, FORWARDED_REALTIME } from './shared/signals.js';
// The entrypoint probe (ts-init-probe): reaping, SIGTERM, exit status as PID 1, of a command or an image.
export { probe } from './probe/run.js';
export { ProbeEnvironmentError } from './probe/namespace.js';
export type { ProbeOptions } from './probe/options.js';
export type {
  ProbeReport,
  ProbeRun,
  StartResult,
  Pid1Info,
  ReapingResult,
  StopResult,
  ExitResult,
  UserResult,
  Readiness,
  ProbeTarget,
  RunLabel,
  Timings,
  Lookup,
  Check,
  Verdict,
} from './probe/types.js';
