"""Architecture=GPU / device="cuda" where the GPU backend cannot run: one
clear error per reason, through every door, never a crash or a CPU run.

Reached here: the CUDA library absent, not a library, without the entry
points, and (when it is built) the driver absent (this machine has no
libcuda.so.1). Driver too old, no device, compute capability too old and
other CUDA errors are tested by handing their error codes to the function
that formats the message (device.h: device_problem), which is what the
CUDA library's probe calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tmva_hashednet._core import library_path
from tmva_hashednet._errors import translate_errors

ALLOWED = "allowed here: CPU"
CUDA_LIBRARY = library_path().parent / "libhashednet_cuda.so"


@pytest.fixture(scope="module")
def device(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/device.h"')
    return hn


def probe(hn, **fields):
    p = hn.DeviceProbe()
    for name, value in fields.items():
        setattr(p, name, value)
    return p


def problem(hn, **fields) -> str:
    return str(hn.device_problem(probe(hn, **fields)))


@pytest.fixture
def library_at(monkeypatch):
    """Points make_backend(GPU) at a given path (HASHEDNET_CUDA_LIBRARY) for one test."""

    def point(path):
        monkeypatch.setenv("HASHEDNET_CUDA_LIBRARY", str(path))

    return point


def gpu_error(hn, text: str) -> str:
    """The message of every door to Architecture=GPU for a network's `text`."""
    import tmva_hashednet as t

    messages = []
    with pytest.raises(ValueError) as python_keyword:
        t.HashedNetwork(3, "TANH|4,LINEAR", device="cuda")
    messages.append(str(python_keyword.value))
    with pytest.raises(ValueError) as from_text:
        t.HashedNetwork.from_text(text, device="cuda")
    messages.append(str(from_text.value))
    with pytest.raises(ValueError) as option_string, translate_errors():
        hn.check_options_for_task(hn.parse_method_options("Architecture=GPU"), hn.Task.Classification)
    messages.append(str(option_string.value))
    assert len(set(messages)) == 1, messages  # one message, whatever the door
    return messages[0]


@pytest.fixture(scope="module")
def network_text():
    import tmva_hashednet as t

    return t.HashedNetwork(3, "TANH|4,LINEAR").to_text()


# ---------------------------------------------------------------- the library


def test_no_cuda_library_is_a_clear_error_at_every_door(device, library_at, tmp_path, network_text):
    library_at(tmp_path / "libhashednet_cuda.so")
    message = gpu_error(device, network_text)
    assert message.startswith("Architecture=GPU: this build has no CUDA backend (")
    assert str(tmp_path / "libhashednet_cuda.so") in message
    assert "rebuild with -DHASHEDNET_CUDA=ON" in message and message.endswith(ALLOWED)
    assert str(device.gpu_unavailable_reason()) == message


def test_a_file_that_is_no_library_is_named_with_the_loaders_reason(device, library_at, tmp_path, network_text):
    fake = tmp_path / "libhashednet_cuda.so"
    fake.write_bytes(b"not an ELF file")
    library_at(fake)
    message = gpu_error(device, network_text)
    assert f"the CUDA backend {fake} does not load: " in message
    assert "invalid ELF header" in message or "file too short" in message
    assert "pip install 'tmva-hashednet[gpu]'" in message and message.endswith(ALLOWED)


def test_a_library_without_the_entry_points_is_refused(device, library_at, network_text):
    library_at(library_path())  # the CPU core: a library, but not the CUDA one
    message = gpu_error(device, network_text)
    assert "lacks the hashednet_cuda_* entry points" in message and message.endswith(ALLOWED)


def test_the_default_library_path_is_next_to_the_core(device, monkeypatch):
    monkeypatch.delenv("HASHEDNET_CUDA_LIBRARY", raising=False)
    assert Path(str(device.cuda_library_path())) == CUDA_LIBRARY


def test_without_a_driver_the_built_library_says_so(device, monkeypatch, network_text):
    """The path this machine takes when the CUDA library is built: libcuda.so.1 is missing."""
    monkeypatch.delenv("HASHEDNET_CUDA_LIBRARY", raising=False)
    if not CUDA_LIBRARY.exists():
        pytest.skip(f"the CUDA backend is not built ({CUDA_LIBRARY}); build with -DHASHEDNET_CUDA=ON")
    reason = str(device.gpu_unavailable_reason())
    if not reason:
        pytest.skip("a usable GPU is present: tests/test_gpu.py runs instead")
    if Path("/usr/lib/x86_64-linux-gnu/libcuda.so.1").exists():
        pytest.skip(f"this machine has a driver; its reason is: {reason}")
    message = gpu_error(device, network_text)
    assert message == reason
    assert message.startswith("Architecture=GPU: no NVIDIA driver: libcuda.so.1 not found (cudaErrorInsufficientDriver")
    assert message.endswith(ALLOWED)


def test_a_cpu_network_never_silently_becomes_a_gpu_one(device, library_at, tmp_path):
    import tmva_hashednet as t

    library_at(tmp_path / "absent.so")
    net = t.HashedNetwork(3, "TANH|4,LINEAR")
    assert net.device == "cpu"
    assert t.HashedNetwork.from_text(net.to_text(), device="cpu").device == "cpu"


# ---------------------------------------------------------------- the device's answers, injected


def test_driver_missing_and_driver_too_old(device):
    common = dict(error=35, error_name="cudaErrorInsufficientDriver",
                  error_text="CUDA driver version is insufficient for CUDA runtime version")  # fmt: skip
    missing = problem(device, driver_library_found=False, **common)
    assert missing == ("Architecture=GPU: no NVIDIA driver: libcuda.so.1 not found (cudaErrorInsufficientDriver: "
                       "CUDA driver version is insufficient for CUDA runtime version); install the NVIDIA driver "
                       "(CUDA 13 needs release 580 or newer); allowed here: CPU")  # fmt: skip
    old = problem(device, driver_library_found=True, **common)
    assert old.startswith("Architecture=GPU: the NVIDIA driver is older than CUDA 13 needs (cudaErrorInsufficientDriver")
    assert "update it to release 580 or newer" in old and old.endswith(ALLOWED)


def test_no_device(device, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    coded = problem(device, error=100, error_name="cudaErrorNoDevice", error_text="no CUDA-capable device is detected")
    assert coded == ("Architecture=GPU: no CUDA device found (cudaErrorNoDevice: no CUDA-capable device is detected); "
                     "allowed here: CPU")  # fmt: skip
    assert problem(device, error=0, device_count=0) == "Architecture=GPU: no CUDA device found; allowed here: CPU"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert "no CUDA device found (CUDA_VISIBLE_DEVICES='')" in problem(device, error=0, device_count=0)


def test_another_cuda_error_is_named(device):
    message = problem(device, error=3, error_name="cudaErrorInitializationError", error_text="initialization error")
    assert message == ("Architecture=GPU: CUDA could not start (cudaErrorInitializationError: initialization error); "
                       "allowed here: CPU")  # fmt: skip


@pytest.mark.parametrize("major, minor", [(6, 1), (7, 0), (7, 2), (5, 3)])
def test_compute_capability_below_7_5_is_refused(device, major, minor):
    message = problem(device, device_count=1, device_name="Tesla P100", major=major, minor=minor)
    assert message == (f"Architecture=GPU: device 0 (Tesla P100) has compute capability {major}.{minor}; this build "
                       "needs 7.5 or newer (Turing and later); allowed here: CPU")  # fmt: skip


@pytest.mark.parametrize("major, minor", [(7, 5), (8, 0), (9, 0), (12, 0)])
def test_a_usable_device_is_no_problem(device, major, minor):
    assert problem(device, device_count=2, device_name="NVIDIA H100", major=major, minor=minor) == ""


def test_the_constants_are_cudas(device):
    """device.h copies three cudaError_t values; cuda_entry.cu static_asserts them against the toolkit."""
    assert (device.kCudaSuccess, device.kCudaErrorInsufficientDriver, device.kCudaErrorNoDevice) == (0, 35, 100)
    assert (device.kMinComputeMajor, device.kMinComputeMinor) == (7, 5)


# ---------------------------------------------------------------- the Python keyword


@pytest.mark.parametrize("bad", ["gpu", "CUDA", "cuda:0", ""])
def test_device_keyword_names_the_allowed_values(bad):
    import tmva_hashednet as t

    with pytest.raises(ValueError, match=f"unknown device '{bad}'; allowed: 'cpu', 'cuda'"):
        t.HashedNetwork(3, "TANH|4,LINEAR", device=bad)
    with pytest.raises(TypeError, match="device must be 'cpu' or 'cuda'"):
        t.HashedNetwork(3, "TANH|4,LINEAR", device=0)


def test_cpu_keyword_changes_nothing():
    import tmva_hashednet as t

    x = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    a, b = t.HashedNetwork(3, "TANH|4,LINEAR", seed=5), t.HashedNetwork(3, "TANH|4,LINEAR", seed=5, device="cpu")
    assert a.to_text() == b.to_text()
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
