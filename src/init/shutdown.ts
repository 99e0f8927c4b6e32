// What happens after the main child exits. tini exits at once, and as PID 1
// its exit makes the kernel SIGKILL every other process in the namespace:
// daemons and log shippers lose whatever they had not flushed. ts-init
// instead sends SIGTERM to the processes it is responsible for, reaps them as
// they exit, and SIGKILLs whatever is left when the grace period is over.
import type { Native } from '../native/loader.js';
import { log } from '../shared/log.js';
import { canListChildren, childrenOf, descendants, namespaceProcesses, procIsOurNamespace, procMounted, statOf, type ProcessState } from '../shared/proc.js';
import { EPERM, ESRCH, SIGCONT, SIGKILL, SIGTERM, signalName } from '../shared/signals.js';
import { DescendantSignaller } from './verified-kill.js';

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
  /** Why none of them can be found at all (then none is signalled or waited for). */
  readonly blind: { readonly message: string; readonly warn: boolean } | undefined;
  /** Those not yet reaped, or undefined when they cannot be listed. */
  list(): ProcessState[] | undefined;
  /**
   * Cheap, for every SIGCHLD: false only when nothing is left; true may
   * still mean nothing we wait for (the next listing decides).
   */
  mayBeLeft(): boolean;
  signal(signal: number, listed: ProcessState[] | undefined): void;
  /** During the grace period: SIGTERM (and SIGCONT) to those that could not be reached before. */
  signalLateComers(listed: ProcessState[]): void;
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
    blind: undefined,
    list: () => (canList ? signallable(native, namespaceProcesses()) : undefined),
    // kill(-1, 0) fails once no process we may signal is left (an unreaped
    // zombie still counts); kernel threads keep it true for a host's PID 1.
    mayBeLeft: () => native.kill(-1, 0) === 0,
    signal: (signal) => {
      native.kill(-1, signal);
    },
    signalLateComers: () => undefined,
  };
}

/** Why a subreaper cannot find its descendants, if it cannot. */
function descendantsHidden(): Scope['blind'] {
  if (!procMounted()) {
    return { message: '/proc is not mounted: ts-init cannot find its remaining descendants, so it neither signals nor waits for them (as tini)', warn: false };
  }
  if (!canListChildren()) {
    return { message: 'This kernel cannot list child processes (/proc/PID/task/TID/children); remaining descendants are not waited for', warn: true };
  }
  return undefined;
}

/**
 * As a subreaper: our descendants only, one at a time, each through a pidfd
 * and re-checked (see verified-kill.ts). kill(-1) here would hit every
 * process of the user on the host.
 */
function descendantScope(native: Native): Scope {
  const blind = descendantsHidden();
  const signaller = new DescendantSignaller(native, process.pid);
  // Those that got their SIGTERM, for signalLateComers (children-only mode).
  const termed = new Set<number>();
  const send = (signal: number, pids: readonly number[]): void => {
    for (const pid of pids) {
      const err = signaller.send(pid, signal);
      if (err === 0 && signal === SIGTERM) termed.add(pid);
      if (err !== 0 && err !== ESRCH) log.warn(`Failed to send ${signalName(signal)} to pid ${pid}: ${native.strerror(err)}`);
    }
  };
  return {
    everyone: 'the remaining descendants',
    blind,
    list: () => (blind === undefined ? signallable(native, descendants(process.pid)) : []),
    // A process without children has no descendants at all: "is anything of
    // ours left?" without walking the tree.
    mayBeLeft: () => blind === undefined && childrenOf(process.pid).length > 0,
    signal: (signal, listed) =>
      send(
        signal,
        (listed ?? []).map((p) => p.pid),
      ),
    signalLateComers: (listed) => {
      if (!signaller.childrenOnly) return;
      // A listed pid that is gone was reaped (by us or its parent); a new
      // process with that number is not the one we signalled.
      const now = new Set(listed.map((p) => p.pid));
      for (const pid of termed) if (!now.has(pid)) termed.delete(pid);
      const late = listed.filter((p) => !termed.has(p.pid) && statOf(p.pid)?.ppid === process.pid).map((p) => p.pid);
      if (late.length === 0) return;
      log.info(`Sending SIGTERM and SIGCONT to pid(s) ${describePids(late)}, now ts-init's own children`, { pids: late });
      send(SIGTERM, late);
      send(SIGCONT, late);
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
    const { blind } = this.scope;
    if (blind !== undefined) {
      if (blind.warn) log.warn(blind.message);
      this.end(blind.warn ? 'Not waiting for descendants that cannot be listed' : blind.message);
      return;
    }
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
    log.info(
      `Sending SIGCONT after SIGTERM so that stopped processes can handle it${stopped.length > 0 ? ` (stopped now: pids ${describePids(stopped)})` : ''}`,
      {
        signal: SIGCONT,
        stopped: stopped.map((p) => p.pid),
      },
    );
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
    else this.scope.signalLateComers(listed);
  }

  /**
   * For the exit guard once the main child is reaped (ts-init is dying):
   * SIGKILL to every process that is provably ours now, and to no other.
   */
  killProvablyOurs(): void {
    if (this.scope.blind !== undefined) return;
    this.scope.signal(SIGKILL, this.scope.list());
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
        log.warn(
          `Still running after SIGKILL (uninterruptible sleep?): ${left !== undefined ? `pids ${describePids(left)}` : this.scope.everyone}; exiting anyway`,
        );
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
