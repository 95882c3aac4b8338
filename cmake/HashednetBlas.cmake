# Defines the interface target hashednet_blas for the BLAS chosen by HASHEDNET_BLAS.
#
# scipy-openblas32 (default) comes from PyPI, so `pip install` brings it: its
# headers and library are located through the Python module. The core library
# finds it at run time next to itself in site-packages ($ORIGIN rpath) or, in a
# build tree, at the absolute path it was built against; the Python package
# also preloads it.
add_library(hashednet_blas INTERFACE)

if(HASHEDNET_BLAS STREQUAL "scipy-openblas32")
  find_package(Python COMPONENTS Interpreter REQUIRED)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c
            "import scipy_openblas32 as s; print(s.get_include_dir()); print(s.get_lib_dir()); print(s.get_library())"
    OUTPUT_VARIABLE _hn_blas_out RESULT_VARIABLE _hn_blas_rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _hn_blas_rc EQUAL 0)
    message(FATAL_ERROR
      "HASHEDNET_BLAS=scipy-openblas32 but the Python module scipy_openblas32 is not importable by "
      "${Python_EXECUTABLE}. Install it (pip install scipy-openblas32) or configure with "
      "-DHASHEDNET_BLAS=openblas to use a system CBLAS.")
  endif()
  string(REPLACE "\n" ";" _hn_blas_list "${_hn_blas_out}")
  list(GET _hn_blas_list 0 HASHEDNET_BLAS_INCLUDE_DIR)
  list(GET _hn_blas_list 1 HASHEDNET_BLAS_LIB_DIR)
  list(GET _hn_blas_list 2 _hn_blas_name)
  find_library(HASHEDNET_BLAS_LIBRARY NAMES ${_hn_blas_name} PATHS "${HASHEDNET_BLAS_LIB_DIR}" NO_DEFAULT_PATH REQUIRED)
  target_include_directories(hashednet_blas INTERFACE "${HASHEDNET_BLAS_INCLUDE_DIR}")
  target_link_libraries(hashednet_blas INTERFACE "${HASHEDNET_BLAS_LIBRARY}")
  target_compile_definitions(hashednet_blas INTERFACE HASHEDNET_BLAS_SCIPY_OPENBLAS)
  # installed wheel: scipy_openblas32 sits beside tmva_hashednet in site-packages
  set(HASHEDNET_BLAS_RPATH "$ORIGIN/../../scipy_openblas32/lib")
  if(NOT SKBUILD)
    list(APPEND HASHEDNET_BLAS_RPATH "${HASHEDNET_BLAS_LIB_DIR}")
  endif()
elseif(HASHEDNET_BLAS STREQUAL "openblas")
  find_path(HASHEDNET_BLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas REQUIRED)
  find_library(HASHEDNET_BLAS_LIBRARY NAMES openblas REQUIRED)
  target_include_directories(hashednet_blas INTERFACE "${HASHEDNET_BLAS_INCLUDE_DIR}")
  target_link_libraries(hashednet_blas INTERFACE "${HASHEDNET_BLAS_LIBRARY}")
  set(HASHEDNET_BLAS_RPATH "")
else()
  message(FATAL_ERROR "HASHEDNET_BLAS='${HASHEDNET_BLAS}' is not supported; allowed: scipy-openblas32, openblas")
endif()
message(STATUS "hashednet: BLAS ${HASHEDNET_BLAS}: ${HASHEDNET_BLAS_LIBRARY}")

set(CMAKE_BUILD_RPATH "${HASHEDNET_BLAS_LIB_DIR}")
set(CMAKE_INSTALL_RPATH "${HASHEDNET_BLAS_RPATH}")
