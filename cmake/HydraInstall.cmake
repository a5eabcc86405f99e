# What `cmake --install` puts where (docs/install.md). Included once all
# targets exist: by the top-level CMakeLists.txt, or by runtime/ when the
# runtime is built on its own (then without the compiler and its tools).
#   bin/                     the tools
#   lib/                     libhydra_runtime.so.<SOVERSION> (and
#                            libhydra_compiler.so.<SOVERSION>)
#   include/hydra/           runtime.h, runtime.hpp, version.h
#                            (and CAPI/Compiler.h)
#   lib/cmake/hydra/         hydraConfig.cmake: hydra::runtime, hydra::compiler
#   lib/pkgconfig/hydra.pc   the runtime
#   share/doc/hydra/         LICENSE, CHANGELOG.md, README.md
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HYDRA_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
set(HYDRA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hydra)
get_target_property(hydra_runtime_binary_dir hydra_runtime BINARY_DIR)

# Installed tools find hydra's libraries next door wherever the prefix is
# moved; the compiler's also find the LLVM/MLIR they were built against.
set(hydra_tools hydra-run hydra-inspect hydra-generate)
set_target_properties(${hydra_tools} PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
set(hydra_export_targets hydra_runtime)
set(HYDRA_HAS_COMPILER OFF)
if(TARGET hydra-compile)
  set(HYDRA_HAS_COMPILER ON)
  set(hydra_compiler_tools hydra-compile hydra-opt)
  set_target_properties(${hydra_compiler_tools} hydra_compiler PROPERTIES
    INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR};${LLVM_LIBRARY_DIR}")
  list(APPEND hydra_tools ${hydra_compiler_tools})
  list(APPEND hydra_export_targets hydra_compiler)
  install(FILES ${HYDRA_ROOT}/include/hydra/CAPI/Compiler.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hydra/CAPI)
endif()

install(TARGETS ${hydra_export_targets} EXPORT hydraTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS ${hydra_tools} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES
  ${HYDRA_ROOT}/runtime/include/hydra/runtime.h
  ${HYDRA_ROOT}/runtime/include/hydra/runtime.hpp
  ${hydra_runtime_binary_dir}/include/hydra/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hydra)

install(EXPORT hydraTargets NAMESPACE hydra::
        DESTINATION ${HYDRA_INSTALL_CMAKEDIR} FILE hydraTargets.cmake)
configure_package_config_file(${HYDRA_ROOT}/cmake/hydraConfig.cmake.in
  ${CMAKE_BINARY_DIR}/hydraConfig.cmake
  INSTALL_DESTINATION ${HYDRA_INSTALL_CMAKEDIR})
# While the major version is 0 a minor release may change the ABI.
if(HYDRA_VERSION_MAJOR EQUAL 0)
  set(hydra_compatibility SameMinorVersion)
else()
  set(hydra_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_BINARY_DIR}/hydraConfigVersion.cmake
  VERSION ${HYDRA_VERSION} COMPATIBILITY ${hydra_compatibility})
install(FILES ${CMAKE_BINARY_DIR}/hydraConfig.cmake
              ${CMAKE_BINARY_DIR}/hydraConfigVersion.cmake
        DESTINATION ${HYDRA_INSTALL_CMAKEDIR})

# hydra.pc locates the prefix from where it lies (${pcfiledir}), so an
# install moved elsewhere still works.
file(RELATIVE_PATH HYDRA_PC_TO_PREFIX
     "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${HYDRA_ROOT}/cmake/hydra.pc.in ${CMAKE_BINARY_DIR}/hydra.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/hydra.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${HYDRA_ROOT}/LICENSE ${HYDRA_ROOT}/CHANGELOG.md ${HYDRA_ROOT}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
