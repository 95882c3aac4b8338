"""TMVA option strings of the Factory, the DataLoader and the Reader.

``parse("!V:Silent:Transformations=I;D", schema, where)`` returns a dict of
canonical name -> value. ``schema`` maps each allowed name to its default;
the default's type decides how a value is read (bool: ``Key``/``!Key``/
``Key=True``). Keys are case-insensitive; an unknown key is a ``ValueError``
naming it, suggesting the nearest allowed one and listing them all. (The
HashedDNN method options are read by the C++ parser, not here.)
"""

from __future__ import annotations

import difflib

__all__ = ["parse", "suggestion", "option_key"]

_TRUE = {"true", "1", "t", "ktrue", "yes"}
_FALSE = {"false", "0", "f", "kfalse", "no"}


def suggestion(name: str, allowed) -> str:
    lower = {a.lower(): a for a in allowed}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    return f"; did you mean '{lower[close[0]]}'?" if close else ""


def _value(name: str, text: str, default, where: str):
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"option '{name}' of {where} takes True or False, got '{text}'")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"option '{name}' of {where} takes an integer, got '{text}'") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"option '{name}' of {where} takes a number, got '{text}'") from None
    return text


def option_key(item: str) -> str:
    """The key of one ``Key=Value`` / ``!Key`` item, as written."""
    return _split_item(item.strip())[0]


def _split_item(item: str):
    negated = item.startswith("!")
    item = item.lstrip("!~").strip()
    if "=" in item:
        key, text = (part.strip() for part in item.split("=", 1))
        return key, text, negated
    return item, None, negated


def parse(options, schema: dict, where: str, choices: dict | None = None) -> dict:
    """Values of every option in ``schema`` (defaults for those not given)."""
    options = str(options.GetTitle() if hasattr(options, "GetTitle") else options or "")
    canonical = {name.lower(): name for name in schema}
    values = dict(schema)
    for item in (piece.strip() for piece in options.split(":")):
        if not item:
            continue
        key, text, negated = _split_item(item)
        name = canonical.get(key.lower())
        if name is None:
            raise ValueError(
                f"unknown option '{key}' in {where} options '{options}'{suggestion(key, schema)}; "
                f"allowed options: {', '.join(schema)}"
            )
        default = schema[name]
        if text is None:
            if not isinstance(default, bool):
                raise ValueError(f"option '{name}' of {where} needs a value ({name}=...)")
            values[name] = not negated
            continue
        values[name] = _value(name, text, default, where)
        allowed = (choices or {}).get(name)
        if allowed is not None:
            values[name] = _choice(name, values[name], allowed, where)
    return values


def _choice(name: str, value: str, allowed, where: str) -> str:
    for option in allowed:
        if option.lower() == str(value).lower():
            return option
    raise ValueError(
        f"value '{value}' of option '{name}' in {where} is not allowed{suggestion(str(value), allowed)}; "
        f"allowed values: {', '.join(allowed)}"
    )
