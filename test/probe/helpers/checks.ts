// A run's checks with their figures, for tests that assert on them: each
// throws when the check did not run at all (skipped), so a test fails with
// the reason instead of reading figures that are not there.
import type { ExitResult, ProbeRun, ReapingResult, StopResult } from '../../../src/index.js';

export function reaping(run: ProbeRun | undefined): ReapingResult {
  const r = run?.reaping;
  if (r === undefined || !('created' in r)) throw new Error(`reaping check did not run: ${r?.summary ?? 'no run'}`);
  return r;
}

export function stop(run: ProbeRun | undefined): StopResult {
  const s = run?.stop;
  if (s === undefined || !('killed' in s)) throw new Error(`stop check did not run: ${s?.summary ?? 'no run'}`);
  return s;
}

export function exit(run: ProbeRun | undefined): ExitResult {
  const e = run?.exit;
  if (e === undefined || !('runtimeCode' in e)) throw new Error(`exit check did not run: ${e?.summary ?? 'no run'}`);
  return e;
}
