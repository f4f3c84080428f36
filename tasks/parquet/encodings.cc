#include "tasks/parquet/encodings.h"

#include <algorithm>
#include <bit>

namespace bhasa::tasks::parquet {

size_t ColumnValues::size() const {
  switch (type) {
    case PhysicalType::kFloat:
    case PhysicalType::kDouble: return reals.size();
    case PhysicalType::kByteArray: return strings.size();
    default: return ints.size();
  }
}

void ColumnValues::AppendFrom(const ColumnValues& dict, uint32_t i) {
  switch (type) {
    case PhysicalType::kFloat:
    case PhysicalType::kDouble: reals.push_back(dict.reals[i]); break;
    case PhysicalType::kByteArray: strings.push_back(dict.strings[i]); break;
    default: ints.push_back(dict.ints[i]);
  }
}

namespace {

// Reads `n` little-endian values of `width` bits, packed LSB first, from
// `bytes` (which holds at least ceil(n * width / 8) bytes).
template <typename T>
void Unpack(const uint8_t* bytes, int width, size_t n, std::vector<T>& out) {
  using Wide = unsigned __int128;  // a 64-bit value at a bit offset spans 9 bytes
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  size_t bit = 0;
  for (size_t i = 0; i < n; ++i, bit += width) {
    const size_t byte = bit / 8;
    const int shift = static_cast<int>(bit % 8);
    const int nbytes = (shift + width + 7) / 8;
    if (nbytes <= 8) {
      uint64_t v = 0;
      for (int b = 0; b < nbytes; ++b) v |= static_cast<uint64_t>(bytes[byte + b]) << (8 * b);
      out.push_back(static_cast<T>((v >> shift) & mask));
    } else {
      Wide v = 0;
      for (int b = 0; b < nbytes; ++b) v |= static_cast<Wide>(bytes[byte + b]) << (8 * b);
      out.push_back(static_cast<T>(static_cast<uint64_t>(v >> shift) & mask));
    }
  }
}

}  // namespace

template <typename T>
void DecodeRleHybrid(ByteReader& in, int bit_width, size_t count, std::vector<T>& out) {
  if (bit_width < 0 || bit_width > 32) throw Error("RLE bit width " + std::to_string(bit_width) + " is over 32");
  const size_t value_bytes = (bit_width + 7) / 8;
  out.reserve(out.size() + count);
  size_t left = count;
  while (left > 0) {
    const uint64_t header = in.Varint("RLE run header");
    if (header & 1) {
      const uint64_t groups = header >> 1;
      if (groups == 0 || groups > (in.remaining() + 1) * 8) throw Error("RLE: bad bit-packed run of " + std::to_string(groups) + " groups");
      const uint64_t n = groups * 8;
      // Writers may end the last run early: only what is present is read.
      const uint64_t bytes = std::min<uint64_t>(groups * bit_width, in.remaining());
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, left));
      if (take * bit_width > bytes * 8) throw Error("RLE: bit-packed run needs more bytes than remain");
      std::string_view raw = in.Take(bytes, "RLE bit-packed run");
      Unpack(reinterpret_cast<const uint8_t*>(raw.data()), bit_width, take, out);
      left -= take;
    } else {
      const uint64_t n = header >> 1;
      if (n == 0) throw Error("RLE: empty run");
      uint64_t v = 0;
      std::string_view raw = in.Take(value_bytes, "RLE run value");
      for (size_t b = 0; b < value_bytes; ++b) v |= static_cast<uint64_t>(static_cast<uint8_t>(raw[b])) << (8 * b);
      if (bit_width < 32 && (v >> bit_width)) throw Error("RLE: run value wider than the bit width");
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, left));
      out.insert(out.end(), take, static_cast<T>(v));
      left -= take;
    }
  }
}
template void DecodeRleHybrid<uint16_t>(ByteReader&, int, size_t, std::vector<uint16_t>&);
template void DecodeRleHybrid<uint32_t>(ByteReader&, int, size_t, std::vector<uint32_t>&);
template void DecodeRleHybrid<int64_t>(ByteReader&, int, size_t, std::vector<int64_t>&);

void DecodePlain(ByteReader& in, size_t count, ColumnValues& out) {
  auto fixed = [&](size_t width) {
    if (count > in.remaining() / width) throw Error("PLAIN: " + std::to_string(count) + " values need more bytes than remain");
  };
  switch (out.type) {
    case PhysicalType::kBoolean: {
      std::string_view raw = in.Take((count + 7) / 8, "PLAIN booleans");
      Unpack(reinterpret_cast<const uint8_t*>(raw.data()), 1, count, out.ints);
      return;
    }
    case PhysicalType::kInt32:
      fixed(4);
      for (size_t i = 0; i < count; ++i) out.ints.push_back(in.Fixed<int32_t>("INT32"));
      return;
    case PhysicalType::kInt64:
      fixed(8);
      for (size_t i = 0; i < count; ++i) out.ints.push_back(in.Fixed<int64_t>("INT64"));
      return;
    case PhysicalType::kFloat:
      fixed(4);
      for (size_t i = 0; i < count; ++i) out.reals.push_back(in.Fixed<float>("FLOAT"));
      return;
    case PhysicalType::kDouble:
      fixed(8);
      for (size_t i = 0; i < count; ++i) out.reals.push_back(in.Fixed<double>("DOUBLE"));
      return;
    case PhysicalType::kByteArray:
      fixed(4);
      out.strings.reserve(out.strings.size() + count);
      for (size_t i = 0; i < count; ++i) {
        const uint32_t n = in.Fixed<uint32_t>("BYTE_ARRAY length");
        out.strings.push_back(in.Take(n, "BYTE_ARRAY value"));
      }
      return;
    default: break;
  }
  throw Error("PLAIN: physical type " + std::to_string(static_cast<int>(out.type)) + " is not supported");
}

void DecodeDeltaBinaryPacked(ByteReader& in, size_t count, std::vector<int64_t>& out) {
  const uint64_t block_size = in.Varint("DELTA block size");
  const uint64_t n_mini = in.Varint("DELTA miniblock count");
  const uint64_t total = in.Varint("DELTA value count");
  int64_t value = in.ZigZag("DELTA first value");
  if (block_size == 0 || block_size % 128 != 0 || n_mini == 0 || block_size % n_mini != 0 ||
      (block_size / n_mini) % 32 != 0 || block_size > (1u << 20))
    throw Error("DELTA_BINARY_PACKED: bad block size " + std::to_string(block_size) + " / " + std::to_string(n_mini) + " miniblocks");
  // The header counts exactly the values encoded; a larger count would only
  // make the reader walk empty blocks.
  if (total != count) throw Error("DELTA_BINARY_PACKED: holds " + std::to_string(total) + " values, page needs " + std::to_string(count));
  if (total == 0) return;
  const uint64_t per_mini = block_size / n_mini;
  out.reserve(out.size() + count);
  out.push_back(value);
  // All values are read (not just `count`) so the stream's end is found.
  uint64_t left = total - 1;
  std::vector<uint64_t> deltas;
  size_t kept = 1;
  while (left > 0) {
    const int64_t min_delta = in.ZigZag("DELTA min delta");
    std::string_view widths = in.Take(n_mini, "DELTA miniblock widths");
    for (uint64_t m = 0; m < n_mini && left > 0; ++m) {
      const int w = static_cast<uint8_t>(widths[m]);
      if (w > 64) throw Error("DELTA_BINARY_PACKED: miniblock bit width " + std::to_string(w));
      std::string_view raw = in.Take(per_mini * w / 8, "DELTA miniblock");
      deltas.clear();
      const size_t take = static_cast<size_t>(std::min(per_mini, left));
      Unpack(reinterpret_cast<const uint8_t*>(raw.data()), w, take, deltas);
      for (uint64_t d : deltas) {
        // Wrapping arithmetic, as the format specifies.
        value = static_cast<int64_t>(static_cast<uint64_t>(value) + static_cast<uint64_t>(min_delta) + d);
        if (kept++ < count) out.push_back(value);
      }
      left -= take;
    }
  }
}

void DecodeDeltaLengthByteArray(ByteReader& in, size_t count, ColumnValues& out) {
  std::vector<int64_t> lengths;
  DecodeDeltaBinaryPacked(in, count, lengths);
  out.strings.reserve(out.strings.size() + count);
  for (int64_t n : lengths) {
    if (n < 0) throw Error("DELTA_LENGTH_BYTE_ARRAY: negative length");
    out.strings.push_back(in.Take(static_cast<uint64_t>(n), "DELTA_LENGTH_BYTE_ARRAY value"));
  }
}

void DecodeDeltaByteArray(ByteReader& in, size_t count, ColumnValues& out) {
  std::vector<int64_t> prefixes;
  DecodeDeltaBinaryPacked(in, count, prefixes);
  ColumnValues suffixes;
  suffixes.type = PhysicalType::kByteArray;
  DecodeDeltaLengthByteArray(in, count, suffixes);
  if (suffixes.strings.size() != prefixes.size()) throw Error("DELTA_BYTE_ARRAY: prefix and suffix counts differ");
  // Values are rebuilt into one buffer; views are made once it stops growing.
  size_t total = 0;
  std::vector<size_t> lengths;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const int64_t p = prefixes[i];
    const size_t prev_len = i ? lengths[i - 1] : 0;
    if (p < 0 || static_cast<size_t>(p) > prev_len) throw Error("DELTA_BYTE_ARRAY: prefix longer than the previous value");
    lengths.push_back(static_cast<size_t>(p) + suffixes.strings[i].size());
    total += lengths.back();
    if (total > (size_t{1} << 31)) throw Error("DELTA_BYTE_ARRAY: values inflate past 2 GiB");
  }
  auto buf = std::make_unique<std::string>();
  buf->reserve(total);
  size_t start = 0, prev_start = 0;
  std::vector<size_t> starts;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    start = buf->size();
    buf->append(*buf, prev_start, static_cast<size_t>(prefixes[i]));
    buf->append(suffixes.strings[i]);
    starts.push_back(start);
    prev_start = start;
  }
  for (size_t i = 0; i < starts.size(); ++i) out.strings.emplace_back(buf->data() + starts[i], lengths[i]);
  out.arena.push_back(std::move(buf));
}

}  // namespace bhasa::tasks::parquet
