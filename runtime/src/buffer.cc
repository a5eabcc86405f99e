//===- buffer.cc - tensors a session keeps between calls ------------------===//

#include "buffer.h"
#include "artifact_format.h"
#include "session.h"
#include "status.h"

#include <cstring>

using namespace hydra;
using namespace hydra::rt;

namespace {
/// More dimensions than any tensor of an artifact has (its verifier's
/// limit).
constexpr int32_t kMaxRank = int32_t(artifact::kMaxRank);
/// No dimension or element count beyond this (as the input checks).
constexpr int64_t kMaxElements = int64_t(1) << 59;

/// Element count of `dims`, or -1 past kMaxElements.
int64_t elements(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d != 0 && n > kMaxElements / d)
      return -1;
    n *= d;
  }
  return n;
}

/// Copies between dense host `data` and a buffer's strided storage, a
/// last-dim row at a time (through the device when it has its own memory);
/// `in` copies into the buffer.
hydra_status copyRows(const hydra_buffer &b, uint8_t *storage, uint8_t *data,
                      bool in) {
  Device &device = *b.session->device;
  auto copy = [&](uint8_t *at, uint8_t *host, size_t bytes) -> hydra_status {
    if (!b.deviceMemory) {
      in ? std::memcpy(at, host, bytes) : std::memcpy(host, at, bytes);
      return nullptr;
    }
    return in ? device.upload(at, host, bytes)
              : device.download(host, at, bytes);
  };
  size_t rank = b.shape.size(), elt = hydra_dtype_size(b.dtype);
  if (b.dense() || rank == 0)
    return copy(storage, data, b.shapeBytes());
  std::vector<int64_t> strides = b.strides(), index(rank, 0);
  size_t rowBytes = size_t(b.shape.back()) * elt;
  if (b.shape.back() == 0)
    return nullptr;
  int64_t rows = elements(b.shape) / b.shape.back();
  for (int64_t r = 0; r < rows; ++r) {
    int64_t offset = 0;
    for (size_t d = 0; d + 1 < rank; ++d)
      offset += index[d] * strides[d];
    HYDRA_RETURN_IF_ERROR(copy(storage + size_t(offset) * elt,
                               data + size_t(r) * rowBytes, rowBytes));
    for (size_t d = rank - 1; d-- > 0;) // next row, odometer style
      if (++index[d] < b.shape[d])
        break;
      else
        index[d] = 0;
  }
  return nullptr;
}

hydra_status createBuffer(hydra_session *session, hydra_dtype dtype,
                          int32_t rank, const int64_t *shape,
                          const int64_t *capacity, hydra_buffer **out) {
  if (!session || !out || (rank > 0 && !shape))
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_buffer_create: null argument");
  *out = nullptr;
  if (hydra_dtype_size(dtype) == 0)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_buffer_create: unknown "
                      "dtype ",
                      int(dtype));
  if (rank < 0 || rank > kMaxRank)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "hydra_buffer_create: rank ",
                      rank, " is not in [0, ", kMaxRank, "]");
  auto buffer = std::make_unique<hydra_buffer_s>();
  buffer->session = session;
  buffer->dtype = dtype;
  for (int32_t d = 0; d < rank; ++d) {
    int64_t size = shape[d], room = capacity ? capacity[d] : shape[d];
    if (size < 0 || room < size)
      return makeStatus(HYDRA_INVALID_ARGUMENT,
                        "hydra_buffer_create: "
                        "dimension ",
                        d, " has size ", size, " and capacity ", room,
                        " (sizes are >= 0, capacities at least the size)");
    buffer->shape.push_back(size);
    buffer->capacity.push_back(room);
  }
  int64_t count = elements(buffer->capacity);
  if (count < 0 || uint64_t(count) > SIZE_MAX / hydra_dtype_size(dtype))
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_buffer_create: the capacity holds more than 2^59 "
                      "elements");
  HYDRA_RETURN_IF_ERROR(
      allocateStorage(*buffer, size_t(count) * hydra_dtype_size(dtype)));
  *out = buffer.release();
  return nullptr;
}

hydra_status copyBytes(const hydra_buffer *buffer, const void *data,
                       size_t bytes, bool in) {
  if (!buffer || (!data && bytes))
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      in ? "hydra_buffer_upload" : "hydra_buffer_download",
                      ": null argument");
  if (bytes != buffer->shapeBytes())
    return makeStatus(HYDRA_INVALID_ARGUMENT, "the buffer holds ",
                      buffer->shapeBytes(), " bytes of its shape, not ", bytes);
  return copyRows(*buffer, buffer->data(),
                  const_cast<uint8_t *>(static_cast<const uint8_t *>(data)),
                  in);
}
} // namespace

hydra_buffer_s::~hydra_buffer_s() {
  if (deviceMemory)
    session->device->release(deviceMemory);
}

hydra_status hydra::rt::allocateStorage(hydra_buffer &buffer, size_t bytes) {
  Device &device = *buffer.session->device;
  if (!device.hostMemory()) {
    void *memory = nullptr;
    HYDRA_RETURN_IF_ERROR(device.allocate(bytes, &memory));
    if (buffer.deviceMemory)
      device.release(buffer.deviceMemory);
    buffer.deviceMemory = memory;
    buffer.deviceBytes = bytes;
    return nullptr;
  }
  buffer.storage = AlignedBuffer(bytes, AlignedBuffer::Init::unset);
  if (!buffer.storage.ok())
    return makeStatus(HYDRA_INTERNAL, "out of memory for a buffer of ", bytes,
                      " bytes");
  return nullptr;
}

std::vector<int64_t> hydra_buffer_s::strides() const {
  std::vector<int64_t> out(capacity.size());
  int64_t stride = 1;
  for (size_t d = capacity.size(); d-- > 0;) {
    out[d] = stride;
    stride *= capacity[d];
  }
  return out;
}

size_t hydra_buffer_s::shapeBytes() const {
  return size_t(elements(shape)) * hydra_dtype_size(dtype);
}

const hydra_tensor &hydra_buffer_s::tensor() {
  view =
      hydra_tensor{nullptr, dtype, int32_t(shape.size()), shape.data(), data()};
  return view;
}

hydra_status hydra::rt::reshapeDense(hydra_buffer &buffer,
                                     const std::vector<int64_t> &shape) {
  int64_t count = elements(shape);
  size_t bytes = size_t(count) * hydra_dtype_size(buffer.dtype);
  if (count < 0)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "an output of over 2^59 "
                                              "elements");
  if (buffer.storageBytes() < bytes || !buffer.data())
    HYDRA_RETURN_IF_ERROR(allocateStorage(buffer, bytes));
  buffer.shape = buffer.capacity = shape;
  return nullptr;
}

extern "C" hydra_status hydra_buffer_create(hydra_session *session,
                                            hydra_dtype dtype, int32_t rank,
                                            const int64_t *shape,
                                            const int64_t *capacity,
                                            hydra_buffer **out) {
  return guarded("hydra_buffer_create", [&] {
    return createBuffer(session, dtype, rank, shape, capacity, out);
  });
}

extern "C" hydra_status hydra_buffer_upload(hydra_buffer *buffer,
                                            const void *data, size_t bytes) {
  return guarded("hydra_buffer_upload",
                 [&] { return copyBytes(buffer, data, bytes, true); });
}

extern "C" hydra_status hydra_buffer_download(const hydra_buffer *buffer,
                                              void *data, size_t bytes) {
  return guarded("hydra_buffer_download",
                 [&] { return copyBytes(buffer, data, bytes, false); });
}

extern "C" const hydra_tensor *hydra_buffer_tensor(const hydra_buffer *buffer) {
  return buffer ? &const_cast<hydra_buffer *>(buffer)->tensor() : nullptr;
}

extern "C" void hydra_buffer_strides(const hydra_buffer *buffer,
                                     int64_t *strides) {
  if (!buffer || !strides)
    return;
  std::vector<int64_t> s = buffer->strides();
  std::copy(s.begin(), s.end(), strides);
}

extern "C" hydra_status hydra_buffer_set_shape(hydra_buffer *buffer,
                                               int32_t rank,
                                               const int64_t *shape) {
  return guarded("hydra_buffer_set_shape", [&]() -> hydra_status {
    if (!buffer || (rank > 0 && !shape))
      return makeStatus(HYDRA_INVALID_ARGUMENT,
                        "hydra_buffer_set_shape: null argument");
    if (size_t(rank) != buffer->shape.size())
      return makeStatus(HYDRA_INVALID_ARGUMENT, "the buffer has rank ",
                        buffer->shape.size(), ", not ", rank);
    for (int32_t d = 0; d < rank; ++d)
      if (shape[d] < 0 || shape[d] > buffer->capacity[d])
        return makeStatus(HYDRA_INVALID_ARGUMENT, "dimension ", d, " of ",
                          shape[d], " is outside the buffer's capacity ",
                          buffer->capacity[d]);
    buffer->shape.assign(shape, shape + rank);
    return nullptr;
  });
}

extern "C" void hydra_buffer_free(hydra_buffer *buffer) { delete buffer; }
