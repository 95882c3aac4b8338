"""The data sets ROOT ships, read into numpy.

ROOT's tutorials folder (in the PyPI wheel and in a full install) holds real
data: ``Higgs_data.root`` (UCI HIGGS, 10k signal + 10k background, 28
features) and TMVA's toy files. This module finds them and reads trees into
float32 arrays; it downloads nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .files import open_root_file

__all__ = ["tutorial_file", "read_tree", "load_two_class", "HIGGS_VARIABLES", "CLASS_EXAMPLE_VARIABLES"]

HIGGS_VARIABLES = [
    "lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
    "jet1_pt", "jet1_eta", "jet1_phi", "jet1_b-tag", "jet2_pt", "jet2_eta", "jet2_phi", "jet2_b-tag",
    "jet3_pt", "jet3_eta", "jet3_phi", "jet3_b-tag", "jet4_pt", "jet4_eta", "jet4_phi", "jet4_b-tag",
    "m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb",
]  # fmt: skip
CLASS_EXAMPLE_VARIABLES = ["var1", "var2", "var3", "var4"]


def _tutorial_dirs():
    import ROOT

    candidates = []
    if os.environ.get("ROOTSYS"):
        candidates.append(Path(os.environ["ROOTSYS"]) / "tutorials")
    candidates.append(Path(ROOT.__file__).parent / "tutorials")
    tutdir = str(ROOT.gROOT.GetTutorialDir()) if hasattr(ROOT.gROOT, "GetTutorialDir") else ""
    if tutdir:
        candidates.append(Path(tutdir))
    return candidates


def tutorial_file(name: str) -> Path:
    """Path of a data file of ROOT's tutorials, e.g. ``"Higgs_data.root"``."""
    for base in _tutorial_dirs():
        for sub in ("machine_learning/data", "tmva/data", "tmva"):
            path = base / sub / name
            if path.exists():
                return path
    raise FileNotFoundError(f"{name} was not found in ROOT's tutorials ({', '.join(map(str, _tutorial_dirs()))})")


def read_tree(path, tree: str, columns, selection: str = "") -> np.ndarray:
    """Columns (names or expressions) of a TTree as a float32 (n, d) array,
    for the events passing ``selection``; the whole tree at once (for trees
    larger than memory, see :mod:`tmva_hashednet.streaming`)."""
    import ROOT

    path = os.fspath(path)
    handle = open_root_file(path)
    try:
        if not handle.Get(tree):
            keys = [k.GetName() for k in handle.GetListOfKeys()]
            raise ValueError(f"tree {tree!r} is not in {path!r}; it holds: {', '.join(keys)}")
    finally:
        handle.Close()
    frame = ROOT.RDataFrame(tree, path)
    if selection:
        frame = frame.Filter(selection)
    existing = {str(c) for c in frame.GetColumnNames()}
    names = []
    for i, column in enumerate(columns):
        if column in existing:  # a branch, whatever characters its name has
            names.append(column)
            continue
        alias = f"__hashednet_col{i}"
        frame = frame.Define(alias, f"static_cast<float>({column})")
        names.append(alias)
    arrays = frame.AsNumpy(names)
    return np.ascontiguousarray(np.stack([arrays[n] for n in names], axis=1), dtype=np.float32)


def load_two_class(file_name: str, signal_tree: str, background_tree: str, variables):
    """(x, y) with y = 1 for signal, 0 for background, signal first."""
    path = tutorial_file(file_name)
    signal = read_tree(path, signal_tree, variables)
    background = read_tree(path, background_tree, variables)
    x = np.concatenate([signal, background])
    y = np.concatenate([np.ones(len(signal), np.float32), np.zeros(len(background), np.float32)])
    return x, y
