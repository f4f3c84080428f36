// Model: an immutable Llama-architecture model (Llama 2/3, SEA-LION v2): its
// hyperparameters read from ModelFile metadata and views of its weights.
//
// Ownership: Model keeps the ModelFile alive; weight matrices stay memory
// mapped and are never copied (only the small norm vectors and RoPE
// frequency factors are decoded to f32 at load). Thread-safety: const after
// Load, shared freely across threads and sessions. Failure: Load throws
// bhasa::Error naming the file and the key or tensor that is missing, has the
// wrong shape or an unsupported type.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backends/native/model_file.h"

namespace bhasa::native {

struct LlamaHparams {
  std::string arch;          // general.architecture
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

struct LlamaLayer {
  std::vector<float> attn_norm, ffn_norm;  // n_embd each
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

  const LlamaHparams& hparams() const { return hp_; }
  const ModelFile& file() const { return *file_; }
  const TensorInfo& token_embd() const { return *token_embd_; }
  // output.weight, or token_embd.weight when the embeddings are tied.
  const TensorInfo& output() const { return *output_; }
  bool tied() const { return output_ == token_embd_; }
  std::span<const float> output_norm() const { return output_norm_; }
  const LlamaLayer& layer(int64_t i) const { return layers_[i]; }
  // RoPE divisors (rope_freqs.weight or derived from llama3 rope scaling);
  // empty when the model has none.
  std::span<const float> freq_factors() const { return freq_factors_; }
  int64_t n_params() const { return n_params_; }
  // The type most weight bytes are stored in ("Q4_K", "F16", ...).
  std::string quantization() const;

 private:
  std::shared_ptr<const ModelFile> file_;
  LlamaHparams hp_;
  const TensorInfo* token_embd_ = nullptr;
  const TensorInfo* output_ = nullptr;
  std::vector<float> output_norm_;
  std::vector<LlamaLayer> layers_;
  std::vector<float> freq_factors_;
  int64_t n_params_ = 0;
};

}  // namespace bhasa::native
