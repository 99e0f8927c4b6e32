// Security: no inspector on SIGUSR1 at any moment of ts-init's life,
// NODE_OPTIONS never configures the init. (A script without #! runs through
// /bin/sh, as under tini: see spawn.test.ts.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { asPid1, childrenOf, inspectorListening, sleep, TS_INIT } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-init-sec-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('SIGUSR1 from the very first moment, as PID 1: the inspector never listens', async (t) => {
  for (let round = 0; round < 3; round++) {
    const proc = asPid1(TS_INIT, ['--', 'sleep', '1.5'], { timeout: 20_000 });
    const unshare = proc.pid as number;
    let sent = 0;
    let listening = false;
    // Hit the namespace's PID 1 with SIGUSR1 as soon as it exists, over and
    // over, through Node's start-up and into the supervision loop.
    for (let i = 0; i < 600 && proc.exitCode === null; i++) {
      const init = childrenOf(unshare)[0];
      if (init !== undefined) {
        try {
          process.kill(init, 'SIGUSR1');
          sent++;
        } catch {
          // gone
        }
      }
      listening ||= inspectorListening();
      if (i % 50 === 0) await sleep(1);
    }
    const r = await proc;
    t.ok(sent > 0, `round ${round}: ${sent} SIGUSR1 sent`);
    t.notOk(listening, `round ${round}: nothing listened on 9229`);
    t.notMatch(String(r.stderr), /Debugger listening/, `round ${round}: no inspector`);
    t.ok(r.exitCode === 0 || r.exitCode === 138, `round ${round}: the child ran (exit ${String(r.exitCode)}: 0, or 138 if it got a forwarded SIGUSR1)`);
  }
});

t.test("the app's NODE_OPTIONS never configures the init, and reaches the app intact", async (t) => {
  const hook = join(dir, 'hook.cjs');
  const marker = join(dir, 'hook-ran');
  writeFileSync(hook, `require('fs').appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n');\n`);
  // Through env(1): the test runner adds its own NODE_OPTIONS to whatever
  // it spawns; env sets exactly ours for ts-init.
  const { run } = await import('../helpers/harness.js');
  const r = await run('env', [`NODE_OPTIONS=--require ${hook} --inspect=127.0.0.1:0`, TS_INIT, '--', 'node', '-e', 'console.log(process.env.NODE_OPTIONS)']);
  t.equal(r.exitCode, 0);
  t.equal(String(r.stdout), `--require ${hook} --inspect=127.0.0.1:0\n`, 'the app sees its NODE_OPTIONS');
  const pids = readFileSync(marker, 'utf8').trim().split('\n');
  t.equal(pids.length, 1, 'the --require hook ran once: in the app, not in ts-init');
});
