// Graceful shutdown: when the main child exits, the other processes get
// SIGTERM and a grace period before SIGKILL, so a helper that flushes on
// SIGTERM loses nothing, where tini's exit SIGKILLs it at once.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { asPid1, childrenOf, fixture, nsInitPid, Output, peer, processExists, PYTHON, run, stateOf, tsInit, TS_INIT, waitFor } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-init-shutdown-'));
chmodSync(dir, 0o755); // one test runs ts-init as nobody
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = (): string => join(dir, `lingerer-${++files}.txt`);
const lines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const readyPid = (file: string): number | undefined => {
  const line = lines(file).find((l) => l.startsWith('ready '));
  return line === undefined ? undefined : Number(line.slice(6));
};

/**
 * A main program that starts the lingerer in the background, waits until
 * its SIGTERM handler is in place, then either exits 7 (the main child
 * exits first) or waits to be stopped (SIGTERM to the init from outside).
 */
function mainScript(file: string, mode: string, then: 'exit' | 'wait'): string[] {
  // The lingerer's output goes nowhere: a survivor holding our pipes open
  // would make the wait for ts-init's output last until it exits.
  const start = `${PYTHON} ${fixture('lingerer.py')} ${file} ${mode} >/dev/null 2>&1 & while ! grep -q ready ${file} 2>/dev/null; do sleep 0.01; done;`;
  return ['sh', '-c', then === 'exit' ? `${start} exit 7` : `${start} echo started; sleep 30`];
}

const tini = peer('tini');

t.test('the main child exits: a background writer finishes its flush under ts-init as PID 1, not under tini', async (t) => {
  const ours = newFile();
  // 15 s for the whole run bounds the wait: ts-init must exit once the
  // writer is done, not when the 30 s grace period is over.
  const r = await asPid1(TS_INIT, ['--grace-period', '30', '--', ...mainScript(ours, 'flush 0.3', 'exit')], { timeout: 15_000 });
  t.equal(r.exitCode, 7, "ts-init exits with the main child's status, as soon as the writer is done");
  t.same(lines(ours).slice(1), ['term', 'complete'], 'the writer got SIGTERM and completed its file');

  const tiniLike = newFile();
  const z = await asPid1(TS_INIT, ['--grace-period', '0', '--', ...mainScript(tiniLike, 'flush 0.3', 'exit')], { timeout: 30_000 });
  t.equal(z.exitCode, 7);
  t.same(lines(tiniLike).slice(1), [], '--grace-period 0: as tini, the writer is SIGKILLed with the namespace');

  if (tini === undefined) {
    t.comment('tini is not installed (apt-get install tini): comparison skipped');
    return;
  }
  const theirs = newFile();
  const q = await asPid1(tini, ['--', ...mainScript(theirs, 'flush 0.3', 'exit')], { timeout: 30_000 });
  t.equal(q.exitCode, 7, 'tini exits with the same status');
  t.match(lines(theirs)[0] ?? '', /^ready \d+$/, 'the writer was running under tini');
  t.notOk(lines(theirs).includes('complete'), "under tini the writer's file is incomplete: it was killed with the namespace");
});

t.test('SIGTERM to PID 1 (docker stop): the writer finishes under ts-init, not under tini', async (t) => {
  const stop = async (init: string, args: string[]): Promise<{ code: number | undefined; file: string }> => {
    const file = newFile();
    const proc = asPid1(init, [...args, '--', ...mainScript(file, 'flush 0.3', 'wait')], { timeout: 30_000 });
    await new Output(proc).waitForLine(/^started$/);
    process.kill(await nsInitPid(proc), 'SIGTERM');
    return { code: (await proc).exitCode, file };
  };
  const ours = await stop(TS_INIT, []);
  t.equal(ours.code, 143, 'ts-init exits 128+15: the main child was killed by the forwarded SIGTERM');
  t.same(lines(ours.file).slice(1), ['term', 'complete'], 'the writer completed its file');
  if (tini === undefined) {
    t.comment('tini is not installed: comparison skipped');
    return;
  }
  const theirs = await stop(tini, []);
  t.equal(theirs.code, 143);
  t.notOk(lines(theirs.file).includes('complete'), 'under tini the file is incomplete');
});

t.test('a process that ignores SIGTERM is SIGKILLed when the grace period is over (PID 1)', async (t) => {
  const file = newFile();
  const started = Date.now();
  const r = await asPid1(TS_INIT, ['-v', '--grace-period', '1', '--', ...mainScript(file, 'ignore', 'exit')], { timeout: 30_000 });
  const elapsed = Date.now() - started;
  const pid = readyPid(file);
  t.equal(r.exitCode, 7, "the exit status is still the main child's");
  t.same(lines(file).slice(1), ['term'], 'it got SIGTERM first (and ignored it)');
  t.match(String(r.stderr), new RegExp(`Grace period of 1 s is over: sending SIGKILL to pids ${pid}\\b`), 'the SIGKILL is logged with its pid');
  t.ok(elapsed < 10_000, `done well within docker's 10 s stop timeout (${elapsed} ms)`);
});

t.test('as PID 1 without its own /proc, kill(-1) still signals everyone and tells when none is left', async (t) => {
  // No --mount-proc: /proc shows the host, so ts-init cannot list the
  // namespace and relies on kill(-1, 0) alone.
  const writer = newFile();
  const stubborn = newFile();
  const script =
    `${PYTHON} ${fixture('lingerer.py')} ${writer} flush 0.3 >/dev/null 2>&1 & ${PYTHON} ${fixture('lingerer.py')} ${stubborn} ignore >/dev/null 2>&1 & ` +
    `while ! grep -q ready ${writer} 2>/dev/null || ! grep -q ready ${stubborn} 2>/dev/null; do sleep 0.01; done; exit 7`;
  const r = await run('unshare', ['--pid', '--fork', '--kill-child', '--', TS_INIT, '-v', '--grace-period', '1', '--', 'sh', '-c', script], {
    timeout: 30_000,
  });
  t.equal(r.exitCode, 7);
  t.same(lines(writer).slice(1), ['term', 'complete'], 'the writer finished');
  t.same(lines(stubborn).slice(1), ['term'], 'the stubborn one got SIGTERM');
  t.match(String(r.stderr), /Grace period of 1 s is over: sending SIGKILL to every other process \(kill -1\)/);
});

t.test('as a non-root PID 1, processes it may not signal are not waited for', async (t) => {
  // ts-init runs as nobody; a root process joins the namespace from outside
  // (as `docker exec -u root` does). kill(-1) cannot reach it, so waiting
  // for it would only burn the grace period.
  const go = join(dir, 'go');
  // CAP_DAC_READ_SEARCH lets nobody read a checkout under /root (mode 0700);
  // it grants no right to signal anyone else's processes (that is CAP_KILL).
  const nobody = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
  const proc = asPid1('setpriv', [...nobody, TS_INIT, '-v', '--', 'sh', '-c', `echo ready; while [ ! -e ${go} ]; do sleep 0.01; done; exit 3`], {
    timeout: 30_000,
  });
  await new Output(proc).waitForLine(/^ready$/);
  const init = await nsInitPid(proc);
  const intruder = run('nsenter', ['--target', String(init), '--pid', '--mount', '--', 'sleep', '30'], { timeout: 30_000 });
  await waitFor(() => childrenOf(intruder.pid as number).length > 0, 10_000, 'the root process inside the namespace');
  writeFileSync(go, '');
  const r = await proc;
  await intruder; // the namespace's end kills it
  t.equal(r.exitCode, 3);
  t.match(String(r.stderr), /No other processes are running/);
  t.notMatch(String(r.stderr), /Sending SIGTERM/);
});

t.test('a stopped process is continued so that it can act on its SIGTERM', async (t) => {
  const file = newFile();
  const script = `${PYTHON} ${fixture('lingerer.py')} ${file} flush 0.3 >/dev/null 2>&1 & p=$!; while ! grep -q ready ${file} 2>/dev/null; do sleep 0.01; done; kill -STOP $p; exit 7`;
  // Without SIGCONT it would sit stopped until the SIGKILL 20 s later,
  // past the harness's timeout for this run.
  const r = await asPid1(TS_INIT, ['-v', '--grace-period', '20', '--', 'sh', '-c', script], { timeout: 15_000 });
  t.equal(r.exitCode, 7);
  t.same(lines(file).slice(1), ['term', 'complete'], 'it flushed within the grace period');
  // The SIGSTOP may still be in flight when ts-init looks, so the log need
  // not list the pid; the flush above proves the process was continued.
  t.match(String(r.stderr), /Sending SIGCONT after SIGTERM so that stopped processes can handle it/);
});

t.test('as a subreaper, the stubborn descendant is SIGKILLed by ts-init itself; with --grace-period 0 it is left running, as tini leaves it', async (t) => {
  const file = newFile();
  const r = await tsInit(['--grace-period', '0.5', '--', ...mainScript(file, 'ignore', 'exit')], { timeout: 30_000 });
  t.equal(r.exitCode, 7);
  const pid = readyPid(file) as number;
  t.ok(pid > 0, 'the lingerer started');
  t.notOk(processExists(pid), 'it is gone, and reaped, when ts-init exits');

  const left = newFile();
  const z = await tsInit(['--grace-period', '0', '--', ...mainScript(left, 'ignore', 'exit')], { timeout: 30_000 });
  t.equal(z.exitCode, 7);
  const survivor = readyPid(left) as number;
  t.teardown(() => {
    if (processExists(survivor)) process.kill(survivor, 'SIGKILL');
  });
  t.ok(processExists(survivor) && stateOf(survivor) !== 'Z', '--grace-period 0 leaves it running: nothing but ts-init killed the first one');
  t.same(lines(left).slice(1), [], 'and it was not even sent SIGTERM');
});

t.test('as a subreaper only its own descendants are signalled; an unrelated process survives', async (t) => {
  const bystander = run(PYTHON, [fixture('catch.py'), 'TERM'], { timeout: 30_000 });
  const seen = new Output(bystander);
  t.teardown(() => {
    bystander.kill('SIGKILL');
  });
  await seen.waitForLine(/^ready/);

  // The writer runs under an intermediate shell that waits for it, so it
  // is a grandchild, found by walking /proc rather than among our children.
  const file = newFile();
  const nested = `(${PYTHON} ${fixture('lingerer.py')} ${file} flush 0.3 & wait) & while ! grep -q ready ${file} 2>/dev/null; do sleep 0.01; done; exit 7`;
  const r = await tsInit(['-v', '--', 'sh', '-c', nested], { timeout: 30_000 });
  t.equal(r.exitCode, 7);
  t.same(lines(file).slice(1), ['term', 'complete'], 'the grandchild got SIGTERM and finished');
  t.match(String(r.stderr), /Sending SIGTERM to 2 remaining process\(es\)/, 'the waiting shell and the writer were both signalled');
  t.notMatch(String(r.stderr), /kill -1/, 'kill(-1) is never used when not PID 1');
  t.ok(processExists(bystander.pid as number), 'the unrelated process is still running');
  t.equal(seen.count(/^got/), 0, 'and it received no signal');
});

t.test('with nothing else running, ts-init exits at once without signalling anyone', async (t) => {
  const r = await asPid1(TS_INIT, ['-v', '--', 'sh', '-c', 'exit 3'], { timeout: 30_000 });
  t.equal(r.exitCode, 3);
  t.match(String(r.stderr), /No other processes are running/);
  t.notMatch(String(r.stderr), /Sending SIGTERM/);
});

t.test('signals that arrive during the grace period are not forwarded (-g would reach the writer)', async (t) => {
  // The writer shares the main child's process group; USR1's default action
  // would kill it mid-flush if ts-init still forwarded to that group.
  const file = newFile();
  const proc = tsInit(['-v', '-g', '--', ...mainScript(file, 'flush 2.5', 'exit')], { timeout: 30_000 });
  const err = new Output(proc, 'stderr');
  await err.waitForLine(/Sending SIGTERM/);
  await waitFor(() => lines(file).includes('term'), 10_000, 'the writer to get SIGTERM');
  proc.kill('SIGUSR1');
  const r = await proc;
  t.equal(r.exitCode, 7);
  t.match(err.text, /Not forwarding SIGUSR1/);
  t.same(lines(file).slice(1), ['term', 'complete'], 'the flush was not interrupted');
});

t.test('--kill-after: a child that ignores SIGTERM is SIGKILLed with its group', async (t) => {
  const proc = tsInit(['-v', '--kill-after', '0.5', '--', PYTHON, fixture('catch.py'), '--ignore', 'TERM'], { timeout: 30_000 });
  const out = new Output(proc);
  await out.waitForLine(/^ready/);
  proc.kill('SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 137, 'the child was killed by SIGKILL: 128+9');
  t.match(String(r.stderr), /still running 0.5 s after SIGTERM: sending SIGKILL to its process group/);

  const quick = tsInit(['--kill-after', '0.5', '--', PYTHON, fixture('catch.py'), '--exit-on', 'TERM'], { timeout: 30_000 });
  await new Output(quick).waitForLine(/^ready/);
  quick.kill('SIGTERM');
  t.equal((await quick).exitCode, 0, 'a child that stops in time exits with its own status');
});

t.test('bad values are usage errors', async (t) => {
  for (const [args, env, message] of [
    [['--grace-period', 'soon'], {}, /invalid grace period for --grace-period: 'soon'/],
    [['--grace-period', '-1'], {}, /invalid grace period/],
    [['--grace-period=1e3'], {}, /invalid grace period/],
    [['--kill-after', '0'], {}, /invalid delay for --kill-after: '0'/],
    [['--kill-after'], {}, /invalid delay for --kill-after: '--'/], // getopt's way: the next argument is the value
    [[], { TS_INIT_GRACE_PERIOD: 'x' }, /invalid TS_INIT_GRACE_PERIOD: 'x'/],
    [[], { TS_INIT_KILL_AFTER: '9999999' }, /invalid TS_INIT_KILL_AFTER/],
  ] as const) {
    const r = await tsInit([...args, '--', 'true'], { env });
    t.equal(r.exitCode, 1, `${args.join(' ')} ${JSON.stringify(env)} exits 1`);
    t.match(String(r.stderr).split('\n')[0], message);
  }
  const ok = await tsInit(['--', 'sh', '-c', 'exit 4'], { env: { TS_INIT_GRACE_PERIOD: '0.25', TS_INIT_KILL_AFTER: '3' } });
  t.equal(ok.exitCode, 4, 'valid environment values are accepted');
});
