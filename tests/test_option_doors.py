"""One option grammar and one validation through every door.

The HashedDNN option string, the compatible workflow's Factory, DataLoader
(PrepareTrainingAndTestTree) and Reader options, and the Python keywords of
HashedNetwork and TrainingConfig are all read by the C++ parser: the same
input gives the same answer, and a bad keyword gives the option string's
message, prefixed with the keyword. Defaults come from the core, not from
Python.
"""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys

import numpy as np
import pytest

from tmva_hashednet import CORE_DEFAULT, HashedNetwork, TrainingConfig, datasets
from tmva_hashednet._errors import translate_errors
from tmva_hashednet.options import MethodOptions, parse_options
from tmva_hashednet.tmva import compat_namespace

TMVA = compat_namespace()


@pytest.fixture(scope="module")
def class_file():
    import ROOT

    handle = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    yield handle
    handle.Close()


def _error(call) -> str | None:
    try:
        call()
    except ValueError as error:
        return str(error)
    return None


# ---------------------------------------------------------------------------------------------- one grammar
def _hashed_dnn(options: str) -> bool:
    return parse_options(options).verbose


def _factory(options: str) -> bool:
    return TMVA.Factory("job", None, options).options["V"]


def _reader(options: str) -> bool:
    return TMVA.Reader(options).options["V"]


def _dataloader(class_file):
    def prepare(options: str) -> bool:
        loader = TMVA.DataLoader("dataset")
        loader.AddVariable("var1", "F")
        loader.AddSignalTree(class_file.Get("TreeS"))
        loader.AddBackgroundTree(class_file.Get("TreeB"))
        loader.PrepareTrainingAndTestTree("", "", options)
        return loader.prepare_options["V"]

    return prepare


# (option text, V as the C++ parser reads it, or the error it raises)
GRAMMAR_CASES = [
    ("!V=True", r"option '!V=True': write either !V or V=False, not both"),
    ("V=yes", r"bad value 'yes' for V.*expected a boolean"),
    ("V=no", r"bad value 'no' for V.*expected a boolean"),
    ("V:V", r"option 'V' is given twice \(also as 'V'\)"),
    ("V:v=False", r"option 'v' is given twice \(also as 'V'\)"),
    ("~!V", False),
    ("~V", True),
    ("!V", False),
    ("V=kTRUE", True),
    ("V=", r"option 'V=' has an empty value"),
]
DOORS = ["HashedDNN", "Factory", "DataLoader", "Reader"]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(("text", "answer"), GRAMMAR_CASES, ids=[c[0] for c in GRAMMAR_CASES])
def test_every_option_string_follows_the_one_grammar(class_file, door, text, answer):
    read = {"HashedDNN": _hashed_dnn, "Factory": _factory, "Reader": _reader,
            "DataLoader": _dataloader(class_file)}[door]  # fmt: skip
    if isinstance(answer, bool):
        assert read(text) is answer
    else:
        with pytest.raises(ValueError, match=answer):
            read(text)


@pytest.mark.parametrize("door", ["Factory", "Reader"])
def test_tilde_marked_negation_reads_false(door):
    """TMVA marks parsed options with '~': '~!Silent' is Silent=False (it was read as True)."""
    make = {"Factory": lambda o: TMVA.Factory("job", None, o), "Reader": TMVA.Reader}[door]
    assert make("~!Silent").options["Silent"] is False
    assert make("~Silent:!Color").options["Color"] is False


def test_typed_values_of_the_other_objects_are_checked(class_file):
    with pytest.raises(ValueError, match=r"bad value '1.5' for SplitSeed in PrepareTrainingAndTestTree options"):
        _dataloader(class_file)("SplitSeed=1.5")
    with pytest.raises(ValueError, match=r"bad value 'x' for TrainTestSplit_Signal.*expected a number"):
        _dataloader(class_file)("TrainTestSplit_Signal=x")
    with pytest.raises(ValueError, match=r"option 'Jobname' needs a value"):
        TMVA.Factory("job", None, "Jobname")
    with pytest.raises(ValueError, match=r"only boolean options can be negated"):
        TMVA.Factory("job", None, "!Transformations")


# ---------------------------------------------------------------------------------------------- one validation
def _option_error(options: str) -> str:
    message = _error(lambda: parse_options(options, n_inputs=4))
    assert message is not None, options
    return message


# (keyword, value, the option string that says the same)
NETWORK_CASES = [
    ("hash_seed", -1, "HashSeed=-1"),
    ("hash_seed", 2**32, "HashSeed=4294967296"),
    ("seed", -1, "RandomSeed=-1"),
    ("num_threads", -1, "NumThreads=-1"),
    ("hash_block", 1.5, "HashBlock=1.5"),
    ("hash_block", "abc", "HashBlock=abc"),
    ("hash_mode", "ROW", "HashMode=ROW"),
    ("hashed_bias", "no", "HashedBias=no"),
    ("compression", 0.0, "Compression=0.0"),
    ("weight_init", "GAUSS", "WeightInitialization=GAUSS"),
]


@pytest.mark.parametrize(("keyword", "value", "option"), NETWORK_CASES,
                         ids=[f"{k}={v!r}" for k, v, _ in NETWORK_CASES])  # fmt: skip
def test_network_keywords_get_the_option_strings_message(keyword, value, option):
    message = _error(lambda: HashedNetwork(4, "TANH|8,LINEAR", **{keyword: value}))
    assert message == f"{keyword}={value!r}: {_option_error(option)}"


PHASE_CASES = [
    ("batch_size", 1.5, "BatchSize=1.5"),
    ("batch_size", "abc", "BatchSize=abc"),
    ("batch_size", True, "BatchSize=True"),
    ("learning_rate", float("nan"), "LearningRate=nan"),
    ("max_epochs", 0, "MaxEpochs=0"),
    ("num_threads", -1, "NumThreads=-1"),
    ("dropout", [0.1, 1.0], "DropConfig=0.1+1.0"),
    ("optimizer", "RMSPROP", "Optimizer=RMSPROP"),
]


@pytest.mark.parametrize(("keyword", "value", "option"), PHASE_CASES,
                         ids=[f"{k}={v!r}" for k, v, _ in PHASE_CASES])  # fmt: skip
def test_training_keywords_get_the_option_strings_message(keyword, value, option):
    message = _error(lambda: TrainingConfig(**{keyword: value}))
    assert message == f"{keyword}={value!r}: {_option_error('TrainingStrategy=' + option)}"


@pytest.mark.parametrize(("value", "option"), [(-1, "RandomSeed=-1"), (2**64, "RandomSeed=18446744073709551616")])
def test_training_seed_is_the_random_seed_option(value, option):
    assert _error(lambda: TrainingConfig(seed=value)) == f"seed={value!r}: {_option_error(option)}"


def _data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 2, n).astype(np.float32)


def test_extra_drop_probabilities_are_refused_as_in_the_option_string():
    """A drop probability per layer at most; the third of a two-layer network was ignored."""
    net = HashedNetwork(4, "TANH|8,LINEAR")
    x, y = _data()
    config = TrainingConfig(max_epochs=1, dropout=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"gives 3 drop probabilities but Layout '.*' has 2 layers"):
        net.fit(x, y, training=config, verbose=False)
    with pytest.raises(ValueError, match=r"gives 3 drop probabilities but Layout"):
        net.partial_fit(x, y, training=config)
    with pytest.raises(ValueError, match=r"gives 3 drop probabilities but Layout 'TANH\|8,LINEAR' has 2 layers"):
        parse_options("Layout=TANH|8,LINEAR:TrainingStrategy=DropConfig=0.1+0.2+0.3")


def test_a_keyword_value_cannot_smuggle_in_other_options():
    with pytest.raises(ValueError, match=r"holds ':'"):
        HashedNetwork(4, "TANH|8,LINEAR:HashSeed=5")
    with pytest.raises(ValueError, match=r"holds ','"):
        TrainingConfig(optimizer="SGD,LearningRate=1")


def test_keywords_of_the_wrong_type_are_type_errors():
    with pytest.raises(TypeError, match="batch_size must be a number or a string"):
        TrainingConfig(batch_size=[1])
    with pytest.raises(TypeError, match="layout must be a string"):
        HashedNetwork(4, 5)


def test_exact_numbers_pass_unchanged():
    """Keywords reach the core as exact text: the same network as before for floats and fractions."""
    from fractions import Fraction

    a = HashedNetwork(4, "TANH|8,LINEAR", compression=Fraction(1, 3), seed=7)
    b = HashedNetwork(4, "TANH|8,LINEAR", compression=1 / 3, seed=7)
    np.testing.assert_array_equal(a.params, b.params)
    assert TrainingConfig(learning_rate=np.float32(0.1)).learning_rate == float(np.float32(0.1))


# ---------------------------------------------------------------------------------------------- threads
def test_more_threads_than_the_hardware_are_refused_everywhere(hn):
    """NumThreads=100000 preallocated ~0.75 MB per thread and was OOM-killed."""
    too_many = int(hn.hardware_threads()) + 1
    allowed = rf"allowed: 0 \(all hardware threads\) to {too_many - 1}"
    with pytest.raises(ValueError, match=rf"num_threads={too_many} is more than the .*; {allowed}"):
        HashedNetwork(4, "TANH|8,LINEAR", num_threads=too_many)
    net = HashedNetwork(4, "TANH|8,LINEAR")
    x, y = _data()
    with pytest.raises(ValueError, match=rf"num_threads={too_many} is more than"):
        net.fit(x, y, training=TrainingConfig(max_epochs=1, num_threads=too_many), verbose=False)
    with pytest.raises(ValueError, match=rf"NumThreads={too_many} is more than .*; {allowed}"), translate_errors():
        net._model.set_num_threads(too_many)
    with pytest.raises(ValueError, match=rf"NumThreads={too_many} is more than"):
        HashedNetwork.from_text(net.to_text(), num_threads=too_many)
    assert parse_options(f"NumThreads={too_many}").num_threads == too_many  # a weight file reads anywhere


def test_too_many_threads_stop_the_compatible_workflow(class_file, hn, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    factory = TMVA.Factory("job", None, "Silent:!Color")
    loader = TMVA.DataLoader("dataset")
    for name in ("var1", "var2"):
        loader.AddVariable(name, "F")
    loader.AddSignalTree(class_file.Get("TreeS"))
    loader.AddBackgroundTree(class_file.Get("TreeB"))
    loader.PrepareTrainingAndTestTree("", "", "nTrain_Signal=100:nTrain_Background=100")
    factory.BookMethod(loader, "HashedDNN", "net", f"Layout=TANH|4,LINEAR:NumThreads={hn.hardware_threads() + 1}")
    with pytest.raises(ValueError, match=r"num_threads=\d+ is more than the \d+ hardware threads"):
        factory.TrainAllMethods()


# ---------------------------------------------------------------------------------------------- defaults
def test_python_retypes_no_default():
    config_defaults = {f.name: f.default for f in dataclasses.fields(TrainingConfig)}
    assert config_defaults.pop("num_threads") is None  # not a core default: "the network's own thread count"
    assert all(d is CORE_DEFAULT for d in config_defaults.values()), config_defaults
    signature = inspect.signature(HashedNetwork)
    options = [p for p in signature.parameters.values() if p.name not in ("n_inputs", "task", "n_outputs")]
    assert options and all(p.default is CORE_DEFAULT for p in options)
    option_fields = [f for f in dataclasses.fields(MethodOptions) if f.name not in
                     ("training", "verbosity", "canonical", "warnings")]  # fmt: skip
    assert all(f.default is dataclasses.MISSING for f in option_fields)


def test_defaults_are_the_cores(hn):
    cpp = hn.TrainingConfig()
    config = TrainingConfig()
    assert (config.learning_rate, config.momentum, config.batch_size, config.max_epochs, config.convergence_steps,
            config.weight_decay, config.dropout, config.seed) == (
        cpp.learning_rate, cpp.momentum, cpp.batch_size, cpp.max_epochs, cpp.convergence_steps,
        cpp.weight_decay, tuple(cpp.dropout), cpp.seed)  # fmt: skip
    assert config.optimizer == str(cpp.optimizer)
    assert config.num_threads is None  # the network's own; an option string's phase has NumThreads (default 0)
    assert parse_options("").training == [dataclasses.replace(config, num_threads=cpp.num_threads)]
    import tmva_hashednet

    assert tmva_hashednet.DEFAULT_LAYOUT == str(hn.kDefaultLayout)
    spec = HashedNetwork(4)._model.network().spec()
    assert (spec.compression, spec.hash_seed, spec.hash_block) == (
        hn.NetworkSpec().compression, hn.NetworkSpec().hash_seed, hn.NetworkSpec().hash_block)


def test_importing_the_package_does_not_load_root():
    code = "import sys, tmva_hashednet; from tmva_hashednet import TrainingConfig; assert 'ROOT' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_trained_config_changed_afterwards_is_checked_again():
    """to_cpp remembers its conversion only while the fields stay the same."""
    import pickle

    net = HashedNetwork(4, "TANH|8,LINEAR")
    x, y = _data()
    config = TrainingConfig(max_epochs=1)
    net.fit(x, y, training=config, verbose=False)
    config.batch_size = 0
    with pytest.raises(ValueError, match="batch_size=0: "):
        net.fit(x, y, training=config, verbose=False)
    assert pickle.loads(pickle.dumps(config)) == config
