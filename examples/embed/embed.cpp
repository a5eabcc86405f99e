// Greedy decoding embedded in a C++ program through hydra/runtime.hpp: the
// caches stay in session buffers from call to call, the KV caches the
// artifact marks in place grow where they are (nothing copied), the states
// are overwritten. The artifact's cache pairs say which output continues
// which input, so nothing here knows the model's names or layers.
//
//   hydra-embed MODEL.hydra PROMPT_IDS COUNT       (ids comma-separated)
//
// prints the COUNT new tokens on one line.

#include <hydra/runtime.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::vector<int64_t> parseIds(const char *text) {
  std::vector<int64_t> ids;
  for (const char *p = text; *p;) {
    char *end = nullptr;
    long long id = std::strtoll(p, &end, 10);
    if (end == p || id < 0)
      throw hydra::Error(HYDRA_INVALID_ARGUMENT,
                         std::string("bad token ids '") + text + "'");
    ids.push_back(id);
    p = *end == ',' ? end + 1 : end;
  }
  return ids;
}

size_t elements(const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  return n;
}

/// The decoder: its cache pairs, its one other input (the token ids) and
/// first other output (the logits), and the caches between calls.
struct Decoder {
  hydra::Module module;
  hydra::Session session;
  std::string function;
  std::vector<hydra::Arg> inputs, outputs;
  std::vector<hydra::CachePair> pairs;
  size_t ids = 0, logits = 0;
  std::vector<hydra::Buffer> caches; // by input index

  explicit Decoder(const char *path)
      : module(hydra::Module::load(path)), session(module),
        function(module.functionName(0)), inputs(module.inputs(0)),
        outputs(module.outputs(0)), pairs(module.caches(0)) {
    if (pairs.empty())
      throw hydra::Error(HYDRA_INVALID_ARGUMENT,
                         "the artifact returns no caches: it cannot decode");
    std::vector<bool> cacheIn(inputs.size()), cacheOut(outputs.size());
    for (const hydra::CachePair &p : pairs)
      cacheIn[p.input] = cacheOut[p.output] = true;
    ids = std::find(cacheIn.begin(), cacheIn.end(), false) - cacheIn.begin();
    logits =
        std::find(cacheOut.begin(), cacheOut.end(), false) - cacheOut.begin();
    if (ids == inputs.size() || inputs[ids].dtype != HYDRA_DTYPE_I64 ||
        logits == outputs.size() || outputs[logits].dtype != HYDRA_DTYPE_F32)
      throw hydra::Error(HYDRA_INVALID_ARGUMENT,
                         "a decoder takes i64 token ids and returns f32 "
                         "logits besides its caches");
  }

  /// Empty caches for one sequence: appends of length 0 with room for
  /// `capacity` tokens where they grow in place, zero states.
  void start(int64_t capacity) {
    caches.clear();
    caches.resize(inputs.size());
    for (const hydra::CachePair &p : pairs) {
      const hydra::Arg &arg = inputs[p.input];
      std::vector<int64_t> shape = arg.shape;
      shape[0] = 1; // the batch
      if (p.kind == HYDRA_CACHE_APPEND)
        shape[p.axis] = 0;
      std::vector<int64_t> room;
      if (p.kind == HYDRA_CACHE_APPEND && p.inPlace) {
        room = shape;
        room[p.axis] = capacity;
      }
      caches[p.input] = session.buffer(arg.dtype, shape, room);
      std::vector<char> zeros(elements(shape) * hydra_dtype_size(arg.dtype));
      caches[p.input].upload(zeros.data(), zeros.size());
    }
  }

  /// One call on `tokens` after the caches so far; returns the next token.
  int64_t step(const std::vector<int64_t> &tokens) {
    hydra::Buffer idsBuffer =
        session.buffer(HYDRA_DTYPE_I64, {1, int64_t(tokens.size())});
    idsBuffer.upload(tokens.data(), tokens.size() * sizeof(int64_t));
    // An in-place pair passes one buffer as its input and its output.
    std::vector<hydra::Buffer> out(outputs.size());
    std::vector<const hydra::Buffer *> in(inputs.size());
    in[ids] = &idsBuffer;
    for (const hydra::CachePair &p : pairs) {
      if (p.kind == HYDRA_CACHE_APPEND && p.inPlace) {
        out[p.output] = std::move(caches[p.input]);
        in[p.input] = &out[p.output];
      } else {
        in[p.input] = &caches[p.input];
      }
    }
    session.runBuffers(function, in, out);
    for (const hydra::CachePair &p : pairs)
      caches[p.input] = std::move(out[p.output]);

    std::vector<int64_t> shape = out[logits].shape(); // [1, S, V]
    std::vector<float> values(elements(shape));
    out[logits].download(values.data(), values.size() * sizeof(float));
    int64_t vocab = shape.back();
    const float *last = values.data() + values.size() - vocab;
    return std::max_element(last, last + vocab) - last;
  }
};

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL.hydra PROMPT_IDS COUNT\n", argv[0]);
    return 2;
  }
  try {
    std::vector<int64_t> prompt = parseIds(argv[2]);
    int count = std::atoi(argv[3]);
    if (prompt.empty() || count < 1)
      throw hydra::Error(HYDRA_INVALID_ARGUMENT,
                         "give a prompt and a positive count");
    Decoder decoder(argv[1]);
    decoder.start(int64_t(prompt.size()) + count);
    std::vector<int64_t> tokens{decoder.step(prompt)};
    while (int(tokens.size()) < count)
      tokens.push_back(decoder.step({tokens.back()}));
    for (size_t i = 0; i < tokens.size(); ++i)
      std::printf(i ? " %lld" : "%lld", static_cast<long long>(tokens[i]));
    std::printf("\n");
    std::fprintf(stderr, "hydra %s (headers %s)\n", hydra::version().c_str(),
                 hydra::kHeaderVersion);
    return 0;
  } catch (const hydra::Error &e) {
    std::fprintf(stderr, "hydra-embed: %s\n", e.what());
    return 1;
  }
}
