"""tmva_hashednet.rdf: a weight file's scores as an RDataFrame column equal the
Reader's event path (HashedNetwork.load(...).evaluator(), which
test_evaluator.py ties to Reader.EvaluateMVA) bit for bit, for scalar and RVec
columns, float and double, with and without implicit multi-threading, for any
VarTransform chain (D and G trained here: equal to the numpy chain followed by
the event path); bad columns, files and damaged transformations are refused
with clear errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from rdf_helpers import VARS, by_id, train_transformed_weights, train_weights, write_tree
from tmva_helpers import macro

from tmva_hashednet import HashedNetwork, rdf

MULTICLASS_WEIGHTS = "dataset/weights/TMVAMulticlass_HashedDNN.weights.xml"
N_EVENTS = 3000


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return train_weights(tmp_path_factory.mktemp("rdf-class"))


@pytest.fixture(scope="module")
def tree_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rdf-tree") / "events.root"
    write_tree(path, N_EVENTS)
    return path


@pytest.fixture(params=[0, 2], ids=["no-imt", "imt-2"])
def imt(request):
    import ROOT

    if request.param:
        ROOT.EnableImplicitMT(request.param)
    yield request.param
    if request.param:
        ROOT.DisableImplicitMT()


def _expected(weights, tree_file) -> np.ndarray:
    import ROOT

    data = by_id(ROOT.RDataFrame("events", str(tree_file)).AsNumpy(["id", *VARS]))
    x = np.stack([data[v] for v in VARS], axis=1)
    return HashedNetwork.load(weights).evaluator()(x)


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


COLUMNS = {
    "scalar-float": (lambda df: df, None),
    "scalar-double": (lambda df: _copies(df, "double"), [f"{v}_c" for v in VARS]),
    "rvec-float": (lambda df: _rvec(df, "ROOT::RVecF", VARS), ["inputs"]),
    "rvec-double": (lambda df: _rvec(df, "ROOT::RVecD", VARS), ["inputs"]),
}


def _copies(df, kind: str):
    """var1_c .. var4_c: one-column Defines (an expression naming var1 .. var4 together is misread by
    ROOT 6.40's jitting, root-project/root issue 11002: see rdf._aliased)."""
    for v in VARS:
        df = df.Define(f"{v}_c", f"{kind}({v})")
    return df


def _rvec(df, kind: str, variables):
    df = _copies(df, "float")
    return df.Define("inputs", f"{kind}{{{', '.join(v + '_c' for v in variables)}}}")


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_define_equals_the_reader_per_event(weights, tree_file, imt, kind):
    import ROOT

    prepare, columns = COLUMNS[kind]
    scorer = rdf.Scorer(weights)
    df = scorer.define(prepare(ROOT.RDataFrame("events", str(tree_file))), "score", columns)
    got = by_id(df.AsNumpy(["id", "score"]))
    assert len(got["id"]) == N_EVENTS
    assert np.array_equal(_bits(got["score"]), _bits(_expected(weights, tree_file)))


@pytest.fixture(scope="module", params=["D", "G"], ids=["deco", "gauss"])
def transformed_weights(request, tmp_path_factory):
    return request.param, train_transformed_weights(tmp_path_factory.mktemp("rdf-" + request.param), request.param)


def test_define_with_a_transformation_equals_the_numpy_chain_and_the_reader(transformed_weights, tree_file, imt):
    """A D- or G-trained weight file: the column (the chain in C++, input_transform.h) equals, event by
    event and bit for bit, the compatible Reader's numpy chain followed by the event path, and the Reader's
    EvaluateMVA; with IMT on 2 threads as on one (both equal the same reference)."""
    import ROOT
    from event_cases import predict_one

    from tmva_hashednet.tmva import compat_namespace
    from tmva_hashednet.tmva.weights_xml import read_weight_file

    letter, weights = transformed_weights
    chain = read_weight_file(weights).transform
    assert chain.short_name == {"D": "Deco", "G": "Gauss"}[letter]
    df = rdf.Scorer(weights).define(ROOT.RDataFrame("events", str(tree_file)), "score")
    got = by_id(df.AsNumpy(["id", "score", *VARS]))
    x = np.stack([got[v] for v in VARS], axis=1)
    net = HashedNetwork.load(weights)
    assert np.array_equal(_bits(got["score"]), _bits(predict_one(net, chain.apply(x, slice(0, 4)))[:, 0]))
    reader = compat_namespace().Reader("!Color:Silent")
    for name in VARS:
        reader.AddVariable(name)
    reader.BookMVA("HashedDNN", str(weights))
    per_event = [reader.EvaluateMVA(list(map(float, row)), "HashedDNN") for row in x[::10]]
    assert np.array_equal(_bits(got["score"][::10]), _bits(per_event))


def test_a_damaged_transformation_is_named_at_every_door(transformed_weights, tree_file, tmp_path):
    """N then a Decorrelation of 3 of the 4 variables (the widest step covers all four, so the file's own
    checks pass): HashedNetwork.load, the Scorer's column and the Reader refuse it naming the step."""
    import ROOT

    from tmva_hashednet.tmva import compat_namespace
    from tmva_hashednet.tmva.transform import NormalizeTransform
    from tmva_hashednet.tmva.transforms import DecorrelateTransform, TransformChain
    from tmva_hashednet.tmva.weights_xml import read_weight_file, render_weight_file

    _, weights = transformed_weights
    content = read_weight_file(weights)
    inputs = content.transform.inputs
    identity = NormalizeTransform(inputs, [(np.full(4, -1, np.float32), np.full(4, 1, np.float32))])
    damaged = DecorrelateTransform(inputs[:3], [np.eye(3)])
    path = tmp_path / "TMVAClassification_HashedDNN.weights.xml"
    path.write_text(render_weight_file(replace(content, transform=TransformChain([identity, damaged]))))
    message = "the Decorrelation transformation covers 3 columns; the network has 4 input variables"
    with pytest.raises(ValueError, match=message):
        HashedNetwork.load(path)
    with pytest.raises(ValueError, match=message):
        rdf.Scorer(path).define(ROOT.RDataFrame("events", str(tree_file)), "score")
    reader = compat_namespace().Reader("!Color:Silent")
    for name in VARS:
        reader.AddVariable(name)
    with pytest.raises(ValueError, match=message):
        reader.BookMVA("HashedDNN", str(path))


def test_functor_with_define_slot_equals_the_reader(weights, tree_file, imt):
    import ROOT

    scorer = rdf.Scorer(weights)
    df = ROOT.RDataFrame("events", str(tree_file))
    df = df.DefineSlot("score", scorer.functor(df, VARS), VARS)
    got = by_id(df.AsNumpy(["id", "score"]))
    assert np.array_equal(_bits(got["score"]), _bits(_expected(weights, tree_file)))


def test_expressions_as_the_readers_add_variable(weights, tree_file):
    """Columns may be expressions (as AddVariable's): here var1 computed from var1_shifted."""
    import ROOT

    scorer = rdf.Scorer(weights)
    df = ROOT.RDataFrame("events", str(tree_file)).Define("var1_shifted", "var1 + 1.0f")
    df = scorer.define(df, "score", ["var1_shifted - 1.0f", "var2", "var3", "var4"])
    got = by_id(df.AsNumpy(["id", "var1_shifted", *VARS[1:], "score"]))
    x = np.stack([got["var1_shifted"] - np.float32(1), *(got[v] for v in VARS[1:])], axis=1)
    assert np.array_equal(_bits(got["score"]), _bits(HashedNetwork.load(weights).evaluator()(x)))


def test_multiclass_gives_an_rvec_of_probabilities(tmp_path, monkeypatch, tree_file):
    import ROOT

    monkeypatch.chdir(tmp_path)
    macro("tmva_multiclass", compat=True).run("TMVAMulticlass.root", epochs=1, n_train=200)
    scorer = rdf.Scorer(MULTICLASS_WEIGHTS)
    df = ROOT.RDataFrame("events", str(tree_file))
    df = scorer.define(scorer.define(df, "p", VARS), "p2", VARS, output=2)
    got = by_id(df.AsNumpy(["id", "p", "p2", *VARS]))
    expected = HashedNetwork.load(MULTICLASS_WEIGHTS).evaluator()(np.stack([got[v] for v in VARS], axis=1))
    p = np.stack([np.asarray(row) for row in got["p"]])
    assert p.shape == (N_EVENTS, 4) and np.array_equal(_bits(p), _bits(expected))
    assert np.array_equal(_bits(got["p2"]), _bits(expected[:, 2]))
    with pytest.raises(ValueError, match=r"output must be an integer in \[0, 3\]"):
        scorer.define(df, "p9", VARS, output=9)
    with pytest.raises(ValueError, match="pass output=k"):
        scorer.functor(df, VARS)


def test_bad_columns_and_files_are_refused(weights, tree_file, tmp_path):
    import ROOT

    scorer = rdf.Scorer(weights)
    df = ROOT.RDataFrame("events", str(tree_file))
    with pytest.raises(ValueError, match=r"takes 4 inputs \(var1, var2, var3, var4\), got 3 columns"):
        scorer.define(df, "score", VARS[:3])
    with pytest.raises(ValueError, match="column 'var9' is not in the dataframe"):
        scorer.define(df, "score", ["var1", "var2", "var3", "var9"])
    with pytest.raises(ValueError, match="column 'var1' is a Float_t; one column must be an RVec"):
        scorer.define(df, "score", ["var1"])
    with pytest.raises(ValueError, match="is not a column name; a functor takes columns only"):
        scorer.functor(df, ["var1 * 2", "var2", "var3", "var4"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rdf.Scorer(tmp_path / "missing.weights.xml")
    (tmp_path / "bad.weights.xml").write_text("<MethodSetup")
    with pytest.raises(ValueError, match="is not valid XML"):
        rdf.Scorer(tmp_path / "bad.weights.xml")


def test_an_rvec_of_the_wrong_length_stops_the_event_loop(weights, tree_file):
    import ROOT

    scorer = rdf.Scorer(weights)
    df = _rvec(ROOT.RDataFrame("events", str(tree_file)), "ROOT::RVecF", VARS[:3])
    df = scorer.define(df, "score", ["inputs"])
    with pytest.raises(Exception, match="the input column holds 3 values in this event; the network of .* takes 4"):
        df.Sum("score").GetValue()


@pytest.mark.slow
def test_the_rdf_benchmark_runs_and_reports(tmp_path):
    """benchmarks/run.py rdf at a tiny size: every row and the target are reported (no speed is asserted
    here; the RDataFrame scores agree with predict's within float rounding)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import tmva_hashednet
    from tmva_hashednet._core import library_path

    run_py = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    env = dict(os.environ, TMVA_HASHEDNET_PREFIX=str(library_path().parent.parent))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tmva_hashednet.__file__).parent.parent), env.get("PYTHONPATH", "")])
    out = tmp_path / "rdf.json"
    command = [sys.executable, str(run_py), "rdf", "--quick", "--rdf-events", "3000", "--rdf-dir", str(tmp_path),
               "--json", str(out)]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())["results"]["rdf"]
    assert [(r.get("kind"), r["threads"]) for r in result["rows"]] == [
        ("baseline", 1), ("baseline", 2), ("score", 1), ("score", 2), (None, 1), (None, 2)]  # then numpy's
    assert all(r["events"] == 3000 and r["events_per_s"] > 0 for r in result["rows"])
    assert all(r["cpu_seconds"] > 0 for r in result["rows"][:4])
    assert result["baseline_ratio"] > 0 and result["cpu_ratio"] > 0
    readers = result["readers"]
    assert readers["shared_bytes"] > 4 * 18305 and readers["readers"] == 50  # 18,305 parameters, held once
    assert result["max_difference"] < 1e-5
    assert [isinstance(t["reached"], bool) for t in result["targets"]] == [True]
