// Runs Azurite for as long as the process that started it lives: usage `node azurite-watchdog.js AZURITE [ARGS…]`.
// The starting process holds this one's stdin open and never writes to it; however it ends (even by SIGKILL, when no
// shutdown code of its own runs), the system closes its end of the pipe, stdin ends here, and Azurite is killed.
'use strict';
const { spawn } = require('node:child_process');

const [azurite, ...args] = process.argv.slice(2);
const child = spawn(azurite, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const stop = () => child.kill('SIGKILL');

process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, stop);
}

child.on('error', (error) => {
  console.error(`azurite-watchdog: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code) => process.exit(code ?? 1));
