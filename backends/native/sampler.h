// Sampler: picks the next token from a row of logits (greedy, or temperature
// with top-k / top-p and a seeded RNG), plus the stop-string matcher used by
// the generation loop.
//
// Usage:
//   Sampler s(SamplerParams{.temperature = 0.7f, .top_p = 0.9f, .seed = 42});
//   int32_t id = s.Sample(logits);
//
// A Sampler owns its RNG state; one per sequence, not shared across threads.
// The same seed and logits give the same tokens on every machine (the RNG is
// std::mt19937_64 and uniform draws are built from its raw bits).
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bhasa::native {

struct SamplerParams {
  float temperature = 0.0f;  // <= 0: greedy (argmax, ties -> lowest id)
  int top_k = 0;             // <= 0: no top-k cut
  float top_p = 1.0f;        // >= 1: no nucleus cut
  uint64_t seed = 1234;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);
  // Throws Error when logits is empty.
  int32_t Sample(std::span<const float> logits);
  // The uniform draw in [0, 1) the next non-greedy Sample would make, taken
  // from the RNG as Sample takes it: a device that samples on its own side
  // (sample_math.h) draws here, so the seed gives the same tokens.
  double Draw();
  const SamplerParams& params() const { return params_; }

 private:
  SamplerParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // scratch
};

// Argmax with ties broken toward the lowest id; -1 for an empty span.
int32_t Argmax(std::span<const float> logits);

// Finds the earliest occurrence of any stop string in text[from - longest + 1 ..].
// Returns the byte offset where the stop string starts, or npos. `from` is the
// length of the text already checked, so repeated calls cost O(new text).
size_t FindStop(std::string_view text, std::span<const std::string> stops, size_t from = 0);

}  // namespace bhasa::native
