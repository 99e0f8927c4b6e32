// No container left behind, on any path. Every container the probe makes
// carries two labels: the boot of this machine, and the probe process that
// owns it (pid and start time, which a reused pid does not share); its name
// says the same. The owner removes its containers when a run ends, and main
// when Ctrl-C ends the probe (cleanup.ts). For a probe that is SIGKILLed, a
// watchdog started with the first container removes them: it waits for EOF
// on a pipe from the probe, which the kernel gives it when the probe ends,
// however it ends. Should the watchdog be killed too, the next probe on this
// machine removes containers whose owner is gone. Containers without our
// labels, or made on another machine or boot, are never touched.
//
// The engine's own --rm is not used: the exit code and the logs must still
// be read after the container has stopped.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import { startTimeOf } from '../view/host.js';
import type { Engine } from './engine.js';

export const LABEL = 'ts-init-probe';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This boot of this machine (a remote engine may serve several machines). */
const BOOT = (read('/proc/sys/kernel/random/boot_id')?.trim() ?? hostname()).replace(/[^A-Za-z0-9-]/g, '');

const OWNER = `${process.pid}-${startTimeOf(process.pid) ?? '0'}`;
const NAME = /^ts-init-probe-(\d+)-(\d+)-/;
let made = 0;

/** A fresh container name that says which probe owns it. */
export function containerName(): string {
  made++;
  return `ts-init-probe-${OWNER}-${made}-${randomBytes(3).toString('hex')}`;
}

/** The `run` flags that mark a container as this probe's. */
export function labelArgs(): string[] {
  return ['--label', `${LABEL}.boot=${BOOT}`, '--label', `${LABEL}.owner=${OWNER}`];
}

function ownerAlive(pid: number, start: string): boolean {
  return startTimeOf(pid) === start;
}

// The watchdog: blocks on its stdin until the probe is gone, then removes
// whatever containers of the probe are still there.
const WATCHDOG = `e=$1 boot=$2 owner=$3; shift 3
cat >/dev/null
ids=$("$e" ps --all --quiet --filter "$boot" --filter "$owner" 2>/dev/null) || exit 0
[ -n "$ids" ] && exec "$e" "$@" $ids >/dev/null 2>&1`;

const guarded = new Set<string>();

/**
 * Once per engine and process, before the first container: removes the
 * containers of probes on this machine that ended without doing so, and
 * starts the watchdog for ours.
 */
export async function guardContainers(engine: Engine): Promise<void> {
  if (guarded.has(engine.bin)) return;
  guarded.add(engine.bin);
  const watchdog = spawn(
    'sh',
    ['-c', WATCHDOG, 'ts-init-probe-watchdog', engine.bin, `label=${LABEL}.boot=${BOOT}`, `label=${LABEL}.owner=${OWNER}`, ...engine.removeCommand()],
    {
      detached: true, // its own session: the Ctrl-C meant for the probe does not reach it
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  watchdog.on('error', () => undefined); // no sh: the other paths still clean up
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();

  const r = await engine.cli(['ps', '--all', '--filter', `label=${LABEL}.boot=${BOOT}`, '--format', '{{.Names}}'], 30_000);
  const stale = r.stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => {
      const m = NAME.exec(name);
      return m !== null && !ownerAlive(Number(m[1]), m[2] ?? '');
    });
  if (stale.length > 0) await engine.cli([...engine.removeCommand(), ...stale], 60_000);
}
