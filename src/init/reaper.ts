// Collects every child that has exited: the main child and any orphan the
// kernel reparented to us. One owner of all wait() calls, so no exit status
// can be stolen by another waiter.
import { decodeStatus, describeStatus, type ChildStatus } from './exit-status.js';
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';

export class Reaper {
  private readonly watched = new Map<number, (status: ChildStatus) => void>();
  reapedOrphans = 0;

  constructor(
    private readonly native: Native,
    private readonly warnOnReap: boolean,
  ) {}

  /** Calls `onExit` when `pid` is reaped. */
  watch(pid: number, onExit: (status: ChildStatus) => void): void {
    this.watched.set(pid, onExit);
  }

  /** Drains every exited child; safe to call at any time, as often as wanted. */
  reap(): void {
    const pairs = this.native.reap();
    for (let i = 0; i < pairs.length; i += 2) {
      const pid = pairs[i] as number;
      if (log.enabled('trace')) log.trace(`waitpid: pid ${pid} ${describeStatus(decodeStatus(pairs[i + 1] as number))}`, { reaped: pid });
      const onExit = this.watched.get(pid);
      if (onExit !== undefined) {
        this.watched.delete(pid);
        onExit(decodeStatus(pairs[i + 1] as number));
        continue;
      }
      this.reapedOrphans++;
      // Checked first: under an orphan storm this runs hundreds of thousands
      // of times, and the message would be garbage at the default level.
      if (this.warnOnReap) log.warn(`Reaped zombie process with pid=${pid}`, { reaped: pid });
      else if (log.enabled('debug')) log.debug(`Reaped zombie process with pid=${pid}`, { reaped: pid });
    }
  }
}
