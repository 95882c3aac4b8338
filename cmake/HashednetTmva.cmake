# The TMVA method: target TMVAHashedDNN (libTMVAHashedDNN.so + rootmap + pcm).
#
# HASHEDNET_TMVA=AUTO builds it when a TMVA is found and otherwise says why
# not and goes on; ON makes a missing TMVA an error; OFF skips it.
#
# Where TMVA is looked for, in order:
#   1. HASHEDNET_TMVA_PREFIX (CMake variable) or the environment variable
#      TMVA_HASHEDNET_TMVA_PREFIX: a prefix with include/TMVA/MethodBase.h and
#      lib/libTMVA.so (e.g. a TMVA built outside ROOT);
#   2. ROOT's own include/TMVA and lib/libTMVA.so.
# ROOT itself is found through `root-config --prefix` or, failing that, the
# location of the Python module ROOT. ROOT's CMake export is not used (it is
# broken in the PyPI wheel): headers and libraries are found with
# find_path/find_library and rootcling is run directly. The dictionary is
# needed because ROOT's plugin manager finds constructors through cling.
set(HASHEDNET_TMVA "AUTO" CACHE STRING "Build the TMVA method: AUTO, ON or OFF")
set_property(CACHE HASHEDNET_TMVA PROPERTY STRINGS AUTO ON OFF)
set(HASHEDNET_TMVA_PREFIX "" CACHE PATH
    "Prefix of a TMVA outside ROOT (include/TMVA, lib/libTMVA.so); empty: ROOT's own TMVA")

# What was decided is also written to ${HASHEDNET_TMVA_STATUS_FILE}, installed
# next to the core library: `python -m tmva_hashednet info` prints it (pip
# shows no CMake output unless run with -v).
set(HASHEDNET_TMVA_STATUS_FILE "${CMAKE_BINARY_DIR}/hashednet_tmva_method.txt")

function(hashednet_tmva_status built detail)
  file(WRITE "${HASHEDNET_TMVA_STATUS_FILE}" "built: ${built}\ndetail: ${detail}\n")
endfunction()

function(hashednet_tmva_skip reason)
  if(HASHEDNET_TMVA STREQUAL "ON")
    message(FATAL_ERROR "hashednet: TMVA method not built: ${reason} (HASHEDNET_TMVA=ON)")
  endif()
  hashednet_tmva_status(no "${reason}")
  set(text "hashednet: TMVA method: not built (${reason}); the Python package's compatible workflow \
(tmva_hashednet.tmva) is used. To build the method against a ROOT with TMVA, see README.md, 'Build the TMVA \
method against your ROOT'; `python -m tmva_hashednet info` shows this later.")
  if(SKBUILD)
    message(WARNING "${text}") # shown by `pip install -v`; pip hides the build's output otherwise
  else()
    message(STATUS "${text}")
  endif()
endfunction()

function(hashednet_find_root_prefix out)
  find_program(HASHEDNET_ROOT_CONFIG root-config)
  if(HASHEDNET_ROOT_CONFIG)
    execute_process(COMMAND "${HASHEDNET_ROOT_CONFIG}" --prefix OUTPUT_VARIABLE prefix
                    OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND EXISTS "${prefix}/include/TROOT.h")
      set(${out} "${prefix}" PARENT_SCOPE)
      return()
    endif()
  endif()
  if(NOT Python_EXECUTABLE)
    find_package(Python COMPONENTS Interpreter QUIET)
  endif()
  if(Python_EXECUTABLE)
    # find_spec does not start ROOT's interpreter: quick and quiet.
    execute_process(
      COMMAND "${Python_EXECUTABLE}" -c
              "import importlib.util as u; s = u.find_spec('ROOT'); print(s.submodule_search_locations[0] if s else '')"
      OUTPUT_VARIABLE prefix OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND EXISTS "${prefix}/include/TROOT.h")
      set(${out} "${prefix}" PARENT_SCOPE)
      return()
    endif()
  endif()
  set(${out} "" PARENT_SCOPE)
endfunction()

function(hashednet_add_tmva_method)
  if(HASHEDNET_TMVA STREQUAL "OFF")
    hashednet_tmva_status(no "HASHEDNET_TMVA=OFF")
    message(STATUS "hashednet: TMVA method not built: HASHEDNET_TMVA=OFF")
    return()
  endif()

  # ROOT: headers, libraries, rootcling.
  hashednet_find_root_prefix(root_prefix)
  if(NOT root_prefix)
    hashednet_tmva_skip("ROOT not found (no root-config on PATH, no Python module ROOT)")
    return()
  endif()
  find_program(HASHEDNET_ROOTCLING rootcling HINTS "${root_prefix}/bin" NO_DEFAULT_PATH)
  if(NOT HASHEDNET_ROOTCLING)
    hashednet_tmva_skip("ROOT at ${root_prefix} has no bin/rootcling")
    return()
  endif()
  set(root_libs)
  foreach(lib Core RIO Hist Tree Matrix MathCore XMLIO)
    find_library(HASHEDNET_ROOT_${lib} ${lib} HINTS "${root_prefix}/lib" NO_DEFAULT_PATH)
    if(NOT HASHEDNET_ROOT_${lib})
      hashednet_tmva_skip("ROOT at ${root_prefix} has no lib${lib}")
      return()
    endif()
    list(APPEND root_libs "${HASHEDNET_ROOT_${lib}}")
  endforeach()

  # TMVA: an explicit prefix, else ROOT's own.
  if(HASHEDNET_TMVA_PREFIX)
    set(tmva_prefix "${HASHEDNET_TMVA_PREFIX}")
    set(tmva_origin "HASHEDNET_TMVA_PREFIX=${HASHEDNET_TMVA_PREFIX}")
  elseif(DEFINED ENV{TMVA_HASHEDNET_TMVA_PREFIX} AND NOT "$ENV{TMVA_HASHEDNET_TMVA_PREFIX}" STREQUAL "")
    set(tmva_prefix "$ENV{TMVA_HASHEDNET_TMVA_PREFIX}")
    set(tmva_origin "TMVA_HASHEDNET_TMVA_PREFIX=$ENV{TMVA_HASHEDNET_TMVA_PREFIX}")
  else()
    set(tmva_prefix "${root_prefix}")
    set(tmva_origin "ROOT at ${root_prefix}")
  endif()
  unset(HASHEDNET_TMVA_INCLUDE_DIR CACHE)
  unset(HASHEDNET_TMVA_LIBRARY CACHE)
  find_path(HASHEDNET_TMVA_INCLUDE_DIR TMVA/MethodBase.h HINTS "${tmva_prefix}/include" NO_DEFAULT_PATH)
  find_library(HASHEDNET_TMVA_LIBRARY TMVA HINTS "${tmva_prefix}/lib" NO_DEFAULT_PATH)
  if(NOT HASHEDNET_TMVA_INCLUDE_DIR OR NOT HASHEDNET_TMVA_LIBRARY)
    hashednet_tmva_skip("${tmva_origin} has no TMVA (include/TMVA/MethodBase.h and lib/libTMVA.so)")
    return()
  endif()
  get_filename_component(tmva_libdir "${HASHEDNET_TMVA_LIBRARY}" DIRECTORY)
  set(includes "${HASHEDNET_TMVA_INCLUDE_DIR}" "${root_prefix}/include")
  list(REMOVE_DUPLICATES includes)

  # Compatibility (TMVA 4.2.1 of 2015 .. newest ROOT): detected here, used in
  # cpp/tmva/*.cxx. Types::Instance() exists in TMVA 4.2.1 and ROOT 6.x up to
  # at least 6.26, not in the newest ROOT; MethodBase::fTrainHistory exists
  # from ROOT 6.20 on. MethodBase.h must compile on its own first: otherwise
  # both tests would fail for an unrelated reason and silently select the
  # wrong code paths.
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_INCLUDES ${includes})
  set(CMAKE_REQUIRED_FLAGS "-std=c++17")
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  unset(HASHEDNET_TMVA_HEADERS_COMPILE CACHE)
  unset(HASHEDNET_TMVA_TYPES_IS_CLASS CACHE)
  unset(HASHEDNET_TMVA_HAS_TRAIN_HISTORY CACHE)
  check_cxx_source_compiles("#include \"TMVA/MethodBase.h\"\nvoid f(TMVA::MethodBase &m) { (void)m.GetName(); }"
                            HASHEDNET_TMVA_HEADERS_COMPILE)
  if(NOT HASHEDNET_TMVA_HEADERS_COMPILE)
    hashednet_tmva_skip("TMVA/MethodBase.h from ${tmva_origin} does not compile with -std=c++17 and "
                        "-I${HASHEDNET_TMVA_INCLUDE_DIR} -I${root_prefix}/include (see the try_compile "
                        "log in ${CMAKE_BINARY_DIR}/CMakeFiles)")
    return()
  endif()
  check_cxx_source_compiles("#include \"TMVA/Types.h\"\nvoid f() { (void)TMVA::Types::Instance().AddTypeMapping(TMVA::Types::kPlugins, \"x\"); }"
                            HASHEDNET_TMVA_TYPES_IS_CLASS)
  check_cxx_source_compiles("#include \"TMVA/MethodBase.h\"\nvoid f(TMVA::MethodBase &m) { m.fTrainHistory.AddValue(\"trainingError\", 1, 0.5); }"
                            HASHEDNET_TMVA_HAS_TRAIN_HISTORY)
  # MethodBase::GetMvaValues(first, last, logProgress) came after TMVA 4.2.1; the ROOT version cannot tell
  # (TMVA 4.2.1 builds against ROOT 6.40), so the header is asked. rootcling gets it too (the header uses it).
  unset(HASHEDNET_TMVA_HAS_GET_MVA_VALUES CACHE)
  check_cxx_source_compiles("#include \"TMVA/MethodBase.h\"\nvoid f(TMVA::MethodBase &m) { (void)m.GetMvaValues(0, 1, false); }"
                            HASHEDNET_TMVA_HAS_GET_MVA_VALUES)
  if(HASHEDNET_TMVA_HAS_GET_MVA_VALUES)
    set(get_mva_values 1)
  else()
    set(get_mva_values 0)
  endif()
  set(compat_defs
      HASHEDNET_TMVA_TYPES_IS_CLASS=$<BOOL:${HASHEDNET_TMVA_TYPES_IS_CLASS}>
      HASHEDNET_TMVA_HAS_TRAIN_HISTORY=$<BOOL:${HASHEDNET_TMVA_HAS_TRAIN_HISTORY}>
      HASHEDNET_TMVA_HAS_GET_MVA_VALUES=${get_mva_values})

  # The dictionary (the header is inlined, so no header needs to be installed for cling).
  set(out_dir "${CMAKE_BINARY_DIR}/tmva")
  set(src "${PROJECT_SOURCE_DIR}/cpp/tmva")
  set(dict "${out_dir}/G__TMVAHashedDNN.cxx")
  set(include_flags)
  foreach(dir ${includes})
    list(APPEND include_flags "-I${dir}")
  endforeach()
  add_custom_command(
    OUTPUT "${dict}" "${out_dir}/libTMVAHashedDNN.rootmap" "${out_dir}/libTMVAHashedDNN_rdict.pcm"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
    COMMAND "${HASHEDNET_ROOTCLING}" -f "${dict}" -s "${out_dir}/libTMVAHashedDNN.so"
            -rml libTMVAHashedDNN.so -rmf "${out_dir}/libTMVAHashedDNN.rootmap" -inlineInputHeader
            ${include_flags} "-I${src}" -DHASHEDNET_TMVA_HAS_GET_MVA_VALUES=${get_mva_values}
            MethodHashedDNN.h "${src}/LinkDef.h"
    DEPENDS "${src}/MethodHashedDNN.h" "${src}/LinkDef.h"
    WORKING_DIRECTORY "${src}"
    COMMENT "rootcling: dictionary of TMVA::MethodHashedDNN"
    VERBATIM)

  add_library(TMVAHashedDNN SHARED "${src}/MethodHashedDNN.cxx" "${src}/RegisterHashedDNN.cxx" "${dict}")
  target_include_directories(TMVAHashedDNN PRIVATE "${src}" ${includes})
  target_compile_definitions(TMVAHashedDNN PRIVATE ${compat_defs})
  target_compile_options(TMVAHashedDNN PRIVATE -pthread -fsized-deallocation)
  target_link_libraries(TMVAHashedDNN PRIVATE hashednet "${HASHEDNET_TMVA_LIBRARY}" ${root_libs})
  target_link_options(TMVAHashedDNN PRIVATE "LINKER:--no-undefined")
  if(EXISTS "${root_prefix}/../root.libs")
    # The wheel vendors libraries (e.g. libfreetype) that ld must see while linking.
    get_filename_component(vendored "${root_prefix}/../root.libs" ABSOLUTE)
    target_link_options(TMVAHashedDNN PRIVATE "LINKER:-rpath-link,${vendored}")
  endif()
  set_target_properties(TMVAHashedDNN PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY "${out_dir}"
    BUILD_RPATH "$<TARGET_FILE_DIR:hashednet>;${tmva_libdir};${root_prefix}/lib"
    INSTALL_RPATH "$ORIGIN;${tmva_libdir};${root_prefix}/lib")

  install(TARGETS TMVAHashedDNN LIBRARY DESTINATION ${HASHEDNET_LIB_DESTINATION})
  install(FILES "${out_dir}/libTMVAHashedDNN.rootmap" "${out_dir}/libTMVAHashedDNN_rdict.pcm"
          DESTINATION ${HASHEDNET_LIB_DESTINATION})
  install(FILES "${src}/MethodHashedDNN.h" DESTINATION ${HASHEDNET_INCLUDE_DESTINATION}/TMVA)
  hashednet_tmva_status(yes "against ${tmva_origin}")
  message(STATUS "hashednet: TMVA method TMVAHashedDNN will be built against ${tmva_origin} "
                 "(Types::Instance(): ${HASHEDNET_TMVA_TYPES_IS_CLASS}; MethodBase::fTrainHistory: "
                 "${HASHEDNET_TMVA_HAS_TRAIN_HISTORY})")
endfunction()

hashednet_add_tmva_method()
install(FILES "${HASHEDNET_TMVA_STATUS_FILE}" DESTINATION ${HASHEDNET_LIB_DESTINATION})
