//===- hydra-run.cpp - run a hydra artifact on .npy inputs ----------------===//
//
//   hydra-run OUT.hydra --input NAME=FILE.npy [--input ...] --output-dir DIR
//             [--function NAME] [--threads N]
//             [--device=cpu|cuda[:N]|gpu-emulator]
//             [--repeat N]
//
// Writes DIR/NAME.npy for every output. Links only the hydra runtime.
// With --repeat N the function runs once to warm up, then N times more,
// timed one call at a time, and hydra-run prints
// "median X ms over N runs (min Y, max Z)"; the outputs written are the
// last run's.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "hydra/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <sys/stat.h>
#include <vector>

using hydra::tools::NpyArray;

namespace {
const char *kUsage = "usage: hydra-run MODEL.hydra --input NAME=FILE.npy [...] "
                     "--output-dir DIR [--function NAME] [--threads N] "
                     "[--device=cpu|cuda[:N]|gpu-emulator] [--repeat N]\n";

const char *kHelp =
    "\nRuns a function of a hydra artifact on .npy inputs and writes its\n"
    "outputs as DIR/NAME.npy. Links only the hydra runtime.\n\n"
    "  --input NAME=FILE.npy   an input, by its name in the signature\n"
    "                          (hydra-inspect lists them); one per input\n"
    "  --output-dir DIR        where the outputs go (created if missing)\n"
    "  --function NAME         the function to run (default: the first)\n"
    "  --threads N             CPU threads, 0 for every core (default 0)\n"
    "  --device=D              cpu (default), cuda or cuda:N (an NVIDIA GPU\n"
    "                          through the CUDA driver), gpu-emulator (the\n"
    "                          GPU kernels on the CPU, for testing)\n"
    "  --repeat N              run once to warm up, then N timed runs; print\n"
    "                          \"median X ms over N runs (min Y, max Z)\"\n"
    "  --help, --version\n";

int usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "hydra-run: %s\n", message.c_str());
  return 1;
}

int failStatus(hydra_status status) {
  int rc = fail(hydra_status_message(status));
  hydra_status_free(status);
  return rc;
}

/// Frees a runtime object however main returns.
template <typename T, void (*Free)(T *)> struct Owned {
  T *ptr = nullptr;
  ~Owned() { Free(ptr); }
};

/// `text` as a non-negative int no larger than `max`, digits only.
bool parseCount(const std::string &text, int max, int &out) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::atoi(text.c_str());
  return out <= max;
}

/// The value of `--name=value` or `--name value` at argv[i].
bool option(int argc, char **argv, int &i, const char *name,
            std::string &value) {
  size_t n = std::strlen(name);
  if (std::strncmp(argv[i], name, n) != 0)
    return false;
  if (argv[i][n] == '=') {
    value = argv[i] + n + 1;
    return true;
  }
  if (argv[i][n] == '\0' && i + 1 < argc) {
    value = argv[++i];
    return true;
  }
  return false;
}
} // namespace

int main(int argc, char **argv) {
  std::string model, outputDir, functionName, device = "cpu", value;
  std::map<std::string, std::string> inputFiles;
  int threads = 0, repeat = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(kUsage, stdout);
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      std::printf("hydra-run %s (runtime library %s, reads artifact format "
                  "%u)\n",
                  HYDRA_VERSION_STRING, hydra_version(),
                  hydra_artifact_format_version());
      return 0;
    }
    if (option(argc, argv, i, "--input", value)) {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0)
        return fail("--input takes NAME=FILE.npy, got '" + value + "'");
      inputFiles[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (option(argc, argv, i, "--output-dir", value)) {
      outputDir = value;
    } else if (option(argc, argv, i, "--function", value)) {
      functionName = value;
    } else if (option(argc, argv, i, "--threads", value)) {
      if (!parseCount(value, 1 << 20, threads))
        return fail("--threads takes a non-negative integer, got '" + value +
                    "'");
    } else if (option(argc, argv, i, "--repeat", value)) {
      if (!parseCount(value, 1 << 20, repeat) || repeat == 0)
        return fail("--repeat takes a positive integer, got '" + value + "'");
    } else if (option(argc, argv, i, "--device", value)) {
      device = value;
    } else if (argv[i][0] == '-') {
      return usage();
    } else if (model.empty()) {
      model = argv[i];
    } else {
      return usage();
    }
  }
  if (model.empty() || outputDir.empty())
    return usage();
  hydra_device_kind deviceKind;
  int ordinal = 0;
  if (device == "cpu")
    deviceKind = HYDRA_DEVICE_CPU;
  else if (device == "gpu-emulator")
    deviceKind = HYDRA_DEVICE_GPU_EMULATOR;
  else if (device.rfind("cuda", 0) == 0 &&
           (device.size() == 4 ||
            (device[4] == ':' && device.size() > 5 &&
             device.find_first_not_of("0123456789", 5) == std::string::npos))) {
    deviceKind = HYDRA_DEVICE_CUDA;
    if (device.size() > 5 && !parseCount(device.substr(5), 1 << 20, ordinal))
      return fail("device ordinal out of range in '" + device + "'");
  } else
    return fail("unknown device '" + device +
                "' (cpu, cuda, cuda:N, gpu-emulator)");

  Owned<hydra_module, hydra_module_free> ownedModule;
  if (hydra_status s = hydra_module_load_file(model.c_str(), &ownedModule.ptr))
    return failStatus(s);
  hydra_module *module = ownedModule.ptr;
  size_t function = 0, count = hydra_module_function_count(module);
  if (!functionName.empty()) {
    for (function = 0; function < count; ++function)
      if (functionName == hydra_module_function_name(module, function))
        break;
    if (function == count)
      return fail("no function '" + functionName + "' in " + model);
  } else if (count != 1) {
    return fail("the artifact has " + std::to_string(count) +
                " functions; choose one with --function");
  }
  functionName = hydra_module_function_name(module, function);

  size_t numInputs = hydra_module_signature_count(module, function, 1);
  std::vector<NpyArray> arrays(numInputs);
  std::vector<hydra_tensor> inputs(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    const char *name;
    hydra_module_signature(module, function, 1, i, &name, nullptr, nullptr,
                           nullptr, 0);
    auto it = inputFiles.find(name);
    if (it == inputFiles.end())
      return fail(std::string("missing --input ") + name + "=FILE.npy");
    std::string error;
    if (!hydra::tools::readNpy(it->second, arrays[i], error))
      return fail("input '" + std::string(name) + "': " + error);
    inputs[i] = {name, arrays[i].dtype, int32_t(arrays[i].shape.size()),
                 arrays[i].shape.data(), arrays[i].data.data()};
    inputFiles.erase(it);
  }
  if (!inputFiles.empty())
    return fail("function '" + functionName + "' has no input '" +
                inputFiles.begin()->first + "'");

  hydra_session_options options = {deviceKind, threads, ordinal};
  Owned<hydra_session, hydra_session_free> session;
  if (hydra_status s = hydra_session_create(module, &options, &session.ptr))
    return failStatus(s);
  Owned<hydra_outputs, hydra_outputs_free> ownedOutputs;
  std::vector<double> times;
  for (int run = 0; run <= repeat; ++run) {
    hydra_outputs_free(ownedOutputs.ptr);
    ownedOutputs.ptr = nullptr;
    auto start = std::chrono::steady_clock::now();
    if (hydra_status s =
            hydra_session_run(session.ptr, functionName.c_str(), inputs.data(),
                              inputs.size(), &ownedOutputs.ptr))
      return failStatus(s);
    std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - start;
    if (run > 0) // run 0 warms up
      times.push_back(took.count());
  }
  if (repeat > 0) {
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median =
        n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    std::printf("median %.3f ms over %zu runs (min %.3f, max %.3f)\n", median,
                n, times.front(), times.back());
  }
  const hydra_outputs *outputs = ownedOutputs.ptr;
  mkdir(outputDir.c_str(), 0755);
  for (size_t i = 0; i < hydra_outputs_count(outputs); ++i) {
    const hydra_tensor *t = hydra_outputs_get(outputs, i);
    std::string path = outputDir + "/" + t->name + ".npy", error;
    if (!hydra::tools::writeNpy(path, *t, error))
      return fail(error);
    std::printf("wrote %s\n", path.c_str());
  }
  return 0;
}
