// --kill-after: a wedged main child must not stall a stop. Once ts-init has
// received a terminating signal, the child gets that long to exit before
// its whole process group is SIGKILLed.
import { killChildAndGroup } from './forwarder.js';
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';
import { SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, signalName } from '../shared/signals.js';

// What runtimes and terminals send to stop a container.
const TERMINATING = new Set([SIGHUP, SIGINT, SIGQUIT, SIGTERM]);

export class KillAfter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly native: Native,
    private readonly childPid: number,
    private readonly delayMs: number,
  ) {}

  /**
   * Called with every signal ts-init receives, before any rewriting: the
   * deadline is about the stop request, whatever the child is sent for it.
   * The first terminating signal starts the clock; later ones do not reset it.
   */
  onSignal(signal: number): void {
    if (!TERMINATING.has(signal) || this.timer !== undefined) return;
    const seconds = this.delayMs / 1000;
    log.info(`Received ${signalName(signal)}: the main child (pid ${this.childPid}) gets ${seconds} s to exit before its process group is killed`, {
      signal,
      child: this.childPid,
      killAfterSeconds: seconds,
    });
    this.timer = setTimeout(() => {
      log.info(`The main child (pid ${this.childPid}) is still running ${seconds} s after ${signalName(signal)}: sending SIGKILL to its process group`, {
        signal: SIGKILL,
        child: this.childPid,
      });
      killChildAndGroup(this.native, this.childPid);
    }, this.delayMs);
  }

  /** The main child has exited: its pid may be reused, so never signal it again. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
