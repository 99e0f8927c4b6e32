// What a wait status means, and which exit code ts-init passes on.
import { signalName } from '../shared/signals.js';

export type ChildStatus =
  { readonly kind: 'exited'; readonly code: number } | { readonly kind: 'signaled'; readonly signal: number; readonly coreDumped: boolean };

/** Decodes a raw wait(2) status (the W* macros of <sys/wait.h>). */
export function decodeStatus(raw: number): ChildStatus {
  const low = raw & 0x7f;
  if (low === 0) return { kind: 'exited', code: (raw >> 8) & 0xff };
  return { kind: 'signaled', signal: low, coreDumped: (raw & 0x80) !== 0 };
}

/**
 * The code a container runtime shows for this status: N for exit(N), 128+S
 * for death by signal S (the shells' convention, which tini follows). Codes
 * listed with -e become 0.
 */
export function exitCodeFor(status: ChildStatus, remapToZero: ReadonlySet<number>): number {
  const code = status.kind === 'exited' ? status.code : (128 + status.signal) % 256;
  return remapToZero.has(code) ? 0 : code;
}

export function describeStatus(status: ChildStatus): string {
  return status.kind === 'exited'
    ? `exited normally (with status '${status.code}')`
    : `was killed by ${signalName(status.signal)}${status.coreDumped ? ' (core dumped)' : ''}`;
}
