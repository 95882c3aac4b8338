"""TMVA option strings of the Factory, the DataLoader and the Reader.

What it is: a thin binding over the C++ option tokenizer, the one that reads
the HashedDNN options (``hashednet::OptionTable``, ``options.h``), so every
option string of a job follows one grammar: keys case-insensitive, a bare
boolean ``Key`` is True and ``!Key`` False (``!Key=Value`` is refused),
booleans are TMVA's (1/0, True/False, T/F, kTRUE/kFALSE), each option once, a
leading ``~`` (TMVA's "already parsed" mark) ignored.

``parse("!V:Silent:Transformations=I;D", schema, where)`` returns a dict of
canonical name -> value. ``schema`` maps each allowed name to its default;
the default's type decides how a value is read (bool, int, float, str);
``choices`` maps a name to its allowed values. An unknown key or value is a
``ValueError`` naming it, suggesting the nearest allowed one and listing them.

What it is not: a parser. Nothing here reads option text itself.
"""

from __future__ import annotations

from .._core import core
from .._errors import translate_errors

__all__ = ["parse", "option_key"]


def option_key(item: str) -> str:
    """The key of one ``Key=Value`` / ``!Key`` item, as written ("" for an empty item)."""
    with translate_errors():
        items = list(core().python_api.written_items(str(item)))
    return str(items[0].first) if items else ""


def _declare(table, name: str, default, allowed) -> None:
    import ROOT

    if allowed is not None:
        table.declare_choice(name, str(default), ROOT.std.vector["std::string"]([str(a) for a in allowed]))
    elif isinstance(default, bool):
        table.declare_bool(name, default)
    elif isinstance(default, int):
        table.declare_integer(name, default)
    elif isinstance(default, float):
        table.declare_real(name, default)
    else:
        table.declare_string(name, str(default))


def _typed(default, text: str):
    """The C++ parser's canonical text as a value of the default's type."""
    if isinstance(default, bool):
        return text == "True"
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def parse(options, schema: dict, where: str, choices: dict | None = None) -> dict:
    """Values of every option in ``schema`` (defaults for those not given)."""
    text = str(options.GetTitle() if hasattr(options, "GetTitle") else options or "")
    table = core().OptionTable(where)
    for name, default in schema.items():
        _declare(table, name, default, (choices or {}).get(name))
    with translate_errors():
        values = [str(v) for v in table.parse(text)]
    return {name: _typed(default, value) for (name, default), value in zip(schema.items(), values)}
