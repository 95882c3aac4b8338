"""Compression and memory report of a network: virtual weights against the
real parameters that are actually stored (and trained)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LayerMemory", "MemoryReport"]

_FLOAT_BYTES = 4


@dataclass(frozen=True)
class LayerMemory:
    layer: int
    n_in: int
    n_out: int
    hashed: bool
    virtual_weights: int  # n_in * n_out weights + n_out biases
    real_params: int  # buckets + bias parameters
    bytes: int  # real_params * 4
    scheme: str = ""  # DENSE, ELEMENT, BLOCK, FUNHASH or FRESH
    reconstruction_params: int = 0  # FUNHASH: g's parameters, counted in real_params
    kind: str = "DENSE"  # the Layout entry: DENSE, CONV (n_in, n_out: image sizes), MAXPOOL or RESHAPE (no weights), BNORM

    @property
    def compression(self) -> float:
        """real_params / virtual_weights; 1 for a layer without weights (MAXPOOL, RESHAPE)."""
        return self.real_params / self.virtual_weights if self.virtual_weights else 1.0


def _kind_text(r: LayerMemory) -> str:
    """The report's kind column: a CONV layer as c-<its scheme> (c-dense, c-element, c-block, c-funhash,
    c-fresh); a dense layer as dense, hashed (ELEMENT, BLOCK), funhash or fresh; MAXPOOL and RESHAPE by name."""
    if r.kind == "CONV":
        return f"c-{r.scheme.lower()}"
    if r.kind != "DENSE":
        return r.kind.lower()
    return r.scheme.lower() if r.scheme in ("FUNHASH", "FRESH") else "hashed" if r.hashed else "dense"


@dataclass(frozen=True)
class MemoryReport:
    layers: list

    @property
    def virtual_weights(self) -> int:
        return sum(r.virtual_weights for r in self.layers)

    @property
    def real_params(self) -> int:
        return sum(r.real_params for r in self.layers)

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.layers)

    @property
    def dense_bytes(self) -> int:
        """What the same network would take with dense float32 layers."""
        return self.virtual_weights * _FLOAT_BYTES

    @property
    def compression(self) -> float:
        return self.real_params / self.virtual_weights

    def as_dict(self) -> dict:
        return {
            "layers": [dict(vars(r), compression=r.compression) for r in self.layers],
            "virtual_weights": self.virtual_weights,
            "real_params": self.real_params,
            "bytes": self.bytes,
            "dense_bytes": self.dense_bytes,
            "compression": self.compression,
        }

    def __str__(self) -> str:
        lines = [f"{'layer':>5} {'shape':>13} {'kind':>9} {'virtual':>10} {'real':>10} {'bytes':>10} {'compr.':>8}"]
        for r in self.layers:
            shape = f"{r.n_out}x{r.n_in}"
            kind = _kind_text(r)
            g = f"   (g: {r.reconstruction_params} parameters)" if r.scheme == "FUNHASH" else ""
            lines.append(
                f"{r.layer:>5} {shape:>13} {kind:>9} {r.virtual_weights:>10} {r.real_params:>10} {r.bytes:>10} "
                f"{r.compression:>8.4f}{g}"
            )
        lines.append(
            f"{'total':>5} {'':>13} {'':>9} {self.virtual_weights:>10} {self.real_params:>10} {self.bytes:>10} "
            f"{self.compression:>8.4f}   (dense: {self.dense_bytes} bytes, {self.dense_bytes / self.bytes:.1f}x more)"
        )
        return "\n".join(lines)
