"""`tickhub-client`: prints a hub's live quotes (and, asked, its P&L), reconnecting with backoff.

    tickhub-client --url ws://127.0.0.1:8080/stream AAPL MSFT EUR.USD BTC
    tickhub-client --duration 10 --json AAPL        # raw JSON lines for 10 s
    tickhub-client --pnl                            # the positions' P&L as it moves

Quotes, statuses, P&L and errors go to standard output; connection events to standard error.
"""
import argparse
import asyncio
import json
import os
import sys
import time

from .client import Client
from .events import Connected, Disconnected, HubError, IBKRStatus, Reconnected, SourceChange
from .pnl import PnL
from .quote import Quote

PROGRAM = "tickhub-client"


def log(text):
    print(f"{PROGRAM}: {text}", file=sys.stderr, flush=True)


def report(event):
    """A connection event, on standard error."""
    if isinstance(event, (Connected, Reconnected)):
        log(f"connected to {event.url}")
    elif isinstance(event, Disconnected):
        log(f"connection lost ({event.reason}); retrying in {event.retryIn:.1f} s (attempt {event.attempt})")


def fmt(value, decimals):
    return "-" if value is None else f"{value:,.{decimals}f}"


def decimals_for(symbol):
    if len(symbol) == 7 and symbol[3] == "." and symbol.replace(".", "").isalpha():
        return 3 if symbol.endswith("JPY") else 5
    return 2


def format_quote(q: Quote):
    d = decimals_for(q.symbol)
    pct = q.changePercent
    flags = [name for name in ("delayed", "stale", "snapshot") if getattr(q, name)]
    if q.marketOpen is False:
        flags.append("closed")
    greeks = ""
    if q.hasGreeks:
        iv = "-" if q.impliedVolatility is None else f"{q.impliedVolatility * 100:.1f}%"
        greeks = f"  delta {fmt(q.delta, 3)} iv {iv}"
    return (f"{q.symbol:<10} bid {fmt(q.bid, d):>12}  ask {fmt(q.ask, d):>12}  "
            f"last {fmt(q.last, d):>12}  {'-' if pct is None else f'{pct:+.2f}%':>8}  "
            f"{q.source or '?':<6} seq {q.seq}{greeks}" + (f"  [{', '.join(flags)}]" if flags else ""))


def format_pnl(p: PnL):
    t = p.totals
    stale = f"  [{p.staleCount} stale]" if p.staleCount else ""
    return (f"pnl        {t.positions} positions  value {fmt(t.marketValue, 2)}  unrealized {fmt(t.unrealizedPnl, 2)}  "
            f"daily {fmt(t.dailyPnl, 2)} USD{stale}")


def print_event(event):
    if isinstance(event, Quote):
        print(format_quote(event), flush=True)
    elif isinstance(event, PnL):
        print(format_pnl(event), flush=True)
    elif isinstance(event, IBKRStatus):
        print(f"status     ibkr {event.state} {event.host}:{event.port} clientId {event.clientId}", flush=True)
    elif isinstance(event, SourceChange):
        print(f"status     {event.symbol} now from {event.source or 'nobody'} (was {event.previousSource}): "
              f"{event.reason or ''}", flush=True)
    elif isinstance(event, HubError):
        print(f"error      {event.code}: {event.message}", flush=True)
    else:
        report(event)


async def run(args, stats):
    channels = ([] if args.no_status else ["status"]) + (["pnl"] if args.pnl else [])
    async with Client(args.url, args.symbols, channels=channels, token=args.token, max_backoff=args.max_backoff) as hub:
        async for event in (hub.raw() if args.json else hub):
            if isinstance(event, dict):
                print(json.dumps(event, separators=(",", ":")), flush=True)
                is_quote = event.get("type") == "quote"
            else:
                print_event(event)
                is_quote = isinstance(event, Quote)
            if is_quote:
                stats["quotes"] += 1
                if args.count and stats["quotes"] >= args.count:
                    return


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROGRAM, description="Print live quotes from a Tickhub hub.")
    parser.add_argument("symbols", nargs="*", default=["AAPL", "MSFT", "EUR.USD", "BTC"],
                        help="symbols to subscribe to (default: AAPL MSFT EUR.USD BTC)")
    parser.add_argument("--url", default=os.environ.get("TICKHUB_URL", "ws://127.0.0.1:8080/stream"),
                        help="the hub's stream URL (default: $TICKHUB_URL or ws://127.0.0.1:8080/stream)")
    parser.add_argument("--token", default=os.environ.get("TICKHUB_TOKEN"),
                        help="token for a hub that needs one (default: $TICKHUB_TOKEN)")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many quotes (0: no limit)")
    parser.add_argument("--json", action="store_true", help="print each message as one JSON line")
    parser.add_argument("--pnl", action="store_true", help="also print the positions' P&L (the pnl channel)")
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
