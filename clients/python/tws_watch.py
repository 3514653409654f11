"""Prints live quotes from any TWS-protocol server (tickhub-sim, TWS, IB Gateway) using ib_async.

    python3 clients/python/tws_watch.py --port 7497 AAPL MSFT EUR.USD BTC
"""
import argparse
import asyncio
import math

from ib_async import IB, Crypto, Forex, Stock


def contract_for(symbol):
    if "." in symbol and len(symbol) == 7:
        return Forex(symbol.replace(".", ""))
    if symbol in ("BTC", "ETH", "LTC", "BCH"):
        return Crypto(symbol, "PAXOS", "USD")
    return Stock(symbol, "SMART", "USD")


def fmt(x):
    return "       -" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:>10.5g}"


async def main(args):
    ib = IB()
    await ib.connectAsync(args.host, args.port, clientId=args.client_id, timeout=10)
    contracts = [c for c in await ib.qualifyContractsAsync(*[contract_for(s) for s in args.symbols]) if c]
    tickers = [ib.reqMktData(c) for c in contracts]
    print(f"connected to {args.host}:{args.port} (server version {ib.client.serverVersion()}); Ctrl-C stops")
    for _ in range(args.seconds if args.seconds > 0 else 10**9):
        await asyncio.sleep(1)
        line = "  ".join(f"{t.contract.symbol}:{fmt(t.bid)}/{fmt(t.ask)} last {fmt(t.last)}" for t in tickers)
        print(line, flush=True)
    ib.disconnect()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbols", nargs="*", default=["AAPL", "MSFT", "EUR.USD", "BTC"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7497)
    parser.add_argument("--client-id", type=int, default=99)
    parser.add_argument("--seconds", type=int, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
