"""How a hub message becomes a dataclass: each field read by its annotated type, leniently.

Prices and other figures become floats or None (JSON writes integral values as `100`, and an absent value is
null or missing); timestamps become ints; a value of the wrong type becomes None rather than an exception, so a
newer or older hub never stops a bot. A class may name the older spellings of a field (`OLD_NAMES`): the hub's
JSON moves to the ib_async vocabulary (`marketPrice`, not `mark`), and both are read while hubs catch up.
"""
import dataclasses
import math
import typing
from datetime import datetime, timezone


def number(value):
    """A float, or None for null, a missing value, a boolean or anything not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def integer(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def text(value):
    return value if isinstance(value, str) else None


def flag(value):
    """True only for JSON true: a missing flag is not a claim."""
    return value is True


def optional_flag(value):
    """True, False, or None when the hub did not say (an older hub without the field)."""
    return value if isinstance(value, bool) else None


def strings(value):
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


_READERS = {
    float: number, typing.Optional[float]: number,
    int: integer, typing.Optional[int]: integer,
    str: text, typing.Optional[str]: text,
    bool: flag, typing.Optional[bool]: optional_flag,
    typing.List[str]: strings, list[str]: strings,
}


def lookup(message, name, old_names=()):
    """The value under `name`, or under its first older spelling present."""
    if name in message:
        return message[name]
    for old in old_names:
        if old in message:
            return message[old]
    return None


_PLANS = {}


def _plan(cls):
    """For each field of `cls` in order: its name, its reader (None for `raw`, and for nested values, which the
    caller gives), and its older spellings. Worked out once per class: decoding runs for every quote."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        old_names = getattr(cls, "OLD_NAMES", {})
        plan = _PLANS[cls] = [(f.name, _READERS.get(hints[f.name]), tuple(old_names.get(f.name, ())))
                              for f in dataclasses.fields(cls) if f.init]
    return plan


def read(cls, message, **given):
    """An instance of dataclass `cls` from `message` (a dict): every field with a plain type is read by it;
    the others (nested values) must be in `given`. `raw` keeps the message itself."""
    values = {}
    for name, reader, old_names in _plan(cls):
        if name in given:
            continue
        if name == "raw":
            values["raw"] = message
        elif reader is None:
            raise TypeError(f"{cls.__name__}.{name}: no reader for its type")
        else:
            value = message.get(name)
            if value is None and old_names and name not in message:
                value = lookup(message, name, old_names)
            values[name] = reader(value)
    return cls(**values, **given)


def from_ms(ms):
    """A timezone-aware UTC datetime from milliseconds since the epoch, or None."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def from_us(us):
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)
