#!/usr/bin/env python3
"""The earlier single-file client, kept for the bots and scripts that use it: `TickhubClient(url, symbols)
.messages()` still yields the hub's messages as dicts, and running this file still prints quotes. Both now come
from the `tickhub` package beside it (`pip install ./clients/python`), whose typed stream new code should use.

    python3 clients/python/tickhub_client.py --url ws://127.0.0.1:8080/stream AAPL MSFT EUR.USD BTC
"""
import sys

from tickhub.cli import format_quote, main, report  # noqa: F401  (re-exported for existing users)
from tickhub.client import Client, describe  # noqa: F401


class TickhubClient(Client):
    """One /stream connection, re-established with exponential backoff whenever it drops."""

    def __init__(self, url, symbols, token=None, channels=("status",), min_backoff=0.5, max_backoff=30.0):
        super().__init__(url, symbols, channels=channels, token=token, min_backoff=min_backoff, max_backoff=max_backoff)

    async def messages(self):
        """Yields every message the hub sends, one dict at a time (batches are unpacked), forever; connection
        events go to standard error, as they always did."""
        async for item in self.raw():
            if isinstance(item, dict):
                yield item
            else:
                report(item)


if __name__ == "__main__":
    sys.exit(main())
