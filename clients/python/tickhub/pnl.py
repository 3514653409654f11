"""The `pnl` channel: every position valued against the hub's quotes (docs/protocol.md, `pnl`; the body of
GET /api/portfolio/pnl). Totals are in USD; a position's own figures are in its currency."""
import dataclasses
from datetime import datetime
from typing import Any, ClassVar, Dict, List, Optional

from . import fields


@dataclasses.dataclass(frozen=True)
class ValuedPosition:
    """One holding and its value now. `stale`: its mark is not live (the source cannot vouch for it)."""

    OLD_NAMES: ClassVar[Dict[str, tuple]] = {
        "marketPrice": ("mark",), "avgCost": ("averageCost",), "secType": ("securityType",),
    }

    broker: Optional[str]
    account: Optional[str]
    symbol: Optional[str]
    secType: Optional[str]
    conId: Optional[int]
    exchange: Optional[str]
    currency: Optional[str]
    quantity: Optional[float]
    avgCost: Optional[float]            # as the broker reports it (IBKR: per contract for options)
    costPerUnit: Optional[float]        # per unit of the underlying price
    multiplier: Optional[float]
    marketPrice: Optional[float]        # the mark the position is valued at
    markMethod: Optional[str]           # last, midpoint, lastKnown
    marketValue: Optional[float]
    unrealizedPnl: Optional[float]
    dailyPnl: Optional[float]
    realizedPnl: Optional[float]
    unrealizedPercent: Optional[float]
    usdRate: Optional[float]
    quoteSource: Optional[str]
    quoteTimestamp: Optional[int]       # ms since the epoch: when the mark's quote was made
    marketOpen: Optional[bool]          # its instrument's regular session; None from a hub that does not say
    stale: bool
    brokerUnrealizedPnl: Optional[float]
    delta: Optional[float]              # options, when known
    deltaExposure: Optional[float]      # delta × quantity × multiplier, in underlying shares
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return fields.read(cls, message)

    @property
    def quoteTime(self) -> Optional[datetime]:
        return fields.from_ms(self.quoteTimestamp)


@dataclasses.dataclass(frozen=True)
class PnLTotals:
    positions: Optional[int]
    marketValue: Optional[float]
    unrealizedPnl: Optional[float]
    dailyPnl: Optional[float]
    unvalued: Optional[int]             # positions without a price
    stale: Optional[int]                # positions whose mark is not live
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return fields.read(cls, message if isinstance(message, dict) else {})


@dataclasses.dataclass(frozen=True)
class PnL:
    """One `pnl` message: the positions, their totals, and the totals by broker and by `broker:account`."""

    t: Optional[int]                    # µs since the epoch, when the hub valued them
    quoteT: Optional[int]               # µs: the newest quote's `t` behind these values
    positions: List[ValuedPosition]
    totals: PnLTotals
    byBroker: Dict[str, PnLTotals]
    byAccount: Dict[str, PnLTotals]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        def groups(name):
            value = message.get(name)
            return {key: PnLTotals.from_message(totals) for key, totals in value.items()} if isinstance(value, dict) else {}
        positions = message.get("positions")
        return fields.read(
            cls, message,
            positions=[ValuedPosition.from_message(p) for p in positions if isinstance(p, dict)] if isinstance(positions, list) else [],
            totals=PnLTotals.from_message(message.get("totals")),
            byBroker=groups("byBroker"), byAccount=groups("byAccount"))

    @property
    def time(self) -> Optional[datetime]:
        return fields.from_us(self.t)

    @property
    def staleCount(self) -> int:
        return sum(1 for p in self.positions if p.stale)
