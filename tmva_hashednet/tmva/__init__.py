"""TMVA's workflow with HashedDNN, with or without TMVA in ROOT.

``from tmva_hashednet import TMVA`` gives ROOT's real ``TMVA`` namespace (with
HashedDNN registered by ``libTMVAHashedDNN``) when ROOT has TMVA, and
otherwise this compatible implementation of the calls a TMVA script uses:
``Tools.Instance``, ``Factory``, ``DataLoader``, ``Reader``, ``Types``. The
same script runs on both. Without TMVA only HashedDNN can be booked.
"""

from __future__ import annotations

import types

from .dataloader import DataLoader
from .factory import Factory
from .reader import Reader
from .tools import Tools, Types

__all__ = ["DataLoader", "Factory", "Reader", "Tools", "Types", "namespace", "compat_namespace"]

_METHOD_LIBRARY = "libTMVAHashedDNN"


def _load_method_library(ROOT) -> None:
    from .._core import _prefix

    candidates = [str(_prefix() / "lib" / f"{_METHOD_LIBRARY}.so"), _METHOD_LIBRARY]
    for candidate in candidates:
        found = ROOT.gSystem.FindDynamicLibrary(ROOT.TString(candidate), True)
        if found and ROOT.gSystem.Load(str(found)) >= 0:
            return


def _real_tmva():
    """ROOT.TMVA with HashedDNN registered, or None when this ROOT has no TMVA."""
    try:
        import ROOT
    except ImportError:
        return None
    if not ROOT.gSystem.FindDynamicLibrary(ROOT.TString("libTMVA"), True):
        return None
    if ROOT.gSystem.Load("libTMVA") < 0 or not hasattr(ROOT, "TMVA"):
        return None
    _load_method_library(ROOT)
    return ROOT.TMVA


def compat_namespace():
    """The compatible implementation, whatever ROOT has (for tests and comparisons)."""
    return types.SimpleNamespace(DataLoader=DataLoader, Factory=Factory, Reader=Reader, Tools=Tools, Types=Types)


def namespace():
    """Real TMVA if present, else the compatible implementation."""
    real = _real_tmva()
    return real if real is not None else compat_namespace()
