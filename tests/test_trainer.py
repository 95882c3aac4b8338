"""What the trainer promises beyond one gradient step: the weights of the best
epoch come back at the end, and a phase runs on the threads it asks for."""

from __future__ import annotations

import numpy as np

from tmva_hashednet import HashedNetwork, TrainingConfig


def _data(n, n_inputs, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_inputs)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(np.float32)
    return x, y


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    """A learning rate that overshoots makes later epochs worse; the returned
    weights give exactly the best epoch's validation loss, not the last one's."""
    x, y = _data(600, 6, 1)
    xv, yv = _data(300, 6, 2)
    net = HashedNetwork(6, "TANH|32,LINEAR", compression=1 / 2, seed=3, num_threads=1)
    config = TrainingConfig(learning_rate=0.3, optimizer="SGD", momentum=0.9, batch_size=16, max_epochs=12,
                            convergence_steps=12, seed=5)  # fmt: skip
    history = net.fit(x, y, validation_data=(xv, yv), training=config, standardize=False, verbose=False)
    losses = [r.validation_loss for r in history.epochs]
    assert history.best_epoch < len(losses), "the test needs a best epoch before the last"
    assert losses[-1] > history.best_validation_loss
    assert net.loss(xv, yv) == history.best_validation_loss


def test_a_phase_runs_on_its_own_threads_and_the_networks_come_back():
    """600 x 300 at batch 64 is parallel work, so 1 and 2 threads sum the bucket
    gradients differently: TrainingConfig(num_threads=1) on a 2-thread network
    trains exactly as a 1-thread network does, and differs from 2 threads."""
    x, y = _data(256, 600, 4)

    def trained(network_threads, phase_threads):
        net = HashedNetwork(600, "TANH|300,LINEAR", compression=1 / 8, seed=6, num_threads=network_threads)
        config = TrainingConfig(batch_size=64, max_epochs=1, seed=7, num_threads=phase_threads)
        net.fit(x, y, validation_fraction=0.0, training=config, standardize=False, verbose=False)
        assert net._model.num_threads() == network_threads
        return net.params

    one = trained(1, None)
    np.testing.assert_array_equal(trained(2, 1), one)
    assert not np.array_equal(trained(2, None), one)
    np.testing.assert_array_equal(trained(1, 2), trained(2, None))


def test_verbosity_zero_silences_the_epoch_table(capfd):
    x, y = _data(100, 4, 8)
    net = HashedNetwork(4, "TANH|8,LINEAR", seed=1, num_threads=1)
    import ROOT

    config = ROOT.hashednet.TrainingConfig(TrainingConfig(max_epochs=2).to_cpp(net._model))  # a copy to change
    null = ROOT.nullptr
    for verbosity, printed in ((1, True), (0, False)):
        config.verbosity = verbosity
        net._model.train(x, y, null, 100, null, null, null, 0, 4, 1, config, True)
        assert ("Epoch" in capfd.readouterr().out) == printed
