// Without /proc (not mounted, or unmounted by a hardened image), ts-init
// must still shut down sensibly: as PID 1, kill(-1) needs no /proc; as a
// subreaper, its descendants cannot be found, and it says so instead of
// claiming that nothing is left.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fixture, PYTHON, run, TS_INIT, waitFor } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-init-noproc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const lines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
/** sh -c SCRIPT with /proc unmounted in a mount namespace of its own. */
const withoutProc = (script: string): string[] => ['--mount', '--', 'sh', '-c', `umount -l /proc && ${script}`];

t.test('as PID 1 with /proc unmounted: the lingerer gets SIGTERM through kill(-1) and finishes', async (t) => {
  const file = join(dir, 'pid1.txt');
  const main = `${PYTHON} ${fixture('lingerer.py')} ${file} flush 0.3 </dev/null >/dev/null 2>&1 & while ! grep -q ready ${file} 2>/dev/null; do sleep 0.01; done; exit 7`;
  const r = await run('unshare', ['--pid', '--fork', '--kill-child', ...withoutProc(`exec "${TS_INIT}" -v -- sh -c '${main}'`)], { timeout: 30_000 });
  t.equal(r.exitCode, 7);
  t.same(lines(file).slice(1), ['term', 'complete'], 'the lingerer was signalled and completed its flush');
  t.match(String(r.stderr), /Sending SIGTERM to every other process \(kill -1\)/);
});

t.test('as a subreaper with /proc unmounted: says once at -v that descendants cannot be found, leaves them as tini does', async (t) => {
  const file = join(dir, 'sub.txt');
  const main = `${PYTHON} ${fixture('lingerer.py')} ${file} flush 0.3 </dev/null >/dev/null 2>&1 & while ! grep -q ready ${file} 2>/dev/null; do sleep 0.01; done; exit 7`;
  const r = await run('unshare', withoutProc(`"${TS_INIT}" -v -- sh -c '${main}'`), { timeout: 30_000 });
  const pid = Number(lines(file)[0]?.split(' ')[1]);
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  t.equal(r.exitCode, 7, "the main child's status");
  const err = String(r.stderr);
  t.equal(err.match(/\/proc is not mounted/g)?.length, 1, 'one line says why, once');
  t.notMatch(err, /No other processes are running/, 'it does not claim that nothing is left');
  t.ok(pid > 0 && lines(file).length === 1, 'the lingerer is left running, unsignalled');
  process.kill(pid, 'SIGTERM');
  await waitFor(() => lines(file).includes('complete'), 10_000, 'the lingerer to finish');
});
