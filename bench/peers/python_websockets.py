#!/usr/bin/env python3
"""python-websockets: the broadcast server a team would write with the `websockets` asyncio API, as a peer
for Tickhub's benchmark suite. /stream clients subscribe to symbols; /publish feeds updates; every update
goes to each subscriber as its own text frame (no batching, no conflation).

    python3 bench/peers/python_websockets.py [--port N] [--host ADDR]
"""
import argparse
import asyncio
import json
import signal
from http import HTTPStatus

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

subscribers: dict[str, set] = {}  # symbol → set of client connections

BAD_SHAPE = 'expected {"op":"subscribe"|"unsubscribe","symbols":[...]}'


def path_of(request):
    return request.path.split("?", 1)[0]


def only_known_paths(connection, request):
    if path_of(request) not in ("/stream", "/publish"):
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
    return None


def error_frame(message):
    return json.dumps({"type": "error", "code": "bad_request", "message": message}, separators=(",", ":"))


def parse_request(message):
    """Returns (op, symbols), or an error message string."""
    if isinstance(message, bytes):
        return "binary frames are not supported"
    try:
        request = json.loads(message)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return "invalid JSON"
    if not isinstance(request, dict) or request.get("op") not in ("subscribe", "unsubscribe") \
            or not isinstance(request.get("symbols"), list):
        return BAD_SHAPE
    if not all(isinstance(s, str) for s in request["symbols"]):
        return "symbols must be an array of strings"
    return request["op"], request["symbols"]


async def client(connection):
    mine = set()  # this client's symbols, to leave them all on close
    try:
        async for message in connection:
            parsed = parse_request(message)
            if isinstance(parsed, str):
                await connection.send(error_frame(parsed))
                continue
            op, symbols = parsed
            for symbol in symbols:
                if op == "subscribe":
                    subscribers.setdefault(symbol, set()).add(connection)
                    mine.add(symbol)
                else:
                    leave(connection, symbol)
                    mine.discard(symbol)
    except ConnectionClosed:
        pass  # an abrupt disconnect is routine under load
    finally:
        for symbol in mine:
            leave(connection, symbol)


def leave(connection, symbol):
    subs = subscribers.get(symbol)
    if subs is not None:
        subs.discard(connection)
        if not subs:
            del subscribers[symbol]


async def publisher(connection):
    try:
        async for message in connection:
            if isinstance(message, bytes):
                continue
            try:
                parsed = json.loads(message)
            except (ValueError, RecursionError):
                continue  # a bad feed frame is dropped, the feed stays connected
            for update in parsed if isinstance(parsed, list) else [parsed]:
                if not isinstance(update, dict) or not isinstance(update.get("symbol"), str):
                    continue
                subs = subscribers.get(update["symbol"])
                if subs:
                    # broadcast() encodes once and writes without waiting for any client to drain, so one
                    # slow client cannot stall the feed (its buffer grows instead).
                    broadcast(subs, json.dumps(update, separators=(",", ":"), ensure_ascii=False))
    except ConnectionClosed:
        pass


async def handler(connection):
    if path_of(connection.request) == "/publish":
        await publisher(connection)
    else:
        await client(connection)


async def main(args):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(
        handler, args.host, args.port,
        process_request=only_known_paths,
        compression=None,
        max_size=16 * 1024 * 1024,  # publisher frames carry arrays of updates
        close_timeout=2,  # so shutdown does not wait long on clients that stopped reading
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"python-websockets: listening port={port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    arguments = parser.parse_args()
    try:
        import uvloop  # used when the machine has it; the stock asyncio loop otherwise
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop else asyncio.run)(main(arguments))
