"""Device arrays in and out of a network on the GPU (``device="cuda"``).

What it is: the reading of ``__cuda_array_interface__`` (CuPy, Numba, PyTorch
and others carry it: versions 0 to 3, https://numba.readthedocs.io/en/stable/cuda/cuda_array_interface.html)
into a :class:`DeviceArray` of plain numbers, with one clear error per thing
the core cannot take (dtype, strides, mask, a read-only output, the wrong
device); the checks of device data that the core makes of host data
(finite values, labels), done on the device with CuPy; and the device-side
input moments for ``standardize``. The core receives the device pointers
(``python_api::predict_resident`` / ``train_resident``): no copy to the host.

CuPy is needed only to allocate outputs and to check values; it is imported
when a device array is first seen, never by ``import tmva_hashednet``.

What it is not: a device selector (the network runs on CUDA device 0 of
``CUDA_VISIBLE_DEVICES``) or a conversion of host arrays (numpy arrays go the
host path, copied to the device in batches by the backend).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DeviceArray", "is_device_array", "device_view", "check_placement", "cupy_module"]

_CPU_NETWORK = "this network is on the CPU; pass a numpy array or use device='cuda'"


@dataclass(frozen=True)
class DeviceArray:
    """What the core needs of one device array: its address and shape (C-contiguous float32)."""

    pointer: int
    shape: tuple
    readonly: bool
    stream: int | None  # the producer's stream (version 3), None when it gave none
    source: object  # the array itself, kept alive while the core reads it

    @property
    def rows(self) -> int:
        return self.shape[0]

    @property
    def columns(self) -> int:
        return self.shape[1] if len(self.shape) == 2 else 1


def is_device_array(value) -> bool:
    """True for objects that carry ``__cuda_array_interface__`` (a CuPy array, ...)."""
    return hasattr(value, "__cuda_array_interface__")


def _c_contiguous(shape: tuple, strides) -> bool:
    if strides is None:
        return True
    expected = 4
    for extent, stride in zip(reversed(shape), reversed(strides)):
        if extent > 1 and stride != expected:
            return False
        expected *= extent
    return True


def device_view(name: str, value, *, n_columns: int | None = None, writable: bool = False) -> DeviceArray:
    """The :class:`DeviceArray` of ``value``'s ``__cuda_array_interface__``: a
    float32, C-contiguous 1-D (one column) or 2-D array without a mask; an
    output (``writable``) must not be read-only. Errors name ``name``."""
    interface = value.__cuda_array_interface__
    if not isinstance(interface, dict):
        raise TypeError(f"{name}.__cuda_array_interface__ must be a dict, got {type(interface).__name__}")
    missing = [key for key in ("shape", "typestr", "data") if key not in interface]
    if missing:
        raise TypeError(f"{name}.__cuda_array_interface__ lacks {', '.join(missing)}")
    shape = tuple(int(n) for n in interface["shape"])
    typestr = interface["typestr"]
    if typestr != "<f4":
        raise TypeError(f"{name} must be float32 (typestr '<f4'), got typestr {typestr!r}; "
                        f"convert it on the device, e.g. {name}.astype(cupy.float32)")  # fmt: skip
    if interface.get("mask") is not None:
        raise ValueError(f"{name} has a mask; masked device arrays are not supported")
    if len(shape) not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D (events x variables), got shape {shape}")
    if not _c_contiguous(shape, interface.get("strides")):
        raise ValueError(f"{name} must be C-contiguous, got strides {interface.get('strides')} for shape {shape}; "
                         f"use cupy.ascontiguousarray({name})")  # fmt: skip
    pointer, readonly = interface["data"]
    if writable and readonly:
        raise ValueError(f"{name} is read-only; the network writes its responses into it")
    if int(np.prod(shape)) > 0 and not pointer:
        raise ValueError(f"{name} has a null device pointer")
    if n_columns is not None and (shape[1] if len(shape) == 2 else 1) != n_columns:
        raise ValueError(f"{name} has {shape[1] if len(shape) == 2 else 1} columns per event, expected {n_columns}")
    if shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one event is needed")
    stream = interface.get("stream") if int(interface.get("version", 0)) >= 3 else None
    return DeviceArray(int(pointer), shape, bool(readonly), None if stream is None else int(stream), value)


def check_placement(device, arrays: dict) -> bool:
    """True when the named arrays (None entries ignored) are device arrays for
    a ``device="cuda"`` network, False when they are host arrays. Mixing the
    two, or device arrays for a CPU network, is a TypeError. ``device`` is the
    network's device, or a callable giving it (asked only for device arrays:
    the host path makes no call into the core)."""
    given = {name: is_device_array(a) for name, a in arrays.items() if a is not None}
    if not any(given.values()):
        return False
    if callable(device):
        device = device()
    if not all(given.values()):
        on_device = ", ".join(n for n, d in given.items() if d)
        on_host = ", ".join(n for n, d in given.items() if not d)
        raise TypeError(f"CUDA device arrays ({on_device}) and host arrays ({on_host}) are mixed; pass all of "
                        f"them on the device (CuPy) or all on the host (numpy)")  # fmt: skip
    if device != "cuda":
        raise TypeError(f"{next(iter(given))} is a CUDA device array (__cuda_array_interface__): {_CPU_NETWORK}")
    return True


def cupy_module():
    """CuPy, or an ImportError saying how to get it (pip install 'tmva-hashednet[gpu]')."""
    try:
        import cupy
    except ImportError as error:
        raise ImportError("device arrays need CuPy: pip install 'tmva-hashednet[gpu]' (cupy-cuda13x)") from error
    return cupy


def wait_for_producer(array: DeviceArray) -> None:
    """Waits for the work of the stream the producer named (version 3), so the core reads finished values."""
    if array.stream is not None:
        cupy_module().cuda.ExternalStream(array.stream).synchronize()


def as_device(cupy, name: str, view: DeviceArray, n_columns: int | None = None):
    """The CuPy array of a checked view, with finite values (ValueError naming the first bad one)."""
    array = cupy.asarray(view.source)
    if n_columns is not None:
        array = array.reshape(-1, n_columns)
    bad = ~cupy.isfinite(array)
    if bool(bad.any()):
        position = tuple(int(i) for i in cupy.argwhere(bad)[0].get())
        raise ValueError(f"{name} holds {float(array[position])} at {position}; values must be finite (no NaN or inf)")
    return array


def check_labels(cupy, y, task: str, n_outputs: int) -> None:
    """Classification labels 0/1, multiclass labels 0..n_outputs-1 (integers), as the core checks host labels."""
    if task == "regression":
        return
    top = 1 if task == "classification" else n_outputs - 1
    bad = (y < 0) | (y > top) | (y != cupy.floor(y))
    if bool(bad.any()):
        event = int(cupy.argwhere(bad.reshape(-1))[0].get()[0])
        raise ValueError(f"y: event {event} has label {float(y.reshape(-1)[event])}; {task} labels must be the "
                         f"integers 0..{top}")  # fmt: skip


def device_moments(cupy, x, w, sample: str):
    """(mean, std) of device events x (n, d) with weights w (or None), by the
    rules of :class:`._moments.Moments` (its sums taken on the device in float64)."""
    from ._moments import Moments

    x64 = x.astype(cupy.float64)
    shift = x64[:65_536].mean(axis=0)
    weight = cupy.ones(x.shape[0]) if w is None else w.astype(cupy.float64)
    block = x64 - shift
    moments = Moments.from_sums(sample, events=x.shape[0], weight_sum=float(weight.sum()),
                                shift=shift.get(), s1=(weight @ block).get(), s2=(weight @ (block * block)).get(),
                                low=x.min(axis=0).get(), high=x.max(axis=0).get())  # fmt: skip
    return moments.mean_std()
