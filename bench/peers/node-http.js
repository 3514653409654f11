#!/usr/bin/env node
// node-http: a plain Node `http` server answering Tickhub's quote endpoint with a fixed body, as the peer
// for the benchmark suite's HTTP comparison. It measures the HTTP stack alone: no lookup, no encoding.
//
//   node bench/peers/node-http.js --body FILE [--port N] [--host ADDR]
'use strict';

const fs = require('fs');
const http = require('http');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const port = Number(option('--port', '0'));
const host = option('--host', '127.0.0.1');
const bodyFile = option('--body', null);
if (!bodyFile) {
  process.stderr.write('usage: node node-http.js --body FILE [--port N] [--host ADDR]\n');
  process.exit(2);
}

// Read once and kept as bytes, so each response is a header write plus the same buffer.
const quote = fs.readFileSync(bodyFile);
const notFound = Buffer.from(
  JSON.stringify({ error: { code: 'not_found', message: 'no such endpoint' } }),
);

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  const found = req.method === 'GET' && path === '/api/market-data/quote/AAPL';
  const body = found ? quote : notFound;
  res.writeHead(found ? 200 : 404, {
    'Content-Type': 'application/json',
    'Content-Length': body.length,
  });
  res.end(body);
});

server.listen(port, host, () => {
  process.stdout.write(`node-http: listening port=${server.address().port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
