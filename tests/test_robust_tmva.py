"""Issue 12 in the TMVA-compatible workflow: the checksum of <Transformations>
in the weight file, one class only, ValidationSize=0 and tiny samples."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from array import array
from pathlib import Path

import numpy as np
import pytest
import xxhash

from tmva_hashednet import datasets
from tmva_hashednet._core import core
from tmva_hashednet.tmva import compat_namespace
from tmva_hashednet.tmva.weights_xml import TRANSFORMATIONS_CHECKSUM, read_weight_file

TMVA = compat_namespace()
GOOD = "!H:!V:VarTransform=N:Layout=TANH|8,LINEAR:TrainingStrategy=MaxEpochs=2"
FORMAT1 = Path(__file__).resolve().parent / "data" / "golden" / "format1" / "TMVAGolden_HashedDNN.weights.xml"


@pytest.fixture(scope="module")
def class_file():
    import ROOT

    handle = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    yield handle
    handle.Close()


def _train(class_file, folder, method_options=GOOD, prepare="nTrain_Signal=200:nTrain_Background=200",
           trees=("TreeS", "TreeB"), factory_options="Silent"):  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        factory = TMVA.Factory("job", None, factory_options)
        loader = TMVA.DataLoader("dataset")
        for name in ("var1", "var2"):
            loader.AddVariable(name, "F")
        adders = {"TreeS": loader.AddSignalTree, "TreeB": loader.AddBackgroundTree}
        for tree in trees:
            adders[tree](class_file.Get(tree))
        loader.PrepareTrainingAndTestTree("", "", prepare)
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", method_options)
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
        return factory, folder / "dataset/weights/job_HashedDNN.weights.xml"


@pytest.fixture(scope="module")
def weight_file(class_file, tmp_path_factory):
    return _train(class_file, tmp_path_factory.mktemp("weights"))[1]


def _reader(options="!Color:Silent"):
    reader = TMVA.Reader(options)
    for name in ("var1", "var2"):
        reader.AddVariable(name, array("f", [0.0]))
    return reader


# ---------------------------------------------------------------------- the checksum's definition


def _reference_digest(element) -> str:
    """hashednet/section_digest.h written out again in Python with the xxhash package: E<len>:<tag>, then
    A<len>:<name>=<len>:<value> per attribute, T<len>:<text> when there is text, '/' at the end; values and
    text with whitespace runs collapsed to one blank and trimmed."""

    def token(kind: str, value: str) -> str:
        return f"{kind}{len(value.encode())}:{value}"

    def walk(e) -> str:
        out = token("E", e.tag)
        for name, value in e.attrib.items():
            out += token("A", name) + token("=", " ".join(value.split()))
        text = " ".join((e.text or "").split())
        out += token("T", text) if text else ""
        return out + "".join(walk(c) for c in e) + "/"

    return f"{xxhash.xxh32_intdigest(walk(element).encode(), seed=0):08x}"


def test_the_checksum_is_the_section_digest_of_transformations(weight_file):
    root = ElementTree.parse(weight_file).getroot()
    weights, section = root.find("Weights"), root.find("Transformations")
    assert list(weights.attrib) == ["Format", "HashDefinition", TRANSFORMATIONS_CHECKSUM]
    assert section.find("Transform").get("Name") == "Normalize"
    assert weights.get(TRANSFORMATIONS_CHECKSUM) == _reference_digest(section)
    assert TRANSFORMATIONS_CHECKSUM == str(core().kTransformationsChecksumAttribute)  # one name for C++ and Python
    assert read_weight_file(weight_file).transformations_checked


def test_the_digest_ignores_layout_but_not_content():
    def digest(text):
        return _reference_digest(ElementTree.fromstring(text))

    same = ['<T N="1"><R Min="1.0" Max="2.0"/></T>', '<T  N = "1" >\n   <R Min="1.0"\n Max="2.0" ></R>\n</T>',
            "<T N='1'><R Min='1.0' Max='2.0'/></T>", '<T N="&#49;"><R Min="1.0" Max="2.0"/></T>']
    assert len({digest(t) for t in same}) == 1
    other = ['<T N="1"><R Min="1.1" Max="2.0"/></T>', '<T N="1"><R Max="2.0" Min="1.0"/></T>',
             '<T N="1"><R Min="1.0" Max="2.0"/><R/></T>', '<T N="1"><R Min="1.0" Max="2.0">3</R></T>']
    assert len({digest(t) for t in same[:1] + other}) == 5


def _damaged(weight_file, tmp_path, pattern, replace):
    text = weight_file.read_text()
    changed = re.sub(pattern, replace, text, count=1)
    assert changed != text
    path = tmp_path / "changed.weights.xml"
    path.write_text(changed)
    return path


@pytest.mark.parametrize("pattern, replace", [
    (r'(<Range Index="0" Min="-?\d)\.(\d)', lambda m: f"{m[1]}.{(int(m[2]) + 1) % 10}"),  # a digit of a range
    (r'(<Range Index="1" Min="[^"]+" Max=")-?', r"\g<1>-"),  # a sign
    (r'(<Input Type="Variable" Label=")var1', r"\g<1>var9"),  # a label
    (r'(<Transformations NTransformations="1">)', r'\1<Extra/>'),  # a node added
], ids=["range-digit", "range-sign", "label", "added-node"])  # fmt: skip
def test_a_changed_transformations_section_is_an_error_naming_it(weight_file, tmp_path, pattern, replace):
    """A byte changed inside <Transformations> (outside the network text's checksum) used to load and change
    every response (0.8829 -> 0.0388 in the issue)."""
    path = _damaged(weight_file, tmp_path, pattern, replace)
    with pytest.raises(ValueError, match=r"the <Transformations> section does not match its checksum \("
                                         r"TransformationsChecksum=\"[0-9a-f]{8}\", computed \"[0-9a-f]{8}\"\): it was "
                                         r"changed after it was written \(e\.g\. a normalisation range\)"):  # fmt: skip
        _reader().BookMVA("HashedDNN", str(path))


def test_reindenting_the_file_keeps_it_valid(weight_file, tmp_path):
    path = _damaged(weight_file, tmp_path, r"\n(\s*)<Range ", r"\n\1\t  <Range\n   ")
    expected = _reader().BookMVA("HashedDNN", str(weight_file)).evaluate(np.array([[0.5, -0.2]]))
    assert _reader().BookMVA("HashedDNN", str(path)).evaluate(np.array([[0.5, -0.2]])) == expected


def test_a_file_from_before_the_checksum_loads_with_a_warning(capsys):
    """The golden format-1 file (tests/test_golden.py checks its responses bit for bit) has no checksum."""
    assert TRANSFORMATIONS_CHECKSUM not in FORMAT1.read_text()
    assert not read_weight_file(FORMAT1).transformations_checked
    reader = TMVA.Reader("!Color:!Silent")
    for variable in read_weight_file(FORMAT1).variables:
        reader.AddVariable(variable.expression, array("f", [0.0]))
    reader.BookMVA("HashedDNN", str(FORMAT1))
    out = capsys.readouterr().out
    assert (f"<WARNING> <WARNING>                : {FORMAT1} has no TransformationsChecksum (written before it "
            "existed): its <Transformations> section is read unverified") in out, out


def test_a_new_file_loads_without_that_warning(weight_file, capsys):
    _reader("!Color:!Silent").BookMVA("HashedDNN", str(weight_file))
    assert "WARNING" not in capsys.readouterr().out


# ---------------------------------------------------------------------- classes and tiny samples


@pytest.mark.parametrize("factory_options", ["Silent", "Silent:AnalysisType=Classification"])
def test_one_class_is_a_clear_error(class_file, tmp_path, factory_options):
    """With AnalysisType=Classification it trained on signal alone (RuntimeWarnings, a meaningless ROC);
    the issue saw 'TypeError ... fill1(TH1* h ...) could not convert argument 3'."""
    with pytest.raises(ValueError, match=r"dataset 'dataset' has one class only \(\['Signal'\]\): classification "
                                         r"needs events of a 'Signal' and a 'Background' class; add the other tree"):
        _train(class_file, tmp_path, prepare="nTrain_Signal=200", trees=("TreeS",), factory_options=factory_options)


def test_validation_size_zero_trains_three_events_per_class_and_says_so(class_file, tmp_path, capsys):
    """It ended in 'validation x is empty'."""
    prepare = "nTrain_Signal=3:nTrain_Background=3:nTest_Signal=3:nTest_Background=3"
    factory, weights = _train(class_file, tmp_path, GOOD + ":ValidationSize=0", prepare, factory_options="!Color")
    out = capsys.readouterr().out
    assert "Using 6 events for training and 0 for testing" in out
    assert ("ValidationSize=0: no validation sample; the training loss picks the best epoch and decides early "
            "stopping (ConvergenceSteps)") in out
    assert weights.exists()
    history = factory.GetMethod("dataset", "HashedDNN").history
    assert [e.train_loss for e in history.epochs] == [e.validation_loss for e in history.epochs]


@pytest.mark.parametrize("validation_size", ["20%", "1"])
def test_tiny_samples_validate_on_what_they_have(class_file, tmp_path, validation_size):
    prepare = "nTrain_Signal=3:nTrain_Background=3:nTest_Signal=3:nTest_Background=3"
    factory, weights = _train(class_file, tmp_path, GOOD + f":ValidationSize={validation_size}", prepare)
    assert weights.exists() and len(factory.GetMethod("dataset", "HashedDNN").history.epochs) == 2


def test_validation_size_of_every_event_is_a_clear_error(class_file, tmp_path):
    prepare = "nTrain_Signal=3:nTrain_Background=3:nTest_Signal=3:nTest_Background=3"
    with pytest.raises(ValueError, match=r"ValidationSize='6' asks for 6 validation events, but there are only 6 "
                                         r"training events"):  # fmt: skip
        _train(class_file, tmp_path, GOOD + ":ValidationSize=6", prepare)
