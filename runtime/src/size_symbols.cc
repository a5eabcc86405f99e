//===- size_symbols.cc - derived size symbols -----------------------------===//

#include "size_symbols.h"

#include <cmath>
#include <cstring>
#include <sstream>

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
  case fb::SizeOp::element: // reads data, not its operands' values
  case fb::SizeOp::float_element:
  case fb::SizeOp::float_sub: // float values, not sizes
  case fb::SizeOp::float_ceildiv:
    return std::nullopt;
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

/// Where element `element` of `t` lies, or nothing with `what` set when
/// `t` has no such element.
static const void *elementAddress(const hydra_tensor &t, int64_t element,
                                  std::string &what) {
  uint64_t count = 1;
  for (int32_t d = 0; d < t.rank; ++d)
    count *= uint64_t(t.shape[d]); // bounded by the input checks
  if (element < 0 || uint64_t(element) >= count) {
    what = "has " + std::to_string(count) + " elements";
    return nullptr;
  }
  return static_cast<const char *>(t.data) +
         uint64_t(element) * hydra_dtype_size(t.dtype);
}

/// Element `element` of `t` (an integer tensor) as int64, or nothing with
/// `what` set when it is out of range or does not fit.
static std::optional<int64_t> readElement(const hydra_tensor &t,
                                          int64_t element, std::string &what) {
  const void *p = elementAddress(t, element, what);
  if (!p)
    return std::nullopt;
  auto load = [p](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  switch (t.dtype) {
  case HYDRA_DTYPE_I8:
    return load(int8_t());
  case HYDRA_DTYPE_I16:
    return load(int16_t());
  case HYDRA_DTYPE_I32:
    return load(int32_t());
  case HYDRA_DTYPE_I64:
    return load(int64_t());
  case HYDRA_DTYPE_U8:
    return load(uint8_t());
  case HYDRA_DTYPE_U16:
    return load(uint16_t());
  case HYDRA_DTYPE_U32:
    return load(uint32_t());
  case HYDRA_DTYPE_U64: {
    uint64_t v = load(uint64_t());
    if (v > uint64_t(INT64_MAX)) {
      what = "holds " + std::to_string(v) + " there, beyond int64";
      return std::nullopt;
    }
    return int64_t(v);
  }
  default:
    what = "is not an integer tensor";
    return std::nullopt;
  }
}

/// An IEEE binary16 value, exactly.
static double halfToDouble(uint16_t h) {
  int exponent = (h >> 10) & 0x1f;
  double mantissa = h & 0x3ff;
  double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) // subnormal
                     : exponent == 31
                         ? (mantissa != 0 ? NAN : INFINITY)
                         : std::ldexp(1024 + mantissa, exponent - 25);
  return h & 0x8000 ? -magnitude : magnitude;
}

/// Element `element` of `t` (a float tensor) as a double (exact for every
/// float type), or nothing with `what` set when it is out of range.
static std::optional<double>
readFloatElement(const hydra_tensor &t, int64_t element, std::string &what) {
  const void *p = elementAddress(t, element, what);
  if (!p)
    return std::nullopt;
  uint16_t half;
  switch (t.dtype) {
  case HYDRA_DTYPE_F32: {
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  case HYDRA_DTYPE_F64: {
    double v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  case HYDRA_DTYPE_F16:
    std::memcpy(&half, p, sizeof half);
    return halfToDouble(half);
  case HYDRA_DTYPE_BF16: { // the upper half of an f32
    std::memcpy(&half, p, sizeof half);
    uint32_t bits = uint32_t(half) << 16;
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  default:
    what = "is not a float tensor";
    return std::nullopt;
  }
}

double hydra::rt::floatSymbol(int64_t slot) {
  double v;
  std::memcpy(&v, &slot, sizeof v);
  return v;
}

int64_t hydra::rt::floatSlot(double v) {
  int64_t slot;
  std::memcpy(&slot, &v, sizeof slot);
  return slot;
}

std::optional<int64_t> hydra::rt::floatCeilDiv(double a, double b) {
  double q = std::ceil(a / b);
  // [−2^63, 2^63) holds exactly the doubles that convert to int64.
  if (!(q >= -9223372036854775808.0 && q < 9223372036854775808.0))
    return std::nullopt;
  return int64_t(q);
}

bool hydra::rt::evaluateDerivedSymbols(const fb::Function &f,
                                       const hydra_tensor *inputs,
                                       std::vector<int64_t> &symbols,
                                       std::string &error) {
  if (!f.derived_symbols())
    return checkSizes(f, symbols, error);
  uint32_t first = firstDerivedSymbol(f);
  for (uint32_t i = 0; i < f.derived_symbols()->size(); ++i) {
    const fb::DerivedSymbol *d = f.derived_symbols()->Get(i);
    if (d->op() == fb::SizeOp::element ||
        d->op() == fb::SizeOp::float_element) {
      // The verifier keeps the input index in range, both constant and
      // the input's type the op's.
      size_t input = size_t(d->lhs().value());
      int64_t element = d->rhs().value();
      std::string what;
      std::optional<int64_t> v;
      if (d->op() == fb::SizeOp::element)
        v = readElement(inputs[input], element, what);
      else if (std::optional<double> x =
                   readFloatElement(inputs[input], element, what))
        v = floatSlot(*x);
      if (!v) {
        error = "size s" + std::to_string(first + i) + " is element " +
                std::to_string(element) + " of input " + std::to_string(input) +
                " '" + f.inputs()->Get(input)->name()->str() + "', which " +
                what;
        return false;
      }
      symbols[first + i] = *v;
      continue;
    }
    if (d->op() == fb::SizeOp::float_sub ||
        d->op() == fb::SizeOp::float_ceildiv) {
      // The verifier keeps both operands earlier float symbols.
      double a = floatSymbol(symbols[size_t(d->lhs().symbol())]);
      double b = floatSymbol(symbols[size_t(d->rhs().symbol())]);
      if (d->op() == fb::SizeOp::float_sub) {
        symbols[first + i] = floatSlot(a - b);
        continue;
      }
      std::optional<int64_t> q = floatCeilDiv(a, b);
      if (!q) {
        std::ostringstream os;
        os << "size s" << first + i << " = " << derivedSymbolText(f, first + i)
           << " of the values " << a << " and " << b
           << " is not a finite integer within int64 (a Range whose delta "
              "is 0, or whose bounds are infinite or NaN)";
        error = os.str();
        return false;
      }
      symbols[first + i] = *q;
      continue;
    }
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
  const auto *notes = f.size_check_notes();
  for (uint32_t i = 0; i < f.size_checks()->size(); ++i) {
    const fb::SizeCheck *c = f.size_checks()->Get(i);
    int64_t a = operandValue(c->lhs(), symbols);
    int64_t b = operandValue(c->rhs(), symbols);
    if (a != b) {
      // The verifier keeps the notes one per check when present.
      std::string note = notes ? notes->Get(i)->str() : "";
      error = "sizes that must agree differ: " + operandText(c->lhs()) +
              " is " + std::to_string(a) + " but " + operandText(c->rhs()) +
              " is " + std::to_string(b) + " (" +
              (note.empty() ? "the input shapes do not fit together" : note) +
              ")";
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
  case fb::SizeOp::element:
    return "input" + std::to_string(d->lhs().value()) + "[" +
           std::to_string(d->rhs().value()) + "]";
  case fb::SizeOp::float_element:
    return "float(input" + std::to_string(d->lhs().value()) + "[" +
           std::to_string(d->rhs().value()) + "])";
  case fb::SizeOp::float_sub:
    return a + " -. " + b;
  case fb::SizeOp::float_ceildiv:
    return "ceil(" + a + " /. " + b + ")";
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
