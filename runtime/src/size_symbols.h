//===- size_symbols.h - derived size symbols -------------------*- C++ -*-===//
//
// A function's derived symbols (sums, products and divisions of the
// symbols its inputs bind), evaluated once per call after the inputs are
// bound. Shared by the session and hydra-inspect's --sizes.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_SIZE_SYMBOLS_H
#define HYDRA_RUNTIME_SIZE_SYMBOLS_H

#include "hydra/runtime.h"
#include "hydra_artifact_generated.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hydra::rt {

namespace fb = ::hydra_artifact;

/// The index of the first derived symbol of `f` (the inputs bind those
/// below it).
uint32_t firstDerivedSymbol(const fb::Function &f);

/// `lhs op rhs` exactly, or nothing on overflow or a divisor ≤ 0.
std::optional<int64_t> applySizeOp(fb::SizeOp op, int64_t lhs, int64_t rhs);

/// A float symbol's value (float_element, float_sub), held in its int64
/// slot as the double's bits, and back.
double floatSymbol(int64_t slot);
int64_t floatSlot(double value);
/// ⌈a / b⌉ as an integer, or nothing when it is not finite or does not fit
/// int64 (float_ceildiv).
std::optional<int64_t> floatCeilDiv(double a, double b);

/// Fills in every derived symbol of `f` from the bound ones and the
/// elements of `inputs` (f's inputs, already checked against its
/// signatures) the element and float_element symbols read, then checks the size
/// checks; on overflow, a divisor ≤ 0, an element out of range or a failed
/// check sets `error` (naming the sizes and their values) and returns false.
bool evaluateDerivedSymbols(const fb::Function &f, const hydra_tensor *inputs,
                            std::vector<int64_t> &symbols, std::string &error);

/// Whether the size checks of `f` hold for `symbols` (bound and derived);
/// else `error` names the two sizes and their values.
bool checkSizes(const fb::Function &f, const std::vector<int64_t> &symbols,
                std::string &error);

/// "s0 + 16", "ceildiv(s1, 64)", ... for symbol `index` of `f` (derived).
std::string derivedSymbolText(const fb::Function &f, uint32_t index);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_SIZE_SYMBOLS_H
