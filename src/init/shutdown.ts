// What happens after the main child exits. tini exits at once, and as PID 1
// its exit makes the kernel SIGKILL every other process in the namespace:
// daemons and log shippers lose whatever they had not flushed. ts-init
// instead sends SIGTERM to the processes it is responsible for, reaps them as
// they exit, and SIGKILLs whatever is left when the grace period is over.
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';
import { canListChildren, childrenOf, descendants, namespaceProcesses, procIsOurNamespace, type ProcessState } from '../shared/proc.js';
import { EPERM, ESRCH, SIGCONT, SIGKILL, SIGTERM, signalName } from '../shared/signals.js';

/**
 * 5 s: half of `docker stop`'s default 10 s (and of podman's), so that when
 * the main child itself takes a few seconds to stop, our SIGKILL still comes
 * first and is logged with the pids it hit, instead of the runtime's silent
 * one. Most helpers flush in milliseconds; the wait ends as soon as they do.
 */
export const DEFAULT_GRACE_PERIOD_MS = 5000;

// Processes whose parent lives outside the namespace (`docker exec`) exit
// without a SIGCHLD for us, so the wait also polls. The full /proc listing
// runs at most this often: with a thousand processes left it takes tens of
// milliseconds, too much to repeat on every SIGCHLD.
const POLL_MS = 50;
// SIGKILL cannot be caught, but a process in uninterruptible sleep (D) dies
// only when its I/O returns; wait that long at most, then exit anyway.
const KILL_SETTLE_MS = 2000;
const LISTED_PIDS = 20;

/** Which processes ts-init answers for, and how to signal them. */
interface Scope {
  /** What the log calls them when they cannot be listed. */
  readonly everyone: string;
  /** Those not yet reaped, or undefined when they cannot be listed. */
  list(): ProcessState[] | undefined;
  /**
   * Cheap, for every SIGCHLD: false only when nothing is left; true may
   * still mean nothing we wait for (the next listing decides).
   */
  mayBeLeft(): boolean;
  signal(signal: number, listed: ProcessState[] | undefined): void;
}

/**
 * A process we may not signal (another user's, or a setuid program's, when
 * ts-init is not root) is not ours to wait for: kill(-1) skips it too.
 */
function signallable(native: Native, listed: ProcessState[]): ProcessState[] {
  return listed.filter((p) => native.kill(p.pid, 0) !== EPERM);
}

/**
 * As PID 1 of a namespace: everyone in it. kill(-1) reaches them all but
 * ourselves in one step the kernel makes atomic against fork(), so no
 * process escapes by forking while it is being signalled.
 */
function namespaceScope(native: Native): Scope {
  const canList = procIsOurNamespace();
  return {
    everyone: 'every other process (kill -1)',
    list: () => (canList ? signallable(native, namespaceProcesses()) : undefined),
    // kill(-1, 0) fails once no process we may signal is left (an unreaped
    // zombie still counts); kernel threads keep it true for a host's PID 1.
    mayBeLeft: () => native.kill(-1, 0) === 0,
    signal: (signal) => {
      native.kill(-1, signal);
    },
  };
}

/**
 * As a subreaper: our descendants only, one pid at a time. kill(-1) here
 * would hit every process of the user on the host.
 */
function descendantScope(native: Native): Scope {
  const listable = canListChildren();
  let warned = false;
  return {
    everyone: 'the remaining descendants',
    list: () => {
      if (!listable && !warned) {
        warned = true;
        log.warn('This kernel cannot list child processes (/proc/PID/task/TID/children); remaining descendants are not waited for');
      }
      return signallable(native, listable ? descendants(process.pid) : []);
    },
    // A process without children has no descendants at all: "is anything of
    // ours left?" without walking the tree.
    mayBeLeft: () => listable && childrenOf(process.pid).length > 0,
    signal: (signal, listed) => {
      for (const { pid } of listed ?? []) {
        const err = native.kill(pid, signal);
        if (err !== 0 && err !== ESRCH) log.warn(`Failed to send ${signalName(signal)} to pid ${pid}: ${native.strerror(err)}`);
      }
    },
  };
}

function describePids(listed: readonly (ProcessState | number)[]): string {
  const pids = listed.map((p) => (typeof p === 'number' ? p : p.pid));
  const shown = pids.slice(0, LISTED_PIDS).join(', ');
  return pids.length > LISTED_PIDS ? `${shown} and ${pids.length - LISTED_PIDS} more` : shown;
}

export interface ShutdownOptions {
  readonly gracePeriodMs: number;
  /** True when ts-init is PID 1 (kill(-1) is then ours to use). */
  readonly pid1: boolean;
  /** Drains every exited child (the Reaper's reap). */
  reap(): void;
}

export class Shutdown {
  private phase: 'idle' | 'grace' | 'killing' | 'done' = 'idle';
  private onDone: () => void = () => undefined;
  private previous = new Set<number>();
  private listedAt = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly scope: Scope;

  constructor(
    native: Native,
    private readonly options: ShutdownOptions,
  ) {
    this.scope = options.pid1 ? namespaceScope(native) : descendantScope(native);
  }

  get running(): boolean {
    return this.phase === 'grace' || this.phase === 'killing';
  }

  /**
   * Signals the rest and calls `done` once none is left: at once when
   * nothing else runs, at the latest shortly after the grace period.
   */
  start(done: () => void): void {
    if (this.phase !== 'idle') return;
    this.onDone = done;
    this.options.reap();
    const listed = this.scope.list();
    if (!this.scope.mayBeLeft() || listed?.length === 0) {
      this.end('No other processes are running');
      return;
    }
    const seconds = this.options.gracePeriodMs / 1000;
    const who = listed !== undefined ? `${listed.length} remaining process(es): pids ${describePids(listed)}` : this.scope.everyone;
    log.info(`Sending SIGTERM to ${who}; SIGKILL to any still running in ${seconds} s`, {
      signal: SIGTERM,
      pids: listed?.map((p) => p.pid),
      gracePeriodSeconds: seconds,
    });
    this.scope.signal(SIGTERM, listed);
    // A stopped process cannot act on SIGTERM until it is continued, and one
    // may be stopping right now (a SIGSTOP still in flight when /proc was
    // read: seen in CI), so SIGCONT follows SIGTERM for all of them, as
    // systemd does. A running process ignores SIGCONT by default.
    const stopped = (listed ?? []).filter((p) => p.state === 'T' || p.state === 't');
    log.info(`Sending SIGCONT after SIGTERM so that stopped processes can handle it${stopped.length > 0 ? ` (stopped now: pids ${describePids(stopped)})` : ''}`, {
      signal: SIGCONT,
      stopped: stopped.map((p) => p.pid),
    });
    this.scope.signal(SIGCONT, listed);
    this.previous = new Set(listed?.map((p) => p.pid));
    this.listedAt = Date.now();
    this.phase = 'grace';
    this.timers.push(setTimeout(() => this.killRemaining(), this.options.gracePeriodMs));
    this.timers.push(
      setInterval(() => {
        this.options.reap();
        this.check();
      }, POLL_MS),
    );
  }

  /** Call after each reap: ends the shutdown as soon as nothing is left. */
  check(): void {
    if (!this.running) return;
    const finished = this.phase === 'grace' ? 'All remaining processes exited within the grace period' : 'All remaining processes are gone';
    if (!this.scope.mayBeLeft()) {
      this.end(finished);
      return;
    }
    if (Date.now() - this.listedAt < POLL_MS) return;
    this.listedAt = Date.now();
    const listed = this.scope.list();
    if (listed === undefined) {
      if (this.phase === 'killing') this.scope.signal(SIGKILL, listed);
      return;
    }
    const now = new Set(listed.map((p) => p.pid));
    const gone = [...this.previous].filter((pid) => !now.has(pid));
    if (gone.length > 0) log.info(`Pid(s) ${describePids(gone)} exited; ${now.size} remaining`, { pids: gone, remaining: now.size });
    this.previous = now;
    if (listed.length === 0) {
      this.end(finished);
      return;
    }
    // A descendant forked between listing and SIGKILL is found here.
    if (this.phase === 'killing') this.scope.signal(SIGKILL, listed);
  }

  /**
   * Signals arriving now are not forwarded: the main child they were meant
   * for is gone, and the others already have their SIGTERM; a second signal
   * could cut short the very flush the grace period is for.
   */
  ignoreSignal(signal: number): void {
    log.info(`Not forwarding ${signalName(signal)}: the main child has exited and shutdown is under way`, { signal });
  }

  private killRemaining(): void {
    if (this.phase !== 'grace') return;
    this.options.reap();
    const listed = this.scope.list();
    if (!this.scope.mayBeLeft() || listed?.length === 0) {
      this.end('All remaining processes exited within the grace period');
      return;
    }
    this.phase = 'killing';
    this.listedAt = Date.now();
    const who = listed !== undefined ? `pids ${describePids(listed)}` : this.scope.everyone;
    log.info(`Grace period of ${this.options.gracePeriodMs / 1000} s is over: sending SIGKILL to ${who}`, {
      signal: SIGKILL,
      pids: listed?.map((p) => p.pid),
    });
    this.scope.signal(SIGKILL, listed);
    this.timers.push(
      setTimeout(() => {
        const left = this.scope.list();
        log.warn(`Still running after SIGKILL (uninterruptible sleep?): ${left !== undefined ? `pids ${describePids(left)}` : this.scope.everyone}; exiting anyway`);
        this.end('Gave up waiting');
      }, KILL_SETTLE_MS),
    );
    this.check();
  }

  private end(why: string): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    for (const timer of this.timers) clearTimeout(timer);
    log.info(why);
    this.onDone();
  }
}
