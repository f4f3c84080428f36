// Page decompression (SNAPPY, GZIP, ZSTD) into a buffer of the size the page
// header declares. The declared size is checked against a limit before any
// allocation, and a stream that inflates to any other size is an error, so a
// decompression bomb costs at most the limit.
#pragma once

#include <string>
#include <string_view>

#include "tasks/parquet/metadata.h"

namespace bhasa::tasks::parquet {

inline constexpr size_t kMaxPageBytes = size_t{1} << 30;  // 1 GiB per page

// Throws Error("...") for an unsupported codec, a size over the limit, or a
// stream that is corrupt or does not inflate to exactly `uncompressed_size`.
std::string Decompress(Codec codec, std::string_view in, size_t uncompressed_size);

}  // namespace bhasa::tasks::parquet
