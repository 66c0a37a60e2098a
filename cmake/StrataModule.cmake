# strata_module(<folder> [SOURCES ...] [DEPS strata_x ...] [LIBS ...])
#
# Defines the library target strata_<folder> for one top-level module.
#
# How the dependency direction is enforced: a module does not get the
# repository root on its include path. Instead each module publishes a
# "view" directory, build/views/<folder>/, that holds one symlink,
# <folder> -> <source>/<folder>. A target sees the views of itself and of
# the modules it links (transitively, because headers include headers), so
# `#include "index/labels.h"` compiles in engine/ (which links strata_index)
# and fails with "No such file" in wal/ (which does not). The include-lint
# test (tests/include_lint_test.py) checks the same table textually.
# The views are build-tree paths (BUILD_INTERFACE): an installed module
# library exports no include directory, since only include/strata/ is
# installed (cmake/StrataInstall.cmake).
function(strata_module folder)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;LIBS" ${ARGN})
  set(view ${CMAKE_BINARY_DIR}/views/${folder})
  file(MAKE_DIRECTORY ${view})
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${folder} ${view}/${folder} SYMBOLIC)
  set(target strata_${folder})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${view}>)
    target_link_libraries(${target} PUBLIC ${M_DEPS} ${M_LIBS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE $<BUILD_INTERFACE:${view}>)
    target_link_libraries(${target} INTERFACE ${M_DEPS} ${M_LIBS})
  endif()
endfunction()

# strata_test(<name> SOURCES ... DEPS ... [LABELS ...])
# One gtest binary per module; tests are discovered so ctest lists each case.
function(strata_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
      STRATA_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  set(props "")
  if(T_LABELS)
    set(props PROPERTIES LABELS "${T_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 ${props})
endfunction()
