// blas.h: the sgemm (and the sgemv) the CPU backend uses, row-major, and the
// BLAS thread count. The library is chosen at build time (HASHEDNET_BLAS in CMake).
#ifndef HASHEDNET_SRC_BLAS_H
#define HASHEDNET_SRC_BLAS_H

#include <cstdint>

namespace hashednet {
namespace blas {

enum class Op { N, T };

/// C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, row-major.
void sgemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float *a,
           std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c, std::int64_t ldc);

/// y (m) = alpha * A (m x n, row-major, leading dimension lda) x (n) + beta * y.
void sgemv(std::int64_t m, std::int64_t n, float alpha, const float *a, std::int64_t lda, const float *x, float beta,
           float *y);

/// Threads BLAS itself may use inside one call. The backend threads over
/// tiles and sets this to 1.
void set_num_threads(int n);

/// Name of the BLAS linked in, for reports.
const char *name();

} // namespace blas
} // namespace hashednet

#endif // HASHEDNET_SRC_BLAS_H
