"""The /stream connection: opened, subscribed, read, and opened again with backoff whenever it drops.

    async with Client("ws://127.0.0.1:8080/stream", ["AAPL", "EUR.USD"], channels=["pnl"]) as hub:
        async for event in hub:          # Quote, PnL, IBKRStatus, SourceChange, HubError, Connected, ...
            ...

The stream is pulled: nothing is read while the loop body runs, so a slow bot slows its own connection and the
hub conflates for it (the latest quote per symbol, never a backlog) instead of this process queueing frames.
"""
import asyncio
import contextlib
import json
import logging
import random
import weakref

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from .events import Connected, Disconnected, Reconnected
from .messages import decode
from .quote import Quote

log = logging.getLogger("tickhub")

# Symbols per subscribe message: a few hundred stay far below the hub's 64 KiB message limit.
SUBSCRIBE_CHUNK = 500


def normalize(symbol):
    """The hub's form of a symbol: upper case, trimmed, inner runs of spaces as one (`brk  b` -> `BRK B`)."""
    return " ".join(str(symbol).split()).upper()


def describe(error):
    """Why a connection ended or could not be made, for people; and its close code if it had one."""
    if isinstance(error, ConnectionClosed) and error.rcvd is not None:
        # 1001: the hub is shutting down; 1009: our message was too big; 1013: we did not read fast enough.
        return f"closed by the hub: {error.rcvd.code} {error.rcvd.reason}".strip(), error.rcvd.code
    if isinstance(error, ConnectionClosed):
        return "connection lost without a close frame", None
    return (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__), None


class Client:
    """One /stream connection to a hub, kept open. Iterate it (`async for`) for typed events; `raw()` gives the
    hub's messages as dicts instead. Subscribe and unsubscribe at any time, connected or not: the client keeps
    the set and sends it again on every new connection."""

    def __init__(self, url, symbols=(), *, channels=(), token=None, min_backoff=0.5, max_backoff=30.0,
                 open_timeout=10.0, ping_interval=20.0):
        if not str(url).startswith(("ws://", "wss://")):
            raise ValueError(f"url must start with ws:// or wss://, e.g. ws://127.0.0.1:8080/stream (got {url!r})")
        self.url = url
        self.token = token
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.open_timeout = open_timeout
        self.ping_interval = ping_interval
        self.connections = 0
        self._symbols = dict.fromkeys(normalize(s) for s in symbols)   # ordered set
        self._channels = dict.fromkeys(channels)
        self._ws = None
        self._reading = False
        self._closing = False
        self._stop = asyncio.Event()
        self._iterators = weakref.WeakSet()   # the iterations handed out, for close() to end

    # ----- What is wanted

    @property
    def symbols(self):
        return tuple(self._symbols)

    @property
    def channels(self):
        return tuple(self._channels)

    async def subscribe(self, *symbols, channels=()):
        """Adds symbols (and channels: `pnl`, `status`); sent now if connected, and on every reconnect."""
        new = [s for s in map(normalize, symbols) if s not in self._symbols]
        self._symbols.update(dict.fromkeys(new))
        new_channels = [c for c in channels if c not in self._channels]
        self._channels.update(dict.fromkeys(new_channels))
        await self._send_subscribe(self._ws, new, new_channels)

    async def unsubscribe(self, *symbols, channels=()):
        """Stops symbols (and channels). Quotes for them still on their way are not yielded."""
        gone = [s for s in map(normalize, symbols) if s in self._symbols]
        for s in gone:
            del self._symbols[s]
        gone_channels = [c for c in channels if c in self._channels]
        for c in gone_channels:
            del self._channels[c]
        ws = self._ws
        if ws is None or not (gone or gone_channels):
            return
        message = {"op": "unsubscribe"}
        if gone:
            message["symbols"] = gone
        if gone_channels:
            message["channels"] = gone_channels
        await self._send(ws, message)

    async def _send_subscribe(self, ws, symbols, channels):
        if ws is None:
            return
        if channels:
            await self._send(ws, {"op": "subscribe", "channels": list(channels)})
        for i in range(0, len(symbols), SUBSCRIBE_CHUNK):
            await self._send(ws, {"op": "subscribe", "symbols": list(symbols[i:i + SUBSCRIBE_CHUNK])})

    @staticmethod
    async def _send(ws, message):
        try:
            await ws.send(json.dumps(message))
        except ConnectionClosed:
            pass  # the reader sees the close and reconnects; the set is sent again then

    # ----- Reading

    def __aiter__(self):
        return self._track(self._typed())

    def raw(self):
        """Every message the hub sends, one dict at a time (batched frames unpacked), with the connection's
        events (Connected, Reconnected, Disconnected) between them. Never ends until `close()`."""
        return self._track(self._run())

    def _track(self, iterator):
        self._iterators.add(iterator)
        return iterator

    async def _typed(self):
        async with contextlib.aclosing(self._run()) as items:
            async for item in items:
                if not isinstance(item, dict):
                    yield item
                    continue
                value = decode(item)
                # A frame already on its way may carry a quote for a symbol just unsubscribed.
                if value is None or (isinstance(value, Quote) and value.symbol not in self._symbols):
                    continue
                yield value

    async def _run(self):
        # One connection per client: subscribe() and unsubscribe() speak on it, so two loops reading one client
        # would each open their own and the subscriptions would follow only one of them.
        if self._reading:
            raise RuntimeError("a Client is read by one loop at a time; make another Client for a second stream")
        self._reading = True
        try:
            async with contextlib.aclosing(self._connections()) as connections:
                async for item in connections:
                    yield item
        finally:
            self._reading = False

    async def _connections(self):
        attempt = 0
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        while not self._closing:
            try:
                # The hub pings silent clients at the WebSocket level and websockets answers by itself; its own
                # keepalive pings catch a dead link from this side.
                async with connect(self.url, additional_headers=headers, max_size=2**24, proxy=None,
                                   ping_interval=self.ping_interval, ping_timeout=self.ping_interval,
                                   open_timeout=self.open_timeout) as ws:
                    self._ws = ws
                    self.connections += 1
                    await self._send_subscribe(ws, list(self._symbols), list(self._channels))
                    yield (Reconnected if self.connections > 1 else Connected)(self.url, self.connections)
                    async for frame in ws:
                        attempt = 0  # reset only once the hub has really served us
                        if isinstance(frame, bytes):
                            continue
                        try:
                            decoded = json.loads(frame)
                        except ValueError:
                            log.warning("not JSON from the hub: %.200s", frame)
                            continue
                        # One message, or several batched into an array.
                        for message in decoded if isinstance(decoded, list) else [decoded]:
                            if isinstance(message, dict):
                                yield message
                # A clean close (1001 when the hub shuts down) ends the loop without an exception.
                reason = f"closed by the hub: {ws.close_code} {ws.close_reason or ''}".strip()
                code = ws.close_code
            except (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError) as error:
                reason, code = describe(error)
            finally:
                self._ws = None
            if self._closing:
                return
            attempt += 1
            delay = min(self.max_backoff, self.min_backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            log.info("connection lost (%s); retrying in %.1f s (attempt %d)", reason, delay, attempt)
            yield Disconnected(reason=reason, code=code, attempt=attempt, retryIn=round(delay, 3))
            try:
                await asyncio.wait_for(self._stop.wait(), delay)   # close() cuts the wait short
            except asyncio.TimeoutError:
                pass

    # ----- Ending

    async def close(self):
        """Closes the connection and ends every iteration of this client."""
        self._closing = True
        self._stop.set()
        ws = self._ws
        if ws is not None:
            await ws.close()
        for iterator in list(self._iterators):
            try:
                await iterator.aclose()
            except RuntimeError:
                pass  # running in another task: the closed socket or the stop ends it there
        self._iterators.clear()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
