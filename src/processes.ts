// Finding the processes ts-init is responsible for, through /proc: as PID 1
// of a namespace every process in it, as a subreaper its descendants.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// PF_KTHREAD in the `flags` field of /proc/PID/stat: kernel threads are
// listed in the root namespace's /proc but are not ours to wait for.
const PF_KTHREAD = 0x00200000;

export interface ProcessState {
  readonly pid: number;
  /** One letter: R, S, D, T, Z, … */
  readonly state: string;
}

function readStat(pid: number): { state: string; ppid: number; flags: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', ppid: Number(fields[1] ?? 0), flags: Number(fields[6] ?? 0) };
  } catch {
    return undefined; // gone between listing and reading
  }
}

function childrenOf(pid: number): number[] | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // exited meanwhile
  }
  const out: number[] = [];
  let readable = false;
  // Children hang off the thread that forked them (or, once reparented, any
  // live thread of the subreaper), so every thread's list counts.
  for (const tid of tids) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (child !== '' && child !== '\n') out.push(Number(child));
      }
      readable = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') readable = true;
    }
  }
  // No thread had a children file: the kernel lacks CONFIG_PROC_CHILDREN.
  return readable || tids.length === 0 ? out : undefined;
}

/**
 * Every descendant of `root`, or undefined when this kernel cannot list
 * children. Zombies count: one that is our child is ours to reap before we
 * exit, and one further down has a living parent anyway.
 */
export function descendants(root: number): ProcessState[] | undefined {
  const top = childrenOf(root);
  if (top === undefined) return undefined;
  const out: ProcessState[] = [];
  const queue = [...top];
  const seen = new Set<number>();
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (seen.has(pid)) continue; // a pid reused mid-walk must not loop
    seen.add(pid);
    const stat = readStat(pid);
    if (stat === undefined) continue;
    out.push({ pid, state: stat.state });
    queue.push(...(childrenOf(pid) ?? []));
  }
  return out;
}

/**
 * True when `pid` has a child, zombies included; undefined when the kernel
 * cannot tell. A process without children has no descendants at all, so
 * this answers "is anything of ours left?" without walking the tree.
 */
export function hasChildren(pid: number): boolean | undefined {
  const children = childrenOf(pid);
  return children === undefined ? undefined : children.length > 0;
}

/** True when /proc shows our own PID namespace with us as its PID 1. */
export function procIsOurNamespace(): boolean {
  try {
    return readlinkSync('/proc/self') === '1';
  } catch {
    return false;
  }
}

/**
 * Every process of our namespace except ourselves and kernel threads; only
 * meaningful when procIsOurNamespace(). Zombies count (we or their parent
 * will reap them) unless their parent is outside the namespace (ppid 0, as
 * after `docker exec`): that parent reaps them, not us.
 */
export function namespaceProcesses(): ProcessState[] {
  const out: ProcessState[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || entry === '1') continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (stat === undefined || (stat.state === 'Z' && stat.ppid === 0) || (stat.flags & PF_KTHREAD) !== 0) continue;
    out.push({ pid, state: stat.state });
  }
  return out;
}
