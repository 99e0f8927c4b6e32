// Catches every forwarded signal from the first moment and passes it to the
// child once there is one. Listeners stay for the whole life of the process:
// removing one would restore SIG_DFL, and a PID 1 with no handler silently
// drops SIGTERM, while SIGUSR1 with no listener starts Node's inspector.
import type { Native } from '../native/loader.js';
import { log, takeSelfInflictedSigpipe } from '../shared/log.js';
import { ESRCH, FORWARDED_NAMED, FORWARDED_REALTIME, KEPT_FOR_INIT, SIGKILL, SIGPIPE, signalName, signalNumber } from '../shared/signals.js';

export class Forwarder {
  private readonly pending: number[] = [];
  private target: ((signal: number) => void) | undefined;
  private childListener: (() => void) | undefined;

  /** Installs the listeners; call before anything else so no early signal is lost. */
  constructor() {
    for (const name of FORWARDED_NAMED) {
      const num = signalNumber(name) as number;
      process.on(name, () => {
        if (num === SIGPIPE && takeSelfInflictedSigpipe()) return;
        this.deliver(num);
      });
    }
    process.on('SIGCHLD', () => this.childListener?.());
  }

  /** Starts the real-time watchers and the ignores Node cannot express. */
  attachNative(native: Native, isPid1: boolean): void {
    native.watchSignals(FORWARDED_REALTIME, (signal) => this.deliver(signal));
    // Ignored, as tini does, so that handing the terminal to the child's
    // process group (tcsetpgrp) can never stop ts-init.
    native.ignoreSignal(signalNumber('SIGTTIN') as number);
    native.ignoreSignal(signalNumber('SIGTTOU') as number);
    // Node >= 22.14 started with --disable-sigusr1 (the launcher adds it)
    // keeps SIGUSR1 blocked in every thread, so the listener above would never
    // run and SIGUSR1 would not be forwarded. One that arrived since start-up
    // is pending, not lost: unblocking delivers it to the listener now.
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

  /** From now on signals go to `send`, starting with those that arrived before. */
  forwardTo(send: (signal: number) => void): void {
    this.target = send;
    for (const signal of this.pending.splice(0)) send(signal);
  }

  private deliver(signal: number): void {
    // Before the child exists, keep one of each: a repeated standard signal
    // would have coalesced in the kernel anyway, and the queue stays bounded.
    if (this.target !== undefined) this.target(signal);
    else if (!this.pending.includes(signal)) this.pending.push(signal);
  }
}

/** kill(2) on the child or its group; a child that is already gone is not an error. */
export function sendSignal(native: Native, pid: number, group: boolean, signal: number): void {
  const target = group ? -pid : pid;
  log.debug(`Passing signal: '${signalName(signal)}' to ${group ? 'process group' : 'pid'} ${pid}`, { signal, child: pid, group });
  const err = native.kill(target, signal);
  if (err !== 0 && err !== ESRCH) {
    log.warn(`Failed to send ${signalName(signal)} to ${group ? 'process group' : 'pid'} ${pid}: ${native.strerror(err)}`);
  }
}

/** SIGKILL to the child's process group, and to the child itself in case it left the group. */
export function killChildAndGroup(native: Native, pid: number): void {
  native.kill(-pid, SIGKILL);
  native.kill(pid, SIGKILL);
}
