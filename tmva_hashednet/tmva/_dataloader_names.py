"""A clear error instead of an ended process, for a TMVA that keeps DataLoader names.

What it is: TMVA 4.2.1 as developed in 2015 (where DataLoader was born, e.g.
omazapa/root's master-root-R-tmva) records the name of every DataLoader ever
made in a static list that nothing empties, and a second ``DataLoader("dataset")``
in the same process is a kFATAL there, which ends the process (``exit(1)``) in
the middle of a notebook or a test run. Such a libTMVA is recognised by that
message in the library file; its ``TMVA.DataLoader`` constructor is then
wrapped to raise ``ValueError`` before TMVA would end the process.

What it is not: a fix of TMVA (the name stays taken; released ROOT versions
have no such list and are left untouched), nor a check of anything else.
"""

from __future__ import annotations

import mmap
from pathlib import Path

__all__ = ["guard_dataloader_names", "keeps_dataloader_names"]

_MESSAGE = b"Trying to create a DataLoader with a name that already exists"


def keeps_dataloader_names(library: Path) -> bool:
    """True when `library` (a libTMVA.so) holds the 'name that already exists' kFATAL of DataLoader."""
    try:
        with open(library, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(_MESSAGE) >= 0
    except (OSError, ValueError):  # unreadable, or empty: nothing to guard
        return False


def guard_dataloader_names(ROOT, library: Path) -> None:
    """Wraps ROOT.TMVA.DataLoader's constructor (once per process) when `library` keeps DataLoader names."""
    loader_class = ROOT.TMVA.DataLoader
    if getattr(loader_class, "_hashednet_names", None) is not None or not keeps_dataloader_names(library):
        return
    used = set()
    construct = loader_class.__init__

    def __init__(self, *args):
        name = str(args[0]) if args else "default"
        if name in used:
            raise ValueError(f"a DataLoader named {name!r} was already made in this process, and the TMVA at "
                             f"{library} (a TMVA 4.2.1 development build) keeps every DataLoader name for the life "
                             "of the process: a second one would end the process with a kFATAL. Give this "
                             f"DataLoader another name (its output goes to <name>/ in the output file), or run "
                             "each TMVA job in a process of its own")
        construct(self, *args)
        used.add(name)

    loader_class.__init__ = __init__
    loader_class._hashednet_names = used
