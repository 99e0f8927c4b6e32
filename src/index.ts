// The package's programmatic API, as the docs describe it (README.md,
// docs/probe.md): the entrypoint probe (ts-init-probe's checks: start,
// reaping, SIGTERM, exit status as PID 1) and the types of its report.
export { probe } from './probe/run.js';
export { ProbeEnvironmentError } from './probe/namespace.js';
export type { ProbeOptions } from './probe/options.js';
export type {
  Check,
  ExitResult,
  Pid1Info,
  ProbeReport,
  ProbeRun,
  Readiness,
  ReapingResult,
  StartResult,
  StopResult,
  UserResult,
  Verdict,
} from './probe/types.js';
