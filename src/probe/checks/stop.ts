// The stop check: `docker stop` sends SIGTERM to PID 1 from outside its PID
// namespace, where the kernel delivers it only if PID 1 installed a handler,
// waits --stop-timeout, then sends SIGKILL. The target does the stopping
// (the host backend by signals, an engine by its own `stop -t`).
import type { Target } from '../target.js';
import type { StopResult } from '../types.js';

export async function checkStop(target: Target, stopTimeoutMs: number): Promise<StopResult> {
  const facts = await target.view.pid1();
  const { stopMs, killed, stopTimeoutMs: used } = await target.stop(stopTimeoutMs);
  const base = { pid1CatchesSigterm: facts.catchesSigterm, processes: facts.processes, stopMs, killed, stopTimeoutMs: used };
  if (!killed) return { ...base, verdict: 'pass', summary: `stopped in ${Math.round(stopMs ?? 0)} ms` };
  return { ...base, verdict: 'fail', summary: `ignored SIGTERM: still running after ${(used / 1000).toFixed(1)} s, SIGKILLed` };
}
