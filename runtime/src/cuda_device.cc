//===- cuda_device.cc - running programs on an NVIDIA GPU -----------------===//
//
// One context (the device's primary context) and one stream a session.
// Constants are uploaded once. The session copies a call's host inputs in,
// allocates its outputs and temporaries here, dispatches the program's
// launches (queued in order on the stream) and copies the outputs back.
//
//===----------------------------------------------------------------------===//

#include "cuda_code.h"
#include "cuda_driver.h"
#include "device.h"
#include "status.h"

#include <limits>

using namespace hydra;
using namespace hydra::rt;
using namespace hydra::rt::cuda;

namespace {
class CudaDevice : public Device {
public:
  ~CudaDevice() override {
    if (!driver_.library)
      return;
    for (CUdeviceptr p : constants_)
      if (p)
        driver_.cuMemFree(p);
    if (stream_)
      driver_.cuStreamDestroy(stream_);
    if (module_)
      driver_.cuModuleUnload(module_);
    if (context_)
      driver_.cuDevicePrimaryCtxRelease(device_);
  }

  fb::Device programDevice() const override { return fb::Device::cuda; }
  bool hostMemory() const override { return false; }

  hydra_status load(const hydra_module &module, int ordinal) {
    HYDRA_RETURN_IF_ERROR(loadDriver(driver_));
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuInit(0), "cuInit", HYDRA_UNAVAILABLE));
    int count = 0;
    HYDRA_RETURN_IF_ERROR(check(driver_.cuDeviceGetCount(&count),
                                "cuDeviceGetCount", HYDRA_UNAVAILABLE));
    if (ordinal < 0 || ordinal >= count)
      return makeStatus(HYDRA_UNAVAILABLE, "no CUDA device ", ordinal, " (",
                        count, " present)");
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuDeviceGet(&device_, ordinal), "cuDeviceGet"));
    int major = 0, minor = 0;
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuDeviceGetAttribute(&major, kAttrComputeCapabilityMajor,
                                           device_),
              "cuDeviceGetAttribute"));
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuDeviceGetAttribute(&minor, kAttrComputeCapabilityMinor,
                                           device_),
              "cuDeviceGetAttribute"));
    CudaCodeChoice code = selectCudaCode(*module.root, major, minor);
    if (!code.executable)
      return makeStatus(HYDRA_UNAVAILABLE, code.why);
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuDevicePrimaryCtxRetain(&context_, device_),
              "cuDevicePrimaryCtxRetain"));
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuCtxSetCurrent(context_), "cuCtxSetCurrent"));
    // The driver reads PTX as a NUL-terminated string.
    std::string image(
        reinterpret_cast<const char *>(code.executable->data()->data()),
        code.executable->data()->size());
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuModuleLoadData(&module_, image.c_str()),
              "loading the " + code.why));
    for (const fb::Kernel *k : *module.root->kernels()) {
      CUfunction fn = nullptr;
      if (k->device() == fb::Device::cuda)
        HYDRA_RETURN_IF_ERROR(
            check(driver_.cuModuleGetFunction(&fn, module_, k->name()->c_str()),
                  "finding kernel '" + k->name()->str() + "'",
                  HYDRA_INVALID_ARTIFACT));
      functions_.push_back(fn);
    }
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuStreamCreate(&stream_, 0), "cuStreamCreate"));
    if (module.root->constants())
      for (const fb::Constant *c : *module.root->constants()) {
        CUdeviceptr p = 0;
        HYDRA_RETURN_IF_ERROR(upload(c->data()->data(), c->data()->size(), p));
        constants_.push_back(p);
      }
    return nullptr;
  }

  hydra_status allocate(size_t bytes, void **address) override {
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuCtxSetCurrent(context_), "cuCtxSetCurrent"));
    CUdeviceptr p = 0;
    HYDRA_RETURN_IF_ERROR(allocate(bytes, p));
    *address = reinterpret_cast<void *>(p);
    return nullptr;
  }

  void release(void *address) override {
    if (address)
      driver_.cuMemFree(reinterpret_cast<CUdeviceptr>(address));
  }

  hydra_status upload(void *to, const void *from, size_t bytes) override {
    if (!bytes)
      return nullptr;
    return check(
        driver_.cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(to), from, bytes),
        "cuMemcpyHtoD");
  }

  hydra_status download(void *to, const void *from, size_t bytes) override {
    if (!bytes)
      return nullptr;
    // The launches on the stream write what is read here.
    HYDRA_RETURN_IF_ERROR(finish());
    return check(
        driver_.cuMemcpyDtoH(to, reinterpret_cast<CUdeviceptr>(from), bytes),
        "copying an output back");
  }

  void *constant(size_t index, void *) override {
    return reinterpret_cast<void *>(constants_[index]);
  }

  hydra_status dispatch(const fb::Module &module,
                        const LaunchArgs &args) override {
    HYDRA_RETURN_IF_ERROR(
        check(driver_.cuCtxSetCurrent(context_), "cuCtxSetCurrent"));
    // Each descriptor word is a kernel parameter of its own.
    std::vector<int64_t> words = args.words;
    const fb::Kernel &kernel = *args.kernel;
    constexpr int64_t kMaxGrid = std::numeric_limits<int32_t>::max();
    for (int64_t begin = 0; begin < args.total; begin += kMaxGrid) {
      int64_t end = args.total;
      std::vector<void *> params;
      for (int64_t &word : words)
        params.push_back(&word);
      params.push_back(&begin);
      params.push_back(&end);
      unsigned blocks = unsigned(std::min(args.total - begin, kMaxGrid));
      HYDRA_RETURN_IF_ERROR(
          check(driver_.cuLaunchKernel(functions_[args.launch->kernel()],
                                       blocks, 1, 1, kernel.block_size(), 1, 1,
                                       0, stream_, params.data(), nullptr),
                "launching kernel '" + kernel.name()->str() + "'"));
    }
    return nullptr;
  }

  hydra_status finish() override {
    return check(driver_.cuStreamSynchronize(stream_), "running the kernels");
  }

private:
  hydra_status check(CUresult result, const std::string &what,
                     hydra_status_code code = HYDRA_INTERNAL) {
    if (result == 0)
      return nullptr;
    return makeStatus(code, "CUDA: ", what,
                      " failed: ", describe(driver_, result));
  }

  hydra_status allocate(size_t bytes, CUdeviceptr &p) {
    // cuMemAlloc refuses 0 bytes; an empty buffer still needs an address.
    return check(driver_.cuMemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc");
  }

  /// A device copy of `bytes` at `data`; nothing stays allocated on error.
  hydra_status upload(const void *data, size_t bytes, CUdeviceptr &p) {
    HYDRA_RETURN_IF_ERROR(allocate(bytes, p));
    if (hydra_status s =
            bytes ? check(driver_.cuMemcpyHtoD(p, data, bytes), "cuMemcpyHtoD")
                  : nullptr) {
      driver_.cuMemFree(p);
      p = 0;
      return s;
    }
    return nullptr;
  }

  Driver driver_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUmodule module_ = nullptr;
  CUstream stream_ = nullptr;
  std::vector<CUfunction> functions_;
  std::vector<CUdeviceptr> constants_;
};
} // namespace

hydra_status hydra::rt::createCudaDevice(const hydra_module &module,
                                         int ordinal,
                                         std::unique_ptr<Device> *out) {
  auto device = std::make_unique<CudaDevice>();
  HYDRA_RETURN_IF_ERROR(device->load(module, ordinal));
  *out = std::move(device);
  return nullptr;
}
