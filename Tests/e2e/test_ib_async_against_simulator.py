"""An independent TWS client (ib_async, pinned) against tickhub-sim: if it accepts our bytes, so should TWS clients."""
import asyncio
import logging
import math

import pytest
from ib_async import IB, Crypto, Forex, Option, Stock
from tickhub_e2e import wait_until


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def ib_log():
    handler = Collect()
    logger = logging.getLogger("ib_async")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.records
    logger.removeHandler(handler)


def decoder_problems(records):
    return [r.getMessage() for r in records
            if r.levelno >= logging.ERROR or "Error handling fields" in r.getMessage() or "timed out" in r.getMessage()]


def test_connect_quotes_positions_and_account_summary(simulator, ib_log):
    port = int(simulator.fields["port"])

    async def session():
        ib = IB()
        errors = []
        ib.errorEvent += lambda reqId, code, msg, contract: errors.append((reqId, code, msg))
        started = asyncio.get_running_loop().time()
        await ib.connectAsync("127.0.0.1", port, clientId=11, timeout=4)
        connect_seconds = asyncio.get_running_loop().time() - started
        assert ib.managedAccounts() == ["DU1234567"]

        stocks = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"), Stock("MSFT", "SMART", "USD"),
                                                Crypto("BTC", "PAXOS", "USD"))
        assert [c.conId for c in stocks] == [265598, 272093, 479624278]
        tickers = [ib.reqMktData(c) for c in stocks]

        def quoted(t):
            return all(not math.isnan(x) for x in (t.bid, t.ask, t.last)) and t.bid < t.ask

        assert await wait_until(lambda: all(quoted(t) for t in tickers)), [(t.bid, t.ask, t.last) for t in tickers]
        for t in tickers:
            assert t.bid > 0 and t.bidSize > 0 and t.askSize > 0 and t.volume > 0 and t.close > 0

        positions = {p.contract.symbol + ":" + p.contract.secType: p for p in ib.positions()}
        assert positions["AAPL:STK"].position == 100 and positions["AAPL:STK"].avgCost == 190.25
        assert positions["MSFT:STK"].position == -50
        assert positions["SPY:OPT"].contract.multiplier == "100"
        assert positions["BTC:CRYPTO"].position == 0.5

        summary = {v.tag: v for v in await ib.accountSummaryAsync()}
        for tag in ("NetLiquidation", "TotalCashValue", "BuyingPower", "GrossPositionValue", "AvailableFunds",
                    "ExcessLiquidity", "UnrealizedPnL", "RealizedPnL"):
            assert tag in summary, tag
        assert float(summary["TotalCashValue"].value) == 250000.0
        assert summary["NetLiquidation"].currency == "USD"

        # The portfolio from reqAccountUpdates (part of connect) agrees with the positions.
        portfolio = {i.contract.conId: i for i in ib.portfolio()}
        assert portfolio[265598].position == 100 and portfolio[265598].averageCost == 190.25

        ib.disconnect()
        return connect_seconds, errors

    connect_seconds, errors = asyncio.run(session())
    assert connect_seconds < 2.0, "a startup request waited for an end marker that never came"
    assert [e for e in errors if e[1] not in (2104, 2106, 2158)] == []
    assert decoder_problems(ib_log) == []


def test_fx_option_delayed_and_unknown(simulator, ib_log):
    port = int(simulator.fields["port"])

    async def session():
        ib = IB()
        errors = []
        ib.errorEvent += lambda reqId, code, msg, contract: errors.append(code)
        await ib.connectAsync("127.0.0.1", port, clientId=12, timeout=4)
        fx, option = await ib.qualifyContractsAsync(Forex("EURUSD"), Option("SPY", "20271217", 600, "C", "SMART"))
        assert fx.localSymbol == "EUR.USD" and option.multiplier == "100"
        ib.reqMarketDataType(3)
        fx_t, opt_t = ib.reqMktData(fx), ib.reqMktData(option)
        assert await wait_until(lambda: fx_t.bid > 0 and fx_t.ask > fx_t.bid and opt_t.last > 0)
        # Entitled symbols get live data even when delayed was asked for, as in TWS.
        assert fx_t.marketDataType == 1
        unknown = await ib.qualifyContractsAsync(Stock("NOPE", "SMART", "USD"))
        ib.disconnect()
        return unknown, errors

    unknown, errors = asyncio.run(session())
    assert unknown == [None]
    assert 200 in errors
    assert decoder_problems([r for r in ib_log if "NOPE" not in r.getMessage()]) == []


def test_delayed_only_symbol_streams_delayed_ticks():
    from conftest import start_simulator
    sim = start_simulator("--delayed-only", "TSLA")
    try:
        port = int(sim.fields["port"])

        async def session():
            ib = IB()
            codes = []
            ib.errorEvent += lambda reqId, code, msg, contract: codes.append(code)
            await ib.connectAsync("127.0.0.1", port, clientId=13, timeout=4)
            [tsla] = await ib.qualifyContractsAsync(Stock("TSLA", "SMART", "USD"))
            live = ib.reqMktData(tsla)
            assert await wait_until(lambda: 10089 in codes)
            ib.cancelMktData(tsla)
            ib.reqMarketDataType(3)
            delayed = ib.reqMktData(tsla)
            assert await wait_until(lambda: delayed.bid > 0 and delayed.last > 0)
            ib.disconnect()
            return codes, delayed.marketDataType, live

        codes, data_type, _ = asyncio.run(session())
        assert 10167 in codes and 10089 in codes
        assert data_type == 3
    finally:
        sim.stop()


def test_client_id_in_use_is_refused(simulator):
    port = int(simulator.fields["port"])

    async def session():
        first = IB()
        await first.connectAsync("127.0.0.1", port, clientId=21, timeout=4)
        second = IB()
        codes = []
        second.errorEvent += lambda reqId, code, msg, contract: codes.append(code)
        with pytest.raises(Exception):
            await second.connectAsync("127.0.0.1", port, clientId=21, timeout=2)
        assert first.isConnected()
        first.disconnect()
        return codes

    codes = asyncio.run(session())
    assert 326 in codes


def test_historical_bars_and_live_update(simulator, ib_log):
    port = int(simulator.fields["port"])

    async def session():
        ib = IB()
        errors = []
        ib.errorEvent += lambda reqId, code, msg, contract: errors.append((reqId, code, msg))
        await ib.connectAsync("127.0.0.1", port, clientId=14, timeout=4)
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        bars = await ib.reqHistoricalDataAsync(aapl, "", "1 D", "1 min", "TRADES", useRTH=True, formatDate=1,
                                               timeout=10)
        history = list(bars)

        live = await ib.reqHistoricalDataAsync(aapl, "", "1 D", "1 min", "TRADES", useRTH=True, formatDate=1,
                                               keepUpToDate=True, timeout=10)
        updates = []
        live.updateEvent += lambda bars, has_new_bar: updates.append(bars[-1])
        updated = await wait_until(lambda: len(updates) > 0, timeout=5)
        ib.cancelHistoricalData(live)
        ib.disconnect()
        return history, updated, updates, errors

    history, updated, updates, errors = asyncio.run(session())
    # --clock open: inside a session, at least the opening minute is there; at most a whole session's 390.
    assert 1 <= len(history) <= 391, len(history)
    assert history[0].date.hour == 9 and history[0].date.minute == 30 and str(history[0].date.tzinfo) == "US/Eastern"
    for bar in history:
        assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high, bar
        assert bar.volume > 0
    times = [bar.date for bar in history]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert updated, "no historicalDataUpdate within 5 s"
    assert updates[-1].low <= updates[-1].close <= updates[-1].high
    assert [e for e in errors if e[1] not in (2104, 2106, 2158)] == []
    assert decoder_problems(ib_log) == []
