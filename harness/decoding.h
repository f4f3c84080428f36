// Decoding settings of `bhasa run`: the temperature, top_p, top_k, max_tokens
// and seed every request to the model under test carries. Resolved once per
// run, the first source that sets a value wins:
//   1. --temperature, --top-p, --top-k, --max-tokens, --seed
//   2. --gen-kwargs temperature=0,top_p=1,top_k=0,max_tokens=64,seed=7
//   3. the task's configuration: max_tokens per task (SEA-HELM's values)
//   4. the model's generation_config.json (a Hugging Face directory): temperature, top_p, top_k
//   5. greedy: temperature 0, top_p 1, top_k 0 (no cut)
// The resolved values are written back into RunOptions, so that config.json
// records them and `bhasa score` rebuilds the very same requests.
//
// Thread-safety: pure functions, except ReadGenerationConfig (reads a file).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "harness/run_options.h"

namespace bhasa {

// One source's settings; unset fields leave the choice to the next source.
struct DecodingLayer {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::optional<int> max_tokens;
  std::optional<long long> seed;
};

// Parses "k=v,k=v" (keys temperature, top_p, top_k, max_tokens, seed, as in
// lm-evaluation-harness's --gen_kwargs). Throws Error with kExitUsage naming
// the key or value on an unknown or repeated key, a missing or bad value.
DecodingLayer ParseGenKwargs(std::string_view text);

// temperature, top_p and top_k of `model_path`/generation_config.json when
// model_path is a directory that has one; an empty layer otherwise (a GGUF
// file, a model name served elsewhere). Like vLLM, do_sample is not read.
// Throws Error naming the file and field when the file is malformed.
DecodingLayer ReadGenerationConfig(const std::string& model_path);

// Fills o.temperature, o.top_p, o.top_k (always) and o.max_tokens, o.seed
// (when a source sets them) from the sources above. `seed_flag_given` says
// whether --seed was on the command line (it then beats gen-kwargs' seed).
// Throws Error with kExitUsage naming the flag or key of an out-of-range value.
void ResolveDecoding(RunOptions& o, bool seed_flag_given);

}  // namespace bhasa
