"""Networks for the single-event path (event_forward.h): one of each layer
mode (ELEMENT, BLOCK, FUNHASH with each reconstruction), task, activation and
bias kind, shared by test_event_forward.py and
test_standalone_class.py. Not a test module."""

from __future__ import annotations

import numpy as np

from tmva_hashednet import HashedNetwork

CASES = {
    # id: (n_inputs, layout, task, n_outputs, compression, hashed_bias, hash_output_layer, hash_block: 0 = ELEMENT)
    "element-tanh-relu": (7, "TANH|32,RELU|16,LINEAR", "classification", 1, 1 / 8, False, False, 0),
    "dense-sigmoid": (7, "SIGMOID|8,LINEAR", "classification", 1, 1.0, False, False, 0),
    "multiclass-hashed-bias-and-output": (7, "SOFTSIGN|24,GAUSS|12,LINEAR", "multiclass", 4, 1 / 4, True, True, 0),
    "regression-2-targets": (7, "SYMMRELU|20,TANH|10,LINEAR", "regression", 2, 1 / 3, True, False, 0),
    "block-ragged-rows": (7, "TANH|40,TANH|33,LINEAR", "classification", 1, 1 / 8, False, True, 16),
    "block-runs-wrap-around-k": (7, "RELU|30,LINEAR", "multiclass", 3, 0.01, True, False, 7),
    # the vector event kernels (event_kernels.h): row groups of 4 and the rest, tails of 1..15 lanes, blocks
    # of 8 (lanes 8-15 start a block) and 24 with runs wrapping around K, a last block shorter than 8
    "dense-wide-rows-and-tails": (37, "TANH|45,RELU|19,LINEAR", "regression", 2, 1.0, False, False, 0),
    "block-b8-runs-wrap-around-k": (13, "RELU|30,TANH|21,LINEAR", "multiclass", 3, 0.1, True, True, 8),
    "block-b24-ragged-rows": (50, "TANH|40,SIGMOID|9,LINEAR", "classification", 1, 1 / 4, False, False, 24),
    "block-b8-rows-hashed-in-pieces": (4100, "TANH|3,LINEAR", "classification", 1, 1 / 8, False, False, 8),
    "linear-hidden-wide-rows": (40, "LINEAR|37,TANH|5,LINEAR", "regression", 1, 1 / 2, False, False, 0),
    "one-row-per-tile": (4100, "TANH|3,LINEAR", "classification", 1, 1 / 8, False, False, 0),
    "funhash-linear-u4": (7, "TANH|32,RELU|16,LINEAR", "classification", 1, 1 / 4, False, False, 0),
    "funhash-identity-u1-hashed-bias": (7, "SOFTSIGN|24,LINEAR", "multiclass", 3, 1 / 4, True, True, 0),
    "funhash-mlp-two-tiles": (40, "TANH|120,GAUSS|10,LINEAR", "regression", 2, 1 / 8, False, False, 0),
}
# FUNHASH cases: (hash_functions U, reconstruction); every other case is ELEMENT or BLOCK
FUNHASH = {
    "funhash-linear-u4": (4, "LINEAR"),
    "funhash-identity-u1-hashed-bias": (1, "IDENTITY"),
    "funhash-mlp-two-tiles": (4, "MLP|4|TANH"),  # 40 inputs: 102 rows of V per tile, 120 rows
}


def make_network(case: str, seed: int = 5) -> HashedNetwork:
    """The case's network with non-trivial parameters, biases and input transform."""
    n_inputs, layout, task, n_outputs, compression, hashed_bias, hash_output, block = CASES[case]
    mode = "FUNHASH" if case in FUNHASH else "BLOCK" if block else "ELEMENT"
    funhash = dict(zip(("hash_functions", "reconstruction"), FUNHASH[case])) if case in FUNHASH else {}
    net = HashedNetwork(n_inputs, layout, task=task, n_outputs=n_outputs, compression=compression,
                        hashed_bias=hashed_bias, hash_output_layer=hash_output, hash_seed=12345,
                        hash_mode=mode, hash_block=block or 16, seed=seed, num_threads=1, **funhash)  # fmt: skip
    assert net.hash_mode == mode
    rng = np.random.default_rng(seed)
    net.set_input_transform(rng.normal(size=n_inputs).astype(np.float32),
                            rng.uniform(0.5, 2.0, size=n_inputs).astype(np.float32))  # fmt: skip
    net.params = net.params + rng.normal(scale=0.05, size=net.n_params).astype(np.float32)
    return net


def events(net: HashedNetwork, n: int = 300, seed: int = 9) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, net.n_inputs)).astype(np.float32)


def predict_one(net: HashedNetwork, x: np.ndarray) -> np.ndarray:
    """Model::predict_one of each event (rows of x), as float32."""
    return np.array([list(net._model.predict_one(np.ascontiguousarray(row), net.n_inputs)) for row in x],
                    dtype=np.float32)  # fmt: skip
