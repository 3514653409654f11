#!/usr/bin/env python3
"""Writes Tests/Fixtures/tws/ib_async-historical-requests.json: the exact bytes ib_async's own Client puts on the
socket for reqHistoricalData, cancelHistoricalData, reqHeadTimeStamp and cancelHeadTimeStamp, which
Tests/TWSProtocolTests/HistoricalDataTests.swift decodes. Nothing is connected: the client's socket is replaced by
a list that keeps what it would have sent. Run it again after upgrading ib_async; the file records the version.

    python3 Tests/e2e/ib_async_historical_requests.py
"""
import base64
import json
from pathlib import Path

import ib_async
from ib_async import ComboLeg, Contract, Stock, TagValue
from ib_async.client import Client
from ib_async.wrapper import Wrapper

OUT = Path(__file__).resolve().parent.parent / "Fixtures" / "tws" / "ib_async-historical-requests.json"
SERVER_VERSION = 176


def capture(call) -> bytes:
    client = Client(Wrapper(None))
    sent = []
    client.conn.sendMsg = sent.append
    client.connState = Client.CONNECTED
    client._serverVersion = SERVER_VERSION
    call(client)
    assert len(sent) == 1, f"expected one frame, got {len(sent)}"
    return sent[0]


def main():
    aapl = Stock("AAPL", "SMART", "USD", primaryExchange="NASDAQ")
    aapl.conId = 265598
    spread = Contract(secType="BAG", symbol="SPY", exchange="SMART", currency="USD")
    spread.comboLegs = [ComboLeg(conId=756733, ratio=1, action="BUY", exchange="SMART"),
                        ComboLeg(conId=756734, ratio=2, action="SELL", exchange="SMART")]
    requests = {
        "reqHistoricalData": lambda c: c.reqHistoricalData(
            4001, aapl, "", "1 D", "5 mins", "TRADES", True, 1, True, [TagValue("XYZ", "1")]),
        "reqHistoricalData-endDate-epoch": lambda c: c.reqHistoricalData(
            4002, aapl, "20260402 16:00:00 US/Eastern", "2 W", "1 hour", "MIDPOINT", False, 2, False, []),
        "reqHistoricalData-BAG": lambda c: c.reqHistoricalData(
            4003, spread, "", "1 D", "1 min", "BID_ASK", True, 1, False, []),
        "cancelHistoricalData": lambda c: c.cancelHistoricalData(4001),
        "reqHeadTimeStamp": lambda c: c.reqHeadTimeStamp(4004, aapl, "TRADES", True, 2),
        "cancelHeadTimeStamp": lambda c: c.cancelHeadTimeStamp(4004),
    }
    frames = {name: base64.b64encode(capture(call)).decode() for name, call in requests.items()}
    OUT.write_text(json.dumps({"ib_async": ib_async.__version__, "serverVersion": SERVER_VERSION,
                               "frames": frames}, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
