// Catches every forwarded signal from the first moment and passes it to the
// child once there is one.
//
// Two receivers, one after the other. From the first statement until the
// addon is loaded, Node's process.on listeners (libuv's handler); from
// attachNative() on, the addon's own handler, which counts per signal and
// cannot overflow (libuv's pipe drops signals past 4,096). The listeners stay
// registered for the whole life of the process even though they no longer
// run: removing the last one would make libuv reset the signal to SIG_DFL
// (a PID 1 with no handler silently drops SIGTERM; SIGUSR1 with no listener
// starts Node's inspector), and while one is registered libuv never touches
// that signal's disposition again.
import type { Native } from '../native/loader.js';
import { log, takeSelfInflictedSigpipe } from '../shared/log.js';
import {
  EAGAIN,
  ESRCH,
  FORWARDED_NAMED,
  FORWARDED_REALTIME,
  isRealtime,
  KEPT_FOR_INIT,
  SIGCHLD,
  SIGKILL,
  SIGPIPE,
  signalName,
  signalNumber,
} from '../shared/signals.js';

// Before the child exists, a real-time signal is kept as many times as it
// came, up to this many per signal (the kernel's own queue is bounded too,
// by RLIMIT_SIGPENDING); a standard one once, as the kernel keeps it.
const PENDING_REALTIME_LIMIT = 4096;

export class Forwarder {
  /** signal → times to forward, until there is a child. */
  private readonly pending = new Map<number, number>();
  private target: ((signal: number) => void) | undefined;
  private childListener: (() => void) | undefined;

  /** Installs the listeners; call before anything else so no early signal is lost. */
  constructor() {
    for (const name of FORWARDED_NAMED) {
      const num = signalNumber(name) as number;
      process.on(name, () => {
        if (num === SIGPIPE && takeSelfInflictedSigpipe()) return;
        this.deliver(num, 1);
      });
    }
    process.on('SIGCHLD', () => this.childListener?.());
  }

  /** Hands reception to the addon, and sets the ignores Node cannot express. */
  attachNative(native: Native, isPid1: boolean): void {
    const owned = [...FORWARDED_NAMED.map((name) => signalNumber(name) as number), ...FORWARDED_REALTIME, SIGCHLD];
    const refused = native.watchSignals(owned, (counts) => this.receive(counts));
    if (refused.length > 0) log.debug(`Not receiving ${refused.map(signalName).join(', ')}: reserved by the C library`);
    // Ignored, as tini does, so that handing the terminal to the child's
    // process group (tcsetpgrp) can never stop ts-init.
    native.ignoreSignal(signalNumber('SIGTTIN') as number);
    native.ignoreSignal(signalNumber('SIGTTOU') as number);
    // Node >= 22.14 started with --disable-sigusr1 (the launcher adds it)
    // keeps SIGUSR1 blocked in every thread, so it would never be received
    // and never forwarded. One that arrived since start-up is pending, not
    // lost: unblocking delivers it now.
    native.unblockSignals([signalNumber('SIGUSR1') as number]);
    if (isPid1) {
      // A namespace's PID 1 never gets these from outside unless it handles
      // them; signal-exit would handle them, so make that handling a no-op,
      // which is what tini as PID 1 does in effect.
      for (const name of KEPT_FOR_INIT) process.on(name, () => log.debug(`Ignoring ${name} sent to ts-init`));
    }
  }

  onChildSignal(listener: () => void): void {
    this.childListener = listener;
  }

  /** From now on signals go to `send`, starting with those that arrived before, in signal order. */
  forwardTo(send: (signal: number) => void): void {
    this.target = send;
    const waiting = [...this.pending].sort(([a], [b]) => a - b);
    this.pending.clear();
    for (const [signal, times] of waiting) this.deliver(signal, times);
  }

  /**
   * One wake-up's worth of [signal, count, …], in signal order, as the
   * kernel would deliver them. SIGCHLD is handled last: every signal of the
   * batch reaches the main child before a reap can free its pid.
   */
  private receive(counts: Int32Array): void {
    let childChanged = false;
    for (let i = 0; i < counts.length; i += 2) {
      const signal = counts[i] as number;
      if (signal === SIGCHLD) childChanged = true;
      // A standard signal that came twice before we looked was pending
      // once, as it would have been in the kernel.
      else this.deliver(signal, isRealtime(signal) ? (counts[i + 1] as number) : 1);
    }
    if (childChanged) this.childListener?.();
  }

  private deliver(signal: number, times: number): void {
    if (this.target === undefined) {
      const limit = isRealtime(signal) ? PENDING_REALTIME_LIMIT : 1;
      this.pending.set(signal, Math.min(limit, (this.pending.get(signal) ?? 0) + times));
      return;
    }
    for (let i = 0; i < times; i++) this.target(signal);
  }
}

// A child that does not take its real-time signals fills its queue (EAGAIN);
// said once per signal, not once per signal sent.
const queueFullWarned = new Set<number>();

/** kill(2) on the child or its group; a child that is already gone is not an error. */
export function sendSignal(native: Native, pid: number, group: boolean, signal: number): void {
  const target = group ? -pid : pid;
  // Checked first: a signal flood forwards tens of thousands; no garbage for a line nobody sees.
  if (log.enabled('debug')) log.debug(`Passing signal: '${signalName(signal)}' to ${group ? 'process group' : 'pid'} ${pid}`, { signal, child: pid, group });
  const err = native.kill(target, signal);
  if (err === 0 || err === ESRCH) return;
  if (err === EAGAIN) {
    if (queueFullWarned.has(signal)) return;
    queueFullWarned.add(signal);
    log.warn(`The signal queue of ${group ? 'process group' : 'pid'} ${pid} is full: ${signalName(signal)} is not delivered while it stays full (said once)`);
    return;
  }
  log.warn(`Failed to send ${signalName(signal)} to ${group ? 'process group' : 'pid'} ${pid}: ${native.strerror(err)}`);
}

/**
 * SIGKILL to the child's process group, and to the child itself in case it
 * left the group. Only while the child is not yet reaped: until then its
 * pid, and so its group's id, cannot belong to anyone else.
 */
export function killChildAndGroup(native: Native, pid: number): void {
  native.kill(-pid, SIGKILL);
  native.kill(pid, SIGKILL);
}
