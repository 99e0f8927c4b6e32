// What the probe leaves outside itself while it runs (a namespace, a
// container, a temporary directory) is registered here as an undo step.
// Each step is removed again by the code that made it, in its `finally`;
// when SIGINT, SIGTERM or SIGHUP ends the probe instead, main runs the steps
// still registered before it exits, since process.exit() skips every
// `finally` (issue 12, defect 9). SIGKILL runs nothing: the namespace holder
// dies by its parent-death signal, containers by the watchdog (engine/leftovers.ts).

export type Undo = () => void | Promise<void>;

const pending = new Set<Undo>();

/** Registers `undo`; the returned function runs it once and unregisters it. */
export function whenInterrupted(undo: Undo): () => Promise<void> {
  pending.add(undo);
  let done: Promise<void> | undefined;
  return () => {
    if (done === undefined) {
      pending.delete(undo);
      done = Promise.resolve().then(undo);
    }
    return done;
  };
}

/** Runs every step still registered, all at once; resolves when they have finished or `limitMs` has passed. */
export async function undoAll(limitMs: number): Promise<void> {
  const steps = [...pending];
  pending.clear();
  const all = Promise.allSettled(steps.map((undo) => Promise.resolve().then(undo)));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
  clearTimeout(timer);
}
