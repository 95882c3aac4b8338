"""Shared pieces of the TMVA-workflow tests: running the macros in a folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

MACROS = Path(__file__).resolve().parent.parent / "macros"


def macro(name: str):
    """A module of macros/ (the TMVA-style scripts are the code under test)."""
    spec = importlib.util.spec_from_file_location(f"macro_{name}", MACROS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def keys(directory) -> list:
    return [(k.GetName(), k.GetClassName(), k.GetCycle()) for k in directory.GetListOfKeys()]


def tree_columns(tree, names) -> dict:
    import ROOT

    return {k: v for k, v in ROOT.RDataFrame(tree).AsNumpy(list(names)).items()}
