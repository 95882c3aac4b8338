"""Streaming (chunked) training: HashedNetwork.partial_fit / Model::train_chunk."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import split_half

from tmva_hashednet import HashedNetwork, TrainingConfig
from tmva_hashednet.evaluation import roc_auc

CONFIG = TrainingConfig(learning_rate=3e-3, batch_size=64, seed=7)


def _net(compression="1/4"):
    return HashedNetwork(4, "TANH|32,TANH|32,LINEAR", compression=compression, seed=5)


def test_one_chunk_equals_one_epoch_of_fit(class_example):
    x, y = class_example
    chunked, full = _net(), _net()
    chunked.partial_fit(x, y, training=CONFIG)
    full.fit(x, y, validation_fraction=0.0, standardize=False, verbose=False,
             training=TrainingConfig(**{**CONFIG.__dict__, "max_epochs": 1}))  # fmt: skip
    np.testing.assert_array_equal(chunked.params, full.params)


def test_optimizer_state_carries_over_between_chunks(class_example):
    x, y = class_example
    halves = np.array_split(np.arange(len(x)), 2)
    carried, restarted = _net(), _net()
    for net in (carried, restarted):
        net.partial_fit(x[halves[0]], y[halves[0]], training=CONFIG)
    carried.partial_fit(x[halves[1]], y[halves[1]], training=CONFIG)
    restarted.partial_fit(x[halves[1]], y[halves[1]], training=CONFIG, restart=True)
    assert not np.array_equal(carried.params, restarted.params)  # Adam's moments and step count were kept


def test_chunked_training_learns(class_example):
    x_train, y_train, x_test, y_test = split_half(*class_example)
    net = _net()
    net.standardize_inputs(x_train)
    losses = []
    for epoch in range(4):
        for chunk in np.array_split(np.arange(len(x_train)), 6):
            losses.append(net.partial_fit(x_train[chunk], y_train[chunk], training=CONFIG))
    assert np.mean(losses[-6:]) < np.mean(losses[:6])
    assert roc_auc(y_test, net.predict(x_test)) > 0.85


def test_chunk_errors_are_clear(class_example):
    x, y = class_example
    net = _net()
    with pytest.raises(ValueError, match="columns per event, expected 4"):
        net.partial_fit(x[:, :3], y)
    with pytest.raises(ValueError, match="class label"):
        net.partial_fit(x[:10], np.full(10, 3.0))
