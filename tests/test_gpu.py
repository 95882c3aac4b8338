"""The CUDA backend against the CPU backend, on a GPU (marked ``gpu``;
``bash scripts/run.sh gpu-check`` runs them). Without a usable GPU every test
here is skipped with the reason ("no CUDA device: <the core's message>").

Tolerances, and why:
- activations, the dropout mask, SGD and Adam: bit for bit (the same
  elementwise.h / activation.h functions, nvcc -fmad=false);
- input transform: bit for bit ((x - offset) * scale in float);
- loss: rtol 1e-12 on the same logits (double per event; the device's exp/log
  differ from glibc's in the last bit at most, and the sum's order differs);
- responses and logits through hashed products: rtol 1e-4, atol 1e-5 (fp32
  sums of up to a few hundred products in another order: cuBLAS / the fused
  kernels against OpenBLAS);
- gradients: rtol 1e-3, atol 1e-5 (as above, plus the order of the atomic
  bucket sums);
- two epochs of training: rtol 1e-3, atol 1e-4 on the parameters (the
  differences above, compounded over the steps);
- BNORM and whole CONV filter matrices (FRESH included) inside networks: as
  above (their own kernels agree with the CPU to one float ulp or bit for
  bit, tests/test_gpu_whole_ops.py; the products around them set the
  tolerance).
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import random_events

pytestmark = pytest.mark.gpu

HELPERS = r"""
#include "hashednet/backend.h"
#include "hashednet/device.h"
#include "hashednet/optimizer.h"
#include <vector>
namespace gpu_test {
using namespace hashednet;
inline Buffer upload(Backend &b, const std::vector<float> &v)
{
   Buffer buffer = b.allocate(static_cast<std::int64_t>(v.size()));
   b.copy_from_host(v.data(), buffer.size(), buffer);
   return buffer;
}
inline std::vector<float> download(const Backend &b, const Buffer &buffer)
{
   std::vector<float> v(static_cast<std::size_t>(buffer.size()));
   b.copy_to_host(buffer, 0, buffer.size(), v.data());
   return v;
}
/// a = f(z) (forward) or da * f'(z) with a = f(z) (backward), on `arch`.
inline std::vector<float> activation(Architecture arch, Activation f, const std::vector<float> &z, bool backward)
{
   auto b = make_backend(arch, 1);
   Buffer bz = upload(*b, z), ba = b->allocate(bz.size());
   b->activation_forward(f, bz.data(), ba.data(), bz.size());
   if (backward) {
      Buffer da = upload(*b, std::vector<float>(z.size(), 0.75f));
      b->activation_backward(f, bz.data(), ba.data(), da.data(), da.data(), bz.size());
      return download(*b, da);
   }
   return download(*b, ba);
}
/// The dropout factors of n elements, then y = x * keep, concatenated.
inline std::vector<float> dropout(Architecture arch, const std::vector<float> &x, double p, std::uint64_t seed)
{
   auto b = make_backend(arch, 1);
   Buffer bx = upload(*b, x), keep = b->allocate(bx.size());
   b->dropout_forward(bx.data(), bx.data(), keep.data(), bx.size(), p, seed);
   std::vector<float> out = download(*b, keep), y = download(*b, bx);
   out.insert(out.end(), y.begin(), y.end());
   return out;
}
/// `steps` updates of optimizer `name` from the same gradient.
inline std::vector<float> optimize(Architecture arch, const std::string &name, const std::vector<float> &params,
                                   const std::vector<float> &grad, int steps)
{
   auto b = make_backend(arch, 1);
   TrainingConfig config;
   config.optimizer = name;
   config.learning_rate = 0.01;
   config.weight_decay = 1e-3;
   auto optimizer = make_optimizer(config, *b, static_cast<std::int64_t>(params.size()));
   Buffer p = upload(*b, params), g = upload(*b, grad);
   for (int s = 0; s < steps; ++s)
      optimizer->step(config, p, g);
   return download(*b, p);
}
/// The loss's value, then d_logits.
inline std::vector<double> loss(Architecture arch, Task task, const std::vector<float> &z, const std::vector<float> &y,
                                const std::vector<float> &w, std::int64_t n, std::int64_t k)
{
   auto b = make_backend(arch, 1);
   Buffer bz = upload(*b, z), by = upload(*b, y), bw = upload(*b, w), dz = b->allocate(bz.size());
   std::vector<double> out{b->loss(task, bz.data(), by.data(), bw.data(), n, k, 3.5, dz.data())};
   for (float v : download(*b, dz))
      out.push_back(v);
   return out;
}
/// transform_inputs of host rows, then output_transform of the same values as logits.
inline std::vector<float> transforms(Architecture arch, Task task, const std::vector<float> &x, std::int64_t n,
                                     std::int64_t d, const std::vector<float> &offset, const std::vector<float> &scale)
{
   auto b = make_backend(arch, 1);
   Buffer bo = upload(*b, offset), bs = upload(*b, scale), out;
   b->transform_inputs(x.data(), n, d, bo, bs, out);
   std::vector<float> result = download(*b, out);
   b->output_transform(task, out.data(), n, d);
   for (float v : download(*b, out))
      result.push_back(v);
   return result;
}
/// im2col, col2im (of im2col's values), transpose_blocks, max pooling forward (values, argmax) and
/// backward (of dy = the pooled values) of n images x, concatenated.
inline std::vector<float> image_ops(Architecture arch, std::int64_t n, const std::vector<float> &x, std::int64_t d,
                                    std::int64_t h, std::int64_t w, std::int64_t fh, std::int64_t fw, std::int64_t sr,
                                    std::int64_t sc, std::int64_t pr, std::int64_t pc, std::int64_t pfh,
                                    std::int64_t pfw, std::int64_t psr, std::int64_t psc)
{
   auto b = make_backend(arch, 1);
   ImageWindow conv{d, h, w, fh, fw, sr, sc, pr, pc}, pool{d, h, w, pfh, pfw, psr, psc, 0, 0};
   Buffer bx = upload(*b, x), cols = b->allocate(n * conv.positions() * conv.patch()), dx = b->allocate(bx.size());
   Buffer t = b->allocate(cols.size()), y = b->allocate(n * d * pool.positions()), argmax = b->allocate(y.size());
   Buffer pool_dx = b->allocate(bx.size());
   b->im2col(conv, bx.data(), n, cols.data());
   b->col2im(conv, cols.data(), n, dx.data());
   b->transpose_blocks(cols.data(), n, conv.positions(), conv.patch(), t.data());
   b->max_pool_forward(pool, bx.data(), n, y.data(), argmax.data());
   b->max_pool_backward(pool, y.data(), argmax.data(), n, pool_dx.data());
   std::vector<float> out;
   for (const Buffer *buffer : {&cols, &dx, &t, &y, &argmax, &pool_dx}) {
      const std::vector<float> values = download(*b, *buffer);
      out.insert(out.end(), values.begin(), values.end());
   }
   return out;
}
} // namespace gpu_test
"""


@pytest.fixture(scope="module")
def gpu(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/device.h"')
    reason = str(hn.gpu_unavailable_reason())
    if reason:
        pytest.skip(f"no CUDA device: {reason}")
    assert ROOT.gInterpreter.Declare(HELPERS)
    return ROOT.gpu_test


@pytest.fixture(scope="module")
def arch(hn):
    return hn.Architecture


def vec(values, kind="float"):
    import ROOT

    v = ROOT.std.vector[kind]()
    for x in np.asarray(values).ravel():
        v.push_back(float(x))
    return v


def array(v, dtype=np.float32):
    return np.array(list(v), dtype=dtype)


ACTIVATIONS = ["Tanh", "Relu", "SymmRelu", "Sigmoid", "Softsign", "Gauss", "Linear"]
Z = np.concatenate([np.linspace(-12, 12, 997), [0.0, -0.0, 1e-20, 0.625, -0.6249, 9.5, -87.5, 88.5]])


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_bit_for_bit(gpu, hn, arch, name, backward):
    f = getattr(hn.Activation, name)
    cpu = array(gpu.activation(arch.Cpu, f, vec(Z), backward))
    cuda = array(gpu.activation(arch.Gpu, f, vec(Z), backward))
    np.testing.assert_array_equal(cuda.view(np.uint32), cpu.view(np.uint32))


@pytest.mark.parametrize("p, seed", [(0.1, 1), (0.5, 2**63 + 5), (0.9, 77)])
def test_dropout_mask_bit_for_bit(gpu, arch, p, seed):
    x = np.random.default_rng(seed % 1000).normal(size=100_003)  # crosses the kernel's grid stride
    cpu = array(gpu.dropout(arch.Cpu, vec(x), p, seed))
    cuda = array(gpu.dropout(arch.Gpu, vec(x), p, seed))
    np.testing.assert_array_equal(cuda.view(np.uint32), cpu.view(np.uint32))
    assert abs(np.mean(cpu[: x.size] == 0) - p) < 0.01


@pytest.mark.parametrize("name", ["SGD", "ADAM"])
def test_optimizers_bit_for_bit(gpu, arch, name):
    rng = np.random.default_rng(3)
    params, grad = rng.normal(size=5000), rng.normal(size=5000)
    cpu = array(gpu.optimize(arch.Cpu, name, vec(params), vec(grad), 5))
    cuda = array(gpu.optimize(arch.Gpu, name, vec(params), vec(grad), 5))
    np.testing.assert_array_equal(cuda.view(np.uint32), cpu.view(np.uint32))


@pytest.mark.parametrize("task, k", [("Classification", 1), ("Multiclass", 5), ("Regression", 3)])
def test_loss_and_d_logits(gpu, hn, arch, task, k):
    rng = np.random.default_rng(4)
    n = 1000  # more events than the loss kernel's threads
    z = rng.normal(scale=3, size=(n, k))
    y = rng.integers(0, max(k, 2), size=n) if task != "Regression" else rng.normal(size=(n, k))
    w = rng.uniform(0.5, 2, size=n)
    t = getattr(hn.Task, task)
    cpu = np.array(list(gpu.loss(arch.Cpu, t, vec(z), vec(y), vec(w), n, k)))
    cuda = np.array(list(gpu.loss(arch.Gpu, t, vec(z), vec(y), vec(w), n, k)))
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-12)
    np.testing.assert_allclose(cuda[1:], cpu[1:], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("task", ["Classification", "Multiclass"])
def test_input_and_output_transforms(gpu, hn, arch, task):
    rng = np.random.default_rng(5)
    n, d = 300, 7
    x, offset, scale = rng.normal(size=(n, d)), rng.normal(size=d), rng.uniform(0.5, 2, size=d)
    t = getattr(hn.Task, task)
    cpu = array(gpu.transforms(arch.Cpu, t, vec(x), n, d, vec(offset), vec(scale)))
    cuda = array(gpu.transforms(arch.Gpu, t, vec(x), n, d, vec(offset), vec(scale)))
    np.testing.assert_array_equal(cuda[: n * d], cpu[: n * d])
    np.testing.assert_allclose(cuda[n * d :], cpu[n * d :], rtol=1e-6, atol=1e-7)  # expf: within 2 ulp


# ---------------------------------------------------------------- whole networks

SCHEMES = {
    "dense": dict(compression=1.0),
    "element": dict(compression=1 / 8, hash_mode="ELEMENT"),
    "block": dict(compression=1 / 8, hash_mode="BLOCK", hash_block=16),
    "funhash": dict(compression=1 / 8, hash_mode="FUNHASH"),
    "hashed-bias": dict(compression=1 / 8, hashed_bias=True, hash_output_layer=True),
}
TASKS = {"classification": 1, "multiclass": 4, "regression": 2}
# 70 and 300 wide: the products cross the kernels' tile edges
LAYOUT = "TANH|70,RELU|300,LINEAR"


def pair(scheme: str, task: str, n_inputs: int = 37):
    import tmva_hashednet as t

    cpu = t.HashedNetwork(n_inputs, LAYOUT, task=task, n_outputs=TASKS[task], seed=11, **SCHEMES[scheme])
    return cpu, t.HashedNetwork.from_text(cpu.to_text(), device="cuda")


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_predict_loss_and_gradient_match_the_cpu(gpu, scheme, task):
    cpu, cuda = pair(scheme, task)
    assert cuda.device == "cuda"
    for batch in (1, 33, 513):
        x, y, w = random_events(np.random.default_rng(batch), batch, 37, task, TASKS[task])
        np.testing.assert_allclose(cuda.predict(x), cpu.predict(x), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(cuda.loss(x, y, w), cpu.loss(x, y, w), rtol=1e-4)
        (l_cpu, g_cpu), (l_gpu, g_gpu) = cpu.gradient(x, y, w), cuda.gradient(x, y, w)
        np.testing.assert_allclose(l_gpu, l_cpu, rtol=1e-4)
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("optimizer", ["SGD", "ADAM"])
@pytest.mark.parametrize("scheme", ["dense", "element", "block"])
def test_training_with_dropout_matches_the_cpu(gpu, scheme, optimizer):
    from tmva_hashednet import TrainingConfig

    cpu, cuda = pair(scheme, "classification")
    x, y, w = random_events(np.random.default_rng(8), 600, 37, "classification", 1)
    config = TrainingConfig(max_epochs=2, batch_size=37, dropout=[0.2, 0.1], seed=4, optimizer=optimizer)
    for net in (cpu, cuda):  # 17 batches of 37 (the last 8): the staging slots alternate, sizes change
        net.fit(x, y, w, validation_fraction=0.2, training=config, verbose=False)
    np.testing.assert_allclose(cuda.params, cpu.params, rtol=1e-3, atol=1e-4)


def test_predict_one_and_saved_text(gpu, tmp_path):
    cpu, cuda = pair("element", "multiclass")
    x, _, _ = random_events(np.random.default_rng(2), 1, 37, "multiclass", 4)
    np.testing.assert_allclose(cuda.predict(x), cpu.predict(x), rtol=1e-4, atol=1e-5)
    assert cuda.to_text() == cpu.to_text()  # parameters came back from the device unchanged


@pytest.mark.parametrize("method", ["MATERIALIZE", "FUSED", "AUTO"])
def test_both_product_methods_and_deterministic_mode(gpu, method):
    import tmva_hashednet as t

    cpu, _ = pair("element", "regression")
    cuda = t.HashedNetwork.from_text(cpu.to_text(), device="cuda", gpu_product=method, gpu_deterministic=True)
    x, y, w = random_events(np.random.default_rng(9), 257, 37, "regression", 2)
    np.testing.assert_allclose(cuda.predict(x), cpu.predict(x), rtol=1e-4, atol=1e-5)
    first, second = cuda.gradient(x, y, w)[1], cuda.gradient(x, y, w)[1]
    np.testing.assert_array_equal(first, second)  # deterministic: the same bits every run
    np.testing.assert_allclose(first, cpu.gradient(x, y, w)[1], rtol=1e-3, atol=1e-5)


def test_the_gpu_settings_reach_the_backend_through_the_constructor(gpu):
    """GpuProduct=MATERIALIZE and FUSED give the same network to float rounding, built by the constructor."""
    import tmva_hashednet as t

    nets = [t.HashedNetwork(37, LAYOUT, task="regression", n_outputs=2, seed=11, compression=1 / 8, device="cuda",
                            gpu_product=method) for method in ("MATERIALIZE", "FUSED")]  # fmt: skip
    x, _, _ = random_events(np.random.default_rng(3), 65, 37, "regression", 2)
    np.testing.assert_allclose(nets[0].predict(x), nets[1].predict(x), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- CNN layers

# (input layout, Layout): CONV with padding and strides (tiles of the products' kernels crossed by
# 14 x 14 positions x batch rows), MAXPOOL overlapping and not, RESHAPE to flat and to an image.
CNNS = {
    "conv-pool-dense": ("2|14|14", "CONV|6|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|20|TANH,"
                                   "DENSE|{k}|LINEAR"),
    "strided-overlapping": ("1|15|13", "CONV|5|5|3|2|1|2|1|TANH,MAXPOOL|3|3|1|1,CONV|4|2|2|1|1|0|0|RELU,"
                                        "RESHAPE|FLAT,DENSE|{k}|LINEAR"),
    "reshape-image": ("1|8|12", "RESHAPE|2|8|6,CONV|3|3|3|1|1|1|1|RELU,RESHAPE|FLAT,DENSE|{k}|LINEAR"),
}
# CONV filters of every hashed scheme are made whole once per batch on the GPU as on the CPU (FRESH:
# the DCT slices; the fully connected layers of a FRESH network are ELEMENT, docs/freshnets.md)
CNN_ONLY_SCHEMES = {"fresh": dict(compression=1 / 4, hash_mode="FRESH")}
CNN_SCHEMES = ["dense", "element", "block", "funhash", "fresh"]


def cnn_pair(cnn: str, scheme: str, task: str, **options):
    import tmva_hashednet as t

    image, layout = CNNS[cnn]
    depth, height, width = (int(v) for v in image.split("|"))
    scheme_options = {**SCHEMES, **CNN_ONLY_SCHEMES}[scheme]
    cpu = t.HashedNetwork(depth * height * width, layout.format(k=TASKS[task]), input_layout=image, task=task,
                          n_outputs=TASKS[task], seed=5, **scheme_options)  # fmt: skip
    return cpu, t.HashedNetwork.from_text(cpu.to_text(), device="cuda", **options), depth * height * width


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("scheme", CNN_SCHEMES)
@pytest.mark.parametrize("cnn", list(CNNS))
def test_cnn_predict_loss_and_gradient_match_the_cpu(gpu, cnn, scheme, task):
    """Tolerances as for dense networks: the products sum in another order, the image ops are exact."""
    cpu, cuda, n_in = cnn_pair(cnn, scheme, task)
    for batch in (1, 7, 130):
        x, y, w = random_events(np.random.default_rng(batch), batch, n_in, task, TASKS[task])
        np.testing.assert_allclose(cuda.predict(x), cpu.predict(x), rtol=1e-4, atol=1e-5)
        (l_cpu, g_cpu), (l_gpu, g_gpu) = cpu.gradient(x, y, w), cuda.gradient(x, y, w)
        np.testing.assert_allclose(l_gpu, l_cpu, rtol=1e-4)
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("scheme", ["element", "block", "fresh"])
def test_cnn_deterministic_filter_gradients_are_the_same_bits_every_run(gpu, scheme):
    """GpuDeterministic: the whole filter matrix's dV goes into the buckets in 64-bit fixed point."""
    cpu, cuda, n_in = cnn_pair("strided-overlapping", scheme, "regression", gpu_deterministic=True)
    x, y, w = random_events(np.random.default_rng(4), 65, n_in, "regression", TASKS["regression"])
    first, second = cuda.gradient(x, y, w)[1], cuda.gradient(x, y, w)[1]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, cpu.gradient(x, y, w)[1], rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("scheme", CNN_SCHEMES)
def test_cnn_training_matches_the_cpu(gpu, scheme):
    from tmva_hashednet import TrainingConfig

    cpu, cuda, n_in = cnn_pair("conv-pool-dense", scheme, "multiclass")
    x, y, w = random_events(np.random.default_rng(8), 300, n_in, "multiclass", TASKS["multiclass"])
    config = TrainingConfig(max_epochs=2, batch_size=32, seed=4, optimizer="ADAM")
    for net in (cpu, cuda):
        net.fit(x, y, w, validation_fraction=0.2, training=config, verbose=False)
    np.testing.assert_allclose(cuda.params, cpu.params, rtol=1e-3, atol=1e-4)


def test_image_ops_bit_for_bit(gpu, arch):
    """The image kernels on the device against the CPU backend (both gathers in the CPU's order: exact)."""
    rng = np.random.default_rng(6)
    n, depth, height, width = 5, 3, 11, 9
    x = rng.integers(-3, 4, n * depth * height * width) * 0.5  # ties in the pooling windows
    conv = (depth, height, width, 3, 2, 2, 1, 1, 1)
    pool = (3, 3, 1, 2)  # fh, fw, strides: overlapping rows
    cpu = array(gpu.image_ops(arch.Cpu, n, vec(x), *conv, *pool))
    cuda = array(gpu.image_ops(arch.Gpu, n, vec(x), *conv, *pool))
    np.testing.assert_array_equal(cuda.view(np.uint32), cpu.view(np.uint32))


def test_fresh_fully_connected_layers_stay_a_clear_error_on_the_gpu(gpu):
    """FRESH runs on the GPU as CONV filters (made whole); a fully connected FRESH layer names the limit."""
    import tmva_hashednet as t

    with pytest.raises(ValueError, match="FRESH .*only as the filters of a CONV layer"):
        net = t.HashedNetwork(36, "TANH|8,LINEAR", compression=1 / 4, hash_mode="FRESH", fresh_slice="3x3",
                              device="cuda")  # fmt: skip
        net.predict(np.zeros((2, 36), dtype=np.float32))


# ---------------------------------------------------------------- BNORM

# (input layout or None, Layout): BNORM per value after DENSE and first, per channel after CONV and MAXPOOL
BNORMS = {
    "after-dense": (None, "DENSE|40|TANH,BNORM,DENSE|30|SIGMOID,BNORM|0.9|0.01,LINEAR"),
    "first": (None, "BNORM|-1|1e-3,TANH|20,LINEAR"),
    "after-conv": ("2|14|14", "CONV|6|3|3|1|1|1|1|TANH,BNORM|0.5,MAXPOOL|2|2|2|2,BNORM,RESHAPE|FLAT,BNORM,"
                              "DENSE|{k}|LINEAR"),
}


def bnorm_pair(case: str, task: str):
    import tmva_hashednet as t

    image, layout = BNORMS[case]
    n_in = int(np.prod([int(v) for v in image.split("|")])) if image else 37
    options = dict(input_layout=image) if image else {}
    cpu = t.HashedNetwork(n_in, layout.format(k=TASKS[task]), task=task, n_outputs=TASKS[task], seed=7,
                          compression=1 / 4, **options)  # fmt: skip
    return cpu, t.HashedNetwork.from_text(cpu.to_text(), device="cuda"), n_in


@pytest.mark.parametrize("task", ["classification", "multiclass"])
@pytest.mark.parametrize("case", list(BNORMS))
def test_bnorm_predict_loss_and_gradient_match_the_cpu(gpu, case, task):
    """Tolerances as for dense networks; BNORM's own statistics agree to one float ulp (test_gpu_whole_ops.py)."""
    cpu, cuda, n_in = bnorm_pair(case, task)
    for batch in (2, 33, 300):
        x, y, w = random_events(np.random.default_rng(batch), batch, n_in, task, TASKS[task])
        np.testing.assert_allclose(cuda.predict(x), cpu.predict(x), rtol=1e-4, atol=1e-5)
        (l_cpu, g_cpu), (l_gpu, g_gpu) = cpu.gradient(x, y, w), cuda.gradient(x, y, w)
        np.testing.assert_allclose(l_gpu, l_cpu, rtol=1e-4)
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("case", list(BNORMS))
def test_bnorm_training_matches_the_cpu(gpu, case):
    """Two epochs: the running statistics (committed after each step) and every parameter as on the CPU."""
    from tmva_hashednet import TrainingConfig

    cpu, cuda, n_in = bnorm_pair(case, "classification")
    x, y, w = random_events(np.random.default_rng(8), 300, n_in, "classification", 1)
    config = TrainingConfig(max_epochs=2, batch_size=32, seed=4, optimizer="ADAM")
    for net in (cpu, cuda):
        net.fit(x, y, w, validation_fraction=0.2, training=config, verbose=False)
    np.testing.assert_allclose(cuda.params, cpu.params, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------- CuPy in and out


@pytest.fixture(scope="module")
def cupy(gpu):
    return pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'tmva-hashednet[gpu]')")


@pytest.mark.parametrize("task", list(TASKS))
def test_cupy_predict_returns_cupy_without_host_copies(cupy, task):
    cpu, cuda = pair("block", task)
    x, _, _ = random_events(np.random.default_rng(1), 1000, 37, task, TASKS[task])
    out = cuda.predict(cupy.asarray(x))
    assert isinstance(out, cupy.ndarray) and out.dtype == cupy.float32
    np.testing.assert_allclose(out.get(), cpu.predict(x), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(out.get(), cuda.predict(x))  # the host path computes the same


def test_cupy_fit_equals_numpy_fit(cupy):
    from tmva_hashednet import TrainingConfig

    _, a = pair("element", "classification")
    b = type(a).from_text(a.to_text(), device="cuda")
    x, y, w = random_events(np.random.default_rng(6), 500, 37, "classification", 1)
    config = TrainingConfig(max_epochs=2, batch_size=64, seed=3)
    a.fit(x, y, w, training=config, verbose=False)
    b.fit(cupy.asarray(x), cupy.asarray(y), cupy.asarray(w), training=config, verbose=False)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-5, atol=1e-6)


def test_cupy_errors_name_the_problem(cupy):
    _, cuda = pair("dense", "classification")
    x = cupy.zeros((10, 37), dtype=cupy.float32)
    with pytest.raises(TypeError, match="float32"):
        cuda.predict(x.astype(cupy.float64))
    with pytest.raises(ValueError, match="C-contiguous"):
        cuda.predict(cupy.zeros((37, 10), dtype=cupy.float32).T)
    x[3, 4] = cupy.nan
    with pytest.raises(ValueError, match=r"x holds nan at \(3, 4\)"):
        cuda.predict(x)
    with pytest.raises(ValueError, match="labels must be the integers 0..1"):
        cuda.fit(cupy.zeros((10, 37), dtype=cupy.float32), cupy.full(10, 2, dtype=cupy.float32), verbose=False)


def test_parameters_device_is_a_live_view(cupy):
    _, cuda = pair("element", "regression")
    view = cuda.parameters_device()
    assert isinstance(view, cupy.ndarray) and view.size == cuda.n_params
    np.testing.assert_array_equal(view.get(), cuda.params)
    view *= 2
    np.testing.assert_array_equal(cuda.params, view.get())


def test_cupy_partial_fit_and_fit_stream_equal_numpy(cupy):
    """Device chunks train as host chunks do (the same kernels after the gather; within float rounding)."""
    from tmva_hashednet import TrainingConfig

    _, a = pair("block", "multiclass")
    b, c = (type(a).from_text(a.to_text(), device="cuda") for _ in range(2))
    x, y, w = random_events(np.random.default_rng(12), 400, 37, "multiclass", TASKS["multiclass"])
    config = TrainingConfig(batch_size=50, seed=2, optimizer="ADAM")
    chunks = [(x[:250], y[:250], w[:250]), (x[250:], y[250:], w[250:])]
    device_chunks = [tuple(cupy.asarray(v) for v in chunk) for chunk in chunks]
    a.standardize_inputs(x[:250], w[:250])
    b.standardize_inputs(*device_chunks[0][::2])
    np.testing.assert_allclose(b.predict(x), a.predict(x), rtol=1e-5, atol=1e-6)  # the same transform
    losses = [(a.partial_fit(*h, training=config), b.partial_fit(*d, training=config))
              for h, d in zip(chunks, device_chunks)]  # fmt: skip
    np.testing.assert_allclose(np.array(losses)[:, 1], np.array(losses)[:, 0], rtol=1e-5)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-5, atol=1e-6)
    history = c.fit_stream(device_chunks, training=config, standardize="first_chunk", verbose=False)
    np.testing.assert_allclose(c.params, b.params, rtol=1e-5, atol=1e-6)
    assert len(history.chunks) == 2
