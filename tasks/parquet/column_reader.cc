#include "tasks/parquet/column_reader.h"

#include <algorithm>
#include <bit>

#include "tasks/parquet/compression.h"

namespace bhasa::tasks::parquet {
namespace {

int BitWidth(int max_level) { return std::bit_width(static_cast<unsigned>(max_level)); }

void DecodeLevels(ByteReader in, int max_level, size_t n, std::vector<uint16_t>& out, const char* what) {
  const size_t start = out.size();
  DecodeRleHybrid(in, BitWidth(max_level), n, out);
  for (size_t i = start; i < out.size(); ++i)
    if (out[i] > max_level)
      throw Error(std::string(what) + " level " + std::to_string(out[i]) + " exceeds the schema's maximum " +
                  std::to_string(max_level));
}

class ChunkReader {
 public:
  ChunkReader(const ColumnMetaData& meta, const Leaf& leaf) : meta_(meta), leaf_(leaf) {
    out_.values.type = leaf.type;
    dict_.type = leaf.type;
  }

  ColumnChunkData Read(std::string_view chunk) {
    ByteReader in(chunk);
    int64_t seen = 0;
    for (int page = 1; seen < meta_.num_values; ++page) {
      page_ = page;
      const PageHeader h = ParsePageHeader(in);
      std::string_view body = in.Take(static_cast<uint64_t>(h.compressed_size), "page body");
      if (h.type == PageType::kIndexPage) continue;
      if (h.type == PageType::kDictionaryPage) {
        ReadDictionary(h, body);
        continue;
      }
      // Levels can encode runs of any length in a few bytes; bound the count
      // by the page size so a forged header cannot demand a huge allocation.
      if (static_cast<uint64_t>(h.num_values) > 8 * static_cast<uint64_t>(h.uncompressed_size) + (1u << 20))
        throw Error("page declares " + std::to_string(h.num_values) + " values in " +
                    std::to_string(h.uncompressed_size) + " bytes");
      if (h.type == PageType::kDataPage) ReadDataPageV1(h, body);
      else ReadDataPageV2(h, body);
      seen += h.num_values;
    }
    if (seen != meta_.num_values)
      throw Error("pages hold " + std::to_string(seen) + " values, column metadata says " + std::to_string(meta_.num_values));
    return std::move(out_);
  }

  int page() const { return page_; }

 private:
  // Keeps a decompressed buffer alive as long as the values that view it.
  std::string_view Keep(std::string s) {
    out_.values.arena.push_back(std::make_unique<std::string>(std::move(s)));
    return *out_.values.arena.back();
  }
  std::string_view Inflate(std::string_view body, size_t size) {
    if (meta_.codec == Codec::kUncompressed) {
      if (body.size() != size) throw Error("uncompressed page: body is " + std::to_string(body.size()) + " bytes, header says " + std::to_string(size));
      return body;
    }
    return Keep(Decompress(meta_.codec, body, size));
  }

  void ReadDictionary(const PageHeader& h, std::string_view body) {
    if (h.encoding != Encoding::kPlain && h.encoding != Encoding::kPlainDictionary)
      throw Error("dictionary page encoding " + std::to_string(static_cast<int>(h.encoding)) + " is not PLAIN");
    ByteReader in(Inflate(body, static_cast<size_t>(h.uncompressed_size)));
    dict_ = ColumnValues{};
    dict_.type = leaf_.type;
    DecodePlain(in, static_cast<size_t>(h.num_values), dict_);
    has_dict_ = true;
  }

  void ReadDataPageV1(const PageHeader& h, std::string_view body) {
    ByteReader in(Inflate(body, static_cast<size_t>(h.uncompressed_size)));
    const size_t n = static_cast<size_t>(h.num_values);
    if (leaf_.max_rep > 0) {
      const uint32_t len = in.Fixed<uint32_t>("repetition levels length");
      DecodeLevels(ByteReader(in.Take(len, "repetition levels")), leaf_.max_rep, n, out_.rep, "repetition");
    }
    if (leaf_.max_def > 0) {
      const uint32_t len = in.Fixed<uint32_t>("definition levels length");
      DecodeLevels(ByteReader(in.Take(len, "definition levels")), leaf_.max_def, n, out_.def, "definition");
    }
    ReadValues(h.encoding, in, n);
  }

  void ReadDataPageV2(const PageHeader& h, std::string_view body) {
    ByteReader in(body);
    const size_t n = static_cast<size_t>(h.num_values);
    std::string_view rep = in.Take(static_cast<uint64_t>(h.rep_levels_bytes), "repetition levels");
    std::string_view def = in.Take(static_cast<uint64_t>(h.def_levels_bytes), "definition levels");
    if (leaf_.max_rep > 0) DecodeLevels(ByteReader(rep), leaf_.max_rep, n, out_.rep, "repetition");
    if (leaf_.max_def > 0) DecodeLevels(ByteReader(def), leaf_.max_def, n, out_.def, "definition");
    const int64_t level_bytes = int64_t{h.rep_levels_bytes} + h.def_levels_bytes;
    if (level_bytes > h.uncompressed_size) throw Error("level bytes exceed the page's uncompressed size");
    const size_t values_size = static_cast<size_t>(h.uncompressed_size - level_bytes);
    std::string_view values = in.rest();
    ByteReader vin(h.v2_values_compressed && meta_.codec != Codec::kUncompressed
                       ? Keep(Decompress(meta_.codec, values, values_size))
                       : values);
    ReadValues(h.encoding, vin, n);
  }

  void ReadValues(Encoding enc, ByteReader& in, size_t n_slots) {
    size_t present = n_slots;
    if (leaf_.max_def > 0)
      present = static_cast<size_t>(std::count(out_.def.end() - n_slots, out_.def.end(), leaf_.max_def));
    out_.num_slots += n_slots;
    ColumnValues& v = out_.values;
    const PhysicalType t = leaf_.type;
    switch (enc) {
      case Encoding::kPlain: DecodePlain(in, present, v); return;
      case Encoding::kPlainDictionary:
      case Encoding::kRleDictionary: {
        if (!has_dict_) throw Error("dictionary-encoded page without a dictionary page");
        if (present == 0) return;
        const int width = in.Byte("dictionary index bit width");
        indices_.clear();
        DecodeRleHybrid(in, width, present, indices_);
        const size_t dict_size = dict_.size();
        for (uint32_t i : indices_) {
          if (i >= dict_size) throw Error("dictionary index " + std::to_string(i) + " out of range (" + std::to_string(dict_size) + " entries)");
          v.AppendFrom(dict_, i);
        }
        return;
      }
      case Encoding::kRle: {
        if (t != PhysicalType::kBoolean) break;
        const uint32_t len = in.Fixed<uint32_t>("RLE booleans length");
        ByteReader bits(in.Take(len, "RLE booleans"));
        DecodeRleHybrid(bits, 1, present, v.ints);
        return;
      }
      case Encoding::kDeltaBinaryPacked:
        if (t != PhysicalType::kInt32 && t != PhysicalType::kInt64) break;
        DecodeDeltaBinaryPacked(in, present, v.ints);
        if (t == PhysicalType::kInt32)  // 32-bit deltas wrap at 32 bits
          for (size_t i = v.ints.size() - present; i < v.ints.size(); ++i) v.ints[i] = static_cast<int32_t>(v.ints[i]);
        return;
      case Encoding::kDeltaLengthByteArray:
        if (t != PhysicalType::kByteArray) break;
        DecodeDeltaLengthByteArray(in, present, v);
        return;
      case Encoding::kDeltaByteArray:
        if (t != PhysicalType::kByteArray) break;
        DecodeDeltaByteArray(in, present, v);
        return;
      default: break;
    }
    throw Error("encoding " + std::to_string(static_cast<int>(enc)) + " is not supported for physical type " +
                std::to_string(static_cast<int>(t)));
  }

  const ColumnMetaData& meta_;
  const Leaf& leaf_;
  ColumnChunkData out_;
  ColumnValues dict_;
  bool has_dict_ = false;
  std::vector<uint32_t> indices_;
  int page_ = 0;
};

}  // namespace

ColumnChunkData ReadColumnChunk(std::string_view file, const ColumnMetaData& meta, const Leaf& leaf) {
  if (meta.type != leaf.type) throw Error("column metadata type disagrees with the schema");
  std::string path;
  for (const auto& p : meta.path) path += (path.empty() ? "" : ".") + p;
  if (path != leaf.path) throw Error("column chunk is for '" + path + "', not this column");
  int64_t start = meta.data_page_offset;
  if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0 && *meta.dictionary_page_offset < start)
    start = *meta.dictionary_page_offset;
  const uint64_t size = static_cast<uint64_t>(meta.total_compressed_size);
  if (static_cast<uint64_t>(start) > file.size() || size > file.size() - static_cast<uint64_t>(start))
    throw Error("column chunk at byte " + std::to_string(start) + " (" + std::to_string(size) +
                " bytes) runs past the end of the file (" + std::to_string(file.size()) + " bytes)");
  // Runs of nulls cost a few bytes for any length: bound what a chunk may
  // declare by the file's size, so a small file cannot demand gigabytes.
  const uint64_t max_values = 64 * static_cast<uint64_t>(file.size()) + (uint64_t{1} << 24);
  if (static_cast<uint64_t>(meta.num_values) > max_values)
    throw Error("column chunk declares " + std::to_string(meta.num_values) + " values, more than a " +
                std::to_string(file.size()) + "-byte file can plausibly hold");
  ChunkReader reader(meta, leaf);
  try {
    return reader.Read(file.substr(static_cast<size_t>(start), size));
  } catch (const Error& e) {
    throw Error("page " + std::to_string(reader.page()) + ": " + e.what());
  }
}

}  // namespace bhasa::tasks::parquet
