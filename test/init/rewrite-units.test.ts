// -r FROM:TO parsing and application, in-process.
import t from 'tap';
import { parseRewrite, rewriteSignal } from '../../src/init/rewrite.js';

t.test('rules by name, number and real-time offset', async (t) => {
  t.same(parseRewrite('TERM:QUIT'), [15, 3]);
  t.same(parseRewrite('sigterm:9'), [15, 9]);
  t.same(parseRewrite('15:WINCH'), [15, 28]);
  t.same(parseRewrite('RTMIN+2:RTMAX'), [36, 64]);
  t.same(parseRewrite('HUP:0'), [1, 0], 'TO 0 drops FROM');
});

t.test('rules that can never fire or make no sense are refused with a reason', async (t) => {
  t.match(parseRewrite('TERM'), /expected FROM:TO/);
  t.match(parseRewrite('KILL:TERM'), /SIGKILL is never forwarded/);
  t.match(parseRewrite('CHLD:TERM'), /SIGCHLD is never forwarded/);
  t.match(parseRewrite('SEGV:TERM'), /SIGSEGV is never forwarded/);
  t.match(parseRewrite('FOO:TERM'), /unknown signal 'FOO'/);
  t.match(parseRewrite('TERM:RTMAX+1'), /unknown signal 'RTMAX\+1'/);
});

t.test('rewriteSignal maps listed signals only', async (t) => {
  const rules = new Map([
    [15, 3],
    [1, 0],
  ]);
  t.equal(rewriteSignal(rules, 15), 3);
  t.equal(rewriteSignal(rules, 1), 0);
  t.equal(rewriteSignal(rules, 10), 10);
});
