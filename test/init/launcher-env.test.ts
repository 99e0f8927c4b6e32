// What the program receives through each launcher, compared with what Debian's
// tini passes on in the same situation: the environment as raw bytes, the
// ignored and blocked signals with BusyBox and bash as /bin/sh, the ARG_MAX
// edge. The compiled launcher must match tini exactly (less the __TS_INIT_*
// names ts-init never passes on); the sh fallback where a shell allows it.
import t from 'tap';
import { fixture, peer, PYTHON, run, TS_INIT_COMPILED, TS_INIT_SH } from '../helpers/harness.js';

const tini = peer('tini');
const needsTini = { skip: tini === undefined ? 'Debian tini is not installed (apt-get install tini)' : false };

// Everything dash, bash or BusyBox would change on the way: names that are
// not shell identifiers, variables shells rewrite, duplicates, an entry
// without '=', an empty name, invalid UTF-8, the program's Node variables,
// and private names from outside, which ts-init must drop.
const CRAFTED: Buffer[] = [
  'A-B=1',
  'spring.profiles.active=dev',
  '1ABC=digit first',
  'PATH=/usr/bin:/bin',
  'NODE_OPTIONS=--require /nonexistent-app-hook.js',
  'NODE_EXTRA_CA_CERTS=/nonexistent-ca.pem',
  'NO_EQUALS_SIGN',
  'DUP=first',
  'DUP=second',
  'IFS=x',
  'OPTIND=7',
  'PPID=12345',
  'PWD=/nonexistent',
  'SHLVL=5',
  'EMPTY=',
  '=no name',
  '__TS_INIT_SAVED_PATH=/evil',
  '__TS_INIT_FAULT=throw-after-spawn',
  '__TS_INIT_LAUNCH=0',
  '__TS_INIT_FDS=99',
].map((e) => Buffer.from(e));
CRAFTED.push(Buffer.from([0x42, 0x41, 0x44, 0x3d, 0xff, 0xfe, 0x80])); // BAD=\xff\xfe\x80

const entries = (block: Buffer): Buffer[] => {
  const out: Buffer[] = [];
  for (let start = 0; start < block.length;) {
    const nul = block.indexOf(0, start);
    out.push(block.subarray(start, nul === -1 ? block.length : nul));
    start = nul === -1 ? block.length : nul + 1;
  }
  return out;
};
const show = (list: Buffer[]): string => list.map((e) => JSON.stringify(e.toString('latin1'))).join(' ');

/** The program's environment, byte for byte, when INIT is exec'd with exactly `env`. */
async function childEnvironment(init: string, env: Buffer[]): Promise<Buffer[]> {
  const input = Buffer.concat(env.flatMap((e) => [e, Buffer.from([0])]));
  const r = await run(PYTHON, [fixture('rawexec.py'), init, '--', '/bin/cat', '/proc/self/environ'], {
    input,
    stdin: 'pipe',
    encoding: 'buffer',
    extendEnv: false,
    env: {},
  });
  return entries(Buffer.from(r.stdout as unknown as Uint8Array));
}

t.test('the compiled launcher: the program gets the environment byte for byte, as tini passes it', needsTini, async (t) => {
  const ref = await childEnvironment(tini as string, CRAFTED);
  t.ok(ref.length > 15, `tini passes the crafted environment on: ${show(ref)}`);
  const got = await childEnvironment(TS_INIT_COMPILED, CRAFTED);
  const want = ref.filter((e) => !e.toString('latin1').startsWith('__TS_INIT_'));
  t.equal(show(got), show(want), 'same entries, same order, same bytes (tini less the private __TS_INIT_* names)');
});

t.test('both launchers: no __TS_INIT_* from outside is trusted or passed on; NODE_OPTIONS comes back', async (t) => {
  for (const init of [TS_INIT_COMPILED, TS_INIT_SH]) {
    const got = await childEnvironment(init, CRAFTED);
    const text = got.map((e) => e.toString('latin1'));
    t.same(
      text.filter((e) => e.startsWith('__TS_INIT_')),
      [],
      `${init}: no private name reaches the program`,
    );
    t.equal(
      text.find((e) => e.startsWith('PATH=')),
      'PATH=/usr/bin:/bin',
      `${init}: __TS_INIT_SAVED_PATH did not replace PATH`,
    );
    t.ok(text.includes('NODE_OPTIONS=--require /nonexistent-app-hook.js'), `${init}: NODE_OPTIONS reaches the program (and did not configure the init)`);
    t.ok(text.includes('NODE_EXTRA_CA_CERTS=/nonexistent-ca.pem'), `${init}: so does NODE_EXTRA_CA_CERTS`);
  }
});

// ---- signals, with each shell as /bin/sh -------------------------------------------

// The parent ignores SIGUSR2 (and SIGQUIT with `quit`) and blocks SIGHUP and
// SIGUSR1, then execs INIT; the program reports its SigBlk and SigIgn.
const INHERIT = [
  'import os, signal, sys',
  'signal.signal(signal.SIGUSR2, signal.SIG_IGN)',
  "if sys.argv[1] == 'quit': signal.signal(signal.SIGQUIT, signal.SIG_IGN)",
  'signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGUSR1})',
  'os.execv(sys.argv[2], sys.argv[2:])',
].join('\n');

/** SigBlk and SigIgn of the program under INIT, with SHELL bind-mounted over /bin/sh in a private mount namespace. */
async function signalState(shell: string, init: string, quit: boolean): Promise<{ blk?: string; ign?: string; out: string }> {
  const script = 'mount --make-rprivate / && mount --bind "$1" /bin/sh && shift && exec "$@"';
  const r = await run('unshare', [
    '-m',
    '--',
    '/bin/dash',
    '-c',
    script,
    'x',
    shell,
    PYTHON,
    '-c',
    INHERIT,
    quit ? 'quit' : '-',
    init,
    '--',
    'grep',
    '-E',
    '^Sig(Blk|Ign):',
    '/proc/self/status',
  ]);
  const out = `${String(r.stdout)}${String(r.stderr)}`;
  return { blk: /SigBlk:\s+(\w+)/.exec(out)?.[1], ign: /SigIgn:\s+(\w+)/.exec(out)?.[1], out };
}

const SHELLS: [string, string][] = [
  ['dash', '/usr/bin/dash'],
  ['BusyBox', '/bin/busybox'],
  ['bash', '/usr/bin/bash'],
];

t.test('the compiled launcher: ignored and blocked signals as tini gives them, whatever /bin/sh is', needsTini, async (t) => {
  for (const [name, shell] of SHELLS) {
    for (const quit of [false, true]) {
      const ref = await signalState(shell, tini as string, quit);
      const got = await signalState(shell, TS_INIT_COMPILED, quit);
      const what = `${name} as /bin/sh, SIGQUIT ${quit ? '' : 'not '}inherited ignored`;
      t.ok(ref.ign !== undefined && ref.blk !== undefined, `${what}: tini's program reports its state: ${ref.out}`);
      t.equal(got.ign, ref.ign, `${what}: SigIgn as tini's`);
      t.equal(got.blk, ref.blk, `${what}: SigBlk as tini's`);
    }
  }
});

t.test('the sh launcher: SIGQUIT is not ignored in the program just because BusyBox or bash ignores it', needsTini, async (t) => {
  for (const [name, shell] of SHELLS) {
    const ref = await signalState(shell, tini as string, false);
    const got = await signalState(shell, TS_INIT_SH, false);
    t.equal(got.ign, ref.ign, `${name} as /bin/sh: SigIgn as tini's (${got.out.trim()})`);
  }
});

// ---- ARG_MAX ----------------------------------------------------------------------

t.test('the compiled launcher: at the ARG_MAX edge the program still gets all of it, as under tini', needsTini, async (t) => {
  for (const mode of ['args', 'env']) {
    const edge = async (init: string): Promise<{ edge: number; ok: boolean; detail: string }> =>
      JSON.parse(String((await run(PYTHON, [fixture('argmax.py'), mode, init, '-s'], { timeout: 300_000 })).stdout)) as {
        edge: number;
        ok: boolean;
        detail: string;
      };
    const ref = await edge(tini as string);
    t.ok(ref.ok && ref.edge > 1 << 20, `tini, payload in ${mode}: works up to ${ref.edge} bytes (${ref.detail})`);
    const got = await edge(TS_INIT_COMPILED);
    t.ok(got.ok, `ts-init, payload in ${mode}: the program got all ${got.edge} bytes at the edge (${got.detail})`);
    // The caller's exec carries the init's path twice (filename and argv[0]): the edges differ by that, nothing more.
    t.equal(got.edge - ref.edge, 2 * ((tini as string).length - TS_INIT_COMPILED.length), `${mode}: the edge moves only by the length of the init's path`);
  }
});
