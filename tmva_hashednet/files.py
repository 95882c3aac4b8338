"""Opening ROOT files with a clear error, and output files that appear
whole or not at all.

:func:`open_root_file` opens an existing file for reading, or raises
FileNotFoundError naming it (PyROOT raises a bare OSError, or returns a
zombie, depending on what is wrong).

:func:`atomic_root_file` opens ``<name>.tmp-<pid>`` (RECREATE), yields the
TFile, and on success closes it and renames it to ``<name>``; on an exception
it closes and deletes the temporary file, so an interrupted run leaves neither
a half-written output file nor a stale temporary. :func:`write_text_atomically`
does the same for text files (weight files).
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["atomic_root_file", "open_root_file", "write_text_atomically"]


def open_root_file(path, what: str = "ROOT file"):
    """The TFile at ``path``, open for reading; FileNotFoundError naming ``what`` and the path otherwise."""
    import ROOT

    path = os.fspath(path)
    if "://" not in path and not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    previous, ROOT.gErrorIgnoreLevel = ROOT.gErrorIgnoreLevel, ROOT.kFatal  # the error below says it all
    try:
        handle = ROOT.TFile.Open(path)
    except OSError:  # PyROOT raises where TFile::Open returns a null pointer
        handle = None
    finally:
        ROOT.gErrorIgnoreLevel = previous
    if not handle or handle.IsZombie():
        raise FileNotFoundError(f"cannot open {what} {path!r} (not a ROOT file, or not readable)")
    return handle


def _temporary_name(path: str) -> str:
    return f"{path}.tmp-{os.getpid()}"


@contextlib.contextmanager
def atomic_root_file(path, title: str = ""):
    """``with atomic_root_file("TMVA.root") as output: ...`` (a ROOT.TFile)."""
    import ROOT

    path = os.fspath(path)
    temporary = _temporary_name(path)
    handle = ROOT.TFile.Open(temporary, "RECREATE", title)
    if not handle or handle.IsZombie():
        raise OSError(f"cannot create ROOT file {temporary!r} (for {path!r})")
    try:
        yield handle
        handle.Close()
        os.replace(temporary, path)
    except BaseException:
        if handle.IsOpen():
            handle.Close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def write_text_atomically(path, text: str) -> None:
    """Writes text to a temporary file in the same folder, then renames it."""
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    temporary = _temporary_name(path)
    try:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
