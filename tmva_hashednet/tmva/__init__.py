"""TMVA's workflow with HashedDNN, with or without TMVA in ROOT.

``from tmva_hashednet import TMVA`` gives ROOT's real ``TMVA`` namespace (with
HashedDNN registered by ``libTMVAHashedDNN``) when ROOT has TMVA, and
otherwise this compatible implementation of the calls a TMVA script uses:
``Tools.Instance``, ``Factory``, ``DataLoader``, ``Reader``, ``Types``. The
same script runs on both. Without TMVA only HashedDNN can be booked.
"""

from __future__ import annotations

import importlib.util
import os
import types
from pathlib import Path

from ._dataloader_names import guard_dataloader_names
from .dataloader import DataLoader
from .factory import Factory
from .reader import Reader
from .tools import Tools, Types

__all__ = ["DataLoader", "Factory", "Reader", "Tools", "Types", "namespace", "compat_namespace", "locate_tmva"]

_METHOD_LIBRARY = "libTMVAHashedDNN"


def _load_method_library(ROOT) -> None:
    """Loads libTMVAHashedDNN (it registers HashedDNN with TMVA's Factory and
    Reader); ImportError saying how to build it when this install has none."""
    from .._core import _prefix

    installed = _prefix() / "lib" / f"{_METHOD_LIBRARY}.so"
    for candidate in (str(installed), _METHOD_LIBRARY):
        found = ROOT.gSystem.FindDynamicLibrary(ROOT.TString(candidate), True)
        if found and ROOT.gSystem.Load(str(found)) >= 0:
            return
    raise ImportError(
        f"this ROOT has TMVA, but tmva_hashednet was built without its TMVA method ({installed} is missing, and "
        f"no {_METHOD_LIBRARY}.so is on the library path): CMake found no TMVA when the package was built. "
        "Rebuild it against this ROOT with root-config on PATH (e.g. after 'source thisroot.sh'): "
        "CMAKE_ARGS=-DHASHEDNET_TMVA=ON pip install --force-reinstall --no-deps <tmva-hashednet source>; "
        "HASHEDNET_TMVA=ON makes a missing TMVA a build error instead of a silent skip (README, 'With ROOT's TMVA')")


def locate_tmva():
    """The one switch between ROOT's TMVA and the compatible workflow, for the
    package and its tests alike: ``(libTMVA.so, include folder or None)``, or
    None when there is no TMVA. ``TMVA_HASHEDNET_TMVA_PREFIX`` (a prefix with
    ``lib/libTMVA.so`` and ``include/TMVA``, e.g. a TMVA built outside ROOT)
    wins over ROOT's own ``libTMVA`` (searched on ROOT's library path); a prefix
    without the library is an error, not a silent switch to the compatible workflow."""
    prefix = os.environ.get("TMVA_HASHEDNET_TMVA_PREFIX")
    if prefix:
        library = Path(prefix) / "lib" / "libTMVA.so"
        if not library.exists():
            raise FileNotFoundError(f"TMVA_HASHEDNET_TMVA_PREFIX={prefix} has no lib/libTMVA.so; point it at a "
                                    "TMVA install prefix, or unset it to use ROOT's own TMVA (or, without one, "
                                    "the compatible workflow)")
        return library, Path(prefix) / "include"
    if importlib.util.find_spec("ROOT") is None:
        return None
    import ROOT  # a conda, LCG or source build keeps libTMVA in ROOT's library folder, the PyPI wheel has none

    found = ROOT.gSystem.FindDynamicLibrary(ROOT.TString("libTMVA"), True)
    return (Path(str(found)), None) if found else None


def _check_no_other_tmva_loaded(ROOT, library: Path) -> None:
    """ImportError when this process already holds a libTMVA other than `library`: ROOT's
    gSystem.Load matches libraries by file name, so loading `library` would "succeed" and silently
    hand back the TMVA loaded first (e.g. TMVA_HASHEDNET_TMVA_PREFIX changed after an import)."""
    loaded = str(ROOT.gSystem.GetLibraries("libTMVA", "", False)).split()
    for path in loaded:
        if Path(path).name.split(".so")[0] != "libTMVA" or not Path(path).exists():
            continue
        if not Path(path).samefile(library):
            raise ImportError(f"this process already loaded TMVA from {path}, and ROOT cannot load a second "
                              f"libTMVA ({library}, found by tmva_hashednet.tmva.locate_tmva): set "
                              "TMVA_HASHEDNET_TMVA_PREFIX before the first TMVA use, or use another process")


def _real_tmva():
    """ROOT.TMVA with HashedDNN registered, or None when locate_tmva finds no TMVA."""
    found = locate_tmva()
    if found is None:
        return None
    import ROOT

    library, include = found
    _check_no_other_tmva_loaded(ROOT, library)
    if include is not None:
        ROOT.gInterpreter.AddIncludePath(str(include))
    if ROOT.gSystem.Load(str(library)) < 0 or not hasattr(ROOT, "TMVA"):
        raise ImportError(f"ROOT could not load TMVA from {library} (found by tmva_hashednet.tmva.locate_tmva)")
    _load_method_library(ROOT)
    guard_dataloader_names(ROOT, library)
    return ROOT.TMVA


def compat_namespace():
    """The compatible implementation, whatever ROOT has (for tests and comparisons)."""
    return types.SimpleNamespace(DataLoader=DataLoader, Factory=Factory, Reader=Reader, Tools=Tools, Types=Types)


def namespace():
    """Real TMVA if present, else the compatible implementation."""
    real = _real_tmva()
    return real if real is not None else compat_namespace()
