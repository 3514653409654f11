"""What the stream yields besides quotes and P&L: the connection's own events, and the hub's statuses and errors."""
import dataclasses
from typing import Any, Dict, List, Optional

from . import fields


# ----- The connection (made by the client, not sent by the hub)

@dataclasses.dataclass(frozen=True)
class Connected:
    """The stream is open and the subscriptions were sent. `connections` counts opens since the client started."""

    url: str
    connections: int


@dataclasses.dataclass(frozen=True)
class Reconnected(Connected):
    """Open again after a Disconnected. Subscriptions were sent again; each symbol the hub already has arrives
    as a snapshot, so the latest quote per symbol is again the state. Quotes missed meanwhile are gone."""


@dataclasses.dataclass(frozen=True)
class Disconnected:
    """The stream is not open; the client tries again in `retryIn` seconds. `attempt` 1 is the loss of an open
    connection (or the first try failing); higher ones are retries that failed. Quotes held from before are
    the last known state, no longer live. `code` is the WebSocket close code when there was one (1001: the hub
    shut down; 1013: this client did not read for 30 s)."""

    reason: str
    code: Optional[int]
    attempt: int
    retryIn: float


# ----- From the hub

@dataclasses.dataclass(frozen=True)
class IBKRStatus:
    """The IBKR connection, on the `status` channel: once on subscribing, then on each change."""

    state: Optional[str]                 # ready, degraded, connecting, reconnecting, disconnected, unknown
    degraded: List[str]                  # linkLost, farmBroken, competingSession (when degraded)
    attempt: Optional[int]
    retryInSeconds: Optional[float]
    host: Optional[str]
    port: Optional[int]
    clientId: Optional[int]
    serverVersion: Optional[int]
    connectedSince: Optional[int]        # ms since the epoch
    lastError: Optional[str]
    accounts: List[str]
    linesInUse: Optional[int]
    lineBudget: Optional[int]
    messagesInPerSecond: Optional[float]
    messagesOutPerSecond: Optional[float]
    connections: Optional[int]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return fields.read(cls, message["ibkr"] if isinstance(message.get("ibkr"), dict) else {})


@dataclasses.dataclass(frozen=True)
class SourceChange:
    """A symbol's quotes now come from another provider; `source` None: no provider can serve it now."""

    symbol: Optional[str]
    source: Optional[str]
    previousSource: Optional[str]
    reason: Optional[str]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return fields.read(cls, message)


@dataclasses.dataclass(frozen=True)
class HubError:
    """The hub's `error` message: `code` is stable (docs/protocol.md, Error codes), `message` is for people.
    Errors never close the connection."""

    code: Optional[str]
    message: Optional[str]
    symbol: Optional[str]
    count: Optional[int]                 # errors_suppressed: how many more were not sent
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return fields.read(cls, message)


@dataclasses.dataclass(frozen=True)
class Pong:
    id: Any
    t: Optional[int]                     # the hub's clock, µs since the epoch
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_message(cls, message):
        return cls(id=message.get("id"), t=fields.integer(message.get("t")), raw=message)
