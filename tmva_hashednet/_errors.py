"""Turns errors thrown by the C++ core into Python ``ValueError``, and its
``hashednet::Interrupted`` (Ctrl-C during training) into ``KeyboardInterrupt``.

The core throws ``hashednet::Error`` with a message that already names the bad
value and what is allowed; PyROOT surfaces it as a C++ exception proxy whose
text also carries the C++ signature. Users get the message alone.
"""

from __future__ import annotations

import contextlib

__all__ = ["translate_errors"]


def _message(error: Exception) -> str:
    what = getattr(error, "what", None)
    if callable(what):
        try:
            return str(what())
        except Exception:  # not a C++ proxy after all
            pass
    text = str(error)
    return text.split("Error: ", 1)[-1].strip() if "Error: " in text else text


def _is_interrupt(error: Exception) -> bool:
    from ._core import core

    return isinstance(error, core().Interrupted)


@contextlib.contextmanager
def translate_errors():
    """Re-raise hashednet::Interrupted as KeyboardInterrupt, hashednet::Error
    (and other std::exception) as ValueError."""
    try:
        yield
    except (ValueError, TypeError):
        raise
    except Exception as error:
        if hasattr(error, "what"):  # a C++ exception proxy
            if _is_interrupt(error):
                raise KeyboardInterrupt(_message(error)) from None
            raise ValueError(_message(error)) from None
        raise
