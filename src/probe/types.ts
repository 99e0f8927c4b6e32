// What the probe reports: the verdict of each check and its figures. Every
// module of the probe speaks these types; they depend on nothing else.

/** skip: the check could not run (PROGRAM was gone before it). */
export type Verdict = 'pass' | 'fail' | 'skip';

export interface Check {
  readonly verdict: Verdict;
  /** One line for the table: figures, or why it failed. */
  readonly summary: string;
}

/** root: plain PID namespace; userns: inside an unprivileged user namespace (not root). */
export type NamespaceMode = 'root' | 'userns';

export interface Readiness {
  /** How readiness was judged. */
  readonly how: 'settle' | 'port' | 'url';
  /** Whether PROGRAM was up (for settle: still running at the end). */
  readonly ready: boolean;
  /** Time from start until ready, or until we gave up (ms). */
  readonly ms: number;
}

export interface StartResult extends Check {
  readonly readiness: Readiness;
  /** PID 1's exit status when it ended on its own, before SIGTERM. */
  readonly earlyExit: { readonly code: number | undefined; readonly signal: string | undefined } | undefined;
}

/** What PID 1 was when the checks ran: the advice depends on it. */
export interface Pid1Info {
  readonly comm: string | undefined;
  /** The executable; for a script, its interpreter (comm is then the script's name). */
  readonly exe: string | undefined;
  readonly argv: readonly string[];
  /** Command names of PID 1's live children (not the probe's orphans). */
  readonly children: readonly string[];
}

export interface Lookup {
  readonly exitCode: number | undefined;
  /** stdout when it succeeded, else the first line of stderr. */
  readonly output: string;
  /** The command is not in the image (or not on PATH): nothing was asked. */
  readonly missing: boolean;
}

export interface UserResult extends Check {
  readonly uid: number;
  readonly gid: number;
  /** The ids PROGRAM really runs with, undefined when it was gone. */
  readonly actual: { readonly uid: number; readonly gid: number } | undefined;
  /** `id -un` and `getent passwd UID` run as that user, in PROGRAM's environment; undefined when PROGRAM was gone. */
  readonly idUn: Lookup | undefined;
  readonly getent: Lookup | undefined;
  /** PROGRAM's HOME and whether that user can write to it; undefined when it could not be looked at (no shell, no node). */
  readonly home: { readonly path: string | undefined; readonly writable: boolean } | undefined;
  /** Lines of PROGRAM's output that point at a failed user lookup or a permission problem. */
  readonly flagged: readonly string[];
}

export interface ReapingResult extends Check {
  /** Orphans made inside (each reparented to PID 1). */
  readonly created: number;
  /** Orphans that died and were collected. */
  readonly reaped: number;
  /** Orphans still zombies when the check gave up. */
  readonly zombiesLeft: number;
  /** Time from an orphan seen as a zombie to its disappearance (ms, sampled every sampleMs). */
  readonly reapMs: { readonly median: number; readonly max: number } | undefined;
  /** The most zombies (of ours) under PID 1 at one sample. */
  readonly maxZombiesAtOnce: number;
  /** Zombies stayed for a while and went in batches: PID 1 reaps on a timer, not on SIGCHLD. */
  readonly periodic: boolean;
  /** Zombies under PID 1 that the probe did not make (PROGRAM's own unreaped children). */
  readonly otherZombies: number;
  /** How often zombies were counted (ms): 20 through this machine's /proc, slower through `exec`. */
  readonly sampleMs: number;
  /** How the orphans were made: with the target's sh, or with its node when it has no shell. */
  readonly madeWith: 'sh' | 'node';
}

export interface StopResult extends Check {
  /** Whether PID 1 had a SIGTERM handler when the signal was sent. */
  readonly pid1CatchesSigterm: boolean | undefined;
  /** Processes inside when SIGTERM was sent, PID 1 included; undefined when they could not be counted. */
  readonly processes: number | undefined;
  /** SIGTERM until everything inside was gone (ms; for a container, the engine's whole `stop` command); undefined when it had to be SIGKILLed. */
  readonly stopMs: number | undefined;
  /** The stop timeout passed and PID 1 was SIGKILLed. */
  readonly killed: boolean;
  readonly stopTimeoutMs: number;
}

export interface ExitResult extends Check {
  /** exit(N) of PID 1, or undefined when a signal killed it. */
  readonly code: number | undefined;
  readonly signal: string | undefined;
  /** The code `docker ps`/`docker inspect` would show: N, or 128 + signal. */
  readonly runtimeCode: number;
}

/**
 * as-is: PROGRAM (or the image) as it is; with-init: ts-init in front of it;
 * engine-init: the engine's own --init (tini under Docker, catatonit under podman).
 */
export type RunLabel = 'as-is' | 'with-init' | 'engine-init';

/** How long each check took (ms), for people and for CI reports. */
export type Timings = Partial<Record<'start' | 'user' | 'reaping' | 'stop' | 'exit', number>>;

export interface ProbeRun {
  readonly label: RunLabel;
  /** The column heading: "as PID 1", "behind ts-init", "with --init (catatonit)". */
  readonly heading: string;
  /** What ran as PID 1 (host mode), or the engine's command line (image mode). */
  readonly argv: readonly string[];
  readonly pid1: Pid1Info | undefined;
  readonly start: StartResult;
  readonly user: UserResult | undefined;
  readonly reaping: ReapingResult | Check;
  readonly stop: StopResult | Check;
  readonly exit: ExitResult | Check;
  /** The first and last lines PROGRAM wrote (stdout, stderr), for when it misbehaved. */
  readonly output: { readonly stdout: string; readonly stderr: string };
  readonly timings: Timings;
}

/** What the checks ran on: a program on this machine, or an image through a container engine. */
export type ProbeTarget =
  | { readonly kind: 'namespace'; readonly mode: NamespaceMode }
  | {
      readonly kind: 'image';
      readonly image: string;
      readonly engine: 'docker' | 'podman';
      /**
       * host-proc: zombies counted in this machine's /proc (local engine); exec: through `exec` into the container;
       * undefined when no container lived long enough to tell.
       */
      readonly observedThrough: 'host-proc' | 'exec' | undefined;
    };

export interface ProbeReport {
  /** PROGRAM and its arguments; in image mode the CMD override (empty: the image's own). */
  readonly command: readonly string[];
  readonly target: ProbeTarget;
  /** The namespace kind in host mode (kept for scripts that read it); undefined in image mode. */
  readonly namespace: NamespaceMode | undefined;
  readonly runs: readonly ProbeRun[];
  readonly advice: readonly string[];
  readonly passed: boolean;
  /** 0 when every check of every run passed, else 1. */
  readonly exitCode: 0 | 1;
}
