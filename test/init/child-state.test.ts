// What the child starts with: the signal mask and ignores ts-init inherited
// (as tini gives them), the environment and arguments byte for byte, the
// inherited descriptors and nothing of Node's, the cwd, the terminal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { peer, PYTHON, run, tsInit, TS_INIT } from '../helpers/harness.js';

const SHOW = "grep -E '^Sig(Blk|Ign):' /proc/self/status";

// Starts INIT with SIGUSR2 and SIGPIPE ignored and SIGHUP, SIGUSR1 blocked,
// as a parent such as nohup or a service manager might.
function withInheritedState(init: string[]): ReturnType<typeof run> {
  const code = [
    'import os, signal, sys',
    'signal.signal(signal.SIGUSR2, signal.SIG_IGN)',
    'signal.signal(signal.SIGPIPE, signal.SIG_IGN)',
    'signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGUSR1})',
    'os.execv(sys.argv[1], sys.argv[1:])',
  ].join('\n');
  return run(PYTHON, ['-c', code, ...init, '--', 'sh', '-c', SHOW]);
}

t.test('the child gets the ignored signals ts-init inherited, like tini', async (t) => {
  const r = await withInheritedState([TS_INIT]);
  const direct = await withInheritedState(['/usr/bin/env']);
  t.equal(r.exitCode, 0);
  const ignored = (text: string): string | undefined => /SigIgn:\s+(\w+)/.exec(text)?.[1];
  // SIGUSR2 (12 -> bit 11) and SIGPIPE (13 -> bit 12) were set by the parent.
  t.equal(BigInt(`0x${ignored(String(r.stdout)) ?? '0'}`) & 0x1800n, 0x1800n, 'USR2 and PIPE still ignored');
  t.equal(ignored(String(r.stdout)), ignored(String(direct.stdout)), 'the same ignores as without an init');
  const tini = peer('tini');
  if (tini !== undefined) {
    const ref = await withInheritedState([tini]);
    t.equal(ignored(String(r.stdout)), ignored(String(ref.stdout)), 'identical to what Debian tini gives its child');
  }
  // The blocked mask cannot be carried: /bin/sh (dash) clears it before the
  // launcher can read it, and Node clears it again. The child starts with
  // an empty mask (documented in docs/how-it-works.md).
  t.match(String(r.stdout), /SigBlk:\s+0+\n/, 'the child starts with nothing blocked');
});

t.test('with nothing inherited the child starts clean (no Node leftovers such as ignored SIGPIPE)', async (t) => {
  const r = await tsInit(['--', 'sh', '-c', SHOW]);
  t.equal(String(r.stdout), 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
});

t.test('environment and arguments reach the child byte for byte', async (t) => {
  // Invalid UTF-8, empty values, '=' inside values, an empty argument.
  const code = [
    'import os, subprocess, sys',
    "env = {b'PATH': b'/usr/bin:/bin', b'PWD': os.getcwd().encode(), b'ODD': b'\\xff\\xfe=x', b'EMPTY': b'', b'NODE_OPTIONS': b'--require /nonexistent-app-hook.js'}",
    "args = [b'printf', b'[%s]', b'\\xc3\\x28', b'', b'a b', b'-v']",
    "direct = subprocess.run([b'/usr/bin/env'], env=env, capture_output=True).stdout",
    "under = subprocess.run([sys.argv[1].encode(), b'--', b'/usr/bin/env'], env=env, capture_output=True).stdout",
    'a1 = subprocess.run(args, env=env, capture_output=True).stdout',
    "a2 = subprocess.run([sys.argv[1].encode(), b'--'] + args, env=env, capture_output=True).stdout",
    // The launcher's /bin/sh rebuilds the environment, so only the order may differ.
    "print(sorted(direct.split(b'\\n')) == sorted(under.split(b'\\n')), a1 == a2, repr(under), repr(a2))",
  ].join('\n');
  const r = await run(PYTHON, ['-c', code, TS_INIT]);
  const [sameEnv, sameArgs] = String(r.stdout).split(' ');
  t.equal(sameEnv, 'True', `environment identical (NODE_OPTIONS included, and it did not break the init): ${String(r.stdout)}`);
  t.equal(sameArgs, 'True', 'arguments identical');
});

t.test("inherited descriptors pass through; none of ts-init's own leak", async (t) => {
  // Descriptors 3 and 7 are inherited; the child must see exactly what a
  // direct child of the same parent sees.
  const list = 'ls /proc/self/fd | sort -n | tr "\\n" " "';
  const direct = await run('sh', ['-c', `exec 3</dev/null 7>/dev/null; sh -c '${list}'`]);
  const under = await run('sh', ['-c', `exec 3</dev/null 7>/dev/null; "${TS_INIT}" -- sh -c '${list}'`]);
  t.match(String(direct.stdout), /^0 1 2 3 .*\b7\b/, 'the control sees 3 and 7');
  t.equal(String(under.stdout), String(direct.stdout), 'same descriptors under ts-init');
});

t.test('the working directory is kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-init-cwd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await tsInit(['--', 'pwd'], { cwd: dir });
  t.equal(String(r.stdout), `${dir}\n`);
});

t.test("with a terminal on stdin the child's group becomes the foreground group", async (t) => {
  // script(1) gives the command a real pty as its controlling terminal.
  const check = `${PYTHON} -c 'import os; print("fg" if os.tcgetpgrp(0) == os.getpgrp() else "bg", os.getpgrp() == os.getpid())'`;
  const r = await run('script', ['-qec', `${TS_INIT} -- ${check}`, '/dev/null']);
  t.match(String(r.stdout), /fg True/, 'the child leads its group and owns the terminal');
  const job = await run('script', ['-qec', `${TS_INIT} -- sh -i -c 'echo interactive-ok'`, '/dev/null']);
  t.notMatch(String(job.stdout), /job control turned off|can't access tty/, 'an interactive shell gets job control');
  t.match(String(job.stdout), /interactive-ok/);
});

// ts-init logs through fs.writeSync(2) and never touches process.stderr:
// Node's stream for a pipe sets O_NONBLOCK on the open file description,
// which the child shares, so the child would get EAGAIN on a full pipe.
t.test("the child's stdio keeps its blocking mode at every verbosity (logging never opens process.stderr)", async (t) => {
  const O_NONBLOCK = 0o4000;
  const flags = (out: string, fd: number): number => Number.parseInt(new RegExp(`^${fd} (\\d+)$`, 'm').exec(out)?.[1] ?? 'NaN', 8);
  const script = 'for fd in 0 1 2; do echo "$fd $(sed -n "s/^flags:[[:space:]]*//p" /proc/self/fdinfo/$fd)"; done';
  for (const verbosity of [[], ['-v'], ['-vvv'], ['-vvv', '--log-format', 'json']]) {
    // stdin, stdout and stderr are pipes here (execa), the case Node's streams make non-blocking.
    const r = await tsInit([...verbosity, '--', 'sh', '-c', script], { stdin: 'pipe' });
    t.equal(r.exitCode, 0, String(r.stderr));
    for (const fd of [0, 1, 2]) {
      const f = flags(String(r.stdout), fd);
      t.ok(Number.isInteger(f) && (f & O_NONBLOCK) === 0, `${JSON.stringify(verbosity)}: fd ${fd} is blocking in the child (flags ${f.toString(8)})`);
    }
  }
});
