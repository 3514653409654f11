"""One hub message (a dict decoded from JSON) as its typed value."""
from .events import HubError, IBKRStatus, Pong, SourceChange
from .pnl import PnL
from .quote import Quote


def decode(message):
    """The typed value of a message, or None for a type this client does not know (the hub may add more:
    clients ignore them) and for `authenticated`."""
    if not isinstance(message, dict):
        return None
    kind = message.get("type")
    if kind == "quote" and isinstance(message.get("symbol"), str):
        return Quote.from_message(message)
    if kind == "pnl":
        return PnL.from_message(message)
    if kind == "status":
        # The IBKR channel carries `ibkr`; a symbol's change of provider carries `symbol`.
        return IBKRStatus.from_message(message) if "ibkr" in message else SourceChange.from_message(message)
    if kind == "error":
        return HubError.from_message(message)
    if kind == "pong":
        return Pong.from_message(message)
    return None
