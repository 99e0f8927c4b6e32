// Concrete advice from the verdicts: what to change in the image so that
// the failing check passes.
import { basename } from 'node:path';
import type { ResolvedOptions } from './options.js';
import type { ExitResult, ProbeRun, ReapingResult, StopResult } from './types.js';

const ENTRYPOINT = 'use ENTRYPOINT ["ts-init", "--"] in front of it';
const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);

function isReaping(c: ProbeRun['reaping']): c is ReapingResult {
  return 'created' in c;
}
function isStop(c: ProbeRun['stop']): c is StopResult {
  return 'killed' in c;
}
function isExit(c: ProbeRun['exit']): c is ExitResult {
  return 'runtimeCode' in c;
}

/** `init` is the with-init run to compare with, when there is one and `run` is the as-is run. */
function reapingAdvice(run: ProbeRun, init: ProbeRun | undefined): string[] {
  const r = run.reaping;
  if (!isReaping(r)) return [];
  const who = run.pid1?.comm ?? 'PID 1';
  if (r.verdict === 'fail' && r.zombiesLeft > 0 && run.label === 'with-init') {
    return [`Even behind ts-init, ${r.zombiesLeft} zombies were left: is the init really PID 1?`];
  }
  if (r.verdict === 'fail' && r.zombiesLeft > 0) {
    const proof = init === undefined ? ' (--with-init shows the difference)' : init.reaping.verdict === 'pass' ? ' (with ts-init: all reaped)' : '';
    return [`PID 1 (${who}) never waits for orphans, so zombies pile up until the pid table is full: ${ENTRYPOINT}${proof}.`];
  }
  if (r.periodic) {
    return [
      `PID 1 (${who}) reaps on a timer, not on SIGCHLD: zombies stayed up to ${Math.round(r.reapMs?.max ?? 0)} ms, ${r.maxZombiesAtOnce} at once. ` +
        'Fine at low rates; under a burst of short-lived processes they pile up. ts-init reaps on every SIGCHLD.',
    ];
  }
  return [];
}

function stopAdvice(run: ProbeRun, o: ResolvedOptions, init: ProbeRun | undefined): string[] {
  const s = run.stop;
  if (!isStop(s) || s.verdict !== 'fail') return [];
  const comm = run.pid1?.comm ?? 'PID 1';
  const shell = basename(run.pid1?.exe ?? '');
  const child = run.pid1?.children[0];
  const wait = `docker stop waits ${Number((o.stopTimeoutMs / 1000).toFixed(1))} s and then SIGKILLs everything`;
  if (run.label === 'with-init') {
    return [`Even behind ts-init, ${o.command[0] ?? 'PROGRAM'} ignores the SIGTERM forwarded to it: give it a SIGTERM handler, let ts-init signal its whole process group (ts-init -g) when a wrapper swallows the signal, or stop it with the signal it expects (ts-init -r TERM:QUIT, or STOPSIGNAL in the Dockerfile).`];
  }
  const fixed = init?.stop;
  const fix = fixed !== undefined && isStop(fixed) && fixed.stopMs !== undefined ? ` (with ts-init: stopped in ${Math.round(fixed.stopMs)} ms)` : '';
  if (SHELLS.has(shell) && child !== undefined) {
    const argv = run.pid1?.argv ?? [];
    const how = argv[1] === '-c'
      ? `your \`sh -c\` command needs \`exec\`: sh -c 'exec ${child} …', so that ${child} replaces the shell as PID 1`
      : `your shell script (${basename(argv[1] ?? comm)}) needs \`exec\` in front of the command that starts ${child} (exec ${child} …), so that ${child} replaces the shell as PID 1`;
    return [`PID 1 is a shell (${shell}) running ${child} as its child; as PID 1 the shell ignores SIGTERM and never passes it on, so ${wait}. Either ${how}, or ${ENTRYPOINT}${fix}.`];
  }
  if (s.pid1CatchesSigterm === true) {
    const node = comm === 'node' || comm.startsWith('node') ? " Node as PID 1 ignores SIGTERM unless JS listens for it: process.on('SIGTERM', …)." : '';
    return [`PID 1 (${comm}) catches SIGTERM but kept running, so ${wait}.${node} Make the handler exit, or ${ENTRYPOINT}${fix}.`];
  }
  return [`PID 1 (${comm}) has no SIGTERM handler, and the kernel does not apply default signal actions to PID 1, so ${wait}: ${ENTRYPOINT}${fix}, or handle SIGTERM in the program.`];
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

function userAdvice(run: ProbeRun, init: ProbeRun | undefined): string[] {
  const u = run.user;
  if (u === undefined) return [];
  if (u.verdict === 'fail') return [`PROGRAM did not run as ${u.uid}:${u.gid}: make its files readable and executable by group ${u.gid} (chgrp -R 0, chmod -R g=u).`];
  if (u.idUn.exitCode !== 0) {
    const fixed = init?.user?.idUn.exitCode === 0 ? ` (behind ts-init --fix-user: \`id -un\` → ${init.user.idUn.output})` : '';
    const fix = run.label === 'with-init' ? 'Even behind ts-init: is libnss-wrapper installed?' : `Run it behind ts-init --fix-user${fixed}, which gives it a name and HOME through nss_wrapper, or add an entry at start-up.`;
    return [`UID ${u.uid} has no passwd entry (\`id -un\`: ${u.idUn.output || 'no name'}): whoami, getpass.getuser(), os.userInfo() fail. ${fix}`];
  }
  return [];
}

function startAdvice(run: ProbeRun): string[] {
  if (run.start.verdict !== 'fail') return [];
  const early = run.start.earlyExit;
  if (early !== undefined) {
    const daemon = early.code === 0 ? ' It exited 0: if it forks into the background (daemonizes), run it in the foreground (nginx -g "daemon off;", apachectl -DFOREGROUND, …): the container lives as long as PID 1.' : '';
    return [`PID 1 ended before it could be checked: an entrypoint must keep running (its last output lines are shown above).${daemon}`];
  }
  return [`PROGRAM never became ready: check --ready-url/--ready-port, or raise --ready-timeout.`];
}

export function adviceFor(runs: readonly ProbeRun[], o: ResolvedOptions): string[] {
  const asIs = runs.find((r) => r.label === 'as-is');
  const withInit = runs.find((r) => r.label === 'with-init');
  const out: string[] = [];
  for (const run of runs) {
    if (run.label === 'with-init' && asIs !== undefined && run.start.verdict === 'fail' && asIs.start.verdict === 'fail') continue;
    out.push(...startAdvice(run));

    const compareWith = run.label === 'as-is' ? withInit : undefined;
    out.push(...userAdvice(run, compareWith));
    out.push(...reapingAdvice(run, compareWith));
    out.push(...stopAdvice(run, o, compareWith));
    out.push(...exitAdvice(run));
  }
  const unique = [...new Set(out)];
  return unique.length > 0 ? unique : ['Nothing to fix: PID 1 reaps orphans, stops on SIGTERM and exits cleanly.'];
}
