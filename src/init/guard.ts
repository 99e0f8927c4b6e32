// The last line of defence: if ts-init is about to die for any reason other
// than its normal exit, kill what it supervises so that nothing is left
// running unsupervised. While the main child is not reaped, that is its
// process group (its pid, and so the group's id, cannot belong to anyone
// else yet). Once it is reaped its pid may be anyone's: from then on the
// guard never touches that number, only the processes the shutdown can
// still prove are ours.
import { onExit } from 'signal-exit';
import { killChildAndGroup } from './forwarder.js';
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';

export interface Guard {
  /** The main child has been reaped; `killRest` kills what is provably ours. */
  childReaped(killRest: () => void): void;
  /** Called on the normal exit path. */
  disarm(): void;
}

export function guardChild(native: Native, childPid: number): Guard {
  let armed = true;
  let killRest: (() => void) | undefined;
  const kill = (why: string): void => {
    if (!armed) return;
    armed = false;
    if (killRest === undefined) {
      log.fatal(`ts-init is exiting unexpectedly (${why}); killing the child's process group ${childPid} so nothing runs unsupervised`);
      killChildAndGroup(native, childPid);
      return;
    }
    log.fatal(`ts-init is exiting unexpectedly (${why}) after the main child exited; killing the remaining processes that are provably its own`);
    killRest();
  };
  onExit((code, signal) => kill(signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`), { alwaysLast: true });
  return {
    childReaped(rest) {
      killRest = rest;
    },
    disarm() {
      armed = false;
    },
  };
}
