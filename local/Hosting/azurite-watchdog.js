// Runs Azurite for as long as the process that started it lives: usage `node azurite-watchdog.js AZURITE [ARGS…]`.
// The starting process holds this one's stdin open and never writes to it; however it ends (even by SIGKILL, when no
// shutdown code of its own runs), the system closes its end of the pipe, stdin ends here, and Azurite is stopped.
// Stopped with SIGTERM, on which Azurite saves its databases before it exits: it keeps them in memory and writes them
// to its --location only every 5 s, so SIGKILL would lose the storage writes of its last seconds, writes its clients
// were told had succeeded. SIGKILL only if it has not exited in time.
// Azurite's output passes through this process rather than going to the starting process directly: that process's
// end of the output pipe closes when it dies too, and Azurite, which logs as it stops, would die of the EPIPE error
// (an unhandled 'error' event) before saving. Here output that cannot be delivered is dropped.
'use strict';
const { spawn } = require('node:child_process');

const graceSeconds = 20;
const [azurite, ...args] = process.argv.slice(2);
const child = spawn(azurite, args, { stdio: ['ignore', 'pipe', 'pipe'] });
for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
  let open = true;
  to.on('error', () => {
    open = false;
  });
  from.on('data', (chunk) => {
    if (open) {
      to.write(chunk);
    }
  });
}

let stopping = false;
const stop = () => {
  if (stopping) {
    return;
  }

  stopping = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
};

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
child.on('close', (code) => process.exit(code ?? 1));
