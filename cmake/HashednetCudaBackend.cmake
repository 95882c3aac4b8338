# The CUDA backend (issue 10): its sources join the hashednet_cuda library
# that cmake/HashednetCuda.cmake defines (the hashed-product kernels, the
# HASHEDNET_CUDA option, cuBLAS, the architectures, the static CUDA runtime).
# Included after it; does nothing unless HASHEDNET_CUDA_ENABLED.
#
# The library is libhashednet_cuda.so next to libhashednet.so: the core opens
# it at make_backend(GPU) (cpp/src/device.cpp) and finds these files' C entry
# points (cpp/src/cuda_entry.h); the core itself never links CUDA.
if(HASHEDNET_CUDA_ENABLED)
  target_sources(hashednet_cuda PRIVATE
    cpp/cuda/backend_kernels.cu
    cpp/cuda/batch_norm_kernels.cu
    cpp/cuda/cuda_backend.cu
    cpp/cuda/cuda_entry.cu
    cpp/cuda/cuda_optimizers.cu
    cpp/cuda/image_kernels.cu
    cpp/cuda/whole_matrix.cu)
  # elementwise.h's float updates (transform, dropout, SGD, Adam, activations),
  # BNORM's per-value formulas and FRESH's inverse DCT give the CPU's bits
  # only without contraction into FMA.
  set_source_files_properties(cpp/cuda/backend_kernels.cu cpp/cuda/batch_norm_kernels.cu cpp/cuda/image_kernels.cu
    cpp/cuda/whole_matrix.cu PROPERTIES COMPILE_OPTIONS "-fmad=false")
endif()
