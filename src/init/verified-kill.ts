// Signalling a process found in /proc without ever signalling a bare pid
// after the check. Between reading /proc and kill(2), a descendant can be
// reaped by its own parent and its pid handed to an unrelated process. So:
// take a pidfd (it names that very process, or whoever holds the number
// now), check through /proc that the holder descends from us, and signal
// through the pidfd. If the holder changed after the check, the pidfd's
// process is gone and the signal fails with ESRCH: it reaches nobody else.
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';
import { descendsFrom, statOf } from '../shared/proc.js';
import { ENOSYS, ESRCH } from '../shared/signals.js';

export class DescendantSignaller {
  private pidfds = true;

  constructor(
    private readonly native: Native,
    private readonly root: number,
  ) {}

  /**
   * Without pidfds (Linux < 5.3) only our own children are signalled: their
   * pids cannot be reused until we reap them, and only this thread reaps.
   * A deeper descendant becomes our child when its parent exits (we are its
   * subreaper), and is signalled then.
   */
  get childrenOnly(): boolean {
    return !this.pidfds;
  }

  /** Sends `signal` to `pid` if it still descends from root; errno, 0 when sent, ESRCH when gone or not ours. */
  send(pid: number, signal: number): number {
    if (this.pidfds) {
      const fd = this.native.pidfdOpen(pid);
      if (fd >= 0) return this.sendThrough(fd, pid, signal);
      if (fd !== -ENOSYS) return -fd;
      this.pidfds = false;
      log.info(
        "This kernel has no pidfd_open (Linux < 5.3): only ts-init's own children are signalled now; deeper descendants once their parent exits and they become its children",
      );
    }
    if (statOf(pid)?.ppid !== this.root) return ESRCH;
    return this.native.kill(pid, signal);
  }

  private sendThrough(fd: number, pid: number, signal: number): number {
    try {
      return descendsFrom(pid, this.root) ? this.native.pidfdSendSignal(fd, signal) : ESRCH;
    } finally {
      this.native.close(fd);
    }
  }
}
