//===- HostTensor.cpp - constant tensors known at import time -------------===//

#include "HostTensor.h"
#include "ShapeArithmetic.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <type_traits>

using namespace mlir;
using namespace mlir::hydra::onnx_import;
using TP = onnx::TensorProto;

size_t mlir::hydra::onnx_import::onnxElementSize(int32_t t) {
  switch (t) {
  case TP::FLOAT:
  case TP::INT32:
  case TP::UINT32:
    return 4;
  case TP::DOUBLE:
  case TP::INT64:
  case TP::UINT64:
    return 8;
  case TP::FLOAT16:
  case TP::BFLOAT16:
  case TP::INT16:
  case TP::UINT16:
    return 2;
  case TP::BOOL:
  case TP::INT8:
  case TP::UINT8:
    return 1;
  default:
    return 0;
  }
}

int64_t HostTensor::numElements() const {
  // Every tensor holds exactly its shape's elements (readTensorProto and the
  // folder check the shape before filling `bytes`), so no product of
  // untrusted dims is taken here.
  size_t size = onnxElementSize(elemType);
  return size ? int64_t(bytes.size() / size) : 0;
}

bool HostTensor::isFloat() const {
  return elemType == TP::FLOAT || elemType == TP::DOUBLE ||
         elemType == TP::FLOAT16 || elemType == TP::BFLOAT16;
}

template <typename T> static T readAs(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

static double halfToDouble(uint16_t bits, bool bf16) {
  llvm::APFloat f(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
                  llvm::APInt(16, bits));
  bool lost;
  f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToDouble();
}

static uint16_t doubleToHalf(double v, bool bf16) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

double HostTensor::floatAt(int64_t i) const {
  const uint8_t *p = bytes.data() + i * onnxElementSize(elemType);
  switch (elemType) {
  case TP::FLOAT:
    return readAs<float>(p);
  case TP::DOUBLE:
    return readAs<double>(p);
  case TP::FLOAT16:
    return halfToDouble(readAs<uint16_t>(p), false);
  case TP::BFLOAT16:
    return halfToDouble(readAs<uint16_t>(p), true);
  default:
    return double(intAt(i));
  }
}

int64_t HostTensor::intAt(int64_t i) const {
  const uint8_t *p = bytes.data() + i * onnxElementSize(elemType);
  switch (elemType) {
  case TP::BOOL:
    return *p != 0;
  case TP::INT8:
    return readAs<int8_t>(p);
  case TP::UINT8:
    return *p;
  case TP::INT16:
    return readAs<int16_t>(p);
  case TP::UINT16:
    return readAs<uint16_t>(p);
  case TP::INT32:
    return readAs<int32_t>(p);
  case TP::UINT32:
    return readAs<uint32_t>(p);
  case TP::INT64:
    return readAs<int64_t>(p);
  case TP::UINT64:
    return int64_t(readAs<uint64_t>(p));
  default:
    return saturatingToInt64(floatAt(i));
  }
}

std::vector<int64_t> HostTensor::ints() const {
  std::vector<int64_t> v(numElements());
  for (int64_t i = 0; i < numElements(); ++i)
    v[i] = intAt(i);
  return v;
}

template <typename T> static void writeAs(uint8_t *p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

static void storeValue(int32_t t, uint8_t *p, int64_t iv, double fv,
                       bool isInt) {
  switch (t) {
  case TP::FLOAT:
    return writeAs<float>(p, isInt ? float(iv) : float(fv));
  case TP::DOUBLE:
    return writeAs<double>(p, isInt ? double(iv) : fv);
  case TP::FLOAT16:
  case TP::BFLOAT16:
    return writeAs<uint16_t>(
        p, doubleToHalf(isInt ? double(iv) : fv, t == TP::BFLOAT16));
  default:
    break;
  }
  int64_t v = isInt ? iv : saturatingToInt64(fv);
  switch (t) {
  case TP::BOOL:
    *p = v != 0;
    return;
  case TP::INT8:
  case TP::UINT8:
    *p = uint8_t(v);
    return;
  case TP::INT16:
  case TP::UINT16:
    return writeAs<uint16_t>(p, uint16_t(v));
  case TP::INT32:
  case TP::UINT32:
    return writeAs<uint32_t>(p, uint32_t(v));
  default:
    return writeAs<int64_t>(p, v);
  }
}

HostTensor HostTensor::fromInts(int32_t elemType, std::vector<int64_t> shape,
                                const std::vector<int64_t> &values) {
  HostTensor t{elemType, std::move(shape), {}};
  size_t size = onnxElementSize(elemType);
  t.bytes.resize(values.size() * size);
  for (size_t i = 0; i < values.size(); ++i)
    storeValue(elemType, t.bytes.data() + i * size, values[i], 0, true);
  return t;
}

HostTensor HostTensor::fromDoubles(int32_t elemType, std::vector<int64_t> shape,
                                   const std::vector<double> &values) {
  HostTensor t{elemType, std::move(shape), {}};
  size_t size = onnxElementSize(elemType);
  t.bytes.resize(values.size() * size);
  for (size_t i = 0; i < values.size(); ++i)
    storeValue(elemType, t.bytes.data() + i * size, 0, values[i], false);
  return t;
}

DenseElementsAttr HostTensor::toAttr(RankedTensorType type) const {
  if (elemType == TP::BOOL) {
    SmallVector<bool> values;
    for (int64_t i = 0; i < numElements(); ++i)
      values.push_back(intAt(i));
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size()));
}

/// Copies `count` typed values of a repeated field into little-endian bytes
/// of `elemType`.
template <typename Field>
static void fromField(const Field &field, int32_t elemType, HostTensor &out) {
  size_t size = onnxElementSize(elemType);
  out.bytes.resize(field.size() * size);
  for (int i = 0; i < field.size(); ++i) {
    uint8_t *p = out.bytes.data() + i * size;
    auto v = field.Get(i);
    if constexpr (std::is_floating_point_v<decltype(v)>) {
      storeValue(elemType, p, 0, double(v), false);
    } else if (elemType == TP::FLOAT16 || elemType == TP::BFLOAT16) {
      writeAs<uint16_t>(p, uint16_t(v)); // int32_data holds the bit patterns
    } else {
      storeValue(elemType, p, int64_t(v), 0, true);
    }
  }
}

bool mlir::hydra::onnx_import::readTensorProto(const TP &proto,
                                               StringRef modelDir,
                                               HostTensor &out,
                                               std::string &error) {
  out.elemType = proto.data_type();
  size_t size = onnxElementSize(out.elemType);
  if (!size) {
    error = "tensor '" + proto.name() + "' has unsupported element type " +
            std::to_string(out.elemType);
    return false;
  }
  out.shape.assign(proto.dims().begin(), proto.dims().end());
  std::optional<int64_t> count =
      elementCount(out.shape, kMaxTensorBytes / int64_t(size));
  if (!count) {
    error = "tensor '" + proto.name() + "' has shape " +
            formatShape(out.shape) +
            (llvm::any_of(out.shape, [](int64_t d) { return d < 0; })
                 ? ", with a negative dimension"
                 : ", more than the " + std::to_string(kMaxTensorBytes) +
                       " bytes a tensor may hold");
    return false;
  }
  uint64_t expected = uint64_t(*count) * size;
  if (proto.data_location() == TP::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = expected;
    for (const auto &entry : proto.external_data()) {
      uint64_t *field = entry.key() == "offset"   ? &offset
                        : entry.key() == "length" ? &length
                                                  : nullptr;
      if (entry.key() == "location")
        location = entry.value();
      // Only plain decimal digits: getAsInteger refuses signs, spaces and
      // values beyond 64 bits.
      else if (field && StringRef(entry.value()).getAsInteger(10, *field)) {
        error = "tensor '" + proto.name() + "': external data " + entry.key() +
                " '" + entry.value() + "' is not a non-negative integer";
        return false;
      }
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        StringRef(location).contains("..")) {
      error = "tensor '" + proto.name() +
              "' has an external data location outside the model's "
              "directory: '" +
              location + "'";
      return false;
    }
    if (modelDir.empty()) {
      error = "tensor '" + proto.name() + "' has external data ('" + location +
              "'), which a model held in memory cannot refer to: compile it "
              "from its file";
      return false;
    }
    SmallString<256> path(modelDir);
    llvm::sys::path::append(path, location);
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file) {
      error = "tensor '" + proto.name() + "': cannot read external data '" +
              std::string(path) + "': " + file.getError().message();
      return false;
    }
    uint64_t fileSize = (*file)->getBufferSize();
    if (length != expected) {
      error = "tensor '" + proto.name() + "': external data length " +
              std::to_string(length) + " is not the " +
              std::to_string(expected) + " bytes its shape needs";
      return false;
    }
    // Written so that no sum can wrap: offset and length each within the
    // file, then the length within what follows the offset.
    if (offset > fileSize || length > fileSize - offset) {
      error = "tensor '" + proto.name() + "': external data '" +
              std::string(path) + "' (" + std::to_string(fileSize) +
              " bytes) does not hold " + std::to_string(length) +
              " bytes at offset " + std::to_string(offset);
      return false;
    }
    const char *begin = (*file)->getBufferStart() + offset;
    out.bytes.assign(begin, begin + length);
    return true;
  }
  if (proto.has_raw_data()) {
    out.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else if (proto.float_data_size()) {
    fromField(proto.float_data(), out.elemType, out);
  } else if (proto.double_data_size()) {
    fromField(proto.double_data(), out.elemType, out);
  } else if (proto.int64_data_size()) {
    fromField(proto.int64_data(), out.elemType, out);
  } else if (proto.uint64_data_size()) {
    fromField(proto.uint64_data(), out.elemType, out);
  } else if (proto.int32_data_size()) {
    fromField(proto.int32_data(), out.elemType, out);
  }
  if (out.bytes.size() != expected) {
    error = "tensor '" + proto.name() + "' holds " +
            std::to_string(out.bytes.size()) + " bytes, its shape needs " +
            std::to_string(expected);
    return false;
  }
  return true;
}
