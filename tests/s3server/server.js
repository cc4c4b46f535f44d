'use strict';
// S3-protocol test server for the Hub's test session (started by tests/s3_server.py).
// Usage: node server.js PORT DIRECTORY [BUCKET...]
// Listens on 127.0.0.1 only; credentials are s3rver's built-in pair S3RVER / S3RVER.
// PORT 0 lets the OS choose a free port. Prints one line "S3RVER READY <port>" on stdout once it
// accepts connections.

const S3rver = require('@20minutes/s3rver');

const [portArg, directory, ...buckets] = process.argv.slice(2);
if (!portArg || !directory) {
  console.error('usage: node server.js PORT DIRECTORY [BUCKET...]');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portArg),
  directory,
  silent: true,
  // Path-style only: the minio client addresses buckets as /bucket/key on an IP endpoint.
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});

server.run().then(
  (address) => {
    process.stdout.write(`S3RVER READY ${address.port}\n`);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

function shutdown() {
  server.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

// The parent stops us with SIGTERM; close the listener so the port is freed promptly.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, shutdown);
}
// The parent holds our stdin open: when it dies without cleaning up (killed test run), the pipe
// closes and we follow, instead of lingering as an orphan server.
if (process.env.S3RVER_EXIT_ON_STDIN_CLOSE === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
