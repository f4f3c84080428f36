// Architecture: what sets one model family apart, in one small place per
// family (arch/<name>.cc). An architecture is
//  - a descriptor (ArchOptions): the options the forward pass needs, read
//    from the GGUF keys of general.architecture by Describe, which also
//    names the tensors each layer must have; and
//  - a builder (Build) that lists the ops of one forward pass (a Program,
//    see program.h) over the model's weights.
// Forward executes the Program; the kernels never ask which family runs.
//
// Adding a family: write arch/<name>.cc with an ArchLayout, a Describe, a
// Build and one RegisterArchitecture line, plus its fixture tests; nothing
// else changes (docs/engine.md walks through it).
//
// Thread-safety: the registry is filled during static initialisation and
// read-only afterwards. Failure: Describe throws bhasa::Error naming the file
// and the key that is missing or out of range.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "backends/native/model_file.h"

namespace bhasa::native {

class Model;
struct Program;

enum class Activation { kSilu, kGeluTanh };  // of the gated feed-forward
enum class OutputTensor { kOptional, kTokenEmbd };  // output.weight if present, or always token_embd

// Every option the forward pass of a supported family needs. Hyper-parameters
// shared by all families (widths, heads, rope base) are in Hparams.
struct ArchOptions {
  bool rope_neox = false;        // rotate halves (ggml NEOX) instead of adjacent pairs
  bool qkv_bias = false;         // blk.N.attn_{q,k,v}.bias present and added
  bool post_norms = false;       // blk.N.post_attention_norm / post_ffw_norm after each sub-block
  Activation activation = Activation::kSilu;
  float embd_scale = 1.0f;       // token embeddings are multiplied by this
  float q_scale = 0.0f;          // > 0: queries pre-scaled after RoPE, attention scale 1
  float attn_softcap = 0.0f;     // > 0: attention logit soft-capping
  float final_softcap = 0.0f;    // > 0: output logit soft-capping
  int64_t sliding_window = 0;    // keys a sliding layer sees (0: none)
  std::vector<bool> sliding;     // per layer: uses sliding_window
  OutputTensor output = OutputTensor::kOptional;
  std::vector<float> freq_factors;  // RoPE divisors (llama3 scaling), or empty
};

struct Hparams {
  std::string arch;  // general.architecture
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;
  int64_t rope_dim = 0;
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-5f;
  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// A family's GGUF layout beyond llama's, for writers of random models
// (bhasa model create-random, tests): extra per-layer tensors and keys.
struct ArchLayout {
  bool qkv_bias = false;    // blk.N.attn_{q,k,v}.bias
  bool post_norms = false;  // blk.N.post_attention_norm.weight, blk.N.post_ffw_norm.weight
  bool tied = false;        // no output.weight
  std::vector<std::pair<const char*, float>> float_keys;  // "<arch>.<key>" = value
  std::vector<std::pair<const char*, int64_t>> int_keys;
};

struct Architecture {
  const char* name;  // general.architecture
  ArchLayout layout;
  // Reads the family's own keys (and tensors such as rope_freqs) into
  // `options`; the shared Hparams are already read.
  void (*describe)(const ModelFile& file, const Hparams& hp, ArchOptions& options);
  // Lists the ops of one forward pass over `model`'s weights.
  Program (*build)(const Model& model);
};

// The architecture named `name`, or null.
const Architecture* FindArchitecture(const std::string& name);
// Names of every registered architecture, sorted.
std::vector<std::string> ArchitectureNames();

// Registers an architecture at static initialisation; a duplicate name is a
// startup error.
struct RegisterArchitecture {
  explicit RegisterArchitecture(const Architecture& arch);
};

// Throws bhasa::Error "<file>: <msg>".
[[noreturn]] void ArchFail(const ModelFile& f, const std::string& msg);
// Looks up a tensor, checks its ggml shape (ne order; trailing 1s ignored)
// and that its type is supported.
const TensorInfo* RequireTensor(const ModelFile& f, const std::string& name, std::vector<int64_t> ne);
// A 1-D tensor of n elements, decoded to f32.
std::vector<float> RequireVector(const ModelFile& f, const std::string& name, int64_t n);
// A float key, or `fallback` (the default llama.cpp uses) when absent.
float KeyFloat(const ModelFile& f, const std::string& key, float fallback);

}  // namespace bhasa::native
