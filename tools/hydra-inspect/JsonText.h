//===- JsonText.h - strings as JSON text ------------------------*- C++ -*-===//
//
// Names in an artifact are any bytes its writer chose; hydra-inspect's
// JSON must stay JSON whatever they hold.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_TOOLS_INSPECT_JSONTEXT_H
#define HYDRA_TOOLS_INSPECT_JSONTEXT_H

#include <cstdio>
#include <string>
#include <string_view>

namespace hydra::inspect {

/// `s` as a JSON string: quotes, backslashes and control characters
/// escaped (other bytes as they are).
inline std::string jsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x",
                    static_cast<unsigned char>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// `x` as a JSON number with 9 significant digits: std::to_string's fixed
/// six decimals would print a roofline of 0.3 us as 0 seconds.
inline std::string jsonNumber(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", x);
  return text;
}

} // namespace hydra::inspect

#endif // HYDRA_TOOLS_INSPECT_JSONTEXT_H
