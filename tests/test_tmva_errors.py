"""Clear errors of the TMVA-compatible workflow, atomic output, and the real-TMVA switch."""

from __future__ import annotations

import os
import signal
from array import array

import pytest
from signal_helpers import interrupt_child
from tmva_helpers import macro, run_macro

from tmva_hashednet import datasets
from tmva_hashednet.tmva import _real_tmva, compat_namespace

TMVA = compat_namespace()
GOOD = "!H:!V:VarTransform=N:Layout=TANH|8,LINEAR:TrainingStrategy=MaxEpochs=1"


@pytest.fixture(scope="module")
def class_file():
    import ROOT

    handle = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    yield handle
    handle.Close()


def _loader(class_file, variables=("var1", "var2"), options="nTrain_Signal=200:nTrain_Background=200"):
    loader = TMVA.DataLoader("dataset")
    for name in variables:
        loader.AddVariable(name, "F")
    loader.AddSignalTree(class_file.Get("TreeS"))
    loader.AddBackgroundTree(class_file.Get("TreeB"))
    loader.PrepareTrainingAndTestTree("", "", options)
    return loader


def test_unknown_factory_option_is_named_with_suggestion():
    with pytest.raises(ValueError, match=r"unknown option 'Transformation'.*did you mean 'Transformations'.*Allowed"):
        TMVA.Factory("job", None, "!V:Transformation=I")


def test_bad_analysis_type_lists_allowed():
    with pytest.raises(ValueError, match="Classification, Multiclass, Regression, Auto"):
        TMVA.Factory("job", None, "AnalysisType=Clasification")


def test_unknown_prepare_option(class_file):
    with pytest.raises(ValueError, match=r"unknown option 'nTrain_Sgnal'.*did you mean 'nTrain_Signal'"):
        _loader(class_file, options="nTrain_Sgnal=100")


def test_bad_split_mode(class_file):
    with pytest.raises(ValueError, match="Allowed values: Random, Alternate, Block"):
        _loader(class_file, options="SplitMode=Randm")


def test_too_many_events_requested(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    loader = _loader(class_file, options="nTrain_Signal=5000:nTest_Signal=5000")
    with pytest.raises(ValueError, match="More events requested for class 'Signal'"):
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", GOOD)


def test_misspelled_method_option_has_suggestion(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    with pytest.raises(ValueError, match=r"unknown option 'Compresion'.*did you mean 'Compression'"):
        factory.BookMethod(_loader(class_file), "HashedDNN", "HashedDNN", GOOD + ":Compresion=1/8")


def test_misspelled_phase_key(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    with pytest.raises(ValueError, match=r"unknown key 'LearnigRate'.*did you mean 'LearningRate'"):
        factory.BookMethod(_loader(class_file), "HashedDNN", "HashedDNN", "TrainingStrategy=LearnigRate=0.1")


@pytest.mark.parametrize(
    ("transform", "message"),
    [("N,G_Signal", r"a reference class \('G_Signal'\) is not supported .* write 'G' or 'G_AllClasses'"),
     ("D_Signal", r"a reference class \('D_Signal'\) is not supported .* write 'D' or 'D_AllClasses'"),
     ("N(var1)", r"a selection of variables \('N\(var1\)'\) is not supported")],
    ids=["reference-class-in-chain", "reference-class", "selection"],
)
def test_unsupported_var_transform(class_file, transform, message):
    factory = TMVA.Factory("job", None, "Silent")
    with pytest.raises(ValueError, match=message):
        factory.BookMethod(_loader(class_file), "HashedDNN", "HashedDNN", "VarTransform=" + transform)


@pytest.mark.parametrize("transform", ["G", "N,U"], ids=["gauss", "uniform-in-chain"])
def test_gauss_of_a_constant_variable_is_named(class_file, transform):
    """G and U need a cumulative distribution: a variable with one value has none (TMVA's is NaN)."""
    factory = TMVA.Factory("job", None, "Silent")
    loader = _loader(class_file, variables=("var1", "var2*0+3"))
    factory.BookMethod(loader, "HashedDNN", "HashedDNN", GOOD.replace("VarTransform=N", "VarTransform=" + transform))
    message = r"VarTransform=[GU]: 'var2\*0\+3' in class 'Signal': no training weight lies below"
    with pytest.raises(ValueError, match=message):
        factory.TrainAllMethods()


def test_bad_validation_size(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    with pytest.raises(ValueError, match=r"ValidationSize='abc' is not a percentage"):
        factory.BookMethod(_loader(class_file), "HashedDNN", "HashedDNN", GOOD + ":ValidationSize=abc")


def test_only_hashed_dnn_can_be_booked(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    with pytest.raises(ValueError, match="TMVA is not available in this ROOT; only HashedDNN can be booked"):
        factory.BookMethod(_loader(class_file), TMVA.Types.kBDT, "BDT", "")


def test_bad_variable_name_lists_branches(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    loader = _loader(class_file, variables=("var1", "vra2"))
    with pytest.raises(ValueError, match=r"'vra2' cannot be evaluated on tree 'TreeS'.*branches are: var1, var2"):
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", GOOD)


def test_bad_cut_is_named(class_file):
    factory = TMVA.Factory("job", None, "Silent")
    loader = TMVA.DataLoader("dataset")
    loader.AddVariable("var1")
    loader.AddSignalTree(class_file.Get("TreeS"))
    loader.AddBackgroundTree(class_file.Get("TreeB"))
    loader.PrepareTrainingAndTestTree("varX>0", "", "")
    with pytest.raises(ValueError, match=r"cut 'varX>0' cannot be evaluated"):
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", GOOD)


def test_missing_tree_is_a_type_error(class_file):
    loader = TMVA.DataLoader("dataset")
    with pytest.raises(TypeError, match="needs a ROOT TTree"):
        loader.AddSignalTree(class_file.Get("NoSuchTree"))


@pytest.fixture(scope="module")
def weight_file(tmp_path_factory):
    import ROOT

    folder = tmp_path_factory.mktemp("weights")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        handle = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
        factory = TMVA.Factory("job", None, "Silent")
        loader = _loader(handle)
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", GOOD)
        factory.TrainAllMethods()
        handle.Close()
    return folder / "dataset/weights/job_HashedDNN.weights.xml"


def test_reader_variable_mismatch_names_both_lists(weight_file):
    reader = TMVA.Reader("Silent")
    reader.AddVariable("var2", array("f", [0.0]))
    reader.AddVariable("var1", array("f", [0.0]))
    with pytest.raises(ValueError, match=r"Reader: \['var2', 'var1'\]; weight file: \['var1', 'var2'\]"):
        reader.BookMVA("HashedDNN", str(weight_file))


def test_reader_variable_count_mismatch(weight_file):
    reader = TMVA.Reader("Silent")
    reader.AddVariable("var1", array("f", [0.0]))
    with pytest.raises(ValueError, match="do not match the weight file"):
        reader.BookMVA("HashedDNN", str(weight_file))


def _reader():
    reader = TMVA.Reader("Silent")
    reader.AddVariable("var1", array("f", [0.0]))
    reader.AddVariable("var2", array("f", [0.0]))
    return reader


def test_truncated_weight_file_is_a_clear_error(weight_file, tmp_path):
    text = weight_file.read_text()
    broken = tmp_path / "truncated.weights.xml"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="not valid XML.*truncated or damaged"):
        _reader().BookMVA("HashedDNN", str(broken))


def test_damaged_network_text_fails_the_checksum(weight_file, tmp_path):
    text = weight_file.read_text()
    start = text.index("params ") + 20
    broken = tmp_path / "damaged.weights.xml"
    broken.write_text(text[:start] + ("B" if text[start] != "B" else "C") + text[start + 1:])
    with pytest.raises(ValueError, match="checksum"):
        _reader().BookMVA("HashedDNN", str(broken))


def test_weight_file_of_another_method(tmp_path):
    other = tmp_path / "bdt.weights.xml"
    other.write_text('<?xml version="1.0"?>\n<MethodSetup Method="BDT::BDT"><GeneralInfo/></MethodSetup>\n')
    with pytest.raises(ValueError, match="type 'BDT'; without TMVA only HashedDNN"):
        _reader().BookMVA("BDT", str(other))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")], ids=["nan", "inf", "-inf"])
def test_reader_non_finite_input_gives_minus_999_with_an_error_line(weight_file, bad, capsys):
    """TMVA's Reader answers a NaN input with -999 and an ERROR line; inf gets the same answer."""
    reader = TMVA.Reader("!Color")
    reader.AddVariable("var1", array("f", [0.0]))
    reader.AddVariable("var2", array("f", [0.0]))
    reader.BookMVA("HashedDNN", str(weight_file))
    capsys.readouterr()
    assert reader.EvaluateMVA([0.5, bad], "HashedDNN") == -999.0
    line = capsys.readouterr().out
    assert "<ERROR>" in line and "1-th variable of the event ('var2')" in line and "-999" in line
    assert 0.0 <= reader.EvaluateMVA([0.5, 0.5], "HashedDNN") <= 1.0


def test_interrupted_run_leaves_no_output_and_no_weight_file(tmp_path):
    # A real Ctrl-C to a child running the macro with a training of many
    # minutes (no early stopping); compat workflow: KeyboardInterrupt, real
    # TMVA: the method's error line and an exception (not kFATAL, which is exit(1) in
    # TMVA 4.2.1). Neither leaves TMVA.root, a weight file or a temporary.
    code = """
    from tmva_helpers import macro
    job = macro("tmva_classification")
    options = job.method_options
    job.method_options = lambda epochs, rate: options(epochs, rate).replace("ConvergenceSteps=5", "ConvergenceSteps=100000")
    from tmva_hashednet.tmva import _real_tmva
    if _real_tmva() is None:  # READY once the network trains (not while the data and the network are made)
        from tmva_hashednet import HashedNetwork
        HashedNetwork.fit = (lambda fit: lambda self, *a, **k: (print("READY", flush=True), fit(self, *a, **k))[1])(
            HashedNetwork.fit)
    else:
        job.TMVA.Factory.TrainAllMethods = (lambda train: lambda self: (print("READY", flush=True), train(self)))(
            job.TMVA.Factory.TrainAllMethods)
    job.run("class", "TMVA.root", epochs=100000, n_train=2000)
    """
    seconds, returncode, err = interrupt_child(code, tmp_path)
    assert seconds < 10.0, err[-3000:]
    if _real_tmva() is None:
        assert returncode == -signal.SIGINT, err[-3000:]
        assert "KeyboardInterrupt: training interrupted (SIGINT) after epoch " in err, err[-3000:]
    else:
        assert returncode != 0 and "training interrupted (SIGINT)" in err, err[-3000:]
    assert not (tmp_path / "TMVA.root").exists()
    assert not (tmp_path / "dataset/weights/TMVAClassification_HashedDNN.weights.xml").exists()
    leftovers = [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []


def test_interrupted_weight_file_write_leaves_nothing(tmp_path, monkeypatch):
    from tmva_hashednet import files

    target = tmp_path / "w.xml"

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_text_atomically(target, "content")
    assert os.listdir(tmp_path) == []


@pytest.mark.tmva
@pytest.mark.skipif(_real_tmva() is None, reason="ROOT has no TMVA")
def test_real_tmva_books_hashed_dnn(tmp_path):
    from tmva_hashednet import TMVA as real

    assert real is _real_tmva()
    auc = run_macro(tmp_path, "tmva_classification", "class", "TMVA.root", epochs=2, n_train=500)
    assert auc > 0.6


def test_without_tmva_the_switch_gives_the_compat_workflow():
    from tmva_hashednet import TMVA as chosen

    if _real_tmva() is None:
        assert chosen.Factory is TMVA.Factory and chosen.Reader is TMVA.Reader
    else:
        assert chosen is _real_tmva()


@pytest.mark.parametrize("silent", [True, False], ids=["Silent", "not-Silent"])
def test_silent_factory_prints_nothing_not_even_the_epoch_table(class_file, tmp_path, monkeypatch, capfd, silent):
    monkeypatch.chdir(tmp_path)
    factory = TMVA.Factory("job", None, "Silent" if silent else "!Silent:!Color")
    factory.BookMethod(_loader(class_file), "HashedDNN", "HashedDNN", GOOD)
    capfd.readouterr()
    factory.TrainAllMethods()
    out = capfd.readouterr().out  # the C++ trainer's table goes to the process's stdout
    assert ("Epoch |" in out) is not silent
    assert (out == "") is silent
