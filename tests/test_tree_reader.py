"""The one TTree reader through its three doors: streaming.tree_chunks,
datasets.read_tree / load_two_class and the compatible DataLoader.

TMVA expressions (``var4^2``, ``Sum$(x)``, ``Entry$``) give the same values
through every door, computed here with numpy in float64 and cast to float32
(TTreeFormula's arithmetic); a NaN or inf names the expression, the tree,
the file and the entry, the same way through every door, in training and in
test events alike.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from tree_helpers import write_tree

from tmva_hashednet import datasets, streaming
from tmva_hashednet.tmva import compat_namespace

TMVA = compat_namespace()
N = 400  # entries per tree
EXPRESSIONS = ["var1", "var4^2", "Sum$(x)", "Entry$"]
METHOD = "!H:!V:VarTransform=N:Layout=TANH|8,LINEAR:TrainingStrategy=MaxEpochs=2,BatchSize=32:RandomSeed=3"


def sample(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"var1": rng.normal(size=n).astype(np.float32), "var4": rng.normal(1.0, 2.0, n).astype(np.float32),
            "x": rng.normal(size=(n, 3)).astype(np.float32), "wgt": rng.uniform(0.5, 2.0, n).astype(np.float32),
            "bad": np.zeros(n, np.float32)}  # fmt: skip


def branches(d: dict) -> dict:
    return {"var1": ("var1/F", d["var1"]), "var4": ("var4/F", d["var4"]), "x": ("x[3]/F", d["x"]),
            "wgt": ("wgt/F", d["wgt"]), "bad": ("bad/F", d["bad"])}  # fmt: skip


def expected(d: dict) -> np.ndarray:
    """EXPRESSIONS in float64, stored as float32."""
    var4, x = d["var4"].astype(np.float64), d["x"].astype(np.float64)
    return np.column_stack([d["var1"], var4**2, x.sum(axis=1), np.arange(len(var4))]).astype(np.float32)


def write_pair(path, signal: dict, background: dict) -> None:
    write_tree(path, "TreeS", branches(signal), mode="RECREATE")
    write_tree(path, "TreeB", branches(background))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    path = tmp_path_factory.mktemp("pair") / "pair.root"
    signal, background = sample(N, seed=1), sample(N, seed=2)
    write_pair(path, signal, background)
    return path, signal, background


def _open(path):
    import ROOT

    return ROOT.TFile.Open(str(path))


def _loader(handle, variables=EXPRESSIONS, prepare="SplitMode=Block:NormMode=None:!V", weight="", spectators=()):
    loader = TMVA.DataLoader("dataset")
    for v in variables:
        loader.AddVariable(v, "F")
    for s in spectators:
        loader.AddSpectator(s)
    loader.AddSignalTree(handle.Get("TreeS"))
    loader.AddBackgroundTree(handle.Get("TreeB"))
    if weight:
        loader.SetWeightExpression(weight)
    loader.PrepareTrainingAndTestTree("", "", prepare)
    return loader


# ---------------------------------------------------------------------- the same values through every door
def _through_streaming(path, expressions, tree="TreeS"):
    return np.concatenate([c.x for c in streaming.tree_chunks(path, tree, expressions, chunk_size=150)])


def _through_read_tree(path, expressions, tree="TreeS"):
    return datasets.read_tree(path, tree, expressions)


def _through_dataloader(path, expressions, tree="TreeS"):
    """All entries of TreeS in entry order: SplitMode=Block puts the first half into training."""
    handle = _open(path)
    try:
        data = _loader(handle, expressions).dataset()
        class_id = 0 if tree == "TreeS" else 1
        return np.concatenate([s.x[s.class_id == class_id] for s in (data.train, data.test)])
    finally:
        handle.Close()


DOORS = {"streaming": _through_streaming, "read_tree": _through_read_tree, "dataloader": _through_dataloader}


@pytest.mark.parametrize("door", list(DOORS))
def test_tmva_expressions_give_the_same_values_through_every_door(pair, door):
    path, signal, background = pair
    np.testing.assert_array_equal(DOORS[door](path, EXPRESSIONS), expected(signal))
    np.testing.assert_array_equal(DOORS[door](path, EXPRESSIONS, "TreeB"), expected(background))


def test_factory_job_with_formula_variables_spectator_and_weight(pair, tmp_path, monkeypatch):
    """A whole TMVA job with AddVariable("var4^2"): TestTree holds the formulas' values."""
    import ROOT

    path, signal, background = pair
    monkeypatch.chdir(tmp_path)
    handle = _open(path)
    output = ROOT.TFile(str(tmp_path / "job.root"), "RECREATE")
    factory = TMVA.Factory("job", output, "Silent:AnalysisType=Classification")
    loader = _loader(handle, ["var1", "var4^2", "Sum$(x)"], "nTrain_Signal=250:nTrain_Background=250:SplitMode=Random",
                     weight="wgt", spectators=["Entry$"])  # fmt: skip
    factory.BookMethod(loader, "HashedDNN", "HashedDNN", METHOD)
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    assert 0.0 < factory.GetROCIntegral(loader, "HashedDNN") <= 1.0
    output.Close()
    handle.Close()
    result = ROOT.TFile.Open(str(tmp_path / "job.root"))
    test = ROOT.RDataFrame(result.Get("dataset/TestTree")).AsNumpy(["classID", "var1", "var4_2", "Sum__x_", "Entry_",
                                                                    "weight"])  # fmt: skip
    result.Close()
    assert len(test["classID"]) == 2 * (N - 250)
    for class_id, d in ((0, signal), (1, background)):
        rows = test["classID"] == class_id
        entries = test["Entry_"][rows].astype(np.int64)
        np.testing.assert_array_equal(np.column_stack([test[k][rows] for k in ("var1", "var4_2", "Sum__x_")]),
                                      expected(d)[entries, :3])  # fmt: skip
        np.testing.assert_array_equal(test["weight"][rows], d["wgt"][entries])


# ---------------------------------------------------------------------- NaN and inf: one rule everywhere
@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """Files with one NaN or inf each in TreeS: (what, branch, entry, value) -> path."""
    cases = {"variable": ("var4", 33, np.nan), "weight": ("wgt", 350, np.inf), "selection": ("bad", 7, np.nan),
             "spectator": ("bad", 390, -np.inf)}  # fmt: skip
    folder, files = tmp_path_factory.mktemp("broken"), {}
    for what, (branch, entry, value) in cases.items():
        signal = sample(N, seed=3)
        signal[branch][entry] = value
        files[what] = (folder / f"{what}.root", branch, entry, value)
        write_pair(files[what][0], signal, sample(N, seed=4))
    return files


def _streaming_problem(path, what, branch):
    args = dict(variables=["var1", "var4^2"] if what != "spectator" else ["var4", branch])  # no spectators here
    args.update({"weight": dict(weight=branch), "selection": dict(selection=branch)}.get(what, {}))
    list(streaming.tree_chunks(path, "TreeS", args.pop("variables"), chunk_size=100, **args))


def _read_tree_problem(path, what, branch):
    selection = branch if what == "selection" else ""
    datasets.read_tree(path, "TreeS", ["var1", "var4^2"] if what != "spectator" else [branch], selection=selection)


def _dataloader_problem(path, what, branch):
    """The bad entries of the weight and spectator cases fall into the test sample (SplitMode=Block)."""
    handle = _open(path)
    try:
        loader = TMVA.DataLoader("dataset")
        for v in ("var1", "var4^2"):
            loader.AddVariable(v, "F")
        if what == "spectator":
            loader.AddSpectator(branch)
        loader.AddSignalTree(handle.Get("TreeS"))
        loader.AddBackgroundTree(handle.Get("TreeB"))
        if what == "weight":
            loader.SetWeightExpression(branch)
        cut = branch if what == "selection" else ""
        loader.PrepareTrainingAndTestTree(cut, "", "nTrain_Signal=100:nTrain_Background=100:SplitMode=Block")
        loader.dataset()
    finally:
        handle.Close()


PROBLEMS = {"streaming": _streaming_problem, "read_tree": _read_tree_problem, "dataloader": _dataloader_problem}


CASES = [(door, what) for door in PROBLEMS for what in ("variable", "weight", "selection", "spectator")
         if (door, what) != ("read_tree", "weight")]  # read_tree reads no weights


@pytest.mark.parametrize(("door", "what"), CASES, ids=[f"{d}-{w}" for d, w in CASES])
def test_nan_and_inf_name_the_expression_tree_file_and_entry(broken, door, what):
    path, branch, entry, _ = broken[what]
    shown = {"variable": ("variable", "var4^2", "nan"), "weight": ("weight", "wgt", "inf"),
             "selection": ("cut" if door == "dataloader" else "selection", "bad", "nan"),
             "spectator": ("spectator" if door == "dataloader" else "variable", "bad", "-inf")}[what]  # fmt: skip
    with pytest.raises(ValueError, match=rf"^{shown[0]} {re.escape(repr(shown[1]))} is {shown[2]} at entry {entry} "
                                         rf"of tree 'TreeS'.*{path.name}.*values must be finite"):  # fmt: skip
        PROBLEMS[door](path, what, branch)


@pytest.mark.parametrize("bad_first", [False, True], ids=["bad-second", "bad-first"])
def test_a_nan_in_a_chain_names_its_file(pair, broken, bad_first):
    path, _, _ = pair
    bad_path, _, entry, _ = broken["variable"]
    files = [bad_path, path] if bad_first else [path, bad_path]
    where = (rf"entry {entry} of tree 'TreeS' of 2 files from '[^']*{bad_path.name}';" if bad_first else
             rf"entry {N + entry} of tree 'TreeS' of 2 files from '[^']*pair.root' \(in file '[^']*{bad_path.name}'\);")
    with pytest.raises(ValueError, match=rf"variable 'var4\^2' is nan at {where}"):  # fmt: skip
        list(streaming.tree_chunks(files, "TreeS", ["var1", "var4^2"], chunk_size=1000))


def test_a_tree_weight_that_is_not_finite_is_refused(pair):
    handle = _open(pair[0])
    loader = TMVA.DataLoader("dataset")
    with pytest.raises(ValueError, match="AddTree for class 'Signal': the tree weight is nan; it must be finite"):
        loader.AddSignalTree(handle.Get("TreeS"), float("nan"))
    handle.Close()


def test_tmva_cuts_pass_from_one_half_and_streaming_selections_when_non_zero(pair):
    """TMVA's DataSetFactory rejects cutVal < 0.5; TTree::Draw (streaming, read_tree) keeps non-zero values."""
    path, signal, _ = pair
    cut = "0.3*(Entry$ % 3)"  # 0, 0.3, 0.6, 0, ...
    handle = _open(path)
    try:
        data = _loader(handle, ["Entry$"], "SplitMode=Block:NormMode=None").dataset()
        with_cut = TMVA.DataLoader("dataset")
        with_cut.AddVariable("Entry$")
        with_cut.AddSignalTree(handle.Get("TreeS"))
        with_cut.AddBackgroundTree(handle.Get("TreeB"))
        with_cut.PrepareTrainingAndTestTree(cut, "", "TrainTestSplit_Signal=0.5:SplitMode=Block:NormMode=None")
        kept = with_cut.dataset()
    finally:
        handle.Close()
    assert len(data.train) + len(data.test) == 2 * N
    entries = np.concatenate([s.x[s.class_id == 0, 0] for s in (kept.train, kept.test)])
    np.testing.assert_array_equal(entries, np.arange(N)[np.arange(N) % 3 == 2])
    np.testing.assert_array_equal(datasets.read_tree(path, "TreeS", ["Entry$"], selection=cut)[:, 0],
                                  np.arange(N)[np.arange(N) % 3 != 0])  # fmt: skip


def test_array_expressions_in_the_dataloader_are_a_clear_error(pair):
    handle = _open(pair[0])
    try:
        with pytest.raises(ValueError, match=r"variable 'x' gives 3 values per entry on tree 'TreeS'.*x\[0\].*Sum\$"):
            _loader(handle, ["var1", "x"]).dataset()
    finally:
        handle.Close()


# ---------------------------------------------------------------------- load_two_class
def test_load_two_class_reads_a_local_file_first(pair, tmp_path, monkeypatch):
    path, signal, background = pair
    monkeypatch.chdir(path.parent)
    x, y = datasets.load_two_class(path.name, "TreeS", "TreeB", ["var4^2", "Entry$"])
    np.testing.assert_array_equal(x, np.concatenate([expected(signal), expected(background)])[:, [1, 3]])
    np.testing.assert_array_equal(y, np.repeat([1.0, 0.0], N).astype(np.float32))


def test_load_two_class_lists_each_searched_place_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        datasets.load_two_class("nowhere.root", "TreeS", "TreeB", ["var1"])
    message = str(error.value)
    assert f"there is no {tmp_path / 'nowhere.root'}" in message
    places = message.split("looked in: ")[1].rstrip(")").split(", ")
    assert len(places) >= 3 and len(set(places)) == len(places) and all("tutorials" in p for p in places)


def test_load_two_class_names_a_bad_expression_without_a_jit_dump(pair, capfd):
    with pytest.raises(ValueError, match=r"variable 'var9\^2' cannot be evaluated on tree 'TreeS'.*branches are: "
                                         r"var1, var4, x\[3\], wgt, bad"):  # fmt: skip
        datasets.load_two_class(pair[0], "TreeS", "TreeB", ["var1", "var9^2"])
    captured = capfd.readouterr()
    assert "input_line" not in captured.err + captured.out and "error:" not in captured.err
