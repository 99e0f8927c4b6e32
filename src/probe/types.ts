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
}

export interface UserResult extends Check {
  readonly uid: number;
  readonly gid: number;
  /** The ids PROGRAM really runs with, undefined when it was gone. */
  readonly actual: { readonly uid: number; readonly gid: number } | undefined;
  /** `id -un` and `getent passwd UID` run as that user, in PROGRAM's environment. */
  readonly idUn: Lookup;
  readonly getent: Lookup;
}

export interface ReapingResult extends Check {
  /** Orphans made inside the namespace (each reparented to PID 1). */
  readonly created: number;
  /** Orphans that died and were collected. */
  readonly reaped: number;
  /** Orphans still zombies when the check gave up. */
  readonly zombiesLeft: number;
  /** Time from an orphan seen as a zombie to its disappearance (ms, sampled every SAMPLE_MS). */
  readonly reapMs: { readonly median: number; readonly max: number } | undefined;
  /** The most zombies (of ours) under PID 1 at one sample. */
  readonly maxZombiesAtOnce: number;
  /** Zombies stayed for a while and went in batches: PID 1 reaps on a timer, not on SIGCHLD. */
  readonly periodic: boolean;
  /** Zombies under PID 1 that the probe did not make (PROGRAM's own unreaped children). */
  readonly otherZombies: number;
  /** How often zombies were counted (ms). */
  readonly sampleMs: number;
}

export interface StopResult extends Check {
  /** Whether PID 1 had a SIGTERM handler when the signal was sent. */
  readonly pid1CatchesSigterm: boolean | undefined;
  /** Processes in the namespace when SIGTERM was sent, PID 1 included. */
  readonly processes: number;
  /** SIGTERM until the whole namespace was gone (ms); undefined when it had to be SIGKILLed. */
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

export interface ProbeRun {
  /** as-is: PROGRAM as PID 1; with-init: the init as PID 1, PROGRAM its child. */
  readonly label: 'as-is' | 'with-init';
  /** What ran as PID 1. */
  readonly argv: readonly string[];
  readonly pid1: Pid1Info | undefined;
  readonly start: StartResult;
  readonly user: UserResult | undefined;
  readonly reaping: ReapingResult | Check;
  readonly stop: StopResult | Check;
  readonly exit: ExitResult | Check;
  /** The last lines PROGRAM wrote (stdout, stderr), for when it misbehaved. */
  readonly output: { readonly stdout: string; readonly stderr: string };
}

export interface ProbeReport {
  readonly command: readonly string[];
  readonly namespace: NamespaceMode;
  readonly runs: readonly ProbeRun[];
  readonly advice: readonly string[];
  readonly passed: boolean;
  /** 0 when every check of every run passed, else 1. */
  readonly exitCode: 0 | 1;
}
