"""A plain numpy (float64) network: the reference the compiled code is tested
against. It materialises every V with the xxhash package, nothing else."""

from __future__ import annotations

import numpy as np
import xxhash

ACTIVATIONS = {
    "TANH": (np.tanh, lambda z, a: 1 - a**2),
    "RELU": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
    "SYMMRELU": (np.abs, lambda z, a: np.where(z < 0, -1.0, 1.0)),
    "SIGMOID": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "SOFTSIGN": (lambda z: z / (1 + np.abs(z)), lambda z, a: 1 / (1 + np.abs(z)) ** 2),
    "GAUSS": (lambda z: np.exp(-(z**2)), lambda z, a: -2 * z * a),
    "LINEAR": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def hash_table(n_keys: int, seed: int, n_buckets: int):
    """(bucket, sign) of keys 0..n_keys-1 from the xxhash package."""
    h = np.array([xxhash.xxh32_intdigest(k.to_bytes(8, "little"), seed=seed) for k in range(n_keys)], dtype=np.uint64)
    return ((h * np.uint64(n_buckets)) >> np.uint64(32)).astype(np.int64), np.where(h & np.uint64(1), -1.0, 1.0)


def block_table(n_in: int, n_out: int, seed: int, n_buckets: int, block: int):
    """(bucket, sign) of every virtual weight (row-major) in BLOCK mode, from
    the xxhash package: block q = j // B of row i hashes key i * ceil(n_in / B) + q;
    its weights take buckets (start + j % B) mod K with start = (h K) >> 32."""
    n_blocks = -(-n_in // block)
    bucket = np.empty(n_in * n_out, dtype=np.int64)
    sign = np.empty(n_in * n_out)
    for i in range(n_out):
        for j in range(n_in):
            h = xxhash.xxh32_intdigest((i * n_blocks + j // block).to_bytes(8, "little"), seed=seed)
            bucket[i * n_in + j] = (((h * n_buckets) >> 32) + j % block) % n_buckets
            sign[i * n_in + j] = -1.0 if h & 1 else 1.0
    return bucket, sign


class ReferenceNetwork:
    """The network of a HashedNetwork, rebuilt densely in float64."""

    def __init__(self, net):
        self.task = net.task
        params = net.params.astype(np.float64)
        self.layers = []
        for l in range(net.n_layers):
            info = net.layer_info(l)
            n_in, n_out, off = info["n_in"], info["n_out"], info["offset"]
            w = params[off : off + info["n_buckets"]]
            if info["hashed"] and net.hash_mode == "BLOCK":
                bucket, sign = block_table(n_in, n_out, info["weight_seed"], info["n_buckets"], net.hash_block)
            elif info["hashed"]:
                bucket, sign = hash_table(n_in * n_out, info["weight_seed"], info["n_buckets"])
            else:
                bucket, sign = np.arange(n_in * n_out), np.ones(n_in * n_out)
            wb = params[off + info["n_buckets"] : off + info["n_buckets"] + info["n_bias_buckets"]]
            if info["hashed_bias"]:
                b_bucket, b_sign = hash_table(n_out, info["bias_seed"], info["n_bias_buckets"])
            else:
                b_bucket, b_sign = np.arange(n_out), np.ones(n_out)
            self.layers.append(
                dict(info=info, bucket=bucket, sign=sign, b_bucket=b_bucket, b_sign=b_sign,
                     V=(sign * w[bucket]).reshape(n_out, n_in), b=b_sign * wb[b_bucket])
            )  # fmt: skip

    def forward(self, x):
        cache, a = [], np.asarray(x, dtype=np.float64)
        for layer in self.layers:
            z = a @ layer["V"].T + layer["b"]
            f, _ = ACTIVATIONS[layer["info"]["activation"]]
            cache.append((a, z, f(z)))
            a = cache[-1][2]
        return a, cache

    def predict(self, x):
        logits, _ = self.forward(x)
        if self.task == "classification":
            return 1 / (1 + np.exp(-logits[:, 0]))
        if self.task == "multiclass":
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def loss_and_gradient(self, x, y, w=None):
        """Weighted mean loss and its gradient with respect to the flat buffer."""
        logits, cache = self.forward(x)
        n = len(x)
        w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(n, -1)
        if self.task == "classification":
            z = logits[:, 0]
            loss = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y[:, 0] * z
            d = (1 / (1 + np.exp(-z)) - y[:, 0])[:, None]
        elif self.task == "multiclass":
            top = logits.max(axis=1, keepdims=True)
            e = np.exp(logits - top)
            p = e / e.sum(axis=1, keepdims=True)
            onehot = np.eye(logits.shape[1])[y[:, 0].astype(int)]
            loss = np.log(e.sum(axis=1)) + top[:, 0] - (logits * onehot).sum(axis=1)
            d = p - onehot
        else:
            loss = 0.5 * ((logits - y) ** 2).sum(axis=1)
            d = logits - y
        norm = w.sum()
        delta = d * (w / norm)[:, None]
        grads = []
        for layer, (a_in, z, a) in zip(reversed(self.layers), reversed(cache)):
            _, df = ACTIVATIONS[layer["info"]["activation"]]
            delta = delta * df(z, a)
            dV = delta.T @ a_in
            gw = np.bincount(layer["bucket"], weights=layer["sign"] * dV.reshape(-1),
                             minlength=layer["info"]["n_buckets"])  # fmt: skip
            gb = np.bincount(layer["b_bucket"], weights=layer["b_sign"] * delta.sum(axis=0),
                             minlength=layer["info"]["n_bias_buckets"])  # fmt: skip
            grads.append(np.concatenate([gw, gb]))
            delta = delta @ layer["V"]
        return float((w * loss).sum() / norm), np.concatenate(grads[::-1])
