// Translation of Hugging Face Llama-family checkpoints to GGUF conventions:
// config.json → GGUF metadata keys, tensor names → GGUF tensor names.
// Pure functions; failures throw bhasa::Error naming `path` and the field.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/native/model_file.h"

namespace bhasa::native {

// config.json (model_type llama or mistral) → llama.* / general.* /
// tokenizer.ggml.{bos,eos}_token_id keys (see model_file.h for the list).
std::map<std::string, MetaValue> TranslateHfConfig(const nlohmann::json& config, const std::string& path);

// Adds tokenizer_config.json fields with GGUF equivalents
// (chat_template → tokenizer.chat_template, add_bos_token/add_eos_token).
void TranslateTokenizerConfig(const nlohmann::json& tok_config, std::map<std::string, MetaValue>* meta);

// "model.layers.3.self_attn.q_proj.weight" → "blk.3.attn_q.weight"; names
// without a GGUF equivalent come back unchanged; "" for tensors to drop
// (rotary inv_freq buffers).
std::string HfToGgufTensorName(const std::string& hf_name);

}  // namespace bhasa::native
