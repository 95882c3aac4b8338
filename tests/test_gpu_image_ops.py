"""The CUDA backend's image-layer kernels (cpp/cuda/image_kernels.cu) as the
host runs them: each kernel is a grid-stride loop whose thread for output
value i computes image_gather.h's value i and nothing else, so running that
function for every i (here in reverse order, as if the threads ran in any
order) is what the kernel's grid computes. Compared bit for bit with the CPU
backend's im2col, col2im, transpose_blocks and max pooling (host_image_ops.cpp)
at shapes with padding, strides, non-square and overlapping windows, several
channels and images.

What this proves: the index math and the order of every sum of the GPU's
image kernels equal the CPU backend's. What it does not: the launch (grid
shape, int64 strides on the device), the device's memory, or a GPU run
(tests/test_gpu.py, marked gpu, does that)."""

from __future__ import annotations

import numpy as np
import pytest

HELPERS = r"""
#include "hashednet/backend.h"
#include "hashednet/image_gather.h"
#include <vector>
namespace gpu_image_test {
using namespace hashednet;
inline ImageWindow window(std::int64_t depth, std::int64_t height, std::int64_t width, std::int64_t fh,
                          std::int64_t fw, std::int64_t sr, std::int64_t sc, std::int64_t pr, std::int64_t pc)
{
   ImageWindow w;
   w.depth = depth; w.height = height; w.width = width; w.fh = fh; w.fw = fw;
   w.stride_rows = sr; w.stride_cols = sc; w.pad_rows = pr; w.pad_cols = pc;
   return w;
}
/// The five operations on the CPU backend, then each value by image_gather.h (every index, last first).
struct Results {
   std::vector<float> cpu_cols, cols, cpu_dx, dx, cpu_t, t, cpu_pool, pool, cpu_argmax, argmax, cpu_pool_dx, pool_dx;
};
inline Results run(const ImageWindow &w, const ImageWindow &pool_window, std::int64_t n, const std::vector<float> &x,
                   const std::vector<float> &cols_in, const std::vector<float> &dy)
{
   auto cpu = make_backend(Architecture::Cpu, 1);
   Results r;
   const std::int64_t n_cols = n * w.positions() * w.patch(), n_x = n * w.image_size();
   r.cpu_cols.resize(n_cols); r.cols.resize(n_cols);
   cpu->im2col(w, x.data(), n, r.cpu_cols.data());
   for (std::int64_t i = n_cols - 1; i >= 0; --i) r.cols[i] = image_gather::im2col_value(w, x.data(), i);
   r.cpu_dx.resize(n_x); r.dx.resize(n_x);
   cpu->col2im(w, cols_in.data(), n, r.cpu_dx.data());
   for (std::int64_t i = n_x - 1; i >= 0; --i) r.dx[i] = image_gather::col2im_value(w, cols_in.data(), i);
   const std::int64_t rows = w.positions(), columns = w.patch();
   r.cpu_t.resize(n_cols); r.t.resize(n_cols);
   cpu->transpose_blocks(cols_in.data(), n, rows, columns, r.cpu_t.data());
   for (std::int64_t i = n_cols - 1; i >= 0; --i)
      r.t[i] = image_gather::transpose_value(cols_in.data(), rows, columns, i);
   const std::int64_t n_pool = n * pool_window.depth * pool_window.positions();
   r.cpu_pool.resize(n_pool); r.pool.resize(n_pool); r.cpu_argmax.resize(n_pool); r.argmax.resize(n_pool);
   cpu->max_pool_forward(pool_window, x.data(), n, r.cpu_pool.data(), r.cpu_argmax.data());
   for (std::int64_t i = n_pool - 1; i >= 0; --i) {
      std::int64_t best = -1;
      r.pool[i] = image_gather::max_pool_value(pool_window, x.data(), i, best);
      r.argmax[i] = static_cast<float>(best);
   }
   r.cpu_pool_dx.resize(n_x); r.pool_dx.resize(n_x);
   cpu->max_pool_backward(pool_window, dy.data(), r.cpu_argmax.data(), n, r.cpu_pool_dx.data());
   for (std::int64_t i = n_x - 1; i >= 0; --i)
      r.pool_dx[i] = image_gather::max_pool_grad_value(pool_window, dy.data(), r.argmax.data(), i);
   return r;
}
} // namespace gpu_image_test
"""

# (depth, height, width, fh, fw, stride rows, stride cols, pad rows, pad cols)
WINDOWS = {
    "3x3 pad 1": (2, 7, 6, 3, 3, 1, 1, 1, 1),
    "5x2 stride 2x3 pad 2x1": (3, 9, 11, 5, 2, 2, 3, 2, 1),
    "1x1": (4, 3, 5, 1, 1, 1, 1, 0, 0),
    "window as large as the image": (1, 4, 4, 4, 4, 1, 1, 0, 0),
    "pad larger than stride": (2, 5, 5, 3, 4, 3, 2, 2, 3),
}
# pooling windows (no padding), with overlap (stride < window) and without
POOLS = {
    "2x2 stride 2": (2, 2, 2, 2),
    "3x3 stride 1 (overlapping)": (3, 3, 1, 1),
    "3x2 stride 2x1": (3, 2, 2, 1),
}


@pytest.fixture(scope="module")
def gather(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare(HELPERS)
    return ROOT.gpu_image_test


def _vector(values):
    import ROOT

    return ROOT.std.vector["float"](np.asarray(values, dtype=np.float32).tolist())


def _bits(values) -> np.ndarray:
    return np.asarray(list(values), dtype=np.float32).view(np.uint32)


@pytest.mark.parametrize("pool", list(POOLS), ids=list(POOLS))
@pytest.mark.parametrize("shape", list(WINDOWS), ids=list(WINDOWS))
def test_every_thread_of_the_image_kernels_computes_the_cpu_value(gather, shape, pool):
    depth, height, width, fh, fw, sr, sc, pr, pc = WINDOWS[shape]
    pfh, pfw, psr, psc = POOLS[pool]
    if pfh > height or pfw > width:
        pytest.skip("the pooling window does not fit the image")
    n = 3
    window = gather.window(depth, height, width, fh, fw, sr, sc, pr, pc)
    pool_window = gather.window(depth, height, width, pfh, pfw, psr, psc, 0, 0)
    rng = np.random.default_rng(sum(WINDOWS[shape]) + sum(POOLS[pool]))
    # Rounded to a few values so that the pooling windows hold ties (the first maximal tap wins).
    x = rng.integers(-3, 4, n * window.image_size()).astype(np.float32) * np.float32(0.5)
    cols = rng.normal(size=n * window.positions() * window.patch()).astype(np.float32)
    dy = rng.normal(size=n * pool_window.depth * pool_window.positions()).astype(np.float32)
    r = gather.run(window, pool_window, n, _vector(x), _vector(cols), _vector(dy))
    for name in ("cols", "dx", "t", "pool", "argmax", "pool_dx"):
        cpu, device = _bits(getattr(r, "cpu_" + name)), _bits(getattr(r, name))
        assert len(cpu) == len(device) > 0, name
        np.testing.assert_array_equal(device, cpu, err_msg=name)
    # The test sees something: padding zeros, overlapping sums and ties are present.
    assert np.count_nonzero(np.asarray(list(r.cols)) == 0) > 0
