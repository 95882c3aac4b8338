# HASHEDNET_SANITIZE and HASHEDNET_FUZZ: compile and link flags for every
# target of this directory tree (the core, the C++ tests, the fuzz targets).
#
# HASHEDNET_SANITIZE=address,undefined (any -fsanitize= list; OFF, the
# default, adds nothing) builds with the sanitizers, frame pointers kept and
# no recovery, so the first report ends the program with a non-zero code.
# HASHEDNET_FUZZ adds libFuzzer's coverage instrumentation (clang only); the
# fuzz targets link libFuzzer's main themselves (tests/fuzz/CMakeLists.txt).
string(TOUPPER "${HASHEDNET_SANITIZE}" _hn_sanitize_upper)
if(NOT _hn_sanitize_upper MATCHES "^(OFF|NO|FALSE|0|)$")
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "HASHEDNET_SANITIZE=${HASHEDNET_SANITIZE} needs GCC or clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=${HASHEDNET_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${HASHEDNET_SANITIZE})
  message(STATUS "hashednet: sanitizers ${HASHEDNET_SANITIZE}")
endif()
if(HASHEDNET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HASHEDNET_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
                        "configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
