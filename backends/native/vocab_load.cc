// Vocab loaders: Hugging Face tokenizer.json (+ tokenizer_config.json) and
// GGUF metadata through ModelFile.
#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backends/native/model_file.h"
#include "backends/native/vocab.h"
#include "backends/native/vocab_spm.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/json_field.h"

namespace bhasa::native {

namespace {

using nlohmann::json;

constexpr std::string_view kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

json ParseJsonFile(const std::string& path) {
  std::string text = ReadFile(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw FileError(path, 0, std::string("invalid JSON: ") + e.what());
  }
}

// Every object in a pre_tokenizer / post_processor tree (Sequence nests).
void Flatten(const json& node, const char* list_key, std::vector<const json*>* out) {
  if (!node.is_object()) return;
  out->push_back(&node);
  if (auto it = node.find(list_key); it != node.end() && it->is_array())
    for (const json& child : *it) Flatten(child, list_key, out);
}

// "bos_token": "<s>" or {"content": "<s>", ...}
std::string TokenName(const json& cfg, const char* key, const std::string& path) {
  const json* v = FindField(cfg, key);
  if (!v) return "";
  if (v->is_object()) return RequireField<std::string>(*v, "content", path + ": field '" + key + "'");
  return FieldAs<std::string>(*v, key, path);
}

// "chat_template": "..." or [{"name": "default", "template": "..."}, ...]
std::string ChatTemplateText(const json& cfg, const std::string& path) {
  const json* v = FindField(cfg, "chat_template");
  if (!v) return "";
  if (!v->is_array()) return FieldAs<std::string>(*v, "chat_template", path);
  std::string first;
  for (const json& t : *v) {
    const std::string where = path + ": field 'chat_template'";
    if (!t.is_object()) throw Error(where + " must be a string or a list of {\"name\", \"template\"} objects");
    const std::string text = RequireField<std::string>(t, "template", where);
    if (FieldOr(t, "name", "", where) == "default") return text;
    if (first.empty()) first = text;
  }
  return first;
}

// What a tokenizer.json normalizer does, among the ones supported: nothing,
// NFC (Qwen2), or SentencePiece's spaces written as "▁" (Replace), with a
// "▁" put before the text (Prepend: Llama 2) or not (Gemma).
struct Normalization {
  bool nfc = false, metaspace = false, prepend = false;
};

template <typename Fail>
Normalization ReadNormalizer(const json& root, const std::string& path, const Fail& fail) {
  std::vector<const json*> nodes;
  Flatten(root, "normalizers", &nodes);
  auto string_field = [](const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Normalization n;
  for (const json* node : nodes) {
    const std::string type = FieldOr(*node, "type", "", path);
    const json* pattern = node->contains("pattern") ? &(*node)["pattern"] : nullptr;
    if (node->empty() || type == "Sequence") continue;
    if (type == "NFC") {
      n.nfc = true;
    } else if (type == "Replace" && pattern && pattern->is_object() && string_field(*pattern, "String") == " " &&
               string_field(*node, "content") == kSpmSpace) {
      n.metaspace = true;
    } else if (type == "Prepend" && string_field(*node, "prepend") == kSpmSpace) {
      n.prepend = true;
    } else {
      throw fail("normalizer type \"" + type + "\" is not supported here (NFC; Replace \" \" by \"▁\"; Prepend \"▁\")");
    }
  }
  if (n.prepend && !n.metaspace) throw fail("normalizer Prepend \"▁\" without Replace \" \" by \"▁\" is not supported");
  return n;
}

std::string Sibling(const std::string& path, const std::string& name) {
  auto p = std::filesystem::path(path).parent_path() / name;
  return std::filesystem::exists(p) ? p.string() : "";
}

Vocab TokenizerJsonToVocab(const std::string& path, const std::string& config_path) {
  json tj = ParseJsonFile(path);
  auto fail = [&](const std::string& msg) -> Error { return FileError(path, 0, msg); };
  if (!tj.is_object() || !tj.contains("model") || !tj["model"].is_object()) throw fail("no \"model\" object");
  const json& model = tj["model"];
  const std::string model_type = FieldOr(model, "type", "", path);
  if (model_type != "BPE") throw fail("model.type \"" + model_type + "\" is not supported (only BPE)");

  static const json kEmptyObject = json::object(), kEmptyArray = json::array();
  // Members by reference: value() would copy the (large) vocab and merges.
  auto member = [](const json& j, const char* key, const json& fallback) -> const json& {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? fallback : *it;
  };
  const Normalization norm = ReadNormalizer(member(tj, "normalizer", kEmptyObject), path, fail);
  std::vector<const json*> pres;
  Flatten(member(tj, "pre_tokenizer", kEmptyObject), "pretokenizers", &pres);
  bool byte_level = false, gpt2_regex = false;
  std::string split_regex, split_string;
  for (const json* p : pres) {
    std::string type = FieldOr(*p, "type", "", path);
    if (type == "ByteLevel") {
      byte_level = true;
      gpt2_regex = FieldOr(*p, "use_regex", true, path);
    } else if (type == "Split" && p->contains("pattern") && (*p)["pattern"].is_object()) {
      split_regex = FieldOr((*p)["pattern"], "Regex", "", path);
      split_string = FieldOr((*p)["pattern"], "String", "", path);
    } else if (!p->empty() && type != "Sequence") {
      throw fail("pre_tokenizer type \"" + type + "\" is not supported");
    }
  }

  VocabSpec spec;
  spec.nfc = norm.nfc;
  if (byte_level) {
    if (norm.metaspace) throw fail("a byte-level tokenizer with a normalizer writing spaces as \"▁\" is not supported");
    spec.kind = VocabKind::kBpe;
    if (split_regex == kLlama3Regex) {
      spec.pre = PreTokenizer::kLlama3;
    } else if (split_regex == kQwen2Regex) {
      spec.pre = PreTokenizer::kQwen2;
    } else if (split_regex.empty() && split_string.empty() && gpt2_regex) {
      spec.pre = PreTokenizer::kGpt2;
    } else {
      throw fail("unsupported pre-tokenizer" +
                 (split_regex.empty() ? std::string() : " regex \"" + split_regex + "\"") +
                 " (supported: the Llama 3 or Qwen2 Split regex, or GPT-2 ByteLevel use_regex)");
    }
    spec.ignore_merges = FieldOr(model, "ignore_merges", false, path);
  } else if (norm.metaspace) {
    // Gemma's: spaces become "▁" before the model sees the text, so a Split
    // on " " (Gemma 3 has one) never fires.
    if (!split_regex.empty() || (!split_string.empty() && split_string != " "))
      throw fail("a pre_tokenizer that splits \"▁\"-escaped text is not supported");
    if (!FieldOr(model, "byte_fallback", false, path))
      throw fail("SentencePiece-style BPE needs \"byte_fallback\": true in model");
    if (FieldOr(model, "ignore_merges", false, path))
      throw fail("\"ignore_merges\" is supported for byte-level BPE only");
    spec.kind = VocabKind::kSpm;
    spec.add_space_prefix = norm.prepend;
  } else {
    throw fail("only byte-level BPE, or BPE over text whose spaces the normalizer writes as \"▁\" (Gemma), "
               "is supported");
  }

  // Ids: model.vocab plus added_tokens; holes become unused pad tokens.
  const json& vocab = member(model, "vocab", kEmptyObject);
  if (!vocab.is_object()) throw fail("model.vocab is not an object");
  const json& added = member(tj, "added_tokens", kEmptyArray);
  int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      throw fail("model.vocab[\"" + it.key() + "\"]: id is not a non-negative integer");
    max_id = std::max(max_id, it->get<int64_t>());
  }
  for (const json& a : added) {
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || a["id"].get<int64_t>() < 0 ||
        !a.contains("content") || !a["content"].is_string())
      throw fail("added_tokens: each entry needs a non-negative \"id\" and a \"content\" string");
    max_id = std::max(max_id, a["id"].get<int64_t>());
  }
  if (max_id >= (int64_t{1} << 24)) throw fail("token id " + std::to_string(max_id) + " is implausibly large");
  const size_t n = static_cast<size_t>(max_id + 1);
  spec.tokens.assign(n, "");
  spec.types.assign(n, TokenType::kUnused);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    size_t id = it->get<size_t>();
    spec.tokens[id] = it.key();
    spec.types[id] = TokenType::kNormal;
  }
  for (const json& a : added) {
    size_t id = a["id"].get<size_t>();
    spec.tokens[id] = a["content"].get<std::string>();
    spec.types[id] = FieldOr(a, "special", false, path) ? TokenType::kControl : TokenType::kUserDefined;
  }
  for (size_t i = 0; i < n; ++i)
    if (spec.types[i] == TokenType::kUnused) spec.tokens[i] = "[PAD" + std::to_string(i) + "]";
  if (spec.kind == VocabKind::kSpm) {
    for (size_t i = 0; i < n; ++i)
      if (spec.types[i] == TokenType::kNormal && ParseByteToken(spec.tokens[i]) >= 0) spec.types[i] = TokenType::kByte;
  }

  const json& merges = member(model, "merges", kEmptyArray);
  spec.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {
      spec.merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      spec.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    } else {
      throw fail("model.merges[" + std::to_string(i) + "]: expected \"a b\" or [\"a\", \"b\"]");
    }
  }
  // Merging by score needs scores, which tokenizer.json does not have.
  if (spec.kind == VocabKind::kSpm && spec.merges.empty()) throw fail("model.merges is empty");

  // Special tokens and BOS policy: tokenizer_config.json when given, else
  // the usual Llama 3 names.
  json cfg = config_path.empty() ? json::object() : ParseJsonFile(config_path);
  if (!cfg.is_object()) throw FileError(config_path, 0, "not a JSON object");
  std::string bos = TokenName(cfg, "bos_token", config_path), eos = TokenName(cfg, "eos_token", config_path);
  std::string unk = TokenName(cfg, "unk_token", config_path), pad = TokenName(cfg, "pad_token", config_path);
  if (unk.empty() && model.contains("unk_token") && model["unk_token"].is_string()) unk = model["unk_token"];
  if (bos.empty() && !cfg.contains("bos_token")) bos = "<|begin_of_text|>";
  if (eos.empty() && !cfg.contains("eos_token")) eos = "<|end_of_text|>";
  auto find = [&](const std::string& name) -> int32_t {
    if (name.empty()) return -1;
    for (size_t i = 0; i < n; ++i)
      if (spec.tokens[i] == name) return static_cast<int32_t>(i);
    return -1;
  };
  spec.bos_id = find(bos);
  spec.eos_id = find(eos);
  spec.unk_id = find(unk);
  spec.pad_id = find(pad);
  // Llama-family models start every sequence with BOS unless told otherwise
  // (llama.cpp's llama-bpe default).
  spec.add_bos = FieldOr(cfg, "add_bos_token", spec.bos_id >= 0, config_path);
  spec.add_eos = FieldOr(cfg, "add_eos_token", false, config_path);
  spec.chat_template = ChatTemplateText(cfg, config_path);
  if (spec.chat_template.empty()) {
    std::string jinja = Sibling(path, "chat_template.jinja");
    if (!jinja.empty()) spec.chat_template = ReadFile(jinja);
  }
  try {
    return Vocab(std::move(spec));
  } catch (const Error& e) {
    throw fail(e.what());
  }
}

}  // namespace

Vocab Vocab::FromTokenizerJson(const std::string& path, const std::string& config_path) {
  try {
    return TokenizerJsonToVocab(path, config_path);
  } catch (const json::exception& e) {
    // Wrong JSON types somewhere in the file.
    throw FileError(path, 0, e.what());
  }
}

Vocab Vocab::FromModelFile(const ModelFile& mf) {
  if (mf.format() != "gguf") {
    if (mf.TokenizerJsonPath().empty())
      throw FileError(mf.path(), 0, "no tokenizer.json beside the model");
    return FromTokenizerJson(mf.TokenizerJsonPath(), mf.TokenizerConfigJsonPath());
  }
  VocabSpec spec;
  std::string model = mf.GetString("tokenizer.ggml.model");
  std::string pre = mf.GetString("tokenizer.ggml.pre", "default");
  auto fail = [&](const std::string& msg) -> Error { return FileError(mf.path(), 0, msg); };
  if (model == "gpt2") {
    spec.kind = VocabKind::kBpe;
    if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "smaug-bpe") {
      spec.pre = PreTokenizer::kLlama3;
      spec.ignore_merges = true;
    } else if (pre == "qwen2" || pre == "deepseek-r1-qwen") {
      spec.pre = PreTokenizer::kQwen2;
      spec.ignore_merges = false;
    } else if (pre == "default" || pre == "gpt2" || pre == "gpt-2") {
      spec.pre = PreTokenizer::kGpt2;
      spec.ignore_merges = false;
    } else {
      throw fail("tokenizer.ggml.pre \"" + pre +
                 "\" is not supported (supported: llama-bpe, llama3, qwen2, default, gpt2)");
    }
    spec.merges = mf.GetStringArray("tokenizer.ggml.merges");
  } else if (model == "llama") {
    spec.kind = VocabKind::kSpm;
  } else {
    throw fail("tokenizer.ggml.model \"" + model + "\" is not supported (supported: gpt2, llama)");
  }
  spec.tokens = mf.GetStringArray("tokenizer.ggml.tokens");
  if (mf.Has("tokenizer.ggml.scores")) spec.scores = mf.GetFloatArray("tokenizer.ggml.scores");
  if (mf.Has("tokenizer.ggml.token_type")) {
    for (int64_t t : mf.GetIntArray("tokenizer.ggml.token_type")) {
      if (t < 0 || t > static_cast<int64_t>(TokenType::kByte))
        throw fail("tokenizer.ggml.token_type: unknown token type " + std::to_string(t));
      spec.types.push_back(static_cast<TokenType>(t));
    }
  }
  auto id = [&](const char* key) { return static_cast<int32_t>(mf.GetInt(key, -1)); };
  spec.bos_id = id("tokenizer.ggml.bos_token_id");
  spec.eos_id = id("tokenizer.ggml.eos_token_id");
  spec.eot_id = id("tokenizer.ggml.eot_token_id");
  spec.unk_id = id("tokenizer.ggml.unknown_token_id");
  spec.pad_id = id("tokenizer.ggml.padding_token_id");
  // llama.cpp's defaults when the file is silent: SentencePiece and Llama 3
  // vocabs add BOS, plain GPT-2 does not.
  bool default_bos = spec.kind == VocabKind::kSpm || spec.pre == PreTokenizer::kLlama3;
  spec.add_bos = mf.GetBool("tokenizer.ggml.add_bos_token", default_bos);
  spec.add_eos = mf.GetBool("tokenizer.ggml.add_eos_token", false);
  spec.add_space_prefix = mf.GetBool("tokenizer.ggml.add_space_prefix", spec.kind == VocabKind::kSpm);
  spec.chat_template = mf.GetString("tokenizer.chat_template", "");
  try {
    return Vocab(std::move(spec));
  } catch (const Error& e) {
    throw fail(e.what());
  }
}

Vocab Vocab::Load(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    auto tj = fs::path(path) / "tokenizer.json";
    if (!fs::exists(tj)) {
      return FromModelFile(*ModelFile::Open(path));
    }
    auto cfg = fs::path(path) / "tokenizer_config.json";
    return FromTokenizerJson(tj.string(), fs::exists(cfg) ? cfg.string() : "");
  }
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0)
    return FromTokenizerJson(path, Sibling(path, "tokenizer_config.json"));
  return FromModelFile(*ModelFile::Open(path));
}

}  // namespace bhasa::native
