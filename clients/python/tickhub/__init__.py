"""Tickhub's Python client: typed live quotes and P&L from a hub's /stream WebSocket, reconnecting by itself.

    import asyncio, tickhub

    async def main():
        async with tickhub.Client("ws://127.0.0.1:8080/stream", ["AAPL", "EUR.USD"], channels=["pnl"]) as hub:
            async for event in hub:
                if isinstance(event, tickhub.Quote) and not event.stale:
                    print(event.symbol, event.price, "market open:", event.marketOpen)

    asyncio.run(main())

The protocol is in docs/protocol.md of the Tickhub repository.
"""
from .client import Client, normalize
from .events import Connected, Disconnected, HubError, IBKRStatus, Pong, Reconnected, SourceChange
from .messages import decode
from .pnl import PnL, PnLTotals, ValuedPosition
from .quote import Quote

__all__ = [
    "Client", "normalize", "decode",
    "Quote", "PnL", "PnLTotals", "ValuedPosition",
    "IBKRStatus", "SourceChange", "HubError", "Pong",
    "Connected", "Reconnected", "Disconnected",
]
