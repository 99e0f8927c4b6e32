// The reaping check: make orphans inside the namespace the way `docker exec`
// leaves them behind, then watch whether PID 1 collects them once they die.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { which } from '../../shared/path.js';
import { childrenOf, commOf, stateOf } from '../../shared/proc.js';
import { enter, ProbeEnvironmentError, type Namespace } from '../namespace.js';
import type { ReapingResult, Verdict } from '../types.js';


/** The orphans' command name: distinctive, and kept by the kernel even for a zombie. */
export const ORPHAN_COMM = 'ts-probe-orphan';
const SAMPLE_MS = 20;
// Orphans die one after another over this span, so that a reaper working on a
// timer (some reap once a second) shows zombies piling up between its rounds.
const FIRST_DEATH_MS = 300;
const DEATH_SPREAD_MS = 1200;
// A SIGCHLD-driven reaper collects within a few ms even on a loaded machine;
// a zombie that lasts this long was found by a periodic sweep.
const PERIODIC_MS = 250;
// ...and was seen as a zombie by this many samples: one stall of the probe's
// own sampling (a loaded machine) must not pass for a reaper's timer.
const PERIODIC_SAMPLES = 5;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function ourOrphans(pid1: number): number[] {
  return childrenOf(pid1).filter((pid) => commOf(pid) === ORPHAN_COMM);
}

/** Makes `count` orphans in the namespace; returns how many the shell made. */
async function makeOrphans(ns: Namespace, pid1: number, count: number, dir: string): Promise<number> {
  const sleepPath = which('sleep');
  if (sleepPath === undefined) throw new ProbeEnvironmentError('sleep (coreutils) is not installed');
  const orphan = join(dir, ORPHAN_COMM);
  // exec'ing through a symlink gives the process the link's name as its comm.
  symlinkSync(sleepPath, orphan);
  const lives = Array.from({ length: count }, (_, i) => ((FIRST_DEATH_MS + (i * DEATH_SPREAD_MS) / count) / 1000).toFixed(3));
  // ( cmd & ): the subshell starts cmd and exits at once, so cmd is orphaned
  // and the kernel hands it to the namespace's PID 1, as with `docker exec`.
  const script = 'o=$1; shift; n=0; for d; do ("$o" "$d" </dev/null >/dev/null 2>&1 &) && n=$((n+1)); done; echo "made $n"';
  const inside = enter(ns.mode, pid1);
  const r = await execa(inside.file, [...inside.args, 'sh', '-c', script, 'sh', orphan, ...lives], {
    reject: false,
    timeout: 10_000,
    killSignal: 'SIGKILL',
    stdin: 'ignore',
  });
  const made = /made (\d+)/.exec(r.stdout);
  if (!made) {
    const why = r.stderr.trim().split('\n')[0] ?? '';
    throw new ProbeEnvironmentError(`could not enter the namespace to make orphans (nsenter exit ${String(r.exitCode)}${why ? `: ${why}` : ''})`);
  }
  return Number(made[1]);
}

export async function checkReaping(ns: Namespace, pid1: number, count: number, reapTimeoutMs: number): Promise<ReapingResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-probe-'));
  try {
    let created: number;
    try {
      created = await makeOrphans(ns, pid1, count, dir);
    } catch (error) {
      // nsenter needs a live PID 1 to enter its namespace.
      if (!ns.ended()) throw error;
      return { verdict: 'fail', summary: 'PID 1 exited before orphans could be made', created: 0, reaped: 0, zombiesLeft: 0, reapMs: undefined, maxZombiesAtOnce: 0, periodic: false, otherZombies: 0, sampleMs: SAMPLE_MS };
    }
    const madeAt = performance.now();
    const tracked = ourOrphans(pid1);
    const zombieSince = new Map<number, number>();
    const zombieSamples = new Map<number, number>();
    const lingered: number[] = [];
    const gone = new Set<number>();
    let maxZombies = 0;
    const giveUpAt = madeAt + FIRST_DEATH_MS + DEATH_SPREAD_MS + reapTimeoutMs;
    while (gone.size < tracked.length && performance.now() < giveUpAt && !ns.ended()) {
      const now = performance.now();
      let zombies = 0;
      for (const pid of tracked) {
        if (gone.has(pid)) continue;
        const state = commOf(pid) === ORPHAN_COMM ? stateOf(pid) : undefined;
        if (state === undefined) {
          gone.add(pid);
          const since = zombieSince.get(pid);
          // Gone between two samples without being seen as a zombie: reaped at once.
          lingered.push(since === undefined ? 0 : now - since);
        } else if (state === 'Z') {
          zombies++;
          if (!zombieSince.has(pid)) zombieSince.set(pid, now);
          zombieSamples.set(pid, (zombieSamples.get(pid) ?? 0) + 1);
        }
      }
      maxZombies = Math.max(maxZombies, zombies);
      await sleep(SAMPLE_MS);
    }
    const zombiesLeft = tracked.filter((pid) => !gone.has(pid) && stateOf(pid) === 'Z').length;
    const stillAlive = tracked.filter((pid) => !gone.has(pid) && stateOf(pid) !== 'Z' && stateOf(pid) !== undefined).length;
    // Orphans reaped before the first look never showed up in `tracked`.
    const reaped = created - zombiesLeft - stillAlive;
    const otherZombies = childrenOf(pid1).filter((pid) => stateOf(pid) === 'Z' && commOf(pid) !== ORPHAN_COMM).length;
    const reapMs = lingered.length > 0 ? { median: median(lingered), max: Math.max(...lingered) } : undefined;
    const mostSamples = Math.max(0, ...zombieSamples.values());
    const periodic = zombiesLeft === 0 && reapMs !== undefined && reapMs.max >= PERIODIC_MS && mostSamples >= PERIODIC_SAMPLES;
    const ms = (n: number): string => `${Math.round(n)} ms`;
    let verdict: Verdict;
    let summary: string;
    if (ns.ended()) {
      verdict = 'fail';
      summary = `PID 1 exited during the check (${reaped}/${created} reaped)`;
    } else if (zombiesLeft > 0 || stillAlive > 0) {
      verdict = 'fail';
      summary = `${reaped}/${created} reaped, ${zombiesLeft} zombies left after ${ms(reapTimeoutMs)}`;
    } else {
      verdict = 'pass';
      const speed = (reapMs?.max ?? 0) === 0 ? `each within ${SAMPLE_MS} ms` : `zombies lasted up to ${ms(reapMs?.max ?? 0)}`;
      summary = `${reaped}/${created} reaped, ${speed}${periodic ? ` (periodic: up to ${maxZombies} at once)` : ''}`;
    }
    return { verdict, summary, created, reaped, zombiesLeft, reapMs, maxZombiesAtOnce: maxZombies, periodic, otherZombies, sampleMs: SAMPLE_MS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
