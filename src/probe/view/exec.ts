// The processes inside, read from /proc inside through `exec`: for an engine
// that does not run on this machine (Docker Desktop, a remote DOCKER_HOST),
// whose State.Pid means nothing here. Needs sh in the image (tr for argv and
// the environment); each look costs one `exec` round trip.
import { parseSignalSet, SIGTERM } from '../../shared/signals.js';
import type { ExecResult, Pid1Facts, Proc, ProcessView } from '../target.js';

export type Exec = (argv: readonly string[]) => Promise<ExecResult>;

// One script, one mode per question. /proc/PID/stat is read whole with a
// builtin; cmdline and environ have NULs, turned into \001 and \n by tr.
const SCRIPT = `
case $1 in
snapshot)
  for d in /proc/[0-9]*; do
    read -r s < "$d/stat" 2>/dev/null || continue
    echo "S $s"
    printf 'C %s ' "\${d#/proc/}"; tr '\\000' '\\001' < "$d/cmdline" 2>/dev/null; echo
  done ;;
status)
  echo "E $(readlink "/proc/$2/exe" 2>/dev/null)"
  while read -r k v; do case $k in SigCgt:|Uid:|Gid:) echo "$k $v" ;; esac; done < "/proc/$2/status" ;;
environ)
  tr '\\000' '\\n' < "/proc/$2/environ" ;;
esac`;

interface Row {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  argv: string[];
}

function parseSnapshot(text: string): Map<number, Row> {
  const rows = new Map<number, Row>();
  for (const line of text.split('\n')) {
    if (line.startsWith('S ')) {
      const stat = line.slice(2);
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const [state = '?', ppid = '0'] = stat.slice(close + 2).split(' ');
      const pid = Number(stat.slice(0, open).trim());
      if (Number.isInteger(pid)) rows.set(pid, { pid, comm: stat.slice(open + 1, close), state, ppid: Number(ppid), argv: [] });
    } else if (line.startsWith('C ')) {
      const space = line.indexOf(' ', 2);
      const row = rows.get(Number(line.slice(2, space)));
      const args = line.slice(space + 1).split('\u0001');
      if (args[args.length - 1] === '') args.pop();
      if (row !== undefined) row.argv = args;
    }
  }
  return rows;
}

export class ExecView implements ProcessView {
  readonly sampleMs = 0;

  constructor(private readonly exec: Exec) {}

  private async run(...args: string[]): Promise<string | undefined> {
    const r = await this.exec(['sh', '-c', SCRIPT, 'sh', ...args]);
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  async children(): Promise<Proc[]> {
    const rows = parseSnapshot((await this.run('snapshot')) ?? '');
    return [...rows.values()].filter((r) => r.ppid === 1).map(({ pid, state, comm, argv }) => ({ pid, state, comm, argv }));
  }

  private async status(pid: number): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const line of ((await this.run('status', String(pid))) ?? '').split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) out.set(line.slice(0, space).replace(/:$/, ''), line.slice(space + 1).trim());
    }
    return out;
  }

  async pid1(): Promise<Pid1Facts> {
    const rows = parseSnapshot((await this.run('snapshot')) ?? '');
    const status = await this.status(1);
    const mask = status.get('SigCgt');
    // PID 1 and its descendants; the exec'd processes have parent 0 (outside).
    const inside = new Set<number>([1]);
    for (let grew = true; grew;) {
      grew = false;
      for (const row of rows.values()) {
        if (!inside.has(row.pid) && inside.has(row.ppid)) {
          inside.add(row.pid);
          grew = true;
        }
      }
    }
    const pid1 = rows.get(1);
    return {
      comm: pid1?.comm,
      exe: status.get('E') || undefined,
      argv: pid1?.argv ?? [],
      catchesSigterm: mask === undefined ? undefined : parseSignalSet(mask).includes(SIGTERM),
      processes: pid1 === undefined ? undefined : inside.size,
    };
  }

  async environment(pid: number): Promise<Record<string, string> | undefined> {
    const text = await this.run('environ', String(pid));
    if (text === undefined) return undefined;
    const env: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return env;
  }

  async ids(pid: number): Promise<{ uid: number; gid: number } | undefined> {
    const status = await this.status(pid);
    const uid = status.get('Uid')?.split(/\s+/)[0];
    const gid = status.get('Gid')?.split(/\s+/)[0];
    return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
  }
}
