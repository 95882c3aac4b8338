"""Device arrays in the Python API, without a device: the reading of
``__cuda_array_interface__`` (shape, strides, typestr, contiguity, mask,
readonly, stream) from fake objects that carry one, and the placement
errors (a device array for a CPU network, device and host arrays mixed).
What runs on a GPU (the pointers reaching the core, CuPy outputs) is
tests/test_gpu.py."""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import _cuda

CPU_NETWORK = "this network is on the CPU; pass a numpy array or use device='cuda'"


class FakeDeviceArray:
    """Carries a __cuda_array_interface__ and nothing else (no memory behind the pointer)."""

    def __init__(self, shape, typestr="<f4", strides=None, readonly=False, pointer=0x7F0000000000, **extra):
        self.__cuda_array_interface__ = dict(shape=shape, typestr=typestr, data=(pointer, readonly),
                                             strides=strides, version=3, **extra)  # fmt: skip


def test_a_contiguous_float32_matrix_is_read_as_it_is():
    view = _cuda.device_view("x", FakeDeviceArray((5, 3)), n_columns=3)
    assert (view.pointer, view.shape, view.rows, view.columns) == (0x7F0000000000, (5, 3), 5, 3)
    assert not view.readonly and view.stream is None


def test_explicit_c_strides_and_a_vector_are_contiguous():
    assert _cuda.device_view("x", FakeDeviceArray((5, 3), strides=(12, 4))).shape == (5, 3)
    assert _cuda.device_view("y", FakeDeviceArray((7,), strides=(4,)), n_columns=1).columns == 1
    # extents of 1 may carry any stride (CuPy writes them so for x[:, None])
    assert _cuda.device_view("x", FakeDeviceArray((5, 1), strides=(4, 999))).shape == (5, 1)


@pytest.mark.parametrize("strides", [(4, 20), (24, 4), (-12, 4)], ids=["fortran", "row-padding", "negative"])
def test_strided_arrays_are_refused_with_the_fix(strides):
    with pytest.raises(ValueError, match=r"x must be C-contiguous, got strides .* use cupy.ascontiguousarray\(x\)"):
        _cuda.device_view("x", FakeDeviceArray((5, 3), strides=strides))


@pytest.mark.parametrize("typestr", ["<f8", "<f2", "<i4", ">f4", "|b1"])
def test_only_little_endian_float32(typestr):
    with pytest.raises(TypeError, match=f"x must be float32 \\(typestr '<f4'\\), got typestr '{typestr}'"):
        _cuda.device_view("x", FakeDeviceArray((5, 3), typestr=typestr))


def test_shape_and_emptiness_are_checked():
    with pytest.raises(ValueError, match=r"x must be 1-D or 2-D \(events x variables\), got shape \(2, 3, 4\)"):
        _cuda.device_view("x", FakeDeviceArray((2, 3, 4)))
    with pytest.raises(ValueError, match="x has 4 columns per event, expected 3"):
        _cuda.device_view("x", FakeDeviceArray((5, 4)), n_columns=3)
    with pytest.raises(ValueError, match="x is empty: at least one event is needed"):
        _cuda.device_view("x", FakeDeviceArray((0, 3)))
    with pytest.raises(ValueError, match="x has a null device pointer"):
        _cuda.device_view("x", FakeDeviceArray((5, 3), pointer=0))


def test_readonly_is_fine_to_read_and_refused_to_write():
    assert _cuda.device_view("x", FakeDeviceArray((5, 3), readonly=True)).readonly
    with pytest.raises(ValueError, match="out is read-only; the network writes its responses into it"):
        _cuda.device_view("out", FakeDeviceArray((5, 1), readonly=True), writable=True)


def test_mask_and_malformed_interfaces():
    with pytest.raises(ValueError, match="x has a mask"):
        _cuda.device_view("x", FakeDeviceArray((5, 3), mask=FakeDeviceArray((5, 3), typestr="|b1")))
    broken = FakeDeviceArray((5, 3))
    del broken.__cuda_array_interface__["typestr"]
    with pytest.raises(TypeError, match="x.__cuda_array_interface__ lacks typestr"):
        _cuda.device_view("x", broken)


def test_the_producers_stream_is_kept_from_version_3_only():
    assert _cuda.device_view("x", FakeDeviceArray((5, 3), stream=1)).stream == 1
    old = FakeDeviceArray((5, 3), stream=1)
    old.__cuda_array_interface__["version"] = 2
    assert _cuda.device_view("x", old).stream is None


def test_placement_host_arrays_take_the_host_path():
    assert _cuda.check_placement("cpu", {"x": np.zeros((2, 3)), "w": None}) is False
    assert _cuda.check_placement("cuda", {"x": np.zeros((2, 3))}) is False  # a GPU network copies host arrays
    assert _cuda.check_placement("cuda", {"x": FakeDeviceArray((2, 3)), "y": FakeDeviceArray((2,))}) is True


def test_a_device_array_for_a_cpu_network_is_a_clear_error():
    import tmva_hashednet as t

    net = t.HashedNetwork(3, "TANH|4,LINEAR")
    with pytest.raises(TypeError, match=f"x is a CUDA device array \\(__cuda_array_interface__\\): {CPU_NETWORK}"):
        net.predict(FakeDeviceArray((5, 3)))
    with pytest.raises(TypeError, match=CPU_NETWORK):
        net.fit(FakeDeviceArray((5, 3)), FakeDeviceArray((5,)), verbose=False)
    with pytest.raises(TypeError, match=CPU_NETWORK):
        net.loss(FakeDeviceArray((5, 3)), FakeDeviceArray((5,)))
    with pytest.raises(TypeError, match=CPU_NETWORK):
        net.partial_fit(FakeDeviceArray((5, 3)), FakeDeviceArray((5,)))
    with pytest.raises(TypeError, match=CPU_NETWORK):
        net.standardize_inputs(FakeDeviceArray((5, 3)))
    with pytest.raises(TypeError, match=CPU_NETWORK):
        net.fit_stream([(FakeDeviceArray((5, 3)), FakeDeviceArray((5,)))], standardize=None, verbose=False)
    with pytest.raises(ValueError, match="this network is on the CPU: its parameters are the numpy array of `params`"):
        net.parameters_device()


def test_device_and_host_arrays_mixed_are_a_clear_error():
    """Checked before the placement of the network, so it is the same message on a GPU network."""
    import tmva_hashednet as t

    net = t.HashedNetwork(3, "TANH|4,LINEAR")
    x, y = FakeDeviceArray((5, 3)), np.zeros(5, dtype=np.float32)
    with pytest.raises(TypeError, match=r"CUDA device arrays \(x\) and host arrays \(y\) are mixed; pass all"):
        net.fit(x, y, verbose=False)
    mixed = r"CUDA device arrays \(validation_data\[0\]\) and host arrays \(x, y, validation_data\[1\]\) are mixed"
    with pytest.raises(TypeError, match=mixed):
        net.fit(np.zeros((5, 3)), y, validation_data=(x, y), verbose=False)
    with pytest.raises(TypeError, match=r"CUDA device arrays \(x\) and host arrays \(y\) are mixed"):
        _cuda.check_placement("cuda", {"x": x, "y": y})


def test_the_gpu_tests_and_benchmarks_helpers_compile(hn):
    """Their C++ (declared to cling) runs only on a GPU: compiled here, so a change of the core breaks CI, not gpu-check."""
    import sys
    from pathlib import Path

    import ROOT

    import test_gpu

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import speed_gpu
    finally:
        sys.path.pop(0)
    assert ROOT.gInterpreter.Declare(test_gpu.HELPERS)
    assert ROOT.gInterpreter.Declare(speed_gpu.HELPERS)
    assert hasattr(ROOT.gpu_test, "optimize") and hasattr(ROOT.gpu_test, "image_ops")
    assert hasattr(ROOT.gpu_bench, "LayerTimer")
