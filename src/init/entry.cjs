// The first of ts-init's code that Node runs: dist/ts-init.cjs (copied there
// by scripts/bundle.js), the file both launchers start. It is kept tiny so
// that the stop signals have a handler as early as a Node program can give
// them one: a namespace's PID 1 without a handler loses SIGTERM (the
// kernel drops it), and reading, compiling and evaluating the rest of
// ts-init (dist/ts-init-main.cjs, ~37 KB) takes a few milliseconds more.
// Node delivers a signal to JavaScript listeners only once the event loop
// runs, and by then ts-init's Forwarder listens too (it is the first thing
// run() sets up): these listeners only make sure Node installs its handler
// now. They stay, doing nothing, like the Forwarder's own (removing the
// last listener of a signal would restore its default action).
'use strict';
const early = () => {
  // Nothing to do: the listener only makes Node install its handler now.
};
for (const name of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) process.on(name, early);

const main = require('./ts-init-main.cjs');
module.exports = main;
// The compiled launcher runs this file itself (node dist/ts-init.cjs); the
// sh launcher requires it from bin/ts-init and calls run.
if (require.main === module) main.run(require('node:path').join(__dirname, '..'), 'bundle');
