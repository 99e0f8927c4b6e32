// The floor for any init written in Node, measured beside ts-init by
// bench/run.js: its first statement is a SIGTERM listener (the earliest a
// Node program can handle the signal), then it spawns its argv with
// child_process and exits with the child's status. Nothing else: no
// reaping, no signal state restored, no launcher.
'use strict';
process.on('SIGTERM', () => child.kill('SIGTERM'));
const { spawn } = require('node:child_process');
const { constants } = require('node:os');
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
