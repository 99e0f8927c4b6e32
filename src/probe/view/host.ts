// The processes inside, read from this machine's /proc: for a PID namespace
// made here, and for a container whose engine runs on this machine (its PID 1
// is State.Pid of `inspect`). Pids are translated with NSpid, the line of
// /proc/PID/status that lists a process's pid in each nested namespace.
import { readFileSync } from 'node:fs';
import { argvOf, catchesSignal, childrenOf, commOf, descendantPids, environmentOf, exeOf, idsOf, stateOf, statusField } from '../../shared/proc.js';
import { SIGTERM } from '../../shared/signals.js';
import type { Pid1Facts, Proc, ProcessView } from '../target.js';

/** A process's pid in its own (innermost) PID namespace. */
export function innerPid(hostPid: number): number | undefined {
  const last = statusField(hostPid, 'NSpid')?.split(/\s+/).pop();
  return last === undefined || last === '' ? undefined : Number(last);
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat): a reused pid has another. */
export function startTimeOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Whether `hostPid` is the PID 1 of a PID namespace (as a local engine's State.Pid is). */
export function isNamespaceInit(hostPid: number): boolean {
  return hostPid > 0 && innerPid(hostPid) === 1;
}

export class HostView implements ProcessView {
  readonly sampleMs = 20;

  constructor(readonly hostPid1: number) {}

  /** The host pid of inside pid `pid`: PID 1 or one of its children (all the checks look at). */
  private hostPid(pid: number): number | undefined {
    if (pid === 1) return this.hostPid1;
    return childrenOf(this.hostPid1).find((child) => innerPid(child) === pid);
  }

  async children(): Promise<Proc[]> {
    const out: Proc[] = [];
    for (const host of childrenOf(this.hostPid1)) {
      const pid = innerPid(host);
      const state = stateOf(host);
      if (pid === undefined || state === undefined) continue; // gone in between
      out.push({ pid, state, comm: commOf(host) ?? '?', argv: state === 'Z' ? [] : argvOf(host) });
    }
    return out;
  }

  async pid1(): Promise<Pid1Facts> {
    const pid = this.hostPid1;
    const alive = stateOf(pid) !== undefined;
    return {
      comm: commOf(pid),
      exe: exeOf(pid),
      argv: argvOf(pid),
      catchesSigterm: catchesSignal(pid, SIGTERM),
      processes: alive ? 1 + descendantPids(pid).length : undefined,
    };
  }

  async environment(pid: number): Promise<Record<string, string> | undefined> {
    const host = this.hostPid(pid);
    return host === undefined ? undefined : environmentOf(host);
  }

  async ids(pid: number): Promise<{ uid: number; gid: number } | undefined> {
    const host = this.hostPid(pid);
    return host === undefined ? undefined : idsOf(host);
  }
}
