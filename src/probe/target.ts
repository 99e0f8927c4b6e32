// What the checks need from the thing they probe, whatever it runs in: a
// PID namespace on this machine (namespace.ts) or a container started by an
// engine (engine/container.ts); a Kubernetes pod through kubectl would be one
// more implementation. The checks see pids as numbered inside (PID 1 is 1).

/** How PID 1 ended. */
export interface Ending {
  /** exit(N), or undefined when a signal killed it. */
  readonly code: number | undefined;
  /** The signal that killed it, e.g. SIGKILL. */
  readonly signal: string | undefined;
  /** What a container runtime reports: N, or 128 + the signal's number. */
  readonly runtimeCode: number;
  /** PROGRAM could not be executed at all: what said so. */
  readonly execFailure: string | undefined;
}

export interface ExecResult {
  /** undefined when the command was killed (timeout). */
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** The program to run does not exist inside (not on PATH, or no such file). */
  readonly missing: boolean;
}

export interface ExecOptions {
  /** Run as this user (numeric), as `docker exec -u`; default: the target's user. */
  readonly user?: { readonly uid: number; readonly gid: number };
  /** PROGRAM's environment to run with (a container sets only the variables user lookups read, on top of its own). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** One process inside, as /proc shows it there. */
export interface Proc {
  readonly pid: number;
  readonly state: string;
  readonly comm: string;
  /** Empty while it is still inside execve() (the kernel sets argv last), and for zombies. */
  readonly argv: readonly string[];
}

export interface Pid1Facts {
  readonly comm: string | undefined;
  readonly exe: string | undefined;
  readonly argv: readonly string[];
  /** Whether PID 1 has a SIGTERM handler (its SigCgt mask). */
  readonly catchesSigterm: boolean | undefined;
  /** Processes inside, PID 1 included (not counting the probe's own `exec`s). */
  readonly processes: number | undefined;
}

/** Reading the processes inside: this machine's /proc, or /proc inside through `exec`. */
export interface ProcessView {
  /** How long one look takes, about: 20 ms through this machine's /proc, an `exec` round trip otherwise. */
  readonly sampleMs: number;
  /** Every child of PID 1, zombies included. */
  children(): Promise<Proc[]>;
  pid1(): Promise<Pid1Facts>;
  /** The environment a process runs with; undefined when it is gone or cannot be read. */
  environment(pid: number): Promise<Record<string, string> | undefined>;
  /** Real uid and gid. */
  ids(pid: number): Promise<{ uid: number; gid: number } | undefined>;
}

/** Where, from this machine, a port inside is reached. */
export interface Address {
  readonly host: string;
  readonly port: number;
  /** Through a proxy that may accept connections before anything listens inside (Docker's docker-proxy). */
  readonly proxied?: boolean;
}

export interface StopOutcome {
  /** From the stop request until everything inside was gone (ms); undefined when it was SIGKILLed. */
  readonly stopMs: number | undefined;
  readonly killed: boolean;
  /** The grace period really used (engines take whole seconds). */
  readonly stopTimeoutMs: number;
}

export interface Target {
  readonly view: ProcessView;
  /** host-proc: PID 1 is in this machine's /proc; exec: it is read through `exec` (a remote engine); undefined: PID 1 was gone before it could be told. */
  readonly observedThrough: 'host-proc' | 'exec' | undefined;
  /** Whether PID 1 has ended. */
  ended(): Promise<boolean>;
  /** Where, from this machine, a server listening on `port` inside is reached. */
  hostAddress(port: number): Promise<Address | undefined>;
  /** Runs argv inside, entering it as `docker exec` does. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Stops PID 1 as the runtime does: SIGTERM, then SIGKILL after the grace period. */
  stop(stopTimeoutMs: number): Promise<StopOutcome>;
  /** How PID 1 ended; waits for it to end. */
  ending(weKilled: boolean): Promise<Ending>;
  /** PROGRAM's output so far (first and last lines of each stream). */
  output(): Promise<{ readonly stdout: string; readonly stderr: string }>;
  /** Removes everything that was started; safe to call twice. */
  dispose(): Promise<void>;
}

/** One column of the report: what to start, or why it cannot be. */
export interface RunPlan {
  readonly label: 'as-is' | 'with-init' | 'engine-init';
  readonly heading: string;
  /** What runs (for the report). */
  readonly argv: readonly string[];
  /** Set when this run cannot happen (e.g. the image has no node for ts-init): the column says why. */
  readonly unavailable?: string;
  /** Whether PROGRAM is PID 1's child rather than PID 1 (an init in front). */
  readonly initInFront: boolean;
  start(): Promise<Target>;
}
