// The exit-status check: what a container runtime shows after `docker stop`.
import type { Ending } from '../target.js';
import type { ExitResult } from '../types.js';

/**
 * After SIGTERM a runtime shows 0 for a clean exit and 143 (128 + 15) for a
 * SIGTERM death, which is what ts-init passes on. 137 (SIGKILL) means the
 * stop timed out; anything else reads as a crash to restart policies and
 * orchestrators.
 */
export function checkExit(end: Ending): ExitResult {
  const { code, signal, runtimeCode } = end;
  const base = { code, signal, runtimeCode };
  if (signal === 'SIGKILL') return { ...base, verdict: 'fail', summary: `${runtimeCode}: SIGKILLed (128+9), not a clean stop` };
  if (signal !== undefined) return { ...base, verdict: 'fail', summary: `${runtimeCode}: killed by ${signal}` };
  if (code === 0) return { ...base, verdict: 'pass', summary: '0: clean exit' };
  if (code === 143) return { ...base, verdict: 'pass', summary: '143: SIGTERM death (128+15), as runtimes show it' };
  return { ...base, verdict: 'fail', summary: `${runtimeCode}: exit status ${runtimeCode} after SIGTERM, read as a failure` };
}
