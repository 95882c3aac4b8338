"""Loads the compiled hashednet core into ROOT's interpreter (PyROOT).

This module is the binding layer: it finds ``libhashednet.so`` and the core's
headers inside the installed package (``importlib.resources``, so editable and
regular installs both work), preloads the BLAS it was linked against, and
returns the ``hashednet`` C++ namespace. It is not a public API.

Set ``TMVA_HASHEDNET_PREFIX`` to a CMake install prefix (with ``lib/`` and
``include/``) to use a core built outside the Python package.
"""

from __future__ import annotations

import ctypes
import importlib.resources
import os
import threading
from pathlib import Path

__all__ = ["core", "declare_once", "library_path", "include_path"]

_LIBRARY_NAME = "libhashednet.so"
_HEADERS = ("hashednet/model.h", "hashednet/rng.h", "hashednet/options.h", "hashednet/python_api.h",
            "hashednet/network_spec.h", "hashednet/serialize.h", "hashednet/hash.h", "hashednet/funhash_scheme.h",
            "hashednet/cost.h", "hashednet/section_digest.h", "hashednet/evaluator.h", "hashednet/conv2d.h",
            "hashednet/image_layers.h", "hashednet/freshnets_scheme.h", "hashednet/batch_norm.h")
_lock = threading.Lock()
_namespace = None
_declared = set()  # what declare_once has declared


def _prefix() -> Path:
    override = os.environ.get("TMVA_HASHEDNET_PREFIX")
    if override:
        return Path(override)
    return Path(str(importlib.resources.files("tmva_hashednet")))


def library_path() -> Path:
    """Path of the compiled core library."""
    return _prefix() / "lib" / _LIBRARY_NAME


def include_path() -> Path:
    """Folder holding ``hashednet/*.h`` (for ROOT macros and ``MakeClass`` users)."""
    return _prefix() / "include"


def _preload_blas() -> None:
    try:
        import scipy_openblas32
    except ImportError:  # built against a system BLAS: the loader finds it
        return
    library = Path(scipy_openblas32.get_lib_dir()) / f"lib{scipy_openblas32.get_library()}.so"
    if library.exists():
        ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)


def _load():
    library = library_path()
    if not library.exists():
        raise ImportError(
            f"tmva_hashednet's compiled core is missing ({library}); install the package with "
            "'pip install .' (it builds the core with CMake) or set TMVA_HASHEDNET_PREFIX to a CMake install prefix"
        )
    try:
        import ROOT
    except ImportError as error:
        raise ImportError(
            "tmva_hashednet needs PyROOT: install ROOT (e.g. 'pip install root==0.1a12' or the [root] extra)"
        ) from error
    _preload_blas()
    ROOT.gInterpreter.AddIncludePath(str(include_path()))
    if ROOT.gSystem.Load(str(library)) < 0:
        raise ImportError(f"ROOT could not load {library}")
    source = "\n".join(f'#include "{header}"' for header in _HEADERS)
    if not ROOT.gInterpreter.Declare(source):
        raise ImportError(f"ROOT could not parse the hashednet headers in {include_path()}")
    return ROOT.hashednet


def core():
    """The ``hashednet`` C++ namespace, loaded once per process."""
    global _namespace
    with _lock:
        if _namespace is None:
            _namespace = _load()
        return _namespace


def declare_once(code: str, what: str):
    """ROOT, with the C++ ``code`` (helpers of ``what``) declared to its
    interpreter once per process; ImportError naming ``what`` if it does not compile."""
    import ROOT

    with _lock:
        if what not in _declared:
            if not ROOT.gInterpreter.Declare(code):
                raise ImportError(f"ROOT could not compile tmva_hashednet's {what}")
            _declared.add(what)
    return ROOT
