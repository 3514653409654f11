#!/usr/bin/env python3
"""A small Tickhub client for bots: subscribes to symbols on /stream, prints quotes, reconnects with backoff.

    python3 clients/python/tickhub_client.py --url ws://127.0.0.1:8080/stream AAPL MSFT EUR.USD BTC
    python3 clients/python/tickhub_client.py --duration 10 --json AAPL        # raw JSON lines for 10 s

Use it as a library too: `TickhubClient(url, symbols).messages()` is an async iterator of decoded messages
(quotes, statuses, errors) that survives hub restarts. The protocol is in docs/protocol.md.
Needs the `websockets` package (13 or newer).
"""
import argparse
import asyncio
import json
import os
import random
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake


class TickhubClient:
    """One /stream connection, re-established with exponential backoff whenever it drops."""

    def __init__(self, url, symbols, token=None, channels=("status",), min_backoff=0.5, max_backoff=30.0):
        self.url = url
        self.symbols = list(symbols)
        self.token = token
        self.channels = list(channels)
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.connections = 0

    async def messages(self):
        """Yields every message the hub sends, one dict at a time (batches are unpacked), forever.

        After a reconnect it subscribes again; the hub answers with a snapshot (`"snapshot": true`) of each
        symbol it already has and ordinary updates for the rest, so a consumer needs to do nothing special:
        the latest quote received per symbol is its current state.
        """
        attempt = 0
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        while True:
            try:
                # The hub pings clients at the WebSocket level; websockets answers by itself. Its own
                # keepalive pings catch a dead link from this side.
                async with connect(self.url, additional_headers=headers, max_size=2**24,
                                   ping_interval=20, ping_timeout=20, open_timeout=10) as ws:
                    self.connections += 1
                    log(f"connected to {self.url}")
                    if self.channels:
                        await ws.send(json.dumps({"op": "subscribe", "channels": self.channels}))
                    for i in range(0, len(self.symbols), 500):
                        await ws.send(json.dumps({"op": "subscribe", "symbols": self.symbols[i:i + 500]}))
                    async for frame in ws:
                        attempt = 0  # reset only once the hub has really served us
                        if isinstance(frame, bytes):
                            continue
                        decoded = json.loads(frame)
                        # One message, or several batched into an array.
                        for message in decoded if isinstance(decoded, list) else [decoded]:
                            yield message
                # A clean close (1001 when the hub shuts down) ends the loop without an exception.
                why = f"closed by the hub: {ws.close_code} {ws.close_reason or ''}".strip()
            except (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError) as error:
                why = describe(error)
            attempt += 1
            delay = min(self.max_backoff, self.min_backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            log(f"connection lost ({why}); retrying in {delay:.1f} s (attempt {attempt})")
            await asyncio.sleep(delay)


def describe(error):
    if isinstance(error, ConnectionClosed) and error.rcvd is not None:
        # 1001: the hub is shutting down; 1009: our message was too big; 1013: we did not read fast enough.
        return f"closed by the hub: {error.rcvd.code} {error.rcvd.reason}".strip()
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def log(text):
    print(f"tickhub_client: {text}", file=sys.stderr, flush=True)


def fmt(value, decimals):
    return "-" if value is None else f"{value:,.{decimals}f}"


def decimals_for(symbol):
    if len(symbol) == 7 and symbol[3] == "." and symbol.replace(".", "").isalpha():
        return 3 if symbol.endswith("JPY") else 5
    return 2


def format_quote(q):
    d = decimals_for(q["symbol"])
    pct = q.get("changePercent")
    flags = [flag for flag in ("delayed", "stale") if q.get(flag)]
    if q.get("snapshot"):
        flags.append("snapshot")
    return (f"{q['symbol']:<10} bid {fmt(q.get('bid'), d):>12}  ask {fmt(q.get('ask'), d):>12}  "
            f"last {fmt(q.get('last'), d):>12}  {'-' if pct is None else f'{pct:+.2f}%':>8}  "
            f"{q.get('source', '?'):<6} seq {q.get('seq')}" + (f"  [{', '.join(flags)}]" if flags else ""))


async def run(args, stats):
    client = TickhubClient(args.url, args.symbols, token=args.token, channels=[] if args.no_status else ["status"],
                           max_backoff=args.max_backoff)
    async for message in client.messages():
        kind = message.get("type")
        if args.json:
            print(json.dumps(message, separators=(",", ":")), flush=True)
        elif kind == "quote":
            print(format_quote(message), flush=True)
        elif kind == "status":
            ibkr = message.get("ibkr") or {}
            print(f"status     ibkr {ibkr.get('state')} {ibkr.get('host')}:{ibkr.get('port')} "
                  f"clientId {ibkr.get('clientId')}", flush=True)
        elif kind == "error":
            print(f"error      {message.get('code')}: {message.get('message')}", flush=True)
        if kind == "quote":
            stats["quotes"] += 1
            if args.count and stats["quotes"] >= args.count:
                return


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print live quotes from a Tickhub hub.")
    parser.add_argument("symbols", nargs="*", default=["AAPL", "MSFT", "EUR.USD", "BTC"],
                        help="symbols to subscribe to (default: AAPL MSFT EUR.USD BTC)")
    parser.add_argument("--url", default=os.environ.get("TICKHUB_URL", "ws://127.0.0.1:8080/stream"),
                        help="the hub's stream URL (default: $TICKHUB_URL or ws://127.0.0.1:8080/stream)")
    parser.add_argument("--token", default=os.environ.get("TICKHUB_TOKEN"),
                        help="token for a hub that needs one (default: $TICKHUB_TOKEN)")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many quotes (0: no limit)")
    parser.add_argument("--json", action="store_true", help="print each message as one JSON line")
    parser.add_argument("--no-status", action="store_true", help="do not subscribe to the IBKR status channel")
    parser.add_argument("--max-backoff", type=float, default=30.0, help="longest wait between reconnects, in seconds")
    args = parser.parse_args(argv)
    if not args.url.startswith(("ws://", "wss://")):
        parser.error("--url must start with ws:// or wss://, e.g. ws://127.0.0.1:8080/stream")

    started = time.monotonic()
    stats = {"quotes": 0}
    try:
        asyncio.run(asyncio.wait_for(run(args, stats), args.duration) if args.duration > 0 else run(args, stats))
    except (asyncio.TimeoutError, TimeoutError):
        pass  # --duration is up
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Piped into `head` and the reader left: stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    log(f"done after {time.monotonic() - started:.1f} s, {stats['quotes']} quotes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
