// The last line of defence: if ts-init is about to die for any reason other
// than its normal exit while the child lives, kill the child's process group
// so that nothing is left running unsupervised.
import { onExit } from 'signal-exit';
import { killChildAndGroup } from './forwarder.js';
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';

export interface Guard {
  /** Called on the normal exit path, once the child is known to be gone. */
  disarm(): void;
}

export function guardChild(native: Native, childPid: number): Guard {
  let armed = true;
  const kill = (why: string): void => {
    if (!armed) return;
    armed = false;
    log.fatal(`ts-init is exiting unexpectedly (${why}); killing the child's process group ${childPid} so nothing runs unsupervised`);
    killChildAndGroup(native, childPid);
  };
  onExit((code, signal) => kill(signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`), { alwaysLast: true });
  return {
    disarm() {
      armed = false;
    },
  };
}
