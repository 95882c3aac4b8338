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
import errno
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


def _check_target(path: str) -> None:
    if not path:
        raise ValueError("cannot write a file with an empty path: give a file name, e.g. 'network.txt'")
    if path.endswith(os.sep) or os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"cannot write {path!r}: it is a folder; give a file name")


def _os_error(error: OSError, path: str) -> OSError:
    """The OSError of a failed write, naming the target ``path`` (not the temporary) and the OS reason."""
    reason = error.strerror or os.strerror(error.errno or errno.EIO)
    return type(error)(error.errno, f"cannot write {path!r}: {reason}")


def write_text_atomically(path, text: str) -> None:
    """Writes text to a temporary file in the same folder, then renames it.
    An OSError names ``path`` and the OS's reason (e.g. "Permission denied")."""
    path = os.fspath(path)
    _check_target(path)
    temporary = _temporary_name(path)
    try:
        folder = os.path.dirname(path)
        if folder and os.path.exists(folder) and not os.path.isdir(folder):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(error, OSError):
            raise _os_error(error, path) from None
        raise
