// The reaping check: make orphans inside the way `docker exec` leaves them
// behind, then watch whether PID 1 collects them once they die.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Check, ReapingResult, Verdict } from '../types.js';
import type { Proc, Target } from '../target.js';

// Orphans die one after another over this span, so that a reaper working on a
// timer (some reap once a second) shows zombies piling up between its rounds.
const FIRST_DEATH_MS = 300;
const DEATH_SPREAD_MS = 1200;
// A SIGCHLD-driven reaper collects within a few ms even on a loaded machine;
// a zombie that lasts this long was found by a periodic sweep.
const PERIODIC_MS = 250;
// ...and was seen as a zombie by this many samples: one stall of the probe's
// own sampling (a loaded machine) must not pass for a reaper's timer. Only
// looks of PERIODIC_SAMPLE_MS or faster (this machine's /proc) can tell.
const PERIODIC_SAMPLES = 5;
const PERIODIC_SAMPLE_MS = 50;

// ( cmd & ): the subshell starts cmd and exits at once, so cmd is orphaned
// and the kernel hands it to PID 1, as with `docker exec`. $! is cmd's pid
// as numbered inside, which the sampling below looks for.
const SH_ORPHANS = 'for d; do (sleep "$d" </dev/null >/dev/null 2>&1 & echo $!); done';
// For an image without a shell (distroless): node spawns detached children
// that outlive it. Heavier (a Node process each) but the same orphans.
const NODE_ORPHANS =
  'const {spawn}=require("child_process");for(const d of process.argv.slice(1)){' +
  'const c=spawn(process.execPath,["-e","setTimeout(()=>{},"+Math.round(Number(d)*1000)+")"],{detached:true,stdio:"ignore"});' +
  'console.log(c.pid);c.unref()}';

/** Why orphans could not be made, when neither sh nor node exists inside. */
export const NO_SHELL = 'cannot make orphans in this image: no shell (sh) and no node to start them with';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

type Made = { readonly pids: readonly number[]; readonly madeWith: 'sh' | 'node' } | { readonly problem: string; readonly missing: boolean };

/** Makes `count` orphans inside; returns their pids as numbered inside. */
async function makeOrphans(target: Target, count: number): Promise<Made> {
  const lives = Array.from({ length: count }, (_, i) => ((FIRST_DEATH_MS + (i * DEATH_SPREAD_MS) / count) / 1000).toFixed(3));
  const tries = [
    { madeWith: 'sh' as const, argv: ['sh', '-c', SH_ORPHANS, 'sh', ...lives] },
    { madeWith: 'node' as const, argv: ['node', '-e', NODE_ORPHANS, ...lives] },
  ];
  let problem = '';
  for (const { madeWith, argv } of tries) {
    const r = await target.exec(argv, { timeoutMs: 30_000 });
    if (r.missing) continue;
    const pids = r.stdout
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
    if (pids.length > 0) return { pids, madeWith };
    problem = `${madeWith} made no orphans (exit ${String(r.exitCode)}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0] ?? ''}` : ''})`;
    break;
  }
  return problem === '' ? { problem: NO_SHELL, missing: true } : { problem, missing: false };
}

/** What sampling PID 1's children saw of the orphans. */
interface Sightings {
  /** Orphans no longer among PID 1's children: reaped. */
  readonly gone: ReadonlySet<number>;
  /** For each reaped orphan, how long it was seen as a zombie (0: never). */
  readonly lingered: readonly number[];
  /** How many samples saw each orphan as a zombie. */
  readonly zombieSamples: ReadonlyMap<number, number>;
  readonly maxZombies: number;
  /** PID 1's children at the last look. */
  readonly last: readonly Proc[];
  readonly looks: number;
}

/** Samples PID 1's children until every tracked orphan is gone, `giveUpAt` has passed, or PID 1 has ended. */
async function watchOrphans(target: Target, tracked: readonly number[], first: readonly Proc[], giveUpAt: number): Promise<Sightings> {
  const sampleMs = target.view.sampleMs;
  const zombieSince = new Map<number, number>();
  const zombieSamples = new Map<number, number>();
  const lingered: number[] = [];
  const gone = new Set<number>();
  let maxZombies = 0;
  let last = first;
  let looks = 0;
  while (gone.size < tracked.length && performance.now() < giveUpAt && !(await target.ended())) {
    const now = performance.now();
    const states = new Map(last.map((p) => [p.pid, p.state]));
    let zombies = 0;
    for (const pid of tracked) {
      if (gone.has(pid)) continue;
      const state = states.get(pid);
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
    if (gone.size === tracked.length) break;
    if (sampleMs > 0) await sleep(sampleMs);
    last = await target.view.children();
    looks++;
  }
  return { gone, lingered, zombieSamples, maxZombies, last, looks };
}

export async function checkReaping(target: Target, count: number, reapTimeoutMs: number): Promise<ReapingResult | Check> {
  const sampleMs = target.view.sampleMs;
  const made = await makeOrphans(target, count);
  if ('problem' in made) {
    // exec needs a live PID 1; the start check fails for its early end.
    if (await target.ended()) return { verdict: 'skip', summary: 'not run: PID 1 exited before orphans could be made' };
    return { verdict: made.missing ? 'skip' : 'fail', summary: made.problem };
  }
  const ours = new Set(made.pids);
  const created = made.pids.length;
  const madeAt = performance.now();
  const first = await target.view.children();
  // Ours that are PID 1's children now; one already gone was reaped at once.
  const tracked = first.filter((p) => ours.has(p.pid)).map((p) => p.pid);
  const { gone, lingered, zombieSamples, maxZombies, last, looks } = await watchOrphans(
    target,
    tracked,
    first,
    madeAt + FIRST_DEATH_MS + DEATH_SPREAD_MS + reapTimeoutMs,
  );
  // Through this machine's /proc the nominal 20 ms; through exec, what a look really took.
  const interval = sampleMs > 0 ? sampleMs : (performance.now() - madeAt) / Math.max(1, looks);
  const final = new Map(last.map((p) => [p.pid, p.state]));
  const zombiesLeft = tracked.filter((pid) => !gone.has(pid) && final.get(pid) === 'Z').length;
  const stillAlive = tracked.filter((pid) => !gone.has(pid) && final.get(pid) !== 'Z' && final.get(pid) !== undefined).length;
  // Orphans reaped before the first look never showed up in `tracked`.
  const reaped = created - zombiesLeft - stillAlive;
  const otherZombies = last.filter((p) => p.state === 'Z' && !ours.has(p.pid)).length;
  const reapMs = lingered.length > 0 ? { median: median(lingered), max: Math.max(...lingered) } : undefined;
  const mostSamples = Math.max(0, ...zombieSamples.values());
  const periodic = interval <= PERIODIC_SAMPLE_MS && zombiesLeft === 0 && reapMs !== undefined && reapMs.max >= PERIODIC_MS && mostSamples >= PERIODIC_SAMPLES;
  const ms = (n: number): string => `${Math.round(n)} ms`;
  let verdict: Verdict;
  let summary: string;
  if (await target.ended()) {
    verdict = 'fail';
    summary = `PID 1 exited during the check (${reaped}/${created} reaped)`;
  } else if (zombiesLeft > 0 || stillAlive > 0) {
    verdict = 'fail';
    summary = `${reaped}/${created} reaped, ${zombiesLeft} zombies left after ${ms(reapTimeoutMs)}`;
  } else {
    verdict = 'pass';
    const speed = (reapMs?.max ?? 0) === 0 ? `each within ${ms(interval)}` : `zombies lasted up to ${ms(reapMs?.max ?? 0)}`;
    summary = `${reaped}/${created} reaped, ${speed}${periodic ? ` (periodic: up to ${maxZombies} at once)` : ''}`;
  }
  return {
    verdict,
    summary,
    created,
    reaped,
    zombiesLeft,
    reapMs,
    maxZombiesAtOnce: maxZombies,
    periodic,
    otherZombies,
    sampleMs: Math.round(interval),
    madeWith: made.madeWith,
  };
}
