// Never signal a process that is not ours: a pid ts-init once knew may
// belong to an unrelated process by the time a signal goes out. Each case
// hands such a pid to an unrelated process U at the worst moment (through
// ns_last_pid in a fresh PID namespace, see test/fixtures/pid-reuse.py) and
// checks that U received nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fixture, Output, PYTHON, run, TS_INIT } from '../helpers/harness.js';

interface Outcome {
  error?: string;
  heldAt?: string;
  uPending?: number[];
  uKilledBy?: number | null;
  lingererKilledBy?: number | null;
  initExit?: number | null;
  stderr?: string[];
}

async function reuse(mode: 'shutdown-open' | 'shutdown-send' | 'guard'): Promise<Outcome> {
  const r = await run(
    'unshare',
    ['--pid', '--fork', '--mount-proc', '--kill-child', '--', PYTHON, fixture('pid-reuse.py'), TS_INIT, mode, fixture('family.py')],
    {
      timeout: 120_000,
    },
  );
  const last = String(r.stdout).trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Outcome;
  } catch {
    return { error: `no result (exit ${String(r.exitCode)}): ${String(r.stdout)} ${String(r.stderr)}` };
  }
}

// Subreaper shutdown: the grandchild G is listed, then reaped by its own
// parent; its pid goes to U before ts-init signals G. Held at the call that
// would reach G by pid (open) and at the one that sends it the signal (send).
for (const mode of ['shutdown-open', 'shutdown-send'] as const) {
  t.test(`subreaper shutdown: a listed descendant's pid reused by an unrelated process (${mode})`, async (t) => {
    const o = await reuse(mode);
    t.equal(o.error, undefined, 'the pid was reused while ts-init was held at the call');
    t.comment(`held at ${String(o.heldAt)}`);
    t.same(o.uPending, [], 'U was sent no signal (no SIGTERM, no SIGCONT)');
    t.equal(o.uKilledBy, null, 'U was not killed');
    t.equal(o.initExit, 7, "ts-init still exits with the main child's status");
  });
}

t.test("exit guard: SIGABRT during the grace period does not kill the main child's old pid", async (t) => {
  const o = await reuse('guard');
  t.equal(o.error, undefined, "U got the main child's pid after ts-init reaped it");
  t.equal(o.uKilledBy, null, 'U, now holding that pid, survived');
  t.equal(o.lingererKilledBy, 9, 'the lingering descendant, proven ours, was SIGKILLed by the guard');
  t.equal(o.initExit, -6, 'ts-init died of the SIGABRT');
  t.match((o.stderr ?? []).join('\n'), /exiting unexpectedly \(signal SIG(ABRT|IOT)\)/);
});

t.test('without pidfd_open (Linux < 5.3, ENOSYS injected): own children first, a grandchild once it becomes a child', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-nopidfd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lingerer.txt');
  const go = join(dir, 'go');
  // The lingerer is a grandchild, under a shell that waits for it. That
  // shell takes its SIGTERM as a cue to exit once told to (after ts-init's
  // first round of signals), and the lingerer is then reparented to ts-init.
  const middle = `trap 'while [ ! -e ${go} ]; do sleep 0.01; done; exit 0' TERM; ${PYTHON} ${fixture('lingerer.py')} ${file} flush 0.3 >/dev/null 2>&1 & wait`;
  const main = `sh -c "${middle}" & while ! grep -q ready ${file} 2>/dev/null; do sleep 0.01; done; exit 7`;
  const proc = run(
    'strace',
    ['-qq', '-o', '/dev/null', '-e', 'trace=pidfd_open', '-e', 'inject=pidfd_open:error=ENOSYS', TS_INIT, '-v', '--', 'sh', '-c', main],
    {
      timeout: 30_000,
    },
  );
  const err = new Output(proc, 'stderr');
  await err.waitForLine(/Sending SIGCONT after SIGTERM/);
  const lines = (): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);
  t.same(lines().slice(1), [], 'the grandchild got nothing in the first round');
  writeFileSync(go, '');
  const r = await proc;
  t.equal(r.exitCode, 7);
  t.same(lines().slice(1), ['term', 'complete'], 'it got SIGTERM once it was our child, and finished');
  t.match(err.text, /This kernel has no pidfd_open \(Linux < 5\.3\)/, 'said once');
  t.match(err.text, new RegExp(`Sending SIGTERM and SIGCONT to pid\\(s\\) ${lines()[0]?.split(' ')[1] ?? 'x'}, now ts-init's own children`));
});
