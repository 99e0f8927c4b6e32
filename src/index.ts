// The programmatic API.
export { parseArgs, usage, type Config, type CliResult } from './cli.js';
export { decodeStatus, exitCodeFor, describeStatus, type ChildStatus } from './exit-status.js';
export { parseSignal, signalName, signalNumber, FORWARDED_NAMED, FORWARDED_REALTIME } from './signals.js';
