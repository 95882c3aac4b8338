"""The event path's vector kernels (cpp/src/event_kernels_avx2.cpp) against event_forward.h's loops, bit for bit.

What it is: predict_one on each instruction set the CPU has against predict_one on "scalar" (event_forward.h's
loops alone, which the standalone class runs), for shapes that cross the kernels' own structure: BLOCK rows taken
4 at a time, then 2, then 1 (rows not a multiple of 4 or 2, one-row layers, the row chunks of kSlotChunk block
keys), inputs not a multiple of 16 or of B (a short last block), runs that wrap around K once (K >= B: a gather)
and again and again (K < B: the rows one at a time). What it is not: the float64 reference (test_event_forward.py)
or the standalone class (test_standalone_class.py), which the scalar loops are checked against there.
"""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork

SHAPES = {
    # id (what it crosses): (n_inputs, layout, compression, hash mode, B (0: ELEMENT), hashed output layer)
    "block16-rows-4-then-2-then-1": (32, "TANH|7,RELU|6,LINEAR", 1 / 4, "BLOCK", 16, True),
    "block16-one-row-layers": (48, "TANH|1,LINEAR", 1 / 2, "BLOCK", 16, True),
    "block16-short-last-block-rows-3": (37, "SIGMOID|3,TANH|5,LINEAR", 1 / 4, "BLOCK", 16, True),
    "block16-runs-wrap-around-k-once": (37, "TANH|5,LINEAR", 0.1, "BLOCK", 16, True),
    "block16-k-below-b": (40, "TANH|2,LINEAR", 0.1, "BLOCK", 16, True),
    "block16-row-chunks-of-73": (100, "TANH|150,LINEAR", 1 / 16, "BLOCK", 16, False),
    "block32-ragged-rows-wrap": (100, "RELU|13,TANH|9,LINEAR", 0.05, "BLOCK", 32, True),
    "block64-short-last-block": (130, "TANH|11,LINEAR", 1 / 8, "BLOCK", 64, True),
    "block64-k-below-b": (130, "GAUSS|3,LINEAR", 0.1, "BLOCK", 64, True),
    "block24-generic-b-rows-5": (50, "SOFTSIGN|5,TANH|3,LINEAR", 1 / 4, "BLOCK", 24, True),
    "block8-runs-wrap-rows-6": (13, "RELU|6,LINEAR", 0.3, "BLOCK", 8, True),
    "element-rows-4-then-2-then-1": (37, "TANH|7,RELU|5,LINEAR", 1 / 4, "ELEMENT", 0, True),
    "element-one-row-layers": (20, "TANH|1,LINEAR", 1 / 2, "ELEMENT", 0, True),
    # layers of 17, 9, 3 and 6 inputs: a tail of 1 lane after 16, of 1 after 8, of 3 and of 6 lanes
    "element-short-tails": (17, "TANH|9,SIGMOID|3,SYMMRELU|6,LINEAR", 1 / 3, "ELEMENT", 0, True),
    "element-wide-rows": (300, "TANH|10,LINEAR", 1 / 8, "ELEMENT", 0, False),
}


def _network(case: str) -> HashedNetwork:
    n_inputs, layout, compression, mode, block, hash_output = SHAPES[case]
    net = HashedNetwork(n_inputs, layout, task="regression", n_outputs=2, compression=compression, hash_mode=mode,
                        hash_block=block or 16, hashed_bias=True, hash_output_layer=hash_output, hash_seed=777,
                        seed=3, num_threads=1)  # fmt: skip
    rng = np.random.default_rng(11)
    net.set_input_transform(rng.normal(size=n_inputs).astype(np.float32),
                            rng.uniform(0.5, 2.0, size=n_inputs).astype(np.float32))  # fmt: skip
    # magnitudes over many decades: another summation order gives other bits (checked below)
    scale = 10.0 ** rng.integers(-3, 3, size=net.n_params)
    net.params = (net.params + rng.normal(size=net.n_params) * scale * 0.05).astype(np.float32)
    return net


def _predict_one(net, x):
    return np.array([list(net._model.predict_one(np.ascontiguousarray(r), net.n_inputs)) for r in x], np.float32)


@pytest.fixture
def forced_isa(bench, isa):
    bench.set_kernel_isa(isa)
    yield isa
    bench.set_kernel_isa("auto")


def test_the_shapes_cross_what_they_say():
    """K against B as the ids say (a K >= B that wraps, a K < B), so that each branch of the kernel runs."""
    def k_and_b(case):
        net = _network(case)
        layout = net._model.network().layout(0)
        return int(layout.n_buckets), int(layout.block)

    k, b = k_and_b("block16-runs-wrap-around-k-once")
    assert b <= k < 4 * b
    for case in ("block16-k-below-b", "block64-k-below-b"):
        k, b = k_and_b(case)
        assert k < b


@pytest.mark.parametrize("case", list(SHAPES), ids=list(SHAPES))
def test_vector_kernels_equal_the_header_loops_bit_for_bit(case, forced_isa, bench):
    net = _network(case)  # made while forced_isa is in force: predict_one runs that instruction set's kernels
    x = np.random.default_rng(5).normal(scale=2.0, size=(40, net.n_inputs)).astype(np.float32)
    got = _predict_one(net, x)
    bench.set_kernel_isa("scalar")
    scalar = _predict_one(_network(case), x)
    np.testing.assert_array_equal(got.view(np.uint32), scalar.view(np.uint32))
    assert np.isfinite(scalar).all()
