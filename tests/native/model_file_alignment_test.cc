// A file may start a tensor at any byte (GGUF general.alignment 1 here); the
// kernels need rows aligned to RowAlignment, so ModelFile hands out aligned
// data with the file's bytes.
#include <cstring>

#include <gtest/gtest.h>

#include "backends/native/row_alignment.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/model_file.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

TEST(ModelFileAlignment, TensorsAtOddOffsetsAreReadAligned) {
  const std::vector<float> values = {1.5f, -2.0f, 3.25f, 4.0f, -0.5f, 6.0f, 7.75f, -8.0f};
  GgufWriter w(/*alignment=*/1);
  // F32 at 1 and 70, Q8_0 at 34 and 105 bytes from the data start: whatever
  // the header's length, one tensor of each type lands off its alignment.
  const std::vector<uint64_t> offsets = {1, 34, 70, 105};
  for (size_t i = 0; i < offsets.size(); ++i) {
    const GgmlType type = i % 2 ? GgmlType::Q8_0 : GgmlType::F32;
    const int64_t n = type == GgmlType::F32 ? 8 : 32;
    std::vector<float> row(n);
    for (int64_t k = 0; k < n; ++k) row[k] = values[k % values.size()];
    std::vector<uint8_t> bytes(RowBytes(type, n));
    QuantizeRow(type, row.data(), bytes.data(), n);
    w.AddTensorRaw("t" + std::to_string(i), static_cast<uint32_t>(type), {n}, bytes, offsets[i]);
  }
  const std::string path = bhasa::testing::TempDir("model_file_alignment") + "/odd.gguf";
  w.Write(path);

  const auto file = ModelFile::Open(path);
  for (size_t i = 0; i < offsets.size(); ++i) {
    const TensorInfo& t = file->Tensor("t" + std::to_string(i));
    SCOPED_TRACE(t.name);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % RowAlignment(t.type), 0u);
    const std::vector<float> got = t.Dequantize();
    for (int64_t k = 0; k < t.cols(); ++k)
      EXPECT_NEAR(got[k], values[k % values.size()], t.type == GgmlType::F32 ? 0.0 : 0.05) << k;
  }
}

}  // namespace
}  // namespace bhasa::native
