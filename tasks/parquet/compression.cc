#include "tasks/parquet/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

namespace bhasa::tasks::parquet {
namespace {

std::string Snappy(std::string_view in, size_t n) {
  size_t declared = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &declared) || declared != n)
    throw Error("snappy: stream length does not match the page header");
  std::string out(n, '\0');
  if (!snappy::RawUncompress(in.data(), in.size(), out.data())) throw Error("snappy: corrupt stream");
  return out;
}

std::string Zstd(std::string_view in, size_t n) {
  std::string out(n, '\0');
  // A frame that would inflate past `n` fails with dstSize_tooSmall.
  const size_t got = ZSTD_decompress(out.data(), n, in.data(), in.size());
  if (ZSTD_isError(got)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(got));
  if (got != n) throw Error("zstd: inflated to " + std::to_string(got) + " bytes, page header says " + std::to_string(n));
  return out;
}

std::string Gzip(std::string_view in, size_t n) {
  std::string out(n, '\0');
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw Error("gzip: cannot initialise zlib");  // gzip or zlib header
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(n);
  const int rc = inflate(&z, Z_FINISH);
  const size_t got = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    if (rc == Z_BUF_ERROR && got == n) throw Error("gzip: inflates past the " + std::to_string(n) + " bytes the page header says");
    throw Error("gzip: corrupt stream (zlib code " + std::to_string(rc) + ")");
  }
  if (got != n) throw Error("gzip: inflated to " + std::to_string(got) + " bytes, page header says " + std::to_string(n));
  return out;
}

}  // namespace

std::string Decompress(Codec codec, std::string_view in, size_t n) {
  if (n > kMaxPageBytes)
    throw Error("page declares " + std::to_string(n) + " uncompressed bytes, over the limit of " +
                std::to_string(kMaxPageBytes));
  if (in.size() > UINT32_MAX) throw Error("compressed page too large");
  switch (codec) {
    case Codec::kUncompressed:
      if (in.size() != n) throw Error("uncompressed page: sizes disagree");
      return std::string(in);
    case Codec::kSnappy: return Snappy(in, n);
    case Codec::kZstd: return Zstd(in, n);
    case Codec::kGzip: return Gzip(in, n);
    default: break;
  }
  throw Error("compression codec " + std::to_string(static_cast<int>(codec)) +
              " is not supported (UNCOMPRESSED, SNAPPY, GZIP, ZSTD are)");
}

}  // namespace bhasa::tasks::parquet
