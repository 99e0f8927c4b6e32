// Concrete advice from the verdicts: what to change in the image so that
// the failing check passes. The same for host and image mode; only the
// ENTRYPOINT line differs (for an image it keeps the image's own entrypoint).
import { basename } from 'node:path';
import { NO_SHELL } from './checks/reaping.js';
import type { ResolvedOptions } from './options.js';
import type { ExitResult, ProbeRun, ReapingResult, StopResult } from './types.js';

export interface AdviceContext {
  /** The ENTRYPOINT line that puts ts-init in front: `ENTRYPOINT ["ts-init", "--"]`, or with the image's entrypoint after `--`. */
  readonly entrypoint: string;
  /** The engine in image mode. */
  readonly engine: 'docker' | 'podman' | undefined;
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);
const FIX_USER = 'ts-init --fix-user (ENV TS_INIT_FIX_USER=1 with ts-init as the ENTRYPOINT) gives it a name and a writable HOME through nss_wrapper';

function isReaping(c: ProbeRun['reaping']): c is ReapingResult {
  return 'created' in c;
}
function isStop(c: ProbeRun['stop']): c is StopResult {
  return 'killed' in c;
}
function isExit(c: ProbeRun['exit']): c is ExitResult {
  return 'runtimeCode' in c;
}

/** The runs that the as-is run is compared with. */
interface Compared {
  /** ts-init in front. */
  readonly init: ProbeRun | undefined;
  /** The engine's --init in front. */
  readonly engineInit: ProbeRun | undefined;
}

function use(ctx: AdviceContext): string {
  return ctx.engine === undefined ? `use ${ctx.entrypoint} in front of it` : `use ${ctx.entrypoint}`;
}

/** " (with ts-init: stopped in 120 ms; with podman run --init (catatonit): …)", from the compared runs that stopped. */
function stoppedWith(ctx: AdviceContext, compared: Compared): string {
  const parts: string[] = [];
  const add = (run: ProbeRun | undefined, name: string): void => {
    const s = run?.stop;
    if (s !== undefined && isStop(s) && s.stopMs !== undefined) parts.push(`with ${name}: stopped in ${Math.round(s.stopMs)} ms`);
  };
  add(compared.init, ctx.engine === undefined ? 'ts-init' : ctx.entrypoint);
  add(compared.engineInit, `${ctx.engine ?? 'docker'} run ${compared.engineInit?.heading.replace(/^with /, '') ?? '--init'}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** What an image lacks for ts-init, as the reaping check found out (it looked for sh and node). */
function imageLacks(run: ProbeRun, ctx: AdviceContext): string[] {
  if (ctx.engine === undefined) return [];
  const r = run.reaping;
  if (isReaping(r) && r.madeWith === 'node') {
    return ['This image has no /bin/sh, which ts-init needs as it ships now: its launcher (bin/ts-init) is a /bin/sh script that starts node.'];
  }
  if (!isReaping(r) && r.summary === NO_SHELL) {
    return [
      `This image has neither /bin/sh nor node, which ts-init needs: add them, or use a static init (tini-static as ENTRYPOINT, or ${ctx.engine} run --init).`,
    ];
  }
  return [];
}

function reapingAdvice(run: ProbeRun, ctx: AdviceContext, compared: Compared | undefined): string[] {
  const r = run.reaping;
  if (!isReaping(r)) {
    if (r.summary === NO_SHELL) {
      return [
        'The image has neither sh nor node, so the probe could not leave orphans in it: reaping was not checked. An image that never starts other processes makes no zombies; one that does needs an init as PID 1.',
      ];
    }
    return [];
  }
  const who = run.pid1?.comm ?? 'PID 1';
  if (r.verdict === 'fail' && r.zombiesLeft > 0 && compared === undefined) {
    return [`Even behind ts-init, ${r.zombiesLeft} zombies were left: is the init really PID 1?`];
  }
  if (r.verdict === 'fail' && r.zombiesLeft > 0) {
    const proof =
      compared?.init === undefined ? ' (--with-init shows the difference)' : compared.init.reaping.verdict === 'pass' ? ' (with ts-init: all reaped)' : '';
    return [`PID 1 (${who}) never waits for orphans, so zombies pile up until the pid table is full: ${use(ctx)}${proof}.`];
  }
  if (r.periodic) {
    return [
      `PID 1 (${who}) reaps on a timer, not on SIGCHLD: zombies stayed up to ${Math.round(r.reapMs?.max ?? 0)} ms, ${r.maxZombiesAtOnce} at once. ` +
        'Fine at low rates; under a burst of short-lived processes they pile up. ts-init reaps on every SIGCHLD.',
    ];
  }
  return [];
}

function stopAdvice(run: ProbeRun, o: ResolvedOptions, ctx: AdviceContext, compared: Compared | undefined): string[] {
  const s = run.stop;
  if (!isStop(s) || s.verdict !== 'fail') return [];
  const comm = run.pid1?.comm ?? 'PID 1';
  const shell = basename(run.pid1?.exe ?? '');
  const child = run.pid1?.children[0];
  const stop = ctx.engine === undefined ? 'docker stop' : `${ctx.engine} stop`;
  const wait = `${stop} waits ${Number((s.stopTimeoutMs / 1000).toFixed(1))} s and then SIGKILLs everything`;
  if (compared === undefined) {
    const program = o.image !== undefined ? 'the program' : (o.command[0] ?? 'PROGRAM');
    return [
      `Even behind ts-init, ${program} ignores the SIGTERM forwarded to it: give it a SIGTERM handler, let ts-init signal its whole process group (ts-init -g) when a wrapper swallows the signal, or stop it with the signal it expects (ts-init -r TERM:QUIT, or STOPSIGNAL in the Dockerfile).`,
    ];
  }
  const fix = stoppedWith(ctx, compared);
  if (SHELLS.has(shell) && child !== undefined) {
    const argv = run.pid1?.argv ?? [];
    const how =
      argv[1] === '-c'
        ? `your \`sh -c\` command needs \`exec\`: sh -c 'exec ${child} …', so that ${child} replaces the shell as PID 1`
        : `your shell script (${basename(argv[1] ?? comm)}) needs \`exec\` in front of the command that starts ${child} (exec ${child} …), so that ${child} replaces the shell as PID 1`;
    return [
      `PID 1 is a shell (${shell}) running ${child} as its child; as PID 1 the shell ignores SIGTERM and never passes it on, so ${wait}. Either ${how}, or ${use(ctx)}${fix}.`,
    ];
  }
  if (s.pid1CatchesSigterm === true) {
    const node = comm === 'node' || comm.startsWith('node') ? " Node as PID 1 ignores SIGTERM unless JS listens for it: process.on('SIGTERM', …)." : '';
    return [`PID 1 (${comm}) catches SIGTERM but kept running, so ${wait}.${node} Make the handler exit, or ${use(ctx)}${fix}.`];
  }
  return [
    `PID 1 (${comm}) has no SIGTERM handler, and the kernel does not apply default signal actions to PID 1, so ${wait}: ${use(ctx)}${fix}, or handle SIGTERM in the program.`,
  ];
}

function exitAdvice(run: ProbeRun): string[] {
  const e = run.exit;
  if (!isExit(e) || e.verdict !== 'fail' || e.signal === 'SIGKILL') return [];
  if (e.signal !== undefined) return [`PID 1 died of ${e.signal} while stopping: a runtime shows ${e.runtimeCode}.`];
  return [
    `PID 1 exits ${e.runtimeCode} on SIGTERM, which restart policies and orchestrators read as a crash. ` +
      `If ${e.runtimeCode} is its clean stop, map it to 0: ENTRYPOINT ["ts-init", "-e", "${e.runtimeCode}", "--"].`,
  ];
}

function userAdvice(run: ProbeRun, compared: Compared | undefined): string[] {
  const u = run.user;
  if (u === undefined) return [];
  const even = compared === undefined ? 'Even behind ts-init --fix-user: is libnss-wrapper installed in the image? ' : '';
  if (u.flagged.length > 0) {
    return [
      `${even}As UID ${u.uid} (no passwd entry, group ${u.gid}) PROGRAM reported: "${u.flagged[0] ?? ''}". If it looks its user up, ${FIX_USER}; if it writes files, make them group ${u.gid} writable (chgrp -R 0, chmod -R g=u).`,
    ];
  }
  if (u.verdict === 'fail')
    return [`PROGRAM did not run as ${u.uid}:${u.gid}: make its files readable and executable by group ${u.gid} (chgrp -R 0, chmod -R g=u).`];
  const out: string[] = [];
  if (u.idUn !== undefined && !u.idUn.missing && u.idUn.exitCode !== 0) {
    const fixed = compared?.init?.user?.idUn?.exitCode === 0 ? ` (behind ts-init --fix-user: \`id -un\` → ${compared.init.user.idUn.output})` : '';
    const fix = compared === undefined ? 'Even behind ts-init: is libnss-wrapper installed?' : `${FIX_USER}${fixed}; or add an entry at start-up.`;
    out.push(`UID ${u.uid} has no passwd entry (\`id -un\`: ${u.idUn.output || 'no name'}): whoami, getpass.getuser(), os.userInfo() fail. ${fix}`);
  }
  if (u.home !== undefined && !u.home.writable) {
    out.push(`HOME (${u.home.path ?? 'unset'}) is not writable for UID ${u.uid}: ~/.npm, ~/.cache and the like fail. ${FIX_USER}.`);
  }
  return out;
}

function startAdvice(run: ProbeRun): string[] {
  if (run.start.verdict !== 'fail') return [];
  const early = run.start.earlyExit;
  if (early !== undefined && (early.code === 126 || early.code === 127)) {
    return [
      `PID 1 could not be executed (${early.code === 127 ? 'not found' : 'not executable'}, exit ${early.code}): check the command, its PATH and its mode (ENTRYPOINT and CMD in an image).`,
    ];
  }
  if (early?.code === 0) {
    return [
      'PID 1 exited 0 before it could be checked: an entrypoint must keep running, the container lives as long as PID 1. If it forks into the background (daemonizes), run it in the foreground (nginx -g "daemon off;", apachectl -DFOREGROUND, …).',
    ];
  }
  if (early !== undefined) {
    const how = early.signal !== undefined ? `was killed by ${early.signal}` : `exited ${String(early.code)}`;
    return [`PID 1 ${how} before it could be checked: its output, shown above, says why.`];
  }
  return [`PROGRAM never became ready: check --ready-url/--ready-port, or raise --ready-timeout.`];
}

export function adviceFor(runs: readonly ProbeRun[], o: ResolvedOptions, ctx: AdviceContext): string[] {
  const asIs = runs.find((r) => r.label === 'as-is');
  const compared: Compared = { init: runs.find((r) => r.label === 'with-init'), engineInit: runs.find((r) => r.label === 'engine-init') };
  const out: string[] = [];
  for (const run of runs) {
    // The engine's --init is a column to compare with; a column that could not run says why in the table.
    if (run.label === 'engine-init' || run.start.verdict === 'skip') continue;
    if (run.label === 'with-init' && asIs !== undefined && run.start.verdict === 'fail' && asIs.start.verdict === 'fail') continue;
    out.push(...startAdvice(run));
    // The as-is run is compared with the others; the with-init run's own failures stand alone.
    const with_ = run.label === 'as-is' ? compared : undefined;
    out.push(...userAdvice(run, with_));
    out.push(...reapingAdvice(run, ctx, with_));
    out.push(...stopAdvice(run, o, ctx, with_));
    out.push(...exitAdvice(run));
    if (run.label === 'as-is') out.push(...imageLacks(run, ctx));
  }
  const unique = [...new Set(out)];
  return unique.length > 0 ? unique : ['Nothing to fix: PID 1 reaps orphans, stops on SIGTERM and exits cleanly.'];
}
