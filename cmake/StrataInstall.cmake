# Install and export rules for embedding Strata (issue #5, docs/embedding.md).
#
# `cmake --install build --prefix <p>` installs
#   <p>/include/strata/*.h                      the public API, nothing else
#   <p>/lib/libstrata_<module>.a                the engine and every Strata
#                                               library it links
#   <p>/lib/cmake/Strata/StrataConfig.cmake     find_package(Strata)
#                    StrataConfigVersion.cmake
#                    StrataTargets*.cmake
# so that an outside project writes
#   find_package(Strata REQUIRED)
#   target_link_libraries(app PRIVATE Strata::strata)
#
# Strata::strata is an interface target (strata_embed here, also aliased
# as Strata::strata in the build tree) over strata_engine and the API. The
# Strata libraries it needs are found by walking strata_engine's link
# libraries, so a module that gains a dependency needs no change here. The
# third-party imported targets they name (Abseil, Snappy, Threads and the
# pkg-config ones) are recreated by StrataConfig.cmake, from Debian's
# packages as in cmake/Dependencies.cmake.
include(CMakePackageConfigHelpers)

add_library(strata_embed INTERFACE)
set_target_properties(strata_embed PROPERTIES EXPORT_NAME strata)
target_link_libraries(strata_embed INTERFACE strata_api strata_engine)
if(STRATA_SANITIZE)
  # Libraries built with sanitizers need the runtimes in whatever links them.
  target_link_options(strata_embed INTERFACE -fsanitize=${STRATA_SANITIZE})
endif()
add_library(Strata::strata ALIAS strata_embed)

# _strata_link_closure(<out> <target>...): the non-imported targets the given
# ones link, transitively (themselves included), and in <out>_IMPORTED the
# imported targets they name.
function(_strata_link_closure out)
  set(todo ${ARGN})
  set(seen "")
  set(imported "")
  while(todo)
    list(POP_FRONT todo t)
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    set(libs "")
    foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(v ${t} ${prop})
      if(v)
        list(APPEND libs ${v})
      endif()
    endforeach()
    foreach(lib IN LISTS libs)
      # $<LINK_ONLY:x> and similar wrappers: keep the name inside.
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
      if(NOT TARGET ${lib})
        continue()  # a plain flag or library name; exported as is
      endif()
      get_target_property(is_imported ${lib} IMPORTED)
      get_target_property(aliased ${lib} ALIASED_TARGET)
      if(aliased)
        set(lib ${aliased})
      endif()
      if(is_imported)
        list(APPEND imported ${lib})
      else()
        list(APPEND todo ${lib})
      endif()
    endforeach()
  endwhile()
  list(REMOVE_DUPLICATES imported)
  set(${out} ${seen} PARENT_SCOPE)
  set(${out}_IMPORTED ${imported} PARENT_SCOPE)
endfunction()

_strata_link_closure(_strata_export strata_embed)

# pkg-config modules behind the PkgConfig::<PREFIX> targets of
# cmake/Dependencies.cmake.
set(_strata_pkg_LZ4 liblz4)
set(_strata_pkg_ZSTD libzstd)
set(_strata_pkg_XXHASH libxxhash)
set(_strata_pkg_RE2 re2)
set(_strata_pkg_JEMALLOC jemalloc)

set(STRATA_CONFIG_DEPENDENCIES "")
set(_strata_need_threads OFF)
set(_strata_need_absl OFF)
set(_strata_need_snappy OFF)
set(_strata_pkgs "")
foreach(dep IN LISTS _strata_export_IMPORTED)
  if(dep STREQUAL "Threads::Threads")
    set(_strata_need_threads ON)
  elseif(dep MATCHES "^absl::")
    set(_strata_need_absl ON)
  elseif(dep STREQUAL "Snappy::snappy")
    set(_strata_need_snappy ON)
  elseif(dep MATCHES "^PkgConfig::(.+)$")
    set(prefix ${CMAKE_MATCH_1})
    if(NOT DEFINED _strata_pkg_${prefix})
      message(FATAL_ERROR "cmake/StrataInstall.cmake: add the pkg-config module of ${dep}")
    endif()
    list(APPEND _strata_pkgs ${prefix})
  else()
    message(FATAL_ERROR "cmake/StrataInstall.cmake: StrataConfig.cmake.in does not know "
                        "how to find ${dep}, which the installed libraries link")
  endif()
endforeach()
if(_strata_need_threads)
  string(APPEND STRATA_CONFIG_DEPENDENCIES "find_dependency(Threads)\n")
endif()
if(_strata_need_absl)
  string(APPEND STRATA_CONFIG_DEPENDENCIES "find_dependency(absl CONFIG)\n")
endif()
if(_strata_need_snappy)
  string(APPEND STRATA_CONFIG_DEPENDENCIES "find_dependency(Snappy CONFIG)\n")
endif()
if(_strata_pkgs)
  string(APPEND STRATA_CONFIG_DEPENDENCIES "find_dependency(PkgConfig)\n")
  foreach(prefix IN LISTS _strata_pkgs)
    string(APPEND STRATA_CONFIG_DEPENDENCIES
           "_strata_pkg_target(${prefix} ${_strata_pkg_${prefix}})\n")
  endforeach()
endif()

install(TARGETS ${_strata_export}
        EXPORT StrataTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/strata
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

set(STRATA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Strata)
install(EXPORT StrataTargets
        NAMESPACE Strata::
        DESTINATION ${STRATA_INSTALL_CMAKEDIR})
configure_package_config_file(
    ${CMAKE_SOURCE_DIR}/cmake/StrataConfig.cmake.in
    ${CMAKE_BINARY_DIR}/cmake/StrataConfig.cmake
    INSTALL_DESTINATION ${STRATA_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(
    ${CMAKE_BINARY_DIR}/cmake/StrataConfigVersion.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/StrataConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/StrataConfigVersion.cmake
        DESTINATION ${STRATA_INSTALL_CMAKEDIR})
