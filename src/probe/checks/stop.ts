// The stop check: `docker stop` sends SIGTERM to the container's PID 1 from
// outside its PID namespace, where the kernel delivers it only if PID 1
// installed a handler, waits --stop-timeout, then sends SIGKILL.
import { catchesSignal, descendantPids } from '../../shared/proc.js';
import { SIGTERM } from '../../shared/signals.js';
import type { Namespace } from '../namespace.js';
import type { StopResult } from '../types.js';


// After SIGKILL the kernel tears the namespace down at once; this only bounds a broken holder.
const AFTER_KILL_MS = 10_000;

/** Resolves true when the namespace is gone within ms, false otherwise. */
function gone(ns: Namespace, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void ns.holder.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function checkStop(ns: Namespace, pid1: number, stopTimeoutMs: number): Promise<StopResult> {
  const pid1CatchesSigterm = catchesSignal(pid1, SIGTERM);
  const processes = 1 + descendantPids(pid1).length;
  const sentAt = performance.now();
  try {
    process.kill(pid1, 'SIGTERM');
  } catch {
    // Already gone: measured below like any other ending.
  }
  // The holder (unshare) ends only after PID 1 and, with it, every process of the namespace.
  if (await gone(ns, stopTimeoutMs)) {
    const stopMs = performance.now() - sentAt;
    return { verdict: 'pass', summary: `stopped in ${Math.round(stopMs)} ms`, pid1CatchesSigterm, processes, stopMs, killed: false, stopTimeoutMs };
  }
  try {
    process.kill(pid1, 'SIGKILL');
  } catch {
    // ended in between
  }
  if (!(await gone(ns, AFTER_KILL_MS))) ns.holder.kill('SIGKILL');
  const seconds = (stopTimeoutMs / 1000).toFixed(1);
  return {
    verdict: 'fail',
    summary: `ignored SIGTERM: still running after ${seconds} s, SIGKILLed`,
    pid1CatchesSigterm,
    processes,
    stopMs: undefined,
    killed: true,
    stopTimeoutMs,
  };
}
