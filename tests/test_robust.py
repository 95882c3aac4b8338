"""Issue 12, the inputs that used to give a wrong answer or a cryptic error:
a diverging learning rate, validation weights that sum to zero, one class
only, ValidationSize=0 on a tiny sample, save() into a path that cannot be
written. Each case is an error (or a log line) naming the problem and what
is allowed. Enormous layouts: tests/test_robust_cost.py; the TMVA workflow
(the checksum of <Transformations>, one class, ValidationSize=0):
tests/test_robust_tmva.py."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork, TrainingConfig
from tmva_hashednet.files import write_text_atomically


def _events(n=400, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.float32)


def _net(**keywords):
    return HashedNetwork(3, "TANH|8,LINEAR", num_threads=1, **keywords)


# ---------------------------------------------------------------------- divergence


def test_a_diverging_learning_rate_is_an_error_naming_it():
    """LearningRate=1e30 trained to a loss of 7e29 with every response 0 or 1, silently."""
    x, y = _events()
    net = _net()
    before = net.params
    with pytest.raises(ValueError, match=r"training diverged in epoch 1: the training loss .* is more than 1e\+06 "
                                         r"times that of the initial network .* LearningRate=1e\+30 .*lower "
                                         r"LearningRate, e\.g\. to 0\.001"):  # fmt: skip
        net.fit(x, y, training=TrainingConfig(learning_rate=1e30, max_epochs=5), verbose=False)
    np.testing.assert_array_equal(net.params, before)  # no epoch was good: the weights it had, not a diverged state


def test_divergence_in_a_later_epoch_keeps_the_best_epoch():
    x, y = _events()
    net = _net()
    net.fit(x, y, training=TrainingConfig(max_epochs=3), verbose=False)
    trained = net.params
    with pytest.raises(ValueError, match="training diverged"):
        net.fit(x, y, training=TrainingConfig(learning_rate=1e30, optimizer="SGD", max_epochs=3), verbose=False)
    np.testing.assert_array_equal(net.params, trained)


def test_an_ordinary_learning_rate_trains():
    x, y = _events()
    history = _net().fit(x, y, training=TrainingConfig(learning_rate=0.1, max_epochs=5), verbose=False)
    assert len(history.epochs) == 5


# ---------------------------------------------------------------------- weights


def test_validation_weights_summing_to_zero_are_an_error():
    """They gave a validation loss of 0.0 in every epoch, which early stopping then used."""
    x, y = _events()
    validation = (x[300:], y[300:], np.zeros(100, np.float32))
    with pytest.raises(ValueError, match=r"validation data: the event weights of its 100 events sum to 0; the "
                                         r"weighted loss needs a positive sum \(allowed: weights >= 0 with at least "
                                         r"one > 0; .*ValidationSize=0"):  # fmt: skip
        _net().fit(x[:300], y[:300], validation_data=validation, verbose=False)


def test_training_weights_summing_to_zero_are_an_error():
    x, y = _events()
    with pytest.raises(ValueError, match="training data: the event weights of its 320 events sum to 0"):
        _net().fit(x, y, np.zeros(400, np.float32), standardize=False, verbose=False)  # standardising refuses it too


def test_some_zero_validation_weights_are_fine():
    x, y = _events()
    w = np.ones(100, np.float32)
    w[:50] = 0
    history = _net().fit(x[:300], y[:300], validation_data=(x[300:], y[300:], w),
                         training=TrainingConfig(max_epochs=2), verbose=False)  # fmt: skip
    assert all(e.validation_loss > 0 for e in history.epochs)


# ---------------------------------------------------------------------- classes


def test_fit_with_one_class_is_an_error():
    x, _ = _events()
    with pytest.raises(ValueError, match=r"training data: none of its 320 events has class label 0; 2-class training "
                                         r"needs events of every class \(allowed labels: 0\.\.1, each present\)"):
        _net().fit(x, np.ones(400, np.float32), verbose=False)


def test_multiclass_fit_without_one_class_is_an_error():
    x, _ = _events()
    y = (np.arange(400) % 2).astype(np.float32)  # classes 0 and 1 of 0..2
    net = HashedNetwork(3, "TANH|8,LINEAR", task="multiclass", n_outputs=3, num_threads=1)
    with pytest.raises(ValueError, match="none of its 320 events has class index 2; 3-class training needs"):
        net.fit(x, y, verbose=False)


# ---------------------------------------------------------------------- save


def test_save_to_an_empty_path_says_so():
    with pytest.raises(ValueError, match=r"cannot write a file with an empty path: give a file name") as error:
        _net().save("")
    assert ".tmp" not in str(error.value)


def _unwritable_targets(tmp_path):
    """(path, the OS's reason) of targets no user can write: a missing folder, a file used as a folder."""
    plain_file = tmp_path / "plain"
    plain_file.write_text("x")
    return [(tmp_path / "missing" / "net.txt", os.strerror(errno.ENOENT)),
            (plain_file / "net.txt", os.strerror(errno.ENOTDIR))]  # fmt: skip


def test_save_names_the_target_and_the_os_reason(tmp_path):
    for path, reason in _unwritable_targets(tmp_path):
        with pytest.raises(ValueError) as error:
            _net().save(path)
        message = str(error.value)
        assert f"cannot write '{path}': {reason}" in message, message
        assert ".tmp." not in message, message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]  # no temporary left behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; the cases above cover the message")
def test_save_into_a_read_only_folder_says_permission_denied(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match=f"cannot write '{folder / 'net.txt'}': {os.strerror(errno.EACCES)}"):
            _net().save(folder / "net.txt")
    finally:
        folder.chmod(0o755)


def test_weight_files_name_the_target_and_the_os_reason(tmp_path):
    """The Python writer of weight files and standalone classes (files.write_text_atomically)."""
    with pytest.raises(ValueError, match="cannot write a file with an empty path"):
        write_text_atomically("", "text")
    plain_file = tmp_path / "plain"
    plain_file.write_text("x")
    with pytest.raises(NotADirectoryError) as error:
        write_text_atomically(plain_file / "w.xml", "text")
    assert str(error.value) == f"[Errno {errno.ENOTDIR}] cannot write '{plain_file / 'w.xml'}': " \
                               f"{os.strerror(errno.ENOTDIR)}"
    with pytest.raises(IsADirectoryError, match="it is a folder; give a file name"):
        write_text_atomically(tmp_path, "text")
