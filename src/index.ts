// The programmatic API.
export { parseArgs, usage, type Config, type CliResult } from './cli.js';
export { decodeStatus, exitCodeFor, describeStatus, type ChildStatus } from './exit-status.js';
export { parseSignal, signalName, signalNumber, FORWARDED_NAMED, FORWARDED_REALTIME } from './signals.js';
// The entrypoint probe (ts-init-probe): reaping, SIGTERM, exit status as PID 1.
export {
  probe,
  ProbeEnvironmentError,
  type ProbeOptions,
  type ProbeReport,
  type ProbeRun,
  type StartResult,
  type Pid1Info,
  type ReapingResult,
  type StopResult,
  type ExitResult,
  type UserResult,
  type Readiness,
  type Check,
  type Verdict,
} from './probe.js';
