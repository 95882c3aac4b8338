// blas.cpp: binds blas.h to the CBLAS chosen at build time.
//
// HASHEDNET_BLAS_SCIPY_OPENBLAS: PyPI's scipy-openblas32, whose symbols carry
// a `scipy_` prefix. Otherwise a plain CBLAS (e.g. Debian's libopenblas).
#include "blas.h"

#include "hashednet/common.h"

#include <cblas.h>
#include <limits>

#if defined(HASHEDNET_BLAS_SCIPY_OPENBLAS)
#define HASHEDNET_CBLAS(name) scipy_cblas_##name
#define HASHEDNET_BLAS_SET_THREADS scipy_openblas_set_num_threads
#define HASHEDNET_BLAS_NAME "scipy-openblas32"
#else
#define HASHEDNET_CBLAS(name) cblas_##name
#define HASHEDNET_BLAS_SET_THREADS openblas_set_num_threads
#define HASHEDNET_BLAS_NAME "openblas"
#endif

namespace hashednet {
namespace blas {

namespace {
blasint narrow(std::int64_t value)
{
   HASHEDNET_CHECK(value <= std::numeric_limits<blasint>::max(),
                   "matrix dimension " << value << " exceeds the 32-bit BLAS limit");
   return static_cast<blasint>(value);
}

CBLAS_TRANSPOSE to_cblas(Op op)
{
   return op == Op::N ? CblasNoTrans : CblasTrans;
}
} // namespace

void sgemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float *a,
           std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c, std::int64_t ldc)
{
   if (m == 0 || n == 0)
      return;
   HASHEDNET_CBLAS(sgemm)(CblasRowMajor, to_cblas(op_a), to_cblas(op_b), narrow(m), narrow(n), narrow(k), alpha, a,
                          narrow(lda), b, narrow(ldb), beta, c, narrow(ldc));
}

void sgemv(std::int64_t m, std::int64_t n, float alpha, const float *a, std::int64_t lda, const float *x, float beta,
           float *y)
{
   if (m == 0)
      return;
   HASHEDNET_CBLAS(sgemv)(CblasRowMajor, CblasNoTrans, narrow(m), narrow(n), alpha, a, narrow(lda), x, 1, beta, y, 1);
}

void set_num_threads(int n)
{
   HASHEDNET_BLAS_SET_THREADS(n);
}

const char *name()
{
   return HASHEDNET_BLAS_NAME;
}

} // namespace blas
} // namespace hashednet
