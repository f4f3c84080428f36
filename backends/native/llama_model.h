// Model: an immutable decoder-only transformer of one of the registered
// architectures (arch/: llama incl. Llama 3.1 rope scaling, qwen2, gemma2):
// its hyper-parameters and architecture options read from ModelFile
// metadata, views of its weights, and the Program its architecture's builder
// lists for one forward pass.
//
// Ownership: Model keeps the ModelFile alive; weight matrices stay memory
// mapped and are never copied (only the small norm and bias vectors and RoPE
// frequency factors are decoded to f32 at load). Thread-safety: const after
// Load, shared freely across threads and sessions. Failure: Load throws
// bhasa::Error naming the file and the key or tensor that is missing, has the
// wrong shape or an unsupported type, or the unsupported architecture.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backends/native/arch/arch.h"
#include "backends/native/arch/program.h"
#include "backends/native/model_file.h"

namespace bhasa::native {

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;             // n_embd each
  std::vector<float> post_attn_norm, post_ffn_norm;   // n_embd each, with post_norms
  std::vector<float> bq, bk, bv;                      // q_dim, kv_dim, kv_dim, with qkv_bias
  const TensorInfo* wq = nullptr;
  const TensorInfo* wk = nullptr;
  const TensorInfo* wv = nullptr;
  const TensorInfo* wo = nullptr;
  const TensorInfo* ffn_gate = nullptr;
  const TensorInfo* ffn_up = nullptr;
  const TensorInfo* ffn_down = nullptr;
};

class Model {
 public:
  // Opens a GGUF file or an HF directory (ModelFile::Open) and checks it.
  static std::shared_ptr<const Model> Load(const std::string& path);
  explicit Model(std::shared_ptr<const ModelFile> file);
  Model(const Model&) = delete;  // the program points into this object
  Model& operator=(const Model&) = delete;

  const Hparams& hparams() const { return hp_; }
  const Architecture& architecture() const { return *arch_; }
  const ArchOptions& options() const { return options_; }
  const Program& program() const { return program_; }
  const ModelFile& file() const { return *file_; }
  const TensorInfo& token_embd() const { return *token_embd_; }
  // output.weight, or token_embd.weight when the embeddings are tied.
  const TensorInfo& output() const { return *output_; }
  bool tied() const { return output_ == token_embd_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const LayerWeights& layer(int64_t i) const { return layers_[i]; }
  // RoPE divisors (rope_freqs.weight or derived from llama3 rope scaling);
  // empty when the model has none.
  std::span<const float> freq_factors() const { return options_.freq_factors; }
  // RoPE as the options describe it (freq_factors point into this Model).
  RopeParams rope() const;
  int64_t n_params() const { return n_params_; }
  // The type most weight bytes are stored in ("Q4_K", "F16", ...).
  std::string quantization() const;

 private:
  std::shared_ptr<const ModelFile> file_;
  const Architecture* arch_ = nullptr;
  Hparams hp_;
  ArchOptions options_;
  const TensorInfo* token_embd_ = nullptr;
  const TensorInfo* output_ = nullptr;
  std::vector<float> output_norm_;
  std::vector<LayerWeights> layers_;
  Program program_;
  int64_t n_params_ = 0;
};

}  // namespace bhasa::native
