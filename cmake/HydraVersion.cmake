# hydra's version, from the VERSION file at the root of the tree: the one
# place it is written. CMake's project version, the runtime's
# hydra_version(), the tools' --version and the Python packages read it.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../VERSION" HYDRA_VERSION LIMIT_COUNT 1)
if(NOT HYDRA_VERSION MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$")
  message(FATAL_ERROR "VERSION must hold MAJOR.MINOR.PATCH, not '${HYDRA_VERSION}'")
endif()
set(HYDRA_VERSION_MAJOR ${CMAKE_MATCH_1})
set(HYDRA_VERSION_MINOR ${CMAKE_MATCH_2})
set(HYDRA_VERSION_PATCH ${CMAKE_MATCH_3})
# The runtime's SONAME: its C ABI may change with every minor release while
# the major is 0 (libhydra_runtime.so.0.2), then only with the major.
if(HYDRA_VERSION_MAJOR EQUAL 0)
  set(HYDRA_SOVERSION "0.${HYDRA_VERSION_MINOR}")
else()
  set(HYDRA_SOVERSION "${HYDRA_VERSION_MAJOR}")
endif()
