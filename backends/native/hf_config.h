// Translation of Hugging Face checkpoints to GGUF conventions, as llama.cpp's
// converter (convert_hf_to_gguf.py) writes them: config.json → GGUF metadata
// keys, tensor names → GGUF tensor names.
//   model_type llama, mistral → general.architecture "llama"
//   model_type qwen2          → "qwen2"   (q/k/v biases)
//   model_type gemma2         → "gemma2"  (four norms per block, soft-capping,
//                                          sliding window, tied embeddings)
// Pure functions; failures throw bhasa::Error naming `path` and the field.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/native/model_file.h"

namespace bhasa::native {

// config.json → general.* / <arch>.* / tokenizer.ggml.{bos,eos}_token_id keys
// (see model_file.h for the list per architecture).
std::map<std::string, MetaValue> TranslateHfConfig(const nlohmann::json& config, const std::string& path);

// Adds tokenizer_config.json fields with GGUF equivalents
// (chat_template → tokenizer.chat_template, add_bos_token/add_eos_token).
void TranslateTokenizerConfig(const nlohmann::json& tok_config, const std::string& path,
                              std::map<std::string, MetaValue>* meta);

// For GGUF architecture `arch`: "model.layers.3.self_attn.q_proj.weight" →
// "blk.3.attn_q.weight"; names without a GGUF equivalent come back unchanged;
// "" for tensors to drop (rotary inv_freq buffers).
std::string HfToGgufTensorName(const std::string& arch, const std::string& hf_name);

// Whether the converter permutes the rows of attn_q/attn_k for this
// architecture (llama: HF's rotate_half layout → RoPE NORM pairs). Qwen2 and
// Gemma 2 use RoPE NEOX, which is rotate_half, so their rows stay as stored.
bool HfPermutesQk(const std::string& arch);

// Whether the stored tensor holds w where the model multiplies by (1 + w):
// Gemma's RMSNorm weights, which the converter writes as w + 1.
bool HfNormIsOffsetByOne(const std::string& arch, const std::string& gguf_name);

}  // namespace bhasa::native
