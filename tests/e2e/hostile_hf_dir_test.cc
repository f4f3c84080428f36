// Hugging Face model directories whose JSON has values of the wrong type:
// config.json, tokenizer.json, tokenizer_config.json and the safetensors
// header. `model info` and `model tokenize` must end in exit 0 or 2 (an
// input error naming the file), never 3 (an internal error).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using nlohmann::json;
using testing::BhasaBinary;
using testing::RunCommand;

constexpr int64_t kVocab = 579;  // qwen2-mini: 576 tokens + 3 added

std::string TokenizerDir() { return testing::SourceDir() + "/tests/native/data/tokenizers/qwen2-mini"; }

json TinyConfig() {
  return {{"model_type", "llama"},       {"hidden_size", 8},          {"num_attention_heads", 2},
          {"num_key_value_heads", 1},    {"num_hidden_layers", 1},    {"intermediate_size", 16},
          {"vocab_size", kVocab},        {"rms_norm_eps", 1e-5},      {"rope_theta", 10000.0},
          {"max_position_embeddings", 64}, {"bos_token_id", 1},       {"eos_token_id", {2, 3}},
          {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 32}}}};
}

// Header and data of a model.safetensors with every tensor a 1-layer Llama needs.
std::pair<json, std::string> TinyWeights() {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {"model.embed_tokens.weight", {kVocab, 8}},
      {"model.norm.weight", {8}},
      {"model.layers.0.input_layernorm.weight", {8}},
      {"model.layers.0.self_attn.q_proj.weight", {8, 8}},
      {"model.layers.0.self_attn.k_proj.weight", {4, 8}},
      {"model.layers.0.self_attn.v_proj.weight", {4, 8}},
      {"model.layers.0.self_attn.o_proj.weight", {8, 8}},
      {"model.layers.0.post_attention_layernorm.weight", {8}},
      {"model.layers.0.mlp.gate_proj.weight", {16, 8}},
      {"model.layers.0.mlp.up_proj.weight", {16, 8}},
      {"model.layers.0.mlp.down_proj.weight", {8, 16}}};
  json header = json::object();
  std::string data;
  for (const auto& [name, shape] : shapes) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    const size_t begin = data.size();
    for (int64_t i = 0; i < n; ++i) {
      const float v = 0.01f * static_cast<float>(i % 7);
      data.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
  }
  return {header, data};
}

void WriteSafetensors(const std::string& path, const json& header, const std::string& data) {
  std::string h = header.dump();
  while (h.size() % 8) h += ' ';
  const uint64_t n = h.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << h << data;
}

// The JSON pointer of every value in `j`, the root included.
void Pointers(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>* out) {
  out->push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) Pointers(v, at / k, out);
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) Pointers(j[i], at / i, out);
}

// `j` with one value, chosen by `rng`, replaced by a value of another type.
json MutateOneValue(json j, std::mt19937* rng) {
  static const json kReplacements[] = {7, -1, 2.5, "x", true, nullptr, json::array({1}), json::object({{"a", 1}})};
  std::vector<json::json_pointer> at;
  Pointers(j, json::json_pointer(), &at);
  json& target = j[at[(*rng)() % at.size()]];
  json replacement;
  do {
    replacement = kReplacements[(*rng)() % std::size(kReplacements)];
  } while (replacement.type() == target.type());
  target = replacement;
  return j;
}

struct HfDir {
  json config, tokenizer, tokenizer_config, st_header;
  std::string st_data;

  static HfDir Valid() {
    HfDir d;
    d.config = TinyConfig();
    d.tokenizer = json::parse(ReadFile(TokenizerDir() + "/tokenizer.json"));
    d.tokenizer_config = json::parse(ReadFile(TokenizerDir() + "/tokenizer_config.json"));
    d.tokenizer_config["chat_template"] = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    std::tie(d.st_header, d.st_data) = TinyWeights();
    return d;
  }

  void Write(const std::string& dir) const {
    std::ofstream(dir + "/config.json") << config.dump();
    std::ofstream(dir + "/tokenizer.json") << tokenizer.dump();
    std::ofstream(dir + "/tokenizer_config.json") << tokenizer_config.dump();
    WriteSafetensors(dir + "/model.safetensors", st_header, st_data);
  }
};

int Bhasa(const std::string& args, std::string* out) { return RunCommand(BhasaBinary() + " " + args, out); }

TEST(HostileHfDir, ValidDirectoryWorks) {
  const std::string dir = testing::TempDir("hf-valid");
  HfDir::Valid().Write(dir);
  std::string out;
  EXPECT_EQ(Bhasa("model info " + dir, &out), 0) << out;
  EXPECT_EQ(Bhasa("model tokenize " + dir + " --text hello", &out), 0) << out;
}

// Each file gets a field of the wrong type where the code reads a string,
// an integer or a flag: exit 2 and the message names the file and the field.
TEST(HostileHfDir, WrongTypedFieldIsAnInputErrorNamingFileAndField) {
  struct Case {
    const char* file;
    const char* pointer;
    json value;
    const char* command;  // "info" or "tokenize"
    const char* field;    // what the message must name
  };
  const Case cases[] = {
      {"config.json", "/model_type", 3, "info", "model_type"},
      {"config.json", "/hidden_size", "8", "info", "hidden_size"},
      {"tokenizer.json", "/model/type", 5, "tokenize", "type"},
      {"tokenizer.json", "/model/ignore_merges", "yes", "tokenize", "ignore_merges"},
      {"tokenizer.json", "/pre_tokenizer/type", 1, "tokenize", "type"},
      {"tokenizer.json", "/added_tokens/0/special", "no", "tokenize", "special"},
      {"tokenizer_config.json", "/chat_template", 12, "info", "chat_template"},
      {"tokenizer_config.json", "/add_bos_token", "no", "tokenize", "add_bos_token"},
      {"tokenizer_config.json", "/eos_token", 5, "tokenize", "eos_token"},
      {"config.json", "/bos_token_id", "1", "info", "bos_token_id"},
      {"model.safetensors", "/model.norm.weight/dtype", 4, "info", "dtype"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.file) + c.pointer);
    HfDir d = HfDir::Valid();
    json* doc = std::string(c.file) == "config.json"           ? &d.config
                : std::string(c.file) == "tokenizer.json"      ? &d.tokenizer
                : std::string(c.file) == "tokenizer_config.json" ? &d.tokenizer_config
                                                                 : &d.st_header;
    const json::json_pointer ptr(c.pointer);
    ASSERT_TRUE(doc->contains(ptr)) << "the valid directory has no " << c.pointer;
    (*doc)[ptr] = c.value;
    const std::string dir = testing::TempDir("hf-wrong-type");
    d.Write(dir);
    std::string out;
    const std::string cmd = std::string(c.command) == "info" ? "model info " + dir : "model tokenize " + dir + " --text hi";
    const int rc = Bhasa(cmd, &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find(c.file), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("'") + c.field + "'"), std::string::npos) << out;
    EXPECT_EQ(out.find("internal error"), std::string::npos) << out;
  }
}

// 300 directories, each with one JSON value of one of the four files
// replaced by a value of another type; the same seed gives the same 300.
TEST(HostileHfDir, MutatedValuesEndInExitZeroOrTwo) {
  const HfDir valid = HfDir::Valid();
  std::mt19937 rng(18);
  const std::string dir = testing::TempDir("hf-mutated");
  int input_errors = 0;
  for (int i = 0; i < 300; ++i) {
    HfDir d = valid;
    // `model info` reads config.json, tokenizer_config.json and the header;
    // `model tokenize` reads tokenizer.json and tokenizer_config.json.
    const std::string info = "model info " + dir, tokenize = "model tokenize " + dir + " --text 'hi there'";
    std::vector<std::string> commands;
    switch (i % 4) {
      case 0: d.config = MutateOneValue(d.config, &rng), commands = {info}; break;
      case 1: d.tokenizer = MutateOneValue(d.tokenizer, &rng), commands = {tokenize}; break;
      case 2: d.tokenizer_config = MutateOneValue(d.tokenizer_config, &rng), commands = {info, tokenize}; break;
      default: d.st_header = MutateOneValue(d.st_header, &rng), commands = {info}; break;
    }
    d.Write(dir);
    for (const std::string& cmd : commands) {
      std::string out;
      const int rc = Bhasa(cmd, &out);
      ASSERT_TRUE(rc == 0 || rc == 2) << "mutation " << i << ", " << cmd << ": exit " << rc << "\n" << out;
      input_errors += rc == 2;
    }
  }
  EXPECT_GT(input_errors, 75);  // the mutations do reach the readers
}

}  // namespace
}  // namespace bhasa
