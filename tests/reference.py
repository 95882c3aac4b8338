"""A plain numpy (float64) network: the reference the compiled code is tested
against. It materialises every V with the xxhash package (FUNHASH layers
through FunHashReference, FRESH layers through FreshReference), nothing else."""

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


def random_events(rng, batch: int, n_inputs: int, task: str, n_outputs: int):
    """(x, y, w) of `batch` random events for `task`, drawn from `rng` in this order: inputs,
    targets (labels 0/1, class indices or n_outputs values), weights in [0.5, 2)."""
    x = rng.normal(size=(batch, n_inputs)).astype(np.float32)
    if task == "classification":
        y = rng.integers(0, 2, batch).astype(np.float32)
    elif task == "multiclass":
        y = rng.integers(0, n_outputs, batch).astype(np.float32)
    else:
        y = rng.normal(size=(batch, n_outputs)).astype(np.float32)
    w = rng.uniform(0.5, 2.0, batch).astype(np.float32)
    return x, y, w


def image_patches(a, window: dict):
    """(batch, positions, depth*fh*fw) float64: each output position's window over all channels (zero
    padding), columns depth-major, then fh, then fw; a loop over positions on a padded numpy image."""
    c, h, w = window["depth"], window["height"], window["width"]
    fh, fw, sr, sc, pr, pc = (window[k] for k in ("fh", "fw", "stride_rows", "stride_cols", "pad_rows", "pad_cols"))
    oh, ow = (h + 2 * pr - fh) // sr + 1, (w + 2 * pc - fw) // sc + 1
    padded = np.pad(np.asarray(a, dtype=np.float64).reshape(-1, c, h, w), ((0, 0), (0, 0), (pr, pr), (pc, pc)))
    out = np.empty((len(padded), oh, ow, c, fh, fw))
    for y in range(oh):
        for x in range(ow):
            out[:, y, x] = padded[:, :, y * sr : y * sr + fh, x * sc : x * sc + fw]
    return out.reshape(len(padded), oh * ow, c * fh * fw)


def image_patches_transpose(d_patches, window: dict):
    """The transpose of image_patches: every patch value added back into its pixel (batch, depth*height*width)."""
    c, h, w = window["depth"], window["height"], window["width"]
    fh, fw, sr, sc, pr, pc = (window[k] for k in ("fh", "fw", "stride_rows", "stride_cols", "pad_rows", "pad_cols"))
    oh, ow = (h + 2 * pr - fh) // sr + 1, (w + 2 * pc - fw) // sc + 1
    d = d_patches.reshape(len(d_patches), oh, ow, c, fh, fw)
    padded = np.zeros((len(d), c, h + 2 * pr, w + 2 * pc))
    for y in range(oh):
        for x in range(ow):
            padded[:, :, y * sr : y * sr + fh, x * sc : x * sc + fw] += d[:, y, x]
    return padded[:, :, pr : pr + h, pc : pc + w].reshape(len(d), -1)


class _ImageLayers:
    """Forward and backward of the CNN layer kinds in float64 (V: filters x depth*fh*fw)."""

    @staticmethod
    def conv_forward(layer, a):
        patches = image_patches(a, layer["window"])  # (n, P, patch)
        z = np.einsum("npk,ik->nip", patches, layer["V"]) + layer["b"][None, :, None]
        return z.reshape(len(a), -1), patches

    @staticmethod
    def conv_backward(layer, patches, delta):
        d = delta.reshape(len(delta), layer["V"].shape[0], -1)  # (n, filters, P)
        dV = np.einsum("nip,npk->ik", d, patches)
        dx = image_patches_transpose(np.einsum("nip,ik->npk", d, layer["V"]), layer["window"])
        return dV, d.sum(axis=(0, 2)), dx

    @staticmethod
    def pool_windows(layer, a):
        window = layer["window"]
        patches = image_patches(a, window)  # (n, P, depth*fh*fw)
        return patches.reshape(len(a), patches.shape[1], window["depth"], -1)  # (n, P, depth, fh*fw)

    @classmethod
    def pool_forward(cls, layer, a):
        windows = cls.pool_windows(layer, a)
        return windows.max(axis=3).transpose(0, 2, 1).reshape(len(a), -1), windows.argmax(axis=3)

    @staticmethod
    def pool_backward(layer, argmax, delta):
        n, positions, depth = argmax.shape
        taps = layer["window"]["fh"] * layer["window"]["fw"]
        d = np.zeros((n, positions, depth, taps))
        np.put_along_axis(d, argmax[..., None], delta.reshape(n, depth, positions).transpose(0, 2, 1)[..., None], 3)
        return image_patches_transpose(d.reshape(n, positions, -1), layer["window"])


class ReferenceNetwork:
    """The network of a HashedNetwork, rebuilt densely in float64 (CNN layers: see _ImageLayers)."""

    def __init__(self, net):
        self.task = net.task
        params = net.params.astype(np.float64)
        self.layers = []
        for l in range(net.n_layers):
            info = net.layer_info(l)
            if info["kind"] in ("MAXPOOL", "RESHAPE"):
                self.layers.append(dict(info=info, kind=info["kind"], window=info.get("window")))
                continue
            n_in, n_out, off = info["n_in"], info["n_out"], info["offset"]
            n_weight = info["n_buckets"] + info["n_reconstruction_params"]
            w = params[off : off + n_weight]
            funhash = None
            if info["scheme"] == "FUNHASH":
                kind, *mlp = net.reconstruction.split("|")
                funhash = FunHashReference(n_in, n_out, info["n_buckets"], info["weight_seed"], net.hash_functions,
                                           kind, int(mlp[0]) if mlp else 0, mlp[1] if mlp else "TANH")  # fmt: skip
                bucket, sign = None, None
            elif info["scheme"] == "FRESH":  # like FUNHASH, a scheme with its own V and gradient
                funhash = FreshReference(n_in, n_out, *info["fresh_slice"], info["weight_seed"],
                                         info["fresh_band_buckets"])  # fmt: skip
                bucket, sign = None, None
            elif info["hashed"] and net.hash_mode == "BLOCK":
                bucket, sign = block_table(n_in, n_out, info["weight_seed"], info["n_buckets"], net.hash_block)
            elif info["hashed"]:
                bucket, sign = hash_table(n_in * n_out, info["weight_seed"], info["n_buckets"])
            else:
                bucket, sign = np.arange(n_in * n_out), np.ones(n_in * n_out)
            wb = params[off + n_weight : off + n_weight + info["n_bias_buckets"]]
            if info["hashed_bias"]:
                b_bucket, b_sign = hash_table(n_out, info["bias_seed"], info["n_bias_buckets"])
            else:
                b_bucket, b_sign = np.arange(n_out), np.ones(n_out)
            self.layers.append(
                dict(info=info, kind=info["kind"], window=info.get("window"), bucket=bucket, sign=sign,
                     b_bucket=b_bucket, b_sign=b_sign, funhash=funhash, w=w,
                     V=funhash.virtual_matrix(w) if funhash else (sign * w[bucket]).reshape(n_out, n_in),
                     b=b_sign * wb[b_bucket])
            )  # fmt: skip

    def forward(self, x):
        cache, a = [], np.asarray(x, dtype=np.float64)
        for layer in self.layers:
            if layer["kind"] == "RESHAPE":
                cache.append((a, None, a))
                continue
            if layer["kind"] == "MAXPOOL":
                y, argmax = _ImageLayers.pool_forward(layer, a)
                cache.append((argmax, None, y))
                a = y
                continue
            if layer["kind"] == "CONV":
                z, patches = _ImageLayers.conv_forward(layer, a)
                a_in = patches
            else:
                z, a_in = a @ layer["V"].T + layer["b"], a
            f, _ = ACTIVATIONS[layer["info"]["activation"]]
            cache.append((a_in, z, f(z)))
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
        loss, delta = self.loss_and_output_delta(logits, y, w)
        return loss, self.backward(cache, delta)

    def loss_and_output_delta(self, logits, y, w=None):
        """The weighted mean loss of `logits`, and its gradient with respect to them."""
        n = len(logits)
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
        return float((w * loss).sum() / norm), d * (w / norm)[:, None]

    def backward(self, cache, delta):
        """The flat gradient from the output delta, through the layers of `cache` (forward's)."""
        grads = []
        for layer, (a_in, z, a) in zip(reversed(self.layers), reversed(cache)):
            if layer["kind"] in ("MAXPOOL", "RESHAPE"):
                delta = _ImageLayers.pool_backward(layer, a_in, delta) if layer["kind"] == "MAXPOOL" else delta
                grads.append(np.zeros(0))
                continue
            _, df = ACTIVATIONS[layer["info"]["activation"]]
            delta = delta * df(z, a)
            if layer["kind"] == "CONV":
                dV, db, d_in = _ImageLayers.conv_backward(layer, a_in, delta)
            else:
                dV, db, d_in = delta.T @ a_in, delta.sum(axis=0), None
            if layer["funhash"]:
                gw = layer["funhash"].gradient(layer["w"], dV)  # buckets, then g's parameters
            else:
                gw = np.bincount(layer["bucket"], weights=layer["sign"] * dV.reshape(-1),
                                 minlength=layer["info"]["n_buckets"])  # fmt: skip
            gb = np.bincount(layer["b_bucket"], weights=layer["b_sign"] * db,
                             minlength=layer["info"]["n_bias_buckets"])  # fmt: skip
            grads.append(np.concatenate([gw, gb]))
            delta = delta @ layer["V"] if d_in is None else d_in
        return np.concatenate(grads[::-1])


def funhash_seeds(weight_seed: int, n_hashes: int):
    """The seed of each hash u of a FUNHASH layer (funhash.h): the layer's
    weight seed for u = 0, XXH32(u as 8 little-endian bytes, weight_seed) after."""
    return [weight_seed] + [xxhash.xxh32_intdigest(u.to_bytes(8, "little"), seed=weight_seed) for u in range(1, n_hashes)]


def funhash_table(n_in: int, n_out: int, weight_seed: int, n_buckets: int, n_hashes: int):
    """(bucket, sign), each of shape (U, n_out * n_in): hash u of every virtual
    weight (row-major), from the xxhash package."""
    tables = [hash_table(n_in * n_out, seed, n_buckets) for seed in funhash_seeds(weight_seed, n_hashes)]
    return np.stack([t[0] for t in tables]), np.stack([t[1] for t in tables])


def _mlp_parts(alpha, n_hashes: int, hidden: int):
    """A (H x U), b (H), c (H), d of an MLP reconstruction's alpha."""
    a = alpha[: hidden * n_hashes].reshape(hidden, n_hashes)
    b = alpha[hidden * n_hashes : hidden * (n_hashes + 1)]
    c = alpha[hidden * (n_hashes + 1) : hidden * (n_hashes + 2)]
    return a, b, c, alpha[hidden * (n_hashes + 2)]


def funhash_reconstruct(kind: str, alpha, z, hidden: int = 0, activation: str = "TANH"):
    """V = g(z; alpha) for z of shape (U, N): kind IDENTITY, LINEAR or MLP."""
    alpha, z = np.asarray(alpha, dtype=np.float64), np.asarray(z, dtype=np.float64)
    if kind == "IDENTITY":
        return z[0].copy()
    if kind == "LINEAR":
        return alpha @ z
    a, b, c, d = _mlp_parts(alpha, z.shape[0], hidden)
    return d + c @ ACTIVATIONS[activation][0](a @ z + b[:, None])


def funhash_reconstruct_backward(kind: str, alpha, z, dv, hidden: int = 0, activation: str = "TANH"):
    """(dz of shape (U, N), dalpha summed over the N elements) from dv = dL/dV (N,)."""
    alpha, z, dv = (np.asarray(t, dtype=np.float64) for t in (alpha, z, dv))
    if kind == "IDENTITY":
        return dv[None, :].copy(), np.zeros(0)
    if kind == "LINEAR":
        return alpha[:, None] * dv[None, :], z @ dv
    f, df = ACTIVATIONS[activation]
    a, b, c, _ = _mlp_parts(alpha, z.shape[0], hidden)
    p = a @ z + b[:, None]
    s = f(p)
    dp = c[:, None] * dv[None, :] * df(p, s)  # (H, N)
    dalpha = np.concatenate([(dp @ z.T).ravel(), dp.sum(axis=1), s @ dv, [dv.sum()]])
    return a.T @ dp, dalpha


class FunHashReference:
    """A FUNHASH layer's V and its gradients in float64 (materialised: tests only)."""

    def __init__(self, n_in, n_out, n_buckets, weight_seed, n_hashes, kind, hidden=0, activation="TANH"):
        self.n_in, self.n_out, self.n_buckets = n_in, n_out, n_buckets
        self.n_hashes, self.kind, self.hidden, self.activation = n_hashes, kind, hidden, activation
        self.bucket, self.sign = funhash_table(n_in, n_out, weight_seed, n_buckets, n_hashes)

    def split(self, params):
        params = np.asarray(params, dtype=np.float64)
        return params[: self.n_buckets], params[self.n_buckets :]

    def z(self, params):
        w, _ = self.split(params)
        return self.sign * w[self.bucket]

    def virtual_matrix(self, params):
        _, alpha = self.split(params)
        v = funhash_reconstruct(self.kind, alpha, self.z(params), self.hidden, self.activation)
        return v.reshape(self.n_out, self.n_in)

    def gradient(self, params, dv):
        """d/dparams of sum(dV * V) for dV (n_out x n_in): buckets, then alpha."""
        _, alpha = self.split(params)
        dz, dalpha = funhash_reconstruct_backward(self.kind, alpha, self.z(params), np.ravel(dv), self.hidden,
                                                  self.activation)  # fmt: skip
        gw = np.zeros(self.n_buckets)
        for u in range(self.n_hashes):
            gw += np.bincount(self.bucket[u], weights=self.sign[u] * dz[u], minlength=self.n_buckets)
        return np.concatenate([gw, dalpha])


def dct_matrix(n: int):
    """C[k][x] of the orthonormal DCT-II of length n, float64 (scipy.fft.dct(norm="ortho") is C @ x)."""
    k, x = np.arange(n)[:, None], np.arange(n)[None, :]
    return np.sqrt(np.where(k == 0, 1.0, 2.0) / n) * np.cos(np.pi * (2 * x + 1) * k / (2 * n))


class FreshReference:
    """A FRESH layer's V and its gradient in float64 (materialised: tests only):
    coefficient (u, v) of slice (i, c) is sign * w[bucket] with the key i * n_in
    + c fh fw + u fw + v hashed by the xxhash package, reduced into the buckets of
    its band u + v; each slice of V is C_h^T P C_w (freshnets.h)."""

    def __init__(self, n_in, n_out, fh, fw, weight_seed, band_buckets):
        self.shape = (n_out, n_in // (fh * fw), fh, fw)
        h = np.array([xxhash.xxh32_intdigest(k.to_bytes(8, "little"), seed=weight_seed)
                      for k in range(n_in * n_out)], dtype=np.uint64)  # fmt: skip
        q = np.arange(n_in * n_out) % n_in % (fh * fw)
        band = q // fw + q % fw
        sizes = np.asarray(band_buckets, dtype=np.uint64)
        begin = np.concatenate([[0], np.cumsum(band_buckets)[:-1]]).astype(np.int64)
        self.n_buckets = int(np.sum(band_buckets))
        self.bucket = begin[band] + ((h * sizes[band]) >> np.uint64(32)).astype(np.int64)
        self.sign = np.where(h & np.uint64(1), -1.0, 1.0)
        self.ch, self.cw = dct_matrix(fh), dct_matrix(fw)

    def coefficients(self, params):
        return (self.sign * np.asarray(params, dtype=np.float64)[self.bucket]).reshape(self.shape)

    def virtual_matrix(self, params):
        v = np.einsum("uy,icuv,vx->icyx", self.ch, self.coefficients(params), self.cw)
        return v.reshape(self.shape[0], -1)

    def gradient(self, params, dv):
        dp = np.einsum("uy,icyx,vx->icuv", self.ch, np.reshape(dv, self.shape), self.cw)
        return np.bincount(self.bucket, weights=self.sign * dp.ravel(), minlength=self.n_buckets)
