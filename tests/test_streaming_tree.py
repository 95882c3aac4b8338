"""TTrees in chunks (tmva_hashednet.streaming) and HashedNetwork.fit_stream.

Small trees are written with ROOT into tmp_path from numpy arrays; chunks are
checked against those arrays (and against datasets.read_tree), fit_stream
against partial_fit on the same arrays, input_moments against numpy.
"""

from __future__ import annotations

import numpy as np
import pytest
from tree_helpers import write_tree

from tmva_hashednet import HashedNetwork, TrainingConfig, datasets, streaming

N = 1000  # entries of the main test tree
CONFIG = TrainingConfig(learning_rate=3e-3, batch_size=32, seed=3, num_threads=1)


def sample(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 3, n).astype(np.int32)  # 0, 1 or 2 values of v per entry
    return {
        "a": rng.normal(size=n).astype(np.float32),
        "b": rng.normal(3.0, 2.0, size=n),  # float64
        "k": rng.integers(0, 10, n).astype(np.int32),
        "b-tag": rng.integers(0, 2, n).astype(np.float32),  # not a valid formula name
        "x": rng.normal(size=(n, 3)).astype(np.float32),
        "y": rng.integers(0, 2, n).astype(np.float32),
        "wgt": rng.uniform(0.5, 2.0, n).astype(np.float32),
        "n": lengths,
        "v": np.stack([rng.normal(size=n), rng.normal(size=n)], axis=1).astype(np.float32),
    }


def tree_branches(d: dict) -> dict:
    return {"a": ("a/F", d["a"]), "b": ("b/D", d["b"]), "k": ("k/I", d["k"]), "b-tag": ("b-tag/F", d["b-tag"]),
            "x": ("x[3]/F", d["x"]), "y": ("y/F", d["y"]), "wgt": ("wgt/F", d["wgt"]), "n": ("n/I", d["n"]),
            "v": ("v[n]/F", d["v"])}  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """(path of a file with tree 'events' of N entries, the arrays written)."""
    path = tmp_path_factory.mktemp("trees") / "events.root"
    values = sample(N, seed=1)
    write_tree(path, "events", tree_branches(values), mode="RECREATE")
    return path, values


def concat(chunks):
    parts = list(chunks)
    x = np.concatenate([c.x for c in parts])
    y = None if parts[0].y is None else np.concatenate([c.y for c in parts])
    w = None if parts[0].w is None else np.concatenate([c.w for c in parts])
    return parts, x, y, w


# ---------------------------------------------------------------------- chunks equal a whole read
@pytest.mark.parametrize("chunk_size", [1, 7, 300, N, 5 * N], ids=lambda c: f"chunk{c}")
def test_chunks_equal_the_whole_tree(data, chunk_size):
    path, d = data
    chunks = streaming.tree_chunks(path, "events", ["a", "b", "k", "b-tag"], target="y", weight="wgt",
                                   chunk_size=chunk_size)  # fmt: skip
    parts, x, y, w = concat(chunks)
    sizes = [c.events for c in parts]
    assert sizes[:-1] == [chunk_size] * (len(sizes) - 1) and 0 < sizes[-1] <= chunk_size
    assert sum(sizes) == N and sum(c.entries for c in parts) == N == chunks.n_entries
    expected = np.stack([d["a"], d["b"].astype(np.float32), d["k"].astype(np.float32), d["b-tag"]], axis=1)
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(y, d["y"])
    np.testing.assert_array_equal(w, d["wgt"])
    np.testing.assert_array_equal(x, datasets.read_tree(path, "events", ["a", "b", "k", "b-tag"]))
    assert all(c.x.dtype == np.float32 and c.x.flags.c_contiguous for c in parts)


def test_last_chunk_is_partial_and_unpacks(data):
    path, d = data
    parts = list(streaming.tree_chunks(path, "events", ["a"], target="y", chunk_size=300))
    assert [c.events for c in parts] == [300, 300, 300, 100]
    x, y, w = parts[-1]
    np.testing.assert_array_equal(x[:, 0], d["a"][900:])
    np.testing.assert_array_equal(y, d["y"][900:])
    assert w is None
    assert "entries 900-999" in parts[-1].source


def test_array_branch_expands_to_its_elements(data):
    path, d = data
    chunks = streaming.tree_chunks(path, "events", ["x", "a"], chunk_size=128)
    assert chunks.columns == ["x[0]", "x[1]", "x[2]", "a"]
    _, x, y, _ = concat(chunks)
    np.testing.assert_array_equal(x, np.column_stack([d["x"], d["a"]]))
    assert y is None


def test_expressions_are_computed_in_double_like_tmva(data):
    path, d = data
    expressions = ["a + 2*b", "a*k", "x[1]", "Sum$(x)", "abs(a)", "2*x"]
    chunks = streaming.tree_chunks(path, "events", expressions, chunk_size=333)
    assert chunks.columns[-3:] == ["(2*x)[0]", "(2*x)[1]", "(2*x)[2]"]
    _, x, _, _ = concat(chunks)
    a, b, k, xs = d["a"].astype(np.float64), d["b"], d["k"].astype(np.float64), d["x"].astype(np.float64)
    expected = np.column_stack([a + 2 * b, a * k, xs[:, 1], xs[:, 0] + xs[:, 1] + xs[:, 2], np.abs(a), 2 * xs])
    np.testing.assert_array_equal(x, expected.astype(np.float32))


def test_selection_fills_whole_chunks(data):
    path, d = data
    chunks = streaming.tree_chunks(path, "events", ["a", "x[2]"], target="y", weight="wgt",
                                   selection="a > 0 && k >= 3", chunk_size=100)  # fmt: skip
    parts, x, y, w = concat(chunks)
    keep = (d["a"] > 0) & (d["k"] >= 3)
    assert [c.events for c in parts][:-1] == [100] * (len(parts) - 1)
    assert sum(c.entries for c in parts) == N
    np.testing.assert_array_equal(x, np.column_stack([d["a"], d["x"][:, 2]])[keep])
    np.testing.assert_array_equal(y, d["y"][keep])
    np.testing.assert_array_equal(w, d["wgt"][keep])
    np.testing.assert_array_equal(x[:, :1], datasets.read_tree(path, "events", ["a"], selection="a > 0 && k >= 3"))


def test_entry_range_and_several_targets(data):
    path, d = data
    chunks = streaming.tree_chunks(path, "events", ["a"], target=["b", "k"], chunk_size=64, start=250, stop=731)
    assert chunks.n_entries == 481
    _, x, y, _ = concat(chunks)
    np.testing.assert_array_equal(x[:, 0], d["a"][250:731])
    assert y.shape == (481, 2)
    np.testing.assert_array_equal(y, np.column_stack([d["b"], d["k"]])[250:731].astype(np.float32))
    tail = streaming.tree_chunks(path, "events", ["a"], start=990, stop=10**9)
    assert tail.n_entries == 10


def test_variable_length_arrays_with_one_value_per_event(data):
    path, d = data
    sums = np.where(d["n"] >= 1, d["v"][:, 0].astype(np.float64), 0) + np.where(d["n"] == 2, d["v"][:, 1], 0)
    _, x, _, _ = concat(streaming.tree_chunks(path, "events", ["Sum$(v)"], chunk_size=100))
    np.testing.assert_array_equal(x[:, 0], sums.astype(np.float32))
    _, x, _, _ = concat(streaming.tree_chunks(path, "events", ["v[0]"], selection="n > 0", chunk_size=100))
    np.testing.assert_array_equal(x[:, 0], d["v"][d["n"] > 0, 0])


def test_a_list_of_files_is_a_chain(data, tmp_path):
    path, d = data
    other = sample(150, seed=2)
    second = tmp_path / "second.root"
    write_tree(second, "events", tree_branches(other), mode="RECREATE")
    chunks = streaming.tree_chunks([path, second], "events", ["b-tag", "x", "Sum$(x)"], target="y", chunk_size=400)
    assert chunks.n_entries == N + 150
    parts, x, y, _ = concat(chunks)
    assert [c.events for c in parts] == [400, 400, 350]
    both = {key: np.concatenate([d[key], other[key]]) for key in ("b-tag", "x", "y")}
    np.testing.assert_array_equal(x[:, :4], np.column_stack([both["b-tag"], both["x"]]))
    np.testing.assert_array_equal(x[:, 4], both["x"].astype(np.float64).sum(axis=1).astype(np.float32))
    np.testing.assert_array_equal(y, both["y"])


def test_chunks_can_be_read_again(data):
    path, _ = data
    chunks = streaming.tree_chunks(path, "events", ["a", "x"], target="y", chunk_size=300)
    first, second = concat(chunks), concat(chunks)
    np.testing.assert_array_equal(first[1], second[1])


# ---------------------------------------------------------------------- two classes
@pytest.fixture(scope="module")
def two_class(tmp_path_factory):
    path = tmp_path_factory.mktemp("two") / "classes.root"
    signal, background = sample(700, seed=3), sample(300, seed=4)
    write_tree(path, "TreeS", tree_branches(signal), mode="RECREATE")
    write_tree(path, "TreeB", tree_branches(background))
    return path, signal, background


def test_two_class_chunks_hold_both_classes(two_class):
    path, signal, background = two_class
    chunks = streaming.two_class_chunks(path, "TreeS", "TreeB", ["a", "x"], weight="wgt", chunk_size=250)
    parts = list(chunks)
    assert [(int(c.y.sum()), int((c.y == 0).sum())) for c in parts] == [(175, 75)] * 4
    x = np.concatenate([c.x for c in parts])
    is_signal = np.concatenate([c.y for c in parts]) == 1
    np.testing.assert_array_equal(x[is_signal], np.column_stack([signal["a"], signal["x"]]))
    np.testing.assert_array_equal(x[~is_signal], np.column_stack([background["a"], background["x"]]))
    w = np.concatenate([c.w for c in parts])
    np.testing.assert_array_equal(w[~is_signal], background["wgt"])
    assert chunks.n_entries == 1000 and sum(c.entries for c in parts) == 1000


def test_two_class_chunks_with_a_selection_and_two_files(two_class, tmp_path):
    path, signal, _ = two_class
    other = sample(90, seed=5)
    background_file = tmp_path / "bkg.root"
    write_tree(background_file, "B", tree_branches(other), mode="RECREATE")
    chunks = streaming.two_class_chunks(path, "TreeS", "B", ["b"], background_path=background_file,
                                        selection="k < 5", chunk_size=100)  # fmt: skip
    _, x, y, _ = concat(chunks)
    np.testing.assert_array_equal(x[y == 1, 0], signal["b"][signal["k"] < 5].astype(np.float32))
    np.testing.assert_array_equal(x[y == 0, 0], other["b"][other["k"] < 5].astype(np.float32))


# ---------------------------------------------------------------------- fit_stream
def _net(n_inputs=4, seed=5):
    return HashedNetwork(n_inputs, "TANH|16,TANH|16,LINEAR", compression="1/4", seed=seed, num_threads=1)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_fit_stream_equals_partial_fit_on_the_same_arrays(data, weighted):
    path, _ = data
    chunks = streaming.tree_chunks(path, "events", ["a", "b", "x[0]", "b-tag"], target="y",
                                   weight="wgt" if weighted else None, chunk_size=300)  # fmt: skip
    streamed, manual = _net(), _net()
    history = streamed.fit_stream(chunks, epochs=2, training=CONFIG, standardize="first_chunk", verbose=False)
    arrays = [(c.x.copy(), c.y.copy(), None if c.w is None else c.w.copy()) for c in chunks]
    manual.standardize_inputs(arrays[0][0], arrays[0][2])
    losses = [manual.partial_fit(x, y, w, training=CONFIG) for _ in range(2) for x, y, w in arrays]
    np.testing.assert_array_equal(streamed.params, manual.params)
    assert [r.loss for r in history.chunks] == losses
    assert [(r.epoch, r.chunk, r.events) for r in history.chunks] == [(e, i, len(a[0])) for e in (1, 2)
                                                                       for i, a in enumerate(arrays)]  # fmt: skip
    assert history.events == 2 * N
    mean = sum(r.loss * r.events for r in history.chunks[:4]) / N
    assert history.epochs[0].train_loss == pytest.approx(mean, rel=1e-12)


def test_fit_stream_takes_any_iterable_and_continues_the_optimizer(class_example):
    x, y = class_example
    pieces = [(x[i : i + 2500], y[i : i + 2500]) for i in range(0, len(x), 2500)]
    streamed, manual = _net(), _net()
    streamed.fit_stream(pieces[:2], training=CONFIG, standardize=None, verbose=False)
    streamed.fit_stream(iter(pieces[2:]), training=CONFIG, standardize=None, verbose=False)
    for piece in pieces:
        manual.partial_fit(*piece, training=CONFIG)
    np.testing.assert_array_equal(streamed.params, manual.params)
    restarted = _net()
    restarted.fit_stream(pieces[:2], training=CONFIG, standardize=None, verbose=False)
    restarted.fit_stream(pieces[2:], training=CONFIG, standardize=None, restart=True, verbose=False)
    assert not np.array_equal(restarted.params, manual.params)


def test_fit_stream_first_pass_standardises_from_all_chunks(data):
    path, _ = data
    chunks = streaming.tree_chunks(path, "events", ["a", "b", "k", "x[2]"], target="y", weight="wgt", chunk_size=300)
    streamed, manual = _net(), _net()
    streamed.fit_stream(chunks, training=CONFIG, verbose=False)  # standardize="first_pass" is the default
    mean, std = streaming.input_moments(chunks)
    manual.set_input_transform(mean, 1.0 / std)
    for x, y, w in chunks:
        manual.partial_fit(x, y, w, training=CONFIG)
    np.testing.assert_array_equal(streamed.params, manual.params)
    first = next(iter(chunks)).x
    np.testing.assert_array_equal(streamed.predict(first), manual.predict(first))  # the same input transform


def test_fit_stream_learns_from_two_class_trees(tmp_path):
    from tmva_hashednet.evaluation import roc_auc

    source, names = datasets.tutorial_file("tmva_class_example.root"), datasets.CLASS_EXAMPLE_VARIABLES
    values = {tree: datasets.read_tree(source, tree, names) for tree in ("TreeS", "TreeB")}
    path = tmp_path / "toy.root"
    for mode, (tree, x) in zip(("RECREATE", "UPDATE"), values.items()):
        write_tree(path, tree, {v: (f"{v}/F", x[:, j]) for j, v in enumerate(names)}, mode=mode)
    net = _net()
    history = net.fit_stream(streaming.two_class_chunks(path, "TreeS", "TreeB", names, chunk_size=2000), epochs=4,
                             training=CONFIG, verbose=False)  # fmt: skip
    assert history.epochs[-1].train_loss < history.epochs[0].train_loss
    x = np.concatenate([values["TreeS"], values["TreeB"]])
    y = np.concatenate([np.ones(len(values["TreeS"])), np.zeros(len(values["TreeB"]))])
    assert roc_auc(y, net.predict(x)) > 0.85


def test_fit_stream_prints_progress(data, capsys):
    path, _ = data
    chunks = streaming.tree_chunks(path, "events", ["a"], target="y", chunk_size=400)
    _net(1).fit_stream(chunks, epochs=2, training=CONFIG, verbose=True)
    out = capsys.readouterr().out
    assert "first pass" in out
    assert "epoch 1/2, chunk 1: 400/2,000 entries (20.0%)" in out
    assert "epoch 2/2 done: 1,000 events" in out and "events/s" in out
    _net(1).fit_stream(chunks, training=CONFIG, verbose=False)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------- input_moments
def test_input_moments_equal_numpy_on_the_whole_data():
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.normal(1e4, 0.5, 5000), rng.normal(-3, 20, 5000), rng.exponential(2, 5000)])
    x = x.astype(np.float32)
    w = rng.uniform(-0.2, 1.5, 5000).astype(np.float32)  # negative weights, as TMVA allows
    pieces = [slice(0, 1), slice(1, 1700), slice(1700, 5000)]
    wide = x.astype(np.float64)
    for weights in (None, w):
        chunks = [(x[p], None, None if weights is None else weights[p]) for p in pieces]
        mean, std = streaming.input_moments(chunks)
        w64 = None if weights is None else weights.astype(np.float64)
        expected_mean = np.average(wide, axis=0, weights=w64)
        expected_std = np.sqrt(np.average((wide - expected_mean) ** 2, axis=0, weights=w64))
        np.testing.assert_allclose(mean, expected_mean, rtol=1e-13)
        np.testing.assert_allclose(std, expected_std, rtol=1e-10)


def test_input_moments_of_a_tree_use_its_weights(data):
    path, d = data
    mean, std = streaming.input_moments(streaming.tree_chunks(path, "events", ["b", "x"], weight="wgt", chunk_size=99))
    x = np.column_stack([d["b"].astype(np.float32), d["x"]]).astype(np.float64)
    w = d["wgt"].astype(np.float64)
    np.testing.assert_allclose(mean, np.average(x, axis=0, weights=w), rtol=1e-13)
    np.testing.assert_allclose(std, np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w)), rtol=1e-10)


# ---------------------------------------------------------------------- errors
def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.root"):
        streaming.tree_chunks(tmp_path / "nothere.root", "events", ["a"])
    (tmp_path / "junk.root").write_text("not a ROOT file")
    with pytest.raises(FileNotFoundError, match="cannot open ROOT file"):
        streaming.tree_chunks(tmp_path / "junk.root", "events", ["a"])


def test_missing_tree_lists_what_the_file_holds(data):
    path, _ = data
    with pytest.raises(ValueError, match=r"tree 'Events' is not in .*it holds: events"):
        streaming.tree_chunks(path, "Events", ["a"])


def test_an_object_that_is_no_tree(tmp_path):
    import ROOT

    path = tmp_path / "hist.root"
    handle = ROOT.TFile(str(path), "RECREATE")
    ROOT.TH1F("h", "h", 10, 0, 1).Write()
    handle.Close()
    with pytest.raises(ValueError, match="'h' in .* is a TH1F, not a TTree"):
        streaming.tree_chunks(path, "h", ["a"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(variables=["a", "pt"]), r"variable 'pt' cannot be evaluated .* neither a branch nor a valid"),
        (dict(variables=["a", "log(pt)"]), r"variable 'log\(pt\)'"),
        (dict(target="label"), r"target 'label'"),
        (dict(weight="weight"), r"weight 'weight'"),
        (dict(selection="pt > 3"), r"selection 'pt > 3'"),
    ],
    ids=["branch", "expression", "target", "weight", "selection"],
)  # fmt: skip
def test_unknown_names_are_named_with_the_branches(data, kwargs, message):
    path, _ = data
    args = dict(variables=["a"])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message) as error:
        streaming.tree_chunks(path, "events", args.pop("variables"), **args)
    assert "its branches are: a, b, k, b-tag, x[3], y, wgt, n, v[n]" in str(error.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(chunk_size=0), ValueError, r"chunk_size must be a positive integer.*got 0"),
        (dict(chunk_size=-5), ValueError, r"chunk_size.*-5"),
        (dict(chunk_size=2.5), ValueError, r"chunk_size.*2.5"),
        (dict(chunk_size=True), ValueError, r"chunk_size.*True"),
        (dict(start=-1), ValueError, r"start must be an entry number in \[0, 999\]"),
        (dict(start=N), ValueError, r"start .* has 1000 entries"),
        (dict(start=10, stop=10), ValueError, r"stop must be None .* above start=10"),
        (dict(variables=[]), ValueError, r"variables is empty"),
        (dict(variables="a"), None, None),  # one string is one variable
        (dict(variables=["a", 3]), TypeError, r"non-empty strings.*3"),
        (dict(variables=5), TypeError, r"variables must be a string or a list"),
        (dict(target="x"), ValueError, r"target 'x' gives 3 values per entry.*x\[0\].*Sum\$"),
        (dict(selection="x > 0"), ValueError, r"selection 'x > 0' gives 3 values per entry"),
        (dict(weight="x*wgt"), ValueError, r"weight 'x\*wgt' gives 3 values per entry"),
        (dict(weight=1.0), TypeError, r"weight must be an expression string"),
        (dict(selection=None), TypeError, r"selection must be a string"),
        (dict(variables=["x[5]"]), ValueError, r"variable 'x\[5\]' cannot be evaluated .* x\[3\]"),
    ],
    ids=["chunk-0", "chunk-negative", "chunk-float", "chunk-bool", "start-negative", "start-beyond", "empty-range",
         "no-variables", "one-string", "non-string", "not-a-list", "target-array", "selection-array", "weight-array",
         "weight-number",
         "selection-none", "index-beyond"],
)  # fmt: skip
def test_bad_arguments(data, kwargs, error, message):
    path, _ = data
    args = dict(variables=["a"])
    args.update(kwargs)
    if error is None:
        assert streaming.tree_chunks(path, "events", args.pop("variables"), **args).columns == ["a"]
        return
    with pytest.raises(error, match=message):
        streaming.tree_chunks(path, "events", args.pop("variables"), **args)


def test_variable_length_array_without_one_value_names_the_entry(data):
    path, d = data
    chunks = streaming.tree_chunks(path, "events", ["a", "v"], chunk_size=100)
    first_bad = int(np.argmax(d["n"] != 1))
    with pytest.raises(ValueError, match=rf"variable 'v' gives {d['n'][first_bad]} values at entry {first_bad} of tree "
                                         r"'events'.*Sum\$"):  # fmt: skip
        list(chunks)


@pytest.mark.parametrize("where", ["variable", "target", "weight"])
def test_nan_and_inf_name_the_variable_and_the_entry(tmp_path, where):
    values = sample(500, seed=9)
    bad = {"variable": ("b", 321, np.nan), "target": ("y", 77, np.inf), "weight": ("wgt", 450, -np.inf)}[where]
    values[bad[0]][bad[1]] = bad[2]
    path = tmp_path / "bad.root"
    write_tree(path, "events", tree_branches(values), mode="RECREATE")
    chunks = streaming.tree_chunks(path, "events", ["a", "b"], target="y", weight="wgt", chunk_size=200)
    with pytest.raises(ValueError, match=rf"{where} '{bad[0]}' is {bad[2]} at entry {bad[1]} of tree 'events' of "
                                         r"'.*bad.root'; values must be finite"):  # fmt: skip
        list(chunks)
    clean = streaming.tree_chunks(path, "events", ["a", "b"], target="y", weight="wgt",
                                  selection=f"Entry$ != {bad[1]}")  # fmt: skip
    assert sum(c.events for c in clean) == 499


def test_every_file_of_a_chain_is_checked(data, tmp_path):
    path, _ = data
    values = sample(10, seed=6)
    other = tmp_path / "other.root"
    write_tree(other, "events", {"a": ("a/F", values["a"]), "x": ("x[2]/F", values["x"][:, :2])}, mode="RECREATE")
    with pytest.raises(ValueError, match=r"variable 'b' cannot be .* of '.*other.root'.*its branches are: a, x\[2\]"):
        streaming.tree_chunks([path, other], "events", ["a", "b"])
    with pytest.raises(ValueError, match=r"other columns on tree 'events' of '.*other.root'"):
        streaming.tree_chunks([path, other], "events", ["a", "x"])
    write_tree(other, "nope", {"a": ("a/F", values["a"])}, mode="RECREATE")
    with pytest.raises(ValueError, match=r"tree 'events' is not in '.*other.root'; it holds: nope"):
        streaming.tree_chunks([path, other], "events", ["a"])


def test_an_empty_tree_is_an_error(tmp_path):
    path = tmp_path / "empty.root"
    write_tree(path, "events", {"a": ("a/F", np.zeros(0, np.float32))}, mode="RECREATE")
    with pytest.raises(ValueError, match="tree 'events' of .*empty.root' has no entries"):
        streaming.tree_chunks(path, "events", ["a"])


def test_two_class_trees_must_give_the_same_columns(tmp_path):
    values = sample(20, seed=1)
    path = tmp_path / "mixed.root"
    write_tree(path, "S", tree_branches(values), mode="RECREATE")
    write_tree(path, "B", {"x": ("x[2]/F", values["x"][:, :2])})
    with pytest.raises(ValueError, match=r"different columns.*x\[2\]"):
        streaming.two_class_chunks(path, "S", "B", ["x"])
    with pytest.raises(ValueError, match="tree 'Missing'"):
        streaming.two_class_chunks(path, "S", "Missing", ["x"])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(epochs=0), ValueError, r"epochs must be a positive integer, got 0"),
        (dict(epochs=1.5), ValueError, r"epochs.*1.5"),
        (dict(standardize="yes"), ValueError, r"standardize 'yes' is not known; allowed: 'first_pass', 'first_chunk'"),
        (dict(standardize=True), ValueError, r"standardize True"),
        (dict(training=[CONFIG]), TypeError, r"training must be one TrainingConfig"),
    ],
    ids=["epochs-0", "epochs-float", "standardize-name", "standardize-bool", "training-list"],
)  # fmt: skip
def test_fit_stream_bad_arguments(data, kwargs, error, message):
    path, _ = data
    chunks = streaming.tree_chunks(path, "events", ["a"], target="y")
    with pytest.raises(error, match=message):
        _net(1).fit_stream(chunks, verbose=False, **kwargs)


def test_fit_stream_bad_chunks(data):
    path, d = data
    net = _net(1)
    one_pass = ((d["a"][i : i + 10], d["y"][i : i + 10]) for i in range(0, 100, 10))
    with pytest.raises(TypeError, match="one-pass iterator.*TreeChunks or a list"):
        net.fit_stream(one_pass, epochs=2, standardize=None, verbose=False)
    with pytest.raises(TypeError, match="one-pass iterator"):
        net.fit_stream(iter([(d["a"], d["y"])]), verbose=False)  # the first pass would consume it
    no_target = streaming.tree_chunks(path, "events", ["a"])
    with pytest.raises(ValueError, match="no target"):
        net.fit_stream(no_target, verbose=False)
    with pytest.raises(TypeError, match=r"tuple \(x, y\) or \(x, y, weights\), got tuple of length 4"):
        net.fit_stream([(d["a"], d["y"], None, None)], standardize=None, verbose=False)
    wrong = [(d["a"][:10], d["y"][:10]), (np.ones((10, 2), np.float32), d["y"][:10])]
    with pytest.raises(ValueError, match="chunk 1 of epoch 1: chunk x has 2 columns per event, expected 1"):
        net.fit_stream(wrong, standardize=None, verbose=False)
    labels = streaming.tree_chunks(path, "events", ["a"], target="k", chunk_size=400)
    with pytest.raises(ValueError, match=r"chunk 0 of epoch 1 \(entries 0-399 of tree 'events'.*class label"):
        net.fit_stream(labels, standardize=None, verbose=False)
    with pytest.raises(ValueError, match="hold no events"):
        net.fit_stream([], standardize=None, verbose=False)
    with pytest.raises(ValueError, match=r"the chunks have 3 columns per event \(x\[0\], x\[1\], x\[2\]\), the network 1"):
        net.fit_stream(streaming.tree_chunks(path, "events", ["x"], target="y"), verbose=False)
    with pytest.raises(ValueError, match="the chunks have 2 columns per event, the network 1 inputs"):
        net.fit_stream([(np.ones((3, 2)), np.ones(3))], verbose=False)
    with pytest.raises(ValueError, match="chunk 0 of epoch 1: x has 2 columns per event, expected 1"):
        net.fit_stream([(np.ones((3, 2)), np.ones(3))], standardize="first_chunk", verbose=False)
    with pytest.raises(ValueError, match="no events in the chunks"):
        streaming.input_moments([])
    with pytest.raises(ValueError, match=r"weights of the chunks sum to -2"):
        streaming.input_moments([(np.ones((2, 1)), None, -np.ones(2))])
