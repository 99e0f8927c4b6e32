// What pino's bundle gets for require('assert') (scripts/bundle.js aliases
// it here). Node's own assert module reads process.stderr when it loads (to
// decide on colours), and creating that stream sets O_NONBLOCK on fd 2:
// the open file description ts-init shares with the child, whose writes to
// a full pipe would then fail with EAGAIN. sonic-boom and thread-stream, the
// only users in pino's tree, call assert(value, message) and nothing else.
'use strict';
function assert(value, message) {
  if (!value) throw new Error(message === undefined ? 'assertion failed' : String(message));
}
assert.ok = assert;
module.exports = assert;
