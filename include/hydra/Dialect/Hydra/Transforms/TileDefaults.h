//===- TileDefaults.h - default tile and chunk sizes ------------*- C++ -*-===//
//
// One place for the defaults of hydra-tile-attention's options, which the
// pipelines, the compiler driver and hydra-compile share.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_TRANSFORMS_TILEDEFAULTS_H
#define HYDRA_DIALECT_HYDRA_TRANSFORMS_TILEDEFAULTS_H

#include <cstdint>

namespace mlir::hydra {
/// Full attention: query rows per tile and keys per key/value tile. On the
/// CPU a tile of 64 rows is four vectors of queries in lanes: four keys by
/// 64 queries fill 16 accumulators, and Q's transpose is amortized over
/// all the tile's keys.
inline constexpr int64_t kDefaultQueryTile = 64;
inline constexpr int64_t kDefaultKeyTile = 64;
/// Linear attention: steps per chunk. Against 64, 32 takes a quarter of
/// the intra-chunk pair products per step and keeps a chunk's outputs and
/// pair weights (16 KiB and 4 KiB) in L1 beside the state's rows: 10–20%
/// faster at 1K–64K steps for every rule (16 is as fast, with twice the
/// per-chunk passes over the state).
inline constexpr int64_t kDefaultChunkSize = 32;
} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_TRANSFORMS_TILEDEFAULTS_H
