"""A quote from the hub: the complete current state of one instrument (docs/protocol.md, `quote`)."""
import dataclasses
from datetime import datetime
from typing import Any, Dict, Optional

from . import fields


@dataclasses.dataclass(frozen=True)
class Quote:
    """Every update is a full quote, never a delta: the latest one per symbol is the instrument's state.

    Field names are the hub's (ib_async's words). Figures are floats or None (None: the hub has no value, e.g.
    `last` for FX); `timestamp` is the source update's time in ms since the epoch, `t` the hub's receipt in µs.
    A `stale` quote is the last known state, not live: show it marked, never trade on it as current.
    """

    symbol: str
    bid: Optional[float]
    ask: Optional[float]
    last: Optional[float]
    bidSize: Optional[float]
    askSize: Optional[float]
    lastSize: Optional[float]
    volume: Optional[float]
    open: Optional[float]
    high: Optional[float]
    low: Optional[float]
    close: Optional[float]             # the previous session's close
    change: Optional[float]
    changePercent: Optional[float]
    timestamp: Optional[int]           # ms since the epoch, of the source update
    source: Optional[str]              # ibkr, yahoo, alphavantage, push
    delayed: bool
    stale: bool
    seq: Optional[int]
    t: Optional[int]                   # µs since the epoch, when the hub received it
    ts: Optional[int]                  # µs, the publisher's own stamp (pushed quotes only)
    snapshot: bool                     # the first quote after subscribing, for a symbol the hub already had
    marketOpen: Optional[bool]         # the instrument's regular session; None from a hub that does not say
    # Options, when the source computes them; None otherwise.
    impliedVolatility: Optional[float]
    delta: Optional[float]
    gamma: Optional[float]
    vega: Optional[float]
    theta: Optional[float]
    underlyingPrice: Optional[float]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return fields.read(cls, message)

    @property
    def midpoint(self) -> Optional[float]:
        if self.bid is None or self.ask is None or self.bid <= 0 or self.ask < self.bid:
            return None
        return (self.bid + self.ask) / 2

    @property
    def price(self) -> Optional[float]:
        """The last trade, or the bid/ask midpoint for instruments that quote without trading (FX)."""
        return self.last if self.last is not None else self.midpoint

    @property
    def time(self) -> Optional[datetime]:
        """`timestamp` as a UTC datetime."""
        return fields.from_ms(self.timestamp)

    @property
    def hasGreeks(self) -> bool:
        return self.delta is not None or self.impliedVolatility is not None
