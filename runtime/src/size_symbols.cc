//===- size_symbols.cc - derived size symbols -----------------------------===//

#include "size_symbols.h"

using namespace hydra::rt;

uint32_t hydra::rt::firstDerivedSymbol(const fb::Function &f) {
  uint32_t derived = f.derived_symbols() ? f.derived_symbols()->size() : 0;
  return f.num_symbols() - derived; // the verifier keeps derived ≤ total
}

std::optional<int64_t> hydra::rt::applySizeOp(fb::SizeOp op, int64_t a,
                                              int64_t b) {
  int64_t r;
  switch (op) {
  case fb::SizeOp::add:
    if (__builtin_add_overflow(a, b, &r))
      return std::nullopt;
    return r;
  case fb::SizeOp::sub:
    if (__builtin_sub_overflow(a, b, &r))
      return std::nullopt;
    return r;
  case fb::SizeOp::mul:
    if (__builtin_mul_overflow(a, b, &r))
      return std::nullopt;
    return r;
  case fb::SizeOp::floordiv:
  case fb::SizeOp::ceildiv:
  case fb::SizeOp::mod: {
    if (b <= 0)
      return std::nullopt;
    int64_t q = a / b, m = a % b; // b > 0: no INT64_MIN / -1
    if (op == fb::SizeOp::mod)
      return m < 0 ? m + b : m;
    if (op == fb::SizeOp::floordiv)
      return q - (m < 0);
    return q + (m > 0);
  }
  case fb::SizeOp::min:
    return a < b ? a : b;
  case fb::SizeOp::max:
    return a > b ? a : b;
  }
  return std::nullopt;
}

namespace {
int64_t operandValue(const fb::SizeOperand &o,
                     const std::vector<int64_t> &symbols) {
  return o.symbol() >= 0 ? symbols[size_t(o.symbol())] : o.value();
}

std::string operandText(const fb::SizeOperand &o) {
  return o.symbol() >= 0 ? "s" + std::to_string(o.symbol())
                         : std::to_string(o.value());
}
} // namespace

bool hydra::rt::evaluateDerivedSymbols(const fb::Function &f,
                                       std::vector<int64_t> &symbols,
                                       std::string &error) {
  if (!f.derived_symbols())
    return checkSizes(f, symbols, error);
  uint32_t first = firstDerivedSymbol(f);
  for (uint32_t i = 0; i < f.derived_symbols()->size(); ++i) {
    const fb::DerivedSymbol *d = f.derived_symbols()->Get(i);
    int64_t a = operandValue(d->lhs(), symbols);
    int64_t b = operandValue(d->rhs(), symbols);
    std::optional<int64_t> r = applySizeOp(d->op(), a, b);
    if (!r) {
      error =
          "size s" + std::to_string(first + i) + " = " +
          derivedSymbolText(f, first + i) + " with operands " +
          std::to_string(a) + " and " + std::to_string(b) +
          (d->op() == fb::SizeOp::floordiv || d->op() == fb::SizeOp::ceildiv ||
                   d->op() == fb::SizeOp::mod
               ? " divides by a non-positive number or overflows"
               : " overflows");
      return false;
    }
    symbols[first + i] = *r;
  }
  return checkSizes(f, symbols, error);
}

bool hydra::rt::checkSizes(const fb::Function &f,
                           const std::vector<int64_t> &symbols,
                           std::string &error) {
  if (!f.size_checks())
    return true;
  for (const fb::SizeCheck *c : *f.size_checks()) {
    int64_t a = operandValue(c->lhs(), symbols);
    int64_t b = operandValue(c->rhs(), symbols);
    if (a != b) {
      error = "sizes that must agree differ: " + operandText(c->lhs()) +
              " is " + std::to_string(a) + " but " + operandText(c->rhs()) +
              " is " + std::to_string(b) +
              " (the input shapes do not fit together)";
      return false;
    }
  }
  return true;
}

std::string hydra::rt::derivedSymbolText(const fb::Function &f,
                                         uint32_t index) {
  const fb::DerivedSymbol *d =
      f.derived_symbols()->Get(index - firstDerivedSymbol(f));
  std::string a = operandText(d->lhs()), b = operandText(d->rhs());
  switch (d->op()) {
  case fb::SizeOp::add:
    return a + " + " + b;
  case fb::SizeOp::sub:
    return a + " - " + b;
  case fb::SizeOp::mul:
    return a + " * " + b;
  default:
    return std::string(fb::EnumNameSizeOp(d->op())) + "(" + a + ", " + b + ")";
  }
}
