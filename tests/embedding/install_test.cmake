# cmake -DBUILD_DIR=... -DEXAMPLE_DIR=... -DWORK_DIR=... -DGENERATOR=...
#       -DMAKE_PROGRAM=... -DCXX_COMPILER=... -DBUILD_TYPE=... -P install_test.cmake
#
# What an embedder does, end to end: installs the Strata build tree into
# WORK_DIR/prefix, copies examples/embed out of the source tree, configures
# it as an outside project with find_package(Strata) and
# CMAKE_PREFIX_PATH=<prefix>, builds it with -Werror and runs it. The copy
# also compiles every installed header alone against Strata::strata, which
# proves the installed headers need nothing that is not installed.
cmake_minimum_required(VERSION 3.25)

foreach(v BUILD_DIR EXAMPLE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: -D${v}=... is required")
  endif()
endforeach()

# run(<what> <command>...): runs a command, fails the test with its output.
function(run what)
  execute_process(COMMAND ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n  ${ARGN}\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(src ${WORK_DIR}/src)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# Only the public headers are installed.
file(GLOB_RECURSE installed_headers LIST_DIRECTORIES false RELATIVE ${prefix}/include
     ${prefix}/include/*)
set(headers "")
foreach(h IN LISTS installed_headers)
  if(NOT h MATCHES "^strata/[a-z0-9_]+\\.h$")
    message(FATAL_ERROR "installed an unexpected header: include/${h}")
  endif()
  list(APPEND headers ${h})
endforeach()
if(NOT "strata/db.h" IN_LIST headers)
  message(FATAL_ERROR "strata/db.h was not installed under ${prefix}/include")
endif()
file(GLOB_RECURSE config LIST_DIRECTORIES false ${prefix}/*/StrataConfig.cmake)
if(NOT config)
  message(FATAL_ERROR "no StrataConfig.cmake under ${prefix}")
endif()

# The outside project: the example, plus one translation unit per installed
# header.
file(COPY ${EXAMPLE_DIR}/ DESTINATION ${src})
set(alone "")
foreach(h IN LISTS headers)
  string(MAKE_C_IDENTIFIER ${h} id)
  file(WRITE ${src}/alone/${id}.cc "#include \"${h}\"\n#include \"${h}\"\n")
  list(APPEND alone alone/${id}.cc)
endforeach()
list(JOIN alone " " alone)
file(APPEND ${src}/CMakeLists.txt "
# Added by tests/embedding/install_test.cmake: each installed header alone.
add_library(strata_headers_alone OBJECT ${alone})
target_link_libraries(strata_headers_alone PRIVATE Strata::strata)
")

set(configure_args -S ${src} -B ${build} -G "${GENERATOR}"
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror"
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(BUILD_TYPE)
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
run("configure the outside project" ${CMAKE_COMMAND} ${configure_args})
# It found the installed Strata, not the build tree.
file(STRINGS ${build}/CMakeCache.txt strata_dir REGEX "^Strata_DIR:")
string(FIND "${strata_dir}" "${prefix}/" at)
if(NOT at GREATER -1)
  message(FATAL_ERROR "find_package(Strata) did not use ${prefix}: ${strata_dir}")
endif()
run("build the outside project" ${CMAKE_COMMAND} --build ${build} --parallel 2)
run("run the example" ${build}/embed_example ${WORK_DIR}/data)
message(STATUS "example output: ${run_output}")
file(REMOVE_RECURSE ${WORK_DIR})
