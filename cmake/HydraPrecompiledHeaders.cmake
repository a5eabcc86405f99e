# Precompiled MLIR headers for the compiler's libraries. Each of their
# sources spends about half its compile time parsing the same MLIR headers
# (FuseMerge.cpp with clang 22: 34 s, 17 s with them precompiled), and a
# build on two cores is mostly that. GCC's precompiled headers are ~650 MB
# per library against clang's ~100 MB, so the default is on for clang only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(hydra_pch_default ON)
else()
  set(hydra_pch_default OFF)
endif()
option(HYDRA_PRECOMPILED_HEADERS
  "Precompile the MLIR headers of the compiler's libraries" ${hydra_pch_default})

# The headers most of lib/ includes; hydra's own dialect is left out of the
# list so that a change to its TableGen files rebuilds only what uses it.
set(HYDRA_PRECOMPILED_MLIR_HEADERS
  <mlir/Dialect/Arith/IR/Arith.h>
  <mlir/Dialect/Func/IR/FuncOps.h>
  <mlir/Dialect/Linalg/IR/Linalg.h>
  <mlir/Dialect/Math/IR/Math.h>
  <mlir/Dialect/MemRef/IR/MemRef.h>
  <mlir/Dialect/SCF/IR/SCF.h>
  <mlir/Dialect/Tensor/IR/Tensor.h>
  <mlir/Dialect/Vector/IR/VectorOps.h>
  <mlir/IR/PatternMatch.h>
  <mlir/Transforms/GreedyPatternRewriteDriver.h>)

# hydra_precompile_mlir_headers(NAME...): for libraries made by
# add_mlir_library, whose sources compile in the object library obj.NAME.
function(hydra_precompile_mlir_headers)
  if(NOT HYDRA_PRECOMPILED_HEADERS)
    return()
  endif()
  foreach(name IN LISTS ARGN)
    target_precompile_headers(obj.${name} PRIVATE ${HYDRA_PRECOMPILED_MLIR_HEADERS})
  endforeach()
endfunction()
