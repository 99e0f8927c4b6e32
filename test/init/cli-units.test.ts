// parseArgs in-process: every flag, variable and error of the command line,
// without starting a process (the black-box side is cli.test.ts).
import t from 'tap';
import { parseArgs, type CliResult, type Config } from '../../src/init/cli.js';

const args = (...list: string[]): Buffer[] => list.map((a) => Buffer.from(a));

function config(result: CliResult): Config {
  if (result.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(result)}`);
  return result.config;
}

t.test('options stop at -- or at the first non-option (getopt "+" mode)', async (t) => {
  t.same(config(parseArgs(args('-s', '--', '-v', 'x'), {})).argv.map(String), ['-v', 'x']);
  t.same(config(parseArgs(args('ls', '-l'), {})).argv.map(String), ['ls', '-l']);
  t.same(config(parseArgs(args('-', 'x'), {})).argv.map(String), ['-', 'x'], 'a lone - is a program');
});

t.test('tini flags', async (t) => {
  const c = config(parseArgs(args('-s', '-w', '-g', '-vv', '-p', 'KILL', '-e', '3', '-e4', 'prog'), {}));
  t.equal(c.subreaper, true);
  t.equal(c.warnOnReap, true);
  t.equal(c.killProcessGroup, true);
  t.equal(c.verbosity, 3, 'default 1, plus two');
  t.equal(c.parentDeathSignal, 9);
  t.same([...c.remapToZero].sort(), [3, 4]);
  t.equal(config(parseArgs(args('-vvvvvv', 'x'), {})).verbosity, 4, 'verbosity stops at 4');
});

t.test('tini variables, and -v counting up from TINI_VERBOSITY', async (t) => {
  const c = config(parseArgs(args('-v', 'x'), { TINI_SUBREAPER: '', TINI_KILL_PROCESS_GROUP: '1', TINI_VERBOSITY: '0' }));
  t.equal(c.subreaper, true, 'TINI_SUBREAPER: any value, even empty');
  t.equal(c.killProcessGroup, true);
  t.equal(c.verbosity, 1);
  t.match(parseArgs(args('x'), { TINI_VERBOSITY: 'loud' }), { kind: 'error', message: /invalid TINI_VERBOSITY: 'loud'/ });
});

t.test('durations: one syntax for flags and variables', async (t) => {
  for (const [text, ms] of [
    ['5', 5000],
    ['0.5', 500],
    ['.5', 500],
    ['500ms', 500],
    ['2s', 2000],
    ['0', 0],
  ] as const) {
    t.equal(config(parseArgs(args('--grace-period', text, 'x'), {})).gracePeriodMs, ms, `--grace-period ${text}`);
    t.equal(config(parseArgs(args('x'), { TS_INIT_GRACE_PERIOD: text })).gracePeriodMs, ms, `TS_INIT_GRACE_PERIOD=${text}`);
  }
  t.equal(config(parseArgs(args('--kill-after=250ms', 'x'), {})).killAfterMs, 250);
  t.equal(config(parseArgs(args('x'), { TS_INIT_KILL_AFTER: '1.5' })).killAfterMs, 1500);
  for (const bad of ['-1', '1e3', 'soon', '', '5m', '2147484']) {
    t.equal(parseArgs(args('--grace-period', bad, 'x'), {}).kind, 'error', `--grace-period '${bad}' is refused`);
  }
  t.match(parseArgs(args('--kill-after', '0', 'x'), {}), { kind: 'error', message: /invalid delay for --kill-after: '0'/ }, 'kill-after must be above 0');
});

t.test('rewrites, log format, --fix-user companions', async (t) => {
  const c = config(parseArgs(args('-r', 'TERM:QUIT', '--rewrite=HUP:0', '--log-format', 'json', 'x'), {}));
  t.same(
    [...c.rewrites],
    [
      [15, 3],
      [1, 0],
    ],
  );
  t.equal(c.logFormat, 'json');
  t.equal(config(parseArgs(args('x'), { TS_INIT_LOG_FORMAT: 'json' })).logFormat, 'json');
  t.match(parseArgs(args('--home', '/h', 'x'), {}), { kind: 'error', message: /--home only applies with --fix-user/ });
  const u = config(parseArgs(args('--fix-user', '--user-name', 'web', '--home=/h', 'x'), {}));
  t.same([u.fixUser, u.userName, u.home?.toString()], [true, 'web', '/h']);
  t.equal(config(parseArgs(args('x'), { TS_INIT_FIX_USER: 'yes' })).fixUser, true);
  t.equal(config(parseArgs(args('x'), { TS_INIT_FIX_USER: '0' })).fixUser, false);
  t.match(parseArgs(args('x'), { TS_INIT_FIX_USER: 'maybe' }), { kind: 'error', message: /invalid TS_INIT_FIX_USER/ });
});

t.test('answers and errors', async (t) => {
  t.same(parseArgs(args('-h'), {}), { kind: 'help' });
  t.same(parseArgs(args('-vh'), {}), { kind: 'help' }, 'in a cluster too');
  t.same(parseArgs(args('--version'), {}), { kind: 'version' });
  t.same(parseArgs(args('-l'), {}), { kind: 'license' });
  for (const [list, message] of [
    [[], /missing PROGRAM/],
    [['--'], /missing PROGRAM/],
    [[''], /PROGRAM is an empty string/],
    [['-x'], /invalid option -- 'x'/],
    [['--nope'], /unrecognized option '--nope'/],
    [['-e'], /requires an argument -- 'e'/],
    [['-e', '256', 'x'], /invalid exit code for -e: '256'/],
    [['-p', 'FOO', 'x'], /invalid signal for -p: 'FOO'/],
    [['--fix-user=1', 'x'], /doesn't allow an argument/],
    [['--log-format'], /requires an argument/],
  ] as const) {
    t.match(parseArgs(args(...list), {}), { kind: 'error', message }, JSON.stringify(list));
  }
});
