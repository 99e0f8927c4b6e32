// Soak: a million orphans as PID 1, in two storms with the resident memory
// read between them. Not part of npm test (minutes, not seconds); CI runs it
// with npm run test:soak.
import t from 'tap';
import { asPid1, nsInitPid, Output, rssKiB, TS_INIT, waitFor, zombieChildren } from '../helpers/harness.js';
import { stormBinary } from '../helpers/storm.js';

// TS_INIT_STORM overrides the count. The storm makes its orphans with
// clone(CLONE_VM): about 10,000 a second on our 2-core VM (fork() made about
// 400 a second per core there). The bounds allow a slower machine.
const ORPHANS = Number(process.env.TS_INIT_STORM ?? 1_000_000);
const storm = stormBinary();

t.test(`${ORPHANS} orphans as PID 1: none left, status right, memory flat`, { timeout: 1_800_000 }, async (t) => {
  // Two storms of half each; between them the child waits for SIGUSR1 (sent
  // once RSS is read), after them for SIGTERM.
  const half = Math.floor(ORPHANS / 2);
  const script = `trap 'kill $s 2>/dev/null' USR1; "$STORM" ${half}; echo storm1; sleep 60 & s=$!; wait $s; "$STORM" ${ORPHANS - half}; echo storm2; exec sleep 60`;
  const proc = asPid1(TS_INIT, ['--', 'sh', '-c', script], { env: { STORM: storm }, timeout: 1_780_000 });
  const out = new Output(proc);
  const init = await nsInitPid(proc);
  await out.waitForLine(/^storm1$/, 850_000);
  await waitFor(() => zombieChildren(init).length === 0, 30_000, 'zero zombies after the first storm');
  const after1 = rssKiB(init);
  process.kill(init, 'SIGUSR1');
  await out.waitForLine(/^storm2$/, 850_000);
  await waitFor(() => zombieChildren(init).length === 0, 30_000, 'zero zombies after the second storm');
  const after2 = rssKiB(init);
  t.match(out.text, new RegExp(`made ${half}\\n[^]*made ${ORPHANS - half}`), 'every orphan was made');
  // Per-orphan bookkeeping would grow with every storm; 8 MiB is far below
  // what ${half} map entries or log records would take.
  t.ok(after2 - after1 < 8 * 1024, `RSS after storm 2 (${after2} KiB) within 8 MiB of after storm 1 (${after1} KiB)`);
  process.kill(init, 'SIGTERM');
  const r = await proc;
  t.equal(r.exitCode, 143, 'the main child was killed by the forwarded SIGTERM; ts-init says so');
});
