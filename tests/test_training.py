"""Training works, is reproducible, and hashing costs little accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import split_half

from tmva_hashednet import HashedNetwork, TrainingConfig, datasets
from tmva_hashednet.evaluation import roc_auc


def fit_auc(x_train, y_train, x_test, y_test, compression, seed=1):
    net = HashedNetwork(x_train.shape[1], "TANH|32,TANH|32,LINEAR", compression=compression, seed=seed)
    config = TrainingConfig(learning_rate=3e-3, batch_size=64, max_epochs=40, convergence_steps=5, seed=seed)
    net.fit(x_train, y_train, training=config, verbose=False)
    return roc_auc(y_test, net.predict(x_test)), net


@pytest.mark.slow
def test_hashed_quarter_is_within_002_auc_of_dense(class_example):
    x_train, y_train, x_test, y_test = split_half(*class_example)
    auc_dense, _ = fit_auc(x_train, y_train, x_test, y_test, 1.0)
    auc_hashed, net = fit_auc(x_train, y_train, x_test, y_test, 1 / 4)
    assert net.layer_info(1)["hashed"] and not net.layer_info(2)["hashed"]
    assert auc_dense > 0.85, f"dense AUC {auc_dense:.4f} is too low for this data"
    assert auc_hashed > auc_dense - 0.02, f"hashed AUC {auc_hashed:.4f} vs dense {auc_dense:.4f}"


def test_training_is_reproducible_bit_for_bit(class_example):
    x, y = split_half(*class_example)[:2]
    config = TrainingConfig(max_epochs=3, batch_size=32, dropout=[0.0, 0.2], seed=11, num_threads=2)
    runs = []
    for _ in range(2):
        net = HashedNetwork(4, "RELU|16,LINEAR", compression=1 / 2, seed=11, num_threads=2)
        history = net.fit(x, y, training=config, verbose=False)
        runs.append((net.params, [e.train_loss for e in history.epochs]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_different_seeds_differ(class_example):
    x, y = split_half(*class_example)[:2]
    params = []
    for seed in (1, 2):
        net = HashedNetwork(4, "RELU|8,LINEAR", seed=seed)
        net.fit(x, y, training=TrainingConfig(max_epochs=1, seed=seed), verbose=False)
        params.append(net.params)
    assert not np.array_equal(*params)


def test_early_stopping_restores_best_epoch(class_example):
    x, y, xv, yv = split_half(*class_example)
    net = HashedNetwork(4, "TANH|16,LINEAR", compression=1 / 2)
    # a large learning rate makes the validation loss wander, so it stops early
    config = TrainingConfig(learning_rate=0.3, optimizer="SGD", momentum=0.9, max_epochs=30, convergence_steps=2)
    history = net.fit(x, y, validation_data=(xv, yv), training=config, verbose=False)
    assert history.stopped_early and len(history.epochs) < 30
    best = min(e.validation_loss for e in history.epochs)
    assert history.best_validation_loss == best
    assert history.epochs[history.best_epoch - 1].validation_loss == best
    # the weights left in the network are the best epoch's, not the last epoch's
    assert history.best_epoch < len(history.epochs) and history.epochs[-1].validation_loss > best
    assert net.loss(xv, yv) == best, "the network does not hold the weights of the best epoch"


def test_event_weights_matter(class_example):
    x, y, _, _ = split_half(*class_example)
    w = np.where(y == 1, 5.0, 1.0)
    a = HashedNetwork(4, "TANH|8,LINEAR", seed=3)
    b = HashedNetwork(4, "TANH|8,LINEAR", seed=3)
    cfg = TrainingConfig(max_epochs=5, seed=3)
    a.fit(x, y, training=cfg, verbose=False)
    b.fit(x, y, w, training=cfg, verbose=False)
    # upweighting signal raises the mean signal probability
    assert b.predict(x).mean() > a.predict(x).mean() + 0.05


def test_multiclass_learns():
    path = datasets.tutorial_file("tmva_multiclass_example.root")
    variables = ["var1", "var2", "var3", "var4"]
    parts = [datasets.read_tree(path, t, variables) for t in ("TreeS", "TreeB0", "TreeB1", "TreeB2")]
    x = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), c, np.float32) for c, p in enumerate(parts)])
    net = HashedNetwork(4, "TANH|32,TANH|32,LINEAR", task="multiclass", n_outputs=4, compression=1 / 4)
    net.fit(x, y, training=TrainingConfig(max_epochs=10, learning_rate=3e-3), verbose=False)
    probabilities = net.predict(x)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    accuracy = np.mean(probabilities.argmax(axis=1) == y)
    assert accuracy > 0.6, f"accuracy {accuracy:.3f} (chance is 0.25)"


def test_regression_learns():
    path = datasets.tutorial_file("tmva_reg_example.root")
    data = datasets.read_tree(path, "TreeR", ["var1", "var2", "fvalue"])
    x, y = data[:, :2].copy(), data[:, 2].copy()
    net = HashedNetwork(2, "TANH|32,TANH|32,LINEAR", task="regression", compression=1 / 4)
    mean, std = y.mean(), y.std()
    net.fit(x, (y - mean) / std, training=TrainingConfig(max_epochs=15, learning_rate=3e-3), verbose=False)
    residual = net.predict(x) * std + mean - y
    assert np.sqrt(np.mean(residual**2)) < 0.3 * std, "the fit explains less than 91% of the variance"
