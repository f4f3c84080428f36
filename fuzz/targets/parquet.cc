// Parquet dataset files (tasks/parquet): footer, Thrift metadata, pages,
// encodings, decompression and row assembly.
#include "fuzz/support.h"
#include "tasks/parquet/parquet_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bhasa::fuzz::ExpectErrorOnly([&] {
    for (const auto& row : bhasa::tasks::parquet::ParseParquet({reinterpret_cast<const char*>(data), size},
                                                               "fuzz.parquet"))
      row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  });
  return 0;
}
