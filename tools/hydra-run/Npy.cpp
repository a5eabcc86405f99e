//===- Npy.cpp - reading and writing NumPy .npy files ---------------------===//

#include "Npy.h"

#include <cstring>
#include <fstream>
#include <vector>

using namespace hydra::tools;

namespace {
struct DescrEntry {
  const char *descr;
  hydra_dtype dtype;
};
const DescrEntry kDescrs[] = {
    {"<f4", HYDRA_DTYPE_F32}, {"<f2", HYDRA_DTYPE_F16},
    {"<f8", HYDRA_DTYPE_F64}, {"|b1", HYDRA_DTYPE_BOOL},
    {"|i1", HYDRA_DTYPE_I8},  {"<i2", HYDRA_DTYPE_I16},
    {"<i4", HYDRA_DTYPE_I32}, {"<i8", HYDRA_DTYPE_I64},
    {"|u1", HYDRA_DTYPE_U8},  {"<u2", HYDRA_DTYPE_U16},
    {"<u4", HYDRA_DTYPE_U32}, {"<u8", HYDRA_DTYPE_U64},
    // numpy has no bf16: ml_dtypes' bfloat16 arrays save as 2-byte void.
    {"<V2", HYDRA_DTYPE_BF16}, {"|V2", HYDRA_DTYPE_BF16},
};

/// The value after `'key':` in a .npy header dict, up to the next `,` or
/// `}` at depth 0 (a tuple counts as one value).
bool headerValue(const std::string &header, const std::string &key,
                 std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  int depth = 0;
  size_t start = at + 1, i = start;
  for (; i < header.size(); ++i) {
    char c = header[i];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  value = header.substr(start, i - start);
  value.erase(0, value.find_first_not_of(" "));
  value.erase(value.find_last_not_of(" ") + 1);
  return true;
}
/// Strips the quotes of a Python string literal; false if there are none.
bool unquote(std::string &s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') ||
      s.back() != s.front())
    return false;
  s = s.substr(1, s.size() - 2);
  return true;
}

// More elements than any tensor hydra runs (16-byte elements still fit
// in int64 bytes).
constexpr uint64_t kMaxElements = uint64_t(1) << 59;

/// Parses a shape tuple "(2, 3)", "(4,)" or "()" into sizes, checking
/// that every size is a plain non-negative integer and that their product
/// (and that of the non-zero ones) stays within kMaxElements.
bool parseShape(const std::string &text, std::vector<int64_t> &shape,
                uint64_t &elements, std::string &error) {
  shape.clear();
  elements = 1;
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    error = "not a tuple";
    return false;
  }
  uint64_t magnitude = 1;
  size_t i = 1, end = text.size() - 1;
  auto skipSpaces = [&] {
    while (i < end && text[i] == ' ')
      ++i;
  };
  skipSpaces();
  while (i < end) {
    uint64_t d = 0;
    size_t digits = 0;
    for (; i < end && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      d = d * 10 + uint64_t(text[i] - '0');
      if (d > kMaxElements) {
        error = "a size exceeds 2^59";
        return false;
      }
    }
    if (!digits) {
      error = "a size is not a non-negative integer";
      return false;
    }
    if (d && magnitude > kMaxElements / d) {
      error = "more than 2^59 elements";
      return false;
    }
    magnitude *= d ? d : 1;
    elements *= d;
    shape.push_back(int64_t(d));
    skipSpaces();
    if (i < end && text[i] != ',') {
      error = "sizes must be separated by commas";
      return false;
    }
    ++i;
    skipSpaces();
  }
  return true;
}
} // namespace

bool hydra::tools::readNpy(const std::string &path, NpyArray &array,
                           std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  uint8_t major = uint8_t(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "'" + path + "' is truncated";
      return false;
    }
    uint32_t n;
    std::memcpy(&n, bytes.data() + 8, 4);
    headerLen = n;
    headerStart = 12;
  } else {
    error = "'" + path + "' has unknown .npy version " + std::to_string(major);
    return false;
  }
  if (headerStart + headerLen > bytes.size()) {
    error = "'" + path + "' is truncated";
    return false;
  }
  std::string header = bytes.substr(headerStart, headerLen);
  std::string descr, order, shape;
  if (!headerValue(header, "descr", descr) ||
      !headerValue(header, "fortran_order", order) ||
      !headerValue(header, "shape", shape)) {
    error = "'" + path + "' has a malformed header";
    return false;
  }
  if (order != "False") {
    error = "'" + path + "' is in Fortran order; save it in C order";
    return false;
  }
  if (!unquote(descr)) {
    error = "'" + path + "' has a malformed descr " + descr;
    return false;
  }
  array.dtype = HYDRA_DTYPE_INVALID;
  for (const DescrEntry &e : kDescrs)
    if (descr == e.descr)
      array.dtype = e.dtype;
  if (array.dtype == HYDRA_DTYPE_INVALID) {
    error = "'" + path + "' has unsupported dtype '" + descr + "'";
    return false;
  }
  uint64_t elements = 1;
  if (!parseShape(shape, array.shape, elements, error)) {
    error = "'" + path + "' has a malformed shape " + shape + ": " + error;
    return false;
  }
  uint64_t size = elements * hydra_dtype_size(array.dtype);
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != size) {
    error = "'" + path + "' holds " + std::to_string(bytes.size() - dataStart) +
            " data bytes, its shape needs " + std::to_string(size);
    return false;
  }
  array.data.assign(bytes.begin() + dataStart, bytes.end());
  return true;
}

bool hydra::tools::writeNpy(const std::string &path, const hydra_tensor &t,
                            std::string &error) {
  const char *descr = nullptr;
  for (const DescrEntry &e : kDescrs)
    if (e.dtype == t.dtype)
      descr = e.descr;
  if (!descr) {
    error = std::string("no .npy type for dtype ") + hydra_dtype_name(t.dtype);
    return false;
  }
  std::string shape = "(";
  uint64_t elements = 1;
  for (int32_t i = 0; i < t.rank; ++i) {
    shape += std::to_string(t.shape[i]) + (t.rank == 1 ? "," : "") +
             (i + 1 < t.rank ? ", " : "");
    elements *= uint64_t(t.shape[i]);
  }
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = uint16_t(header.size());
  out.put(char(len & 0xff)).put(char(len >> 8));
  out << header;
  out.write(static_cast<const char *>(t.data),
            std::streamsize(elements * hydra_dtype_size(t.dtype)));
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}
