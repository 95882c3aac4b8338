"""tmva_hashednet: neural-network compression by weight hashing (HashedNets)
for ROOT's TMVA.

A hashed layer stores K real parameters (buckets) and acts as an n_out x n_in
virtual matrix V[i][j] = xi(i,j) * w[h(i,j)], with h and xi xxHash-based
(definition "xxh32-v1", see ``cpp/include/hashednet/hash.h``). No D-sized index
or matrix is kept, in training or in inference.

- :class:`HashedNetwork`: build, train, predict, save (numpy in and out).
- :mod:`tmva_hashednet.streaming`: TTrees in chunks for ``HashedNetwork.fit_stream``.
- :mod:`tmva_hashednet.evaluator`: per-thread event-by-event evaluators of one shared network.
- :mod:`tmva_hashednet.rdf`: a weight file's scores as an RDataFrame column (IMT, Dask).
- :mod:`tmva_hashednet.evaluation`: ROC curve and integral, efficiencies.
- :class:`MemoryReport`: virtual weights against real parameters and bytes.
- ``TMVA`` (``from tmva_hashednet import TMVA``): ROOT's TMVA with HashedDNN, or
  the compatible workflow of :mod:`tmva_hashednet.tmva` where ROOT has no TMVA.

The C++ core is loaded through PyROOT on first use.
"""

from .memory import LayerMemory, MemoryReport
from .network import (
    CORE_DEFAULT,
    ChunkRecord,
    CostWarning,
    EpochRecord,
    HashedNetwork,
    StreamHistory,
    TrainingConfig,
    TrainingHistory,
    parse_compression,
)

__all__ = [
    "CORE_DEFAULT",
    "DEFAULT_LAYOUT",
    "ChunkRecord",
    "CostWarning",
    "EpochRecord",
    "HashedNetwork",
    "LayerMemory",
    "MemoryReport",
    "StreamHistory",
    "TrainingConfig",
    "TrainingHistory",
    "parse_compression",
]

__version__ = "0.1.0"


_SUBMODULES = ("datasets", "evaluation", "evaluator", "files", "options", "plotting", "rdf", "streaming", "tmva")


def __getattr__(name: str):
    """``from tmva_hashednet import TMVA``: ROOT's TMVA if present, else the
    compatible workflow; submodules (plotting imports ROOT graphics) load lazily."""
    if name == "DEFAULT_LAYOUT":  # read from the core on first use
        from . import network

        return network.DEFAULT_LAYOUT
    if name == "TMVA":
        from .tmva import namespace

        return namespace()
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tmva_hashednet' has no attribute {name!r}")
