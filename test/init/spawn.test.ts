// Starting the program: what a drop-in for tini must run the way tini does.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { peer, PYTHON, run, tsInit, TS_INIT } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-init-spawn-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a script without #! runs through /bin/sh, as execvp does for tini, dumb-init and catatonit', async (t) => {
  const script = join(dir, 'no-shebang');
  writeFileSync(script, 'echo "[$0] [$1] [$2]"\nexit 5\n');
  chmodSync(script, 0o755);
  const r = await tsInit(['--', script, 'a', 'b c']);
  t.equal(r.exitCode, 5, "the script's own status");
  t.equal(String(r.stdout), `[${script}] [a] [b c]\n`, '$0 is the script, the arguments follow');
  const found = await tsInit(['no-shebang', 'x'], { env: { PATH: `${dir}:/usr/bin:/bin` } });
  t.equal(String(found.stdout), `[${script}] [x] []\n`, 'found on PATH, it runs the same way');
  const tini = peer('tini');
  if (tini !== undefined) {
    const theirs = await run(tini, ['-s', '--', script, 'a', 'b c']);
    t.equal(String(theirs.stdout), String(r.stdout), "the same output as under Debian's tini");
    t.equal(theirs.exitCode, r.exitCode, 'and the same status');
  }
});

t.test('a binary the kernel cannot run is not handed to /bin/sh: 126, Exec format error', async (t) => {
  // tini hands it to sh too (glibc's execvp does); sh then prints nonsense
  // such as "1: ELF: not found" and exits 127. A NUL byte in the first line
  // marks it as no script, the test bash makes.
  const binary = join(dir, 'foreign-binary');
  writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x0a]));
  chmodSync(binary, 0o755);
  const r = await tsInit(['--', binary]);
  t.equal(r.exitCode, 126);
  t.match(String(r.stderr), /exec .*foreign-binary failed: Exec format error/);
});

t.test('more than 256 inherited descriptors: every one reaches the child', async (t) => {
  // 300 descriptors without close-on-exec, then the same listing run directly and under ts-init.
  const code = [
    'import os, sys',
    "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(300)]",
    'for fd in fds: os.set_inheritable(fd, True)',
    "os.execv(sys.argv[1], sys.argv[1:] + ['sh', '-c', 'ls /proc/self/fd'])",
  ].join('\n');
  const fds = (out: unknown): Set<string> => new Set(String(out).split('\n').filter(Boolean));
  const direct = fds((await run(PYTHON, ['-c', code, '/usr/bin/env'])).stdout);
  const under = fds((await run(PYTHON, ['-c', code, TS_INIT, '--'])).stdout);
  t.ok(direct.size > 300, `the control sees the 300 (${direct.size} listed)`);
  t.same(
    [...direct].filter((fd) => !under.has(fd)),
    [],
    'the child has every descriptor the control has',
  );
  // With the lowest free descriptor above 9, dash keeps the sh launcher's own
  // script open across exec: it must not reach the child either.
  t.same(
    [...under].filter((fd) => !direct.has(fd)),
    [],
    "and none of ts-init's or its launcher's own",
  );
});
