"""Bad configuration and bad data raise errors that name the value and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork, TrainingConfig

QUICK = TrainingConfig(max_epochs=1, batch_size=4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(layout="TANHH|8,LINEAR"), r"TANHH.*TANH"),
        (dict(layout="TANH|0,LINEAR"), r"width|0"),
        (dict(layout="TANH|-3,LINEAR"), r"-3"),
        (dict(compression=0.0), r"\(0, 1\]"),
        (dict(compression=1.5), r"\(0, 1\]"),
        (dict(compression="1/0"), r"1/0"),
        (dict(layout="TANH|8|2/1,LINEAR"), r"2/1"),
        (dict(task="clasification"), r"clasification.*Classification"),
        (dict(n_inputs=0), r"n_inputs"),
        (dict(weight_init="GAUSS"), r"GAUSS.*XAVIER"),
        (dict(task="multiclass", n_outputs=1), r"n_outputs >= 2"),
    ],
    ids=["activation", "zero-width", "negative-width", "compression-0", "compression-1.5", "compression-1/0",
         "layer-compression-2/1", "task", "no-inputs", "weight-init", "one-class"],
)  # fmt: skip
def test_bad_configuration(kwargs, message):
    args = dict(n_inputs=4, layout="TANH|8,LINEAR")
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        HashedNetwork(args.pop("n_inputs"), args.pop("layout"), **args)


@pytest.fixture()
def net():
    return HashedNetwork(4, "TANH|8,LINEAR", compression=1 / 2)


def data(n=20):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 2, n).astype(np.float32)


def test_empty_data(net):
    with pytest.raises(ValueError, match="empty"):
        net.fit(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), training=QUICK, verbose=False)


def test_nan_input_named(net):
    x, y = data()
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"nan at \(3, 2\).*finite"):
        net.fit(x, y, training=QUICK, verbose=False)
    with pytest.raises(ValueError, match="finite"):
        net.predict(x)


def test_mismatched_shapes(net):
    x, y = data()
    with pytest.raises(ValueError, match="3 columns per event, expected 4"):
        net.predict(x[:, :3])
    with pytest.raises(ValueError, match="y has 19 events but x has 20"):
        net.fit(x, y[:-1], training=QUICK, verbose=False)
    with pytest.raises(ValueError, match="weights has 5 entries"):
        net.fit(x, y, np.ones(5), training=QUICK, verbose=False)


def test_bad_labels(net):
    x, y = data()
    y[0] = 2
    with pytest.raises(ValueError, match="class label 2.*0 or 1"):
        net.fit(x, y, training=QUICK, verbose=False, validation_fraction=0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(learning_rate=0), r"learning_rate=0: value '0' for LearningRate .* expected a number > 0"),
        (dict(batch_size=0), r"batch_size=0: .*BatchSize"),
        (dict(momentum=1.0), r"momentum=1.0: .*Momentum .* expected a number in \[0, 1\)"),
        (dict(dropout=[0.5, 1.0]), r"dropout=\[0.5, 1.0\]: .*drop probability 2 of DropConfig"),
        (dict(optimizer="LBFGS"), r"optimizer='LBFGS': .*LBFGS.*ADAM"),
    ],
    ids=["lr", "batch", "momentum", "dropout", "optimizer"],
)
def test_bad_training_config(kwargs, message):
    """The option parser checks each field when the config is made."""
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**kwargs)


@pytest.mark.parametrize("field", ["learning_rate", "batch_size"])
def test_training_config_is_checked_again_when_it_trains(net, field):
    """A field changed after the config was made is checked at fit."""
    config = TrainingConfig(max_epochs=1)
    setattr(config, field, -1)
    x, y = data()
    with pytest.raises(ValueError, match=f"{field}=-1: "):
        net.fit(x, y, training=config, verbose=False)


def test_non_numeric_input(net):
    with pytest.raises(TypeError, match="numbers"):
        net.predict([["a", "b", "c", "d"]])


@pytest.mark.parametrize("reader", ["read_tree", "plot_roc"])
def test_missing_or_foreign_root_file_is_file_not_found(tmp_path, reader):
    """PyROOT raises a bare OSError (or returns a zombie); users get FileNotFoundError naming the file."""
    from tmva_hashednet import datasets, plotting

    def read(path):
        if reader == "read_tree":
            return datasets.read_tree(path, "events", ["a"])
        return plotting.plot_roc(path)

    missing = tmp_path / "missing.root"
    with pytest.raises(FileNotFoundError, match="missing.root.*does not exist"):
        read(missing)
    foreign = tmp_path / "notes.root"
    foreign.write_text("not a ROOT file\n")
    with pytest.raises(FileNotFoundError, match="notes.root.*not a ROOT file"):
        read(foreign)
