#include "backends/native/safetensors.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "backends/native/hf_config.h"
#include "common/mapped_file.h"
#include "common/error.h"
#include "common/fs.h"

namespace bhasa::native {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Headers beyond this are refused rather than parsed (real ones are < 1 MiB).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

GgmlType DtypeToGgml(const std::string& dtype) {
  if (dtype == "F32") return GgmlType::F32;
  if (dtype == "F16") return GgmlType::F16;
  return GgmlType::BF16;
}

json ReadJsonFile(const std::string& path) {
  try {
    return json::parse(ReadFile(path));
  } catch (const json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
}

// 1 + w as F32, computed as llama.cpp's converter does: F16 tensors stay F16
// for the addition (so the sum is rounded to f16), F32 and BF16 ones are
// added in f32.
std::unique_ptr<float[]> NormPlusOne(const TensorInfo& t) {
  const std::vector<float> w = t.Dequantize();
  auto out = std::make_unique<float[]>(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const float sum = w[i] + 1.0f;
    out[i] = t.type == GgmlType::F16 ? Fp16ToFp32(Fp32ToFp16(sum)) : sum;
  }
  return out;
}

}  // namespace

size_t SafetensorsDtypeSize(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

std::vector<SafetensorsEntry> ParseSafetensorsHeader(const std::string& path, const uint8_t* data,
                                                     size_t size, size_t* data_start) {
  if (size < 8) throw Error(path + ": truncated safetensors file: no header length");
  uint64_t n;
  std::memcpy(&n, data, 8);
  if (n > size - 8)
    throw Error(path + ": safetensors header length " + std::to_string(n) + " runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  if (n > kMaxHeaderBytes) throw Error(path + ": safetensors header of " + std::to_string(n) + " bytes is too large");
  json h;
  try {
    h = json::parse(reinterpret_cast<const char*>(data) + 8, reinterpret_cast<const char*>(data) + 8 + n);
  } catch (const json::exception& e) {
    throw Error(path + ": safetensors header is not valid JSON: " + e.what());
  }
  if (!h.is_object()) throw Error(path + ": safetensors header is not a JSON object");
  *data_start = 8 + static_cast<size_t>(n);
  const uint64_t data_size = size - *data_start;
  std::vector<SafetensorsEntry> out;
  for (const auto& [name, v] : h.items()) {
    if (name == "__metadata__") continue;
    const std::string where = path + ": tensor '" + name + "': ";
    if (!v.is_object()) throw Error(where + "entry is not an object");
    SafetensorsEntry e;
    e.name = name;
    auto dt = v.find("dtype");
    if (dt == v.end()) throw Error(where + "missing 'dtype'");
    if (!dt->is_string()) throw Error(where + "field 'dtype' must be a string");
    e.dtype = *dt;
    const size_t es = SafetensorsDtypeSize(e.dtype);
    if (es == 0) throw Error(where + "unknown dtype '" + e.dtype + "'");
    auto sh = v.find("shape");
    if (sh == v.end()) throw Error(where + "missing 'shape'");
    if (!sh->is_array()) throw Error(where + "field 'shape' must be an array");
    if (sh->size() > 8) throw Error(where + "too many dimensions");
    uint64_t elements = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) throw Error(where + "shape entries must be non-negative integers");
      uint64_t x = d.get<uint64_t>();
      if (x != 0 && elements > std::numeric_limits<uint64_t>::max() / x / es)
        throw Error(where + "shape overflows");
      elements *= x;
      e.shape.push_back(static_cast<int64_t>(x));
    }
    auto off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      throw Error(where + "'data_offsets' must be two non-negative integers");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      throw Error(where + "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                  ") outside the data section of " + std::to_string(data_size) + " bytes");
    if (e.end - e.begin != elements * es)
      throw Error(where + "data_offsets cover " + std::to_string(e.end - e.begin) + " bytes but shape and dtype need " +
                  std::to_string(elements * es));
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  return out;
}

ModelFile::Parts ReadSafetensorsDir(const std::string& dir) {
  ModelFile::Parts parts;
  parts.path = dir;
  parts.format = "safetensors";
  const std::string config_path = dir + "/config.json";
  if (!fs::exists(config_path)) throw Error(dir + ": not a model directory (no config.json)");
  parts.metadata = TranslateHfConfig(ReadJsonFile(config_path), config_path);
  if (fs::exists(dir + "/tokenizer.json")) parts.tokenizer_json = dir + "/tokenizer.json";
  if (fs::exists(dir + "/tokenizer_config.json")) {
    parts.tokenizer_config_json = dir + "/tokenizer_config.json";
    TranslateTokenizerConfig(ReadJsonFile(parts.tokenizer_config_json), parts.tokenizer_config_json, &parts.metadata);
  }

  // Which files hold the weights.
  std::vector<std::string> files;
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (fs::exists(index_path)) {
    json idx = ReadJsonFile(index_path);
    auto wm = idx.find("weight_map");
    if (wm == idx.end() || !wm->is_object()) throw Error(index_path + ": missing 'weight_map' object");
    std::set<std::string> unique;
    for (const auto& [name, f] : wm->items()) {
      if (!f.is_string()) throw Error(index_path + ": weight_map['" + name + "'] is not a file name");
      const std::string file = f.get<std::string>();
      if (file.find('/') != std::string::npos || file == "..")
        throw Error(index_path + ": weight_map['" + name + "'] names a file outside the directory");
      unique.insert(file);
    }
    for (const auto& f : unique) files.push_back(dir + "/" + f);
  } else {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".safetensors") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  }
  if (files.empty()) throw Error(dir + ": no *.safetensors files");

  const std::string arch = std::get<std::string>(parts.metadata.at("general.architecture").value);
  const int64_t n_head = std::get<int64_t>(parts.metadata.at(arch + ".attention.head_count").value);
  const int64_t n_head_kv = std::get<int64_t>(parts.metadata.at(arch + ".attention.head_count_kv").value);
  std::set<std::string> names;
  for (const auto& file : files) {
    auto map = MappedFile::Open(file);
    parts.mappings.push_back(map);
    size_t data_start = 0;
    for (auto& e : ParseSafetensorsHeader(file, map->data(), map->size(), &data_start)) {
      const std::string gguf_name = HfToGgufTensorName(arch, e.name);
      if (gguf_name.empty()) continue;
      const std::string where = file + ": tensor '" + e.name + "': ";
      if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16")
        throw Error(where + "dtype " + e.dtype + " is not supported (F32, F16, BF16)");
      if (!names.insert(gguf_name).second) throw Error(where + "appears twice (as " + gguf_name + ")");
      TensorInfo t;
      t.name = gguf_name;
      t.type = DtypeToGgml(e.dtype);
      t.ne.assign(e.shape.rbegin(), e.shape.rend());
      t.data = map->data() + data_start + e.begin;
      t.bytes = static_cast<size_t>(e.end - e.begin);
      const bool is_q = gguf_name.ends_with(".attn_q.weight"), is_k = gguf_name.ends_with(".attn_k.weight");
      if ((is_q || is_k) && HfPermutesQk(arch)) {
        const int64_t heads = is_q ? n_head : n_head_kv;
        if (t.ne.size() != 2 || t.rows() % (2 * heads) != 0)
          throw Error(where + "shape does not split into " + std::to_string(heads) + " heads of even size");
        t.permute_heads = static_cast<int32_t>(heads);
      }
      if (HfNormIsOffsetByOne(arch, gguf_name)) {
        if (t.ne.size() != 1) throw Error(where + "a norm weight must be a vector");
        parts.derived.push_back(NormPlusOne(t));
        t.data = reinterpret_cast<const uint8_t*>(parts.derived.back().get());
        t.type = GgmlType::F32;
        t.bytes = static_cast<size_t>(t.elements()) * sizeof(float);
      }
      parts.tensors.push_back(std::move(t));
    }
  }
  return parts;
}

}  // namespace bhasa::native
