# The CUDA kernels library (issue 10): hashednet_cuda, built only when asked.
#
# HASHEDNET_CUDA
#   OFF   (default) nothing of CUDA is looked for or built: a CPU-only build,
#         and `pip install`, is exactly today's, in today's time. (AUTO is
#         not the default because nvcc is often installed on machines without
#         a GPU, where it would add minutes of fat-binary compilation to
#         every install.)
#   AUTO  build hashednet_cuda when a CUDA compiler and cuBLAS are found,
#         else say why and build the rest.
#   ON    build it; a missing CUDA compiler or cuBLAS is a configure error.
# From pip: pip install . -Ccmake.define.HASHEDNET_CUDA=ON
#
# HASHEDNET_CUDA_ARCHITECTURES: a fat binary of real code (SASS) for every
# architecture nvcc 13 targets, sm_75 to sm_121, plus PTX of the newest
# (compute_121), which the driver compiles for any later GPU. An explicit
# list: "native" fails on a machine without a GPU.
#
# cuBLAS: from the PyPI wheel nvidia-cublas (nvidia/cu13/{include,lib} in
# site-packages, found through Python_EXECUTABLE), or HASHEDNET_CUBLAS_ROOT
# (a folder with include/cublas_v2.h and lib/libcublas.so*), or the CUDA
# toolkit's.
#
# The target: hashednet_cuda, a shared library linking hashednet, cuBLAS and
# the static CUDA runtime; the core (hashednet) never links CUDA. The CUDA
# backend adds its sources to it with target_sources(hashednet_cuda ...).
# HASHEDNET_CUDA_ENABLED tells whether it exists.
set(HASHEDNET_CUDA "OFF" CACHE STRING "Build the CUDA kernels library hashednet_cuda: OFF, AUTO or ON")
set_property(CACHE HASHEDNET_CUDA PROPERTY STRINGS OFF AUTO ON)
set(HASHEDNET_CUDA_ARCHITECTURES "75-real;80-real;86-real;87-real;88-real;89-real;90-real;100-real;103-real;110-real;120-real;121"
    CACHE STRING "CUDA architectures of hashednet_cuda (the last one also as PTX)")
set(HASHEDNET_CUBLAS_ROOT "" CACHE PATH "A folder with include/cublas_v2.h and lib/libcublas.so* (default: the nvidia-cublas wheel, then the CUDA toolkit)")
set(HASHEDNET_CUDA_ENABLED OFF)

string(TOUPPER "${HASHEDNET_CUDA}" hashednet_cuda_mode)
if(NOT hashednet_cuda_mode MATCHES "^(OFF|AUTO|ON)$")
  message(FATAL_ERROR "HASHEDNET_CUDA must be OFF, AUTO or ON, got '${HASHEDNET_CUDA}'")
endif()

function(hashednet_cuda_unavailable reason)
  if(hashednet_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "HASHEDNET_CUDA=ON but ${reason}")
  endif()
  message(STATUS "hashednet_cuda not built (HASHEDNET_CUDA=AUTO): ${reason}")
endfunction()

function(hashednet_find_cublas)
  set(hints "")
  if(HASHEDNET_CUBLAS_ROOT)
    list(APPEND hints "${HASHEDNET_CUBLAS_ROOT}")
  endif()
  if(NOT Python_EXECUTABLE)
    find_package(Python COMPONENTS Interpreter QUIET)
  endif()
  if(Python_EXECUTABLE)
    execute_process(
      COMMAND "${Python_EXECUTABLE}" -c "import nvidia.cu13; print(list(nvidia.cu13.__path__)[0])"
      OUTPUT_VARIABLE wheel_root OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
    if(NOT failed AND wheel_root)
      list(APPEND hints "${wheel_root}")
    endif()
  endif()
  list(APPEND hints ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
  find_path(HASHEDNET_CUBLAS_INCLUDE_DIR cublas_v2.h HINTS ${hints} PATH_SUFFIXES include NO_DEFAULT_PATH)
  find_library(HASHEDNET_CUBLAS_LIBRARY NAMES cublas libcublas.so.13 HINTS ${hints} PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
endfunction()

if(NOT hashednet_cuda_mode STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    hashednet_cuda_unavailable("no CUDA compiler (nvcc) was found")
  else()
    enable_language(CUDA)
    find_package(CUDAToolkit QUIET)
    hashednet_find_cublas()
    if(NOT HASHEDNET_CUBLAS_INCLUDE_DIR OR NOT HASHEDNET_CUBLAS_LIBRARY)
      hashednet_cuda_unavailable("cuBLAS was not found (pip install nvidia-cublas, or set HASHEDNET_CUBLAS_ROOT)")
    else()
      set(HASHEDNET_CUDA_ENABLED ON)
    endif()
  endif()
endif()

if(HASHEDNET_CUDA_ENABLED)
  add_library(hashednet_cuda SHARED cpp/cuda/hashed_product.cu cpp/cuda/cublas_calls.cpp cpp/cuda/product_layer.cpp)
  target_include_directories(hashednet_cuda PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/cpp/cuda> ${HASHEDNET_CUBLAS_INCLUDE_DIR}
    ${CMAKE_CUDA_TOOLKIT_INCLUDE_DIRECTORIES}) # cuda_runtime_api.h for the host compiler's .cpp files
  target_link_libraries(hashednet_cuda PUBLIC hashednet ${HASHEDNET_CUBLAS_LIBRARY})
  get_filename_component(hashednet_cublas_libdir "${HASHEDNET_CUBLAS_LIBRARY}" DIRECTORY)
  # the installed wheel: tmva_hashednet/lib -> site-packages/nvidia/cu13/lib
  set_target_properties(hashednet_cuda PROPERTIES
    CUDA_ARCHITECTURES "${HASHEDNET_CUDA_ARCHITECTURES}"
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    CUDA_RUNTIME_LIBRARY Static
    BUILD_RPATH "${hashednet_cublas_libdir}"
    INSTALL_RPATH "$ORIGIN;$ORIGIN/../../nvidia/cu13/lib;${hashednet_cublas_libdir}")
  # nvcc compiles the host code of .cu files too: the same warnings as the core
  target_compile_options(hashednet_cuda PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
                                                $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
  message(STATUS "hashednet_cuda: CUDA ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${HASHEDNET_CUDA_ARCHITECTURES}, cuBLAS ${HASHEDNET_CUBLAS_LIBRARY}")
endif()
