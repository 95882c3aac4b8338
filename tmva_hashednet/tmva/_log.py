"""TMVA-style console lines (MsgLogger): a 25-wide source column, then ': '.

The source is printed for header lines only (and ``<WARNING>`` for
warnings), as TMVA does; without colour, non-INFO lines get a ``<TYPE> ``
prefix. ``Silent`` suppresses everything.
"""

from __future__ import annotations

import sys

__all__ = ["Logger", "is_silent", "set_global_style"]

_STYLE = {"color": True, "silent": False}
_BOLD, _RED, _RESET = "\033[1m", "\033[31m", "\033[0m"


def set_global_style(color: bool, silent: bool) -> None:
    _STYLE["color"], _STYLE["silent"] = bool(color), bool(silent)


def is_silent() -> bool:
    """The Factory's (or Reader's) Silent option: nothing is printed, the epoch table included."""
    return _STYLE["silent"]


def _source_column(source: str) -> str:
    if len(source) > 25:
        source = source[:22] + "..."
    return f"{source:<25}"


class Logger:
    """Prints lines for one source (e.g. ``Factory``, ``DataSetFactory``, a method title)."""

    def __init__(self, source: str):
        self.source = source

    def _emit(self, kind: str, source: str, text: str) -> None:
        if _STYLE["silent"]:
            return
        prefix = "" if _STYLE["color"] or kind == "INFO" else f"<{kind}> "
        for line in str(text).split("\n"):
            body = f"{prefix}{_source_column(source)}: {line}"
            if _STYLE["color"] and kind == "HEADER":
                body = f"{_BOLD}{body}{_RESET}"
            elif _STYLE["color"] and kind in ("WARNING", "ERROR"):
                body = f"{_RED}{body}{_RESET}"
            print(body, file=sys.stdout)
        sys.stdout.flush()

    def header(self, text: str) -> None:
        self._emit("HEADER", self.source, text)

    def info(self, text: str = "") -> None:
        self._emit("INFO", "", text)

    def warning(self, text: str) -> None:
        self._emit("WARNING", "<WARNING>", text)

    def error(self, text: str) -> None:
        """TMVA's kERROR line: the run goes on (a failure that stops it is an exception)."""
        self._emit("ERROR", "<ERROR>", text)

    def raw(self, text: str = "") -> None:
        """A line without the source column (tables, the citation)."""
        if not _STYLE["silent"]:
            print(text, flush=True)
