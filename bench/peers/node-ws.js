#!/usr/bin/env node
// node-ws: the broadcast server a team would write with Node and the `ws` package, as a peer for
// Tickhub's benchmark suite. /stream clients subscribe to symbols; /publish feeds updates; every update
// goes to each subscriber as its own text frame (no batching, no conflation).
//
//   node bench/peers/node-ws.js [--port N] [--host ADDR]
'use strict';

const http = require('http');

// Debian ships `ws` outside Node's default search path; fall back to it so a plain `node` start works.
let ws;
try {
  ws = require('ws');
} catch {
  ws = require('/usr/share/nodejs/ws');
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const port = Number(option('--port', '0'));
const host = option('--host', '127.0.0.1');

const subscribers = new Map(); // symbol → Set of client sockets

function errorFrame(message) {
  return JSON.stringify({ type: 'error', code: 'bad_request', message });
}

function handleClient(socket) {
  const mine = new Set(); // this client's symbols, to leave them all on close
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.send(errorFrame('binary frames are not supported'));
    let request;
    try {
      request = JSON.parse(data.toString());
    } catch {
      return socket.send(errorFrame('invalid JSON'));
    }
    const op = request && request.op;
    const symbols = request && request.symbols;
    if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(symbols)) {
      return socket.send(errorFrame('expected {"op":"subscribe"|"unsubscribe","symbols":[...]}'));
    }
    if (!symbols.every((s) => typeof s === 'string')) {
      return socket.send(errorFrame('symbols must be an array of strings'));
    }
    for (const symbol of symbols) {
      if (op === 'subscribe') {
        if (!subscribers.has(symbol)) subscribers.set(symbol, new Set());
        subscribers.get(symbol).add(socket);
        mine.add(symbol);
      } else {
        leave(socket, symbol);
        mine.delete(symbol);
      }
    }
  });
  socket.on('close', () => {
    for (const symbol of mine) leave(socket, symbol);
  });
}

function leave(socket, symbol) {
  const set = subscribers.get(symbol);
  if (!set) return;
  set.delete(socket);
  if (set.size === 0) subscribers.delete(symbol);
}

function handlePublisher(socket) {
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    let parsed;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return; // a bad feed frame is dropped, the feed stays connected
    }
    for (const update of Array.isArray(parsed) ? parsed : [parsed]) {
      const subs = update && typeof update.symbol === 'string' && subscribers.get(update.symbol);
      if (!subs) continue;
      // Encode once: a Buffer is sent as is, where a string would be converted again for every client.
      const frame = Buffer.from(JSON.stringify(update));
      for (const client of subs) {
        if (client.readyState === ws.WebSocket.OPEN) client.send(frame, { binary: false });
      }
    }
  });
}

const server = http.createServer((req, res) => {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
});
const wss = new ws.WebSocketServer({ noServer: true, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const path = req.url.split('?')[0];
  if (path !== '/stream' && path !== '/publish') {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (client) => {
    // A connection reset is routine under load; without a listener it would be an uncaught error.
    client.on('error', () => {});
    if (path === '/publish') handlePublisher(client);
    else handleClient(client);
  });
});

server.listen(port, host, () => {
  process.stdout.write(`node-ws: listening port=${server.address().port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const client of wss.clients) client.terminate();
    server.close();
    process.exit(0);
  });
}
