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

from ._tree_source import Column, TreeSource, expression_list
from ._treereader import SELECTION, X

__all__ = ["tutorial_file", "read_tree", "load_two_class", "HIGGS_VARIABLES", "CLASS_EXAMPLE_VARIABLES"]

HIGGS_VARIABLES = [
    "lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
    "jet1_pt", "jet1_eta", "jet1_phi", "jet1_b-tag", "jet2_pt", "jet2_eta", "jet2_phi", "jet2_b-tag",
    "jet3_pt", "jet3_eta", "jet3_phi", "jet3_b-tag", "jet4_pt", "jet4_eta", "jet4_phi", "jet4_b-tag",
    "m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb",
]  # fmt: skip
CLASS_EXAMPLE_VARIABLES = ["var1", "var2", "var3", "var4"]


def _tutorial_dirs() -> list:
    """ROOT's tutorials folders, each once, in the order they are searched."""
    import ROOT

    candidates = []
    if os.environ.get("ROOTSYS"):
        candidates.append(Path(os.environ["ROOTSYS"]) / "tutorials")
    candidates.append(Path(ROOT.__file__).parent / "tutorials")
    tutdir = str(ROOT.gROOT.GetTutorialDir()) if hasattr(ROOT.gROOT, "GetTutorialDir") else ""
    if tutdir:
        candidates.append(Path(tutdir))
    unique = {}
    for path in candidates:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


_TUTORIAL_SUBFOLDERS = ("machine_learning/data", "tmva/data", "tmva")


def _tutorial_folders() -> list:
    return [base / sub for base in _tutorial_dirs() for sub in _TUTORIAL_SUBFOLDERS]


def _in_tutorials(name: str, folders: list) -> Path | None:
    return next((folder / name for folder in folders if (folder / name).exists()), None)


def tutorial_file(name: str) -> Path:
    """Path of a data file of ROOT's tutorials, e.g. ``"Higgs_data.root"``."""
    folders = _tutorial_folders()
    found = _in_tutorials(name, folders)
    if found is None:
        raise FileNotFoundError(f"{name} was not found in ROOT's tutorials; looked in: {', '.join(map(str, folders))}")
    return found


def _data_file(name) -> Path:
    """``name`` itself if that file exists, else the tutorials' file of that name."""
    if os.path.exists(name):
        return Path(name)
    folders = _tutorial_folders()
    found = _in_tutorials(os.fspath(name), folders)
    if found is None:
        raise FileNotFoundError(f"{os.fspath(name)!r} is neither an existing file (there is no "
                                f"{os.path.abspath(name)}) nor a file of ROOT's tutorials (looked in: "
                                f"{', '.join(map(str, folders))})")  # fmt: skip
    return found


def read_tree(path, tree: str, columns, selection: str = "") -> np.ndarray:
    """Columns (branch names or TTreeFormula expressions, as TMVA reads them:
    ``var4^2``, ``Sum$(x)``, ``Entry$``) of a TTree as a float32 (n, d) array,
    for the events passing ``selection`` (non-zero passes); the whole tree at
    once (for trees larger than memory, see :mod:`tmva_hashednet.streaming`,
    which reads with the same rules). An array branch given by its name is one
    column per element; a NaN or inf is a ValueError naming the column and
    the entry."""
    columns = expression_list("columns", columns, allow_none=False)
    if not columns:
        raise ValueError("columns is empty: give at least one branch name or expression")
    if not isinstance(selection, str):
        raise TypeError(f"selection must be a string (a TTree cut, '' for none), got {type(selection).__name__}")
    specs = [Column("variable", c, X) for c in columns] + ([Column("selection", selection, SELECTION)]
                                                            if selection else [])  # fmt: skip
    x, _, _ = TreeSource.from_files(os.fspath(path), tree, specs).read_all()
    return x


def load_two_class(file_name, signal_tree: str, background_tree: str, variables):
    """(x, y) with y = 1 for signal, 0 for background, signal first.

    ``file_name``: a ROOT file (a path that exists wins) or the name of a
    file in ROOT's tutorials (``"Higgs_data.root"``)."""
    path = _data_file(file_name)
    signal = read_tree(path, signal_tree, variables)
    background = read_tree(path, background_tree, variables)
    x = np.concatenate([signal, background])
    y = np.concatenate([np.ones(len(signal), np.float32), np.zeros(len(background), np.float32)])
    return x, y
