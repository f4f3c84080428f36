// ggml's block structs (byte-compatible with GGUF tensor data) and the small
// unpacking helpers shared by the scalar reference and the SIMD code.
// Internal to backends/native; use ggml_types.h from elsewhere.
#pragma once

#include <cstdint>
#include <cstring>

namespace bhasa::native::quant {

constexpr int kQK4_0 = 32;
constexpr int kQK5_0 = 32;
constexpr int kQK8_0 = 32;
constexpr int kQK_K = 256;
constexpr int kKScaleBytes = 12;

struct BlockQ4_0 {
  uint16_t d;                // fp16 scale
  uint8_t qs[kQK4_0 / 2];    // element j in low nibble of qs[j], j+16 in the high nibble
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];             // 5th bit of each of the 32 elements (little-endian uint32)
  uint8_t qs[kQK5_0 / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // low nibble scale, high nibble min, per 16 elements
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];  // 16 six-bit scales, offset by 32
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];  // 8 six-bit scales and 8 six-bit mins
  uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];  // sums of each 16 qs
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Scale j (0..7) and min of a Q4_K/Q5_K block, both 6-bit.
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

// The 16 Q3_K scales, each already minus 32.
inline void UnpackQ3KScales(const uint8_t* packed, int8_t out[16]) {
  for (int j = 0; j < 16; ++j) {
    int low = j < 8 ? (packed[j] & 0xF) : (packed[j - 8] >> 4);
    int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

// Quantized values of one K block as int8, in element order.
inline void UnpackQ2K(const BlockQ2_K& b, int8_t out[kQK_K]) {
  for (int n = 0; n < kQK_K; n += 128) {
    const uint8_t* q = b.qs + n / 4;
    for (int s = 0; s < 4; ++s)
      for (int l = 0; l < 32; ++l) out[n + 32 * s + l] = static_cast<int8_t>((q[l] >> (2 * s)) & 3);
  }
}
inline void UnpackQ3K(const BlockQ3_K& b, int8_t out[kQK_K]) {
  for (int n = 0; n < kQK_K; n += 128) {
    const uint8_t* q = b.qs + n / 4;
    for (int s = 0; s < 4; ++s) {
      const uint8_t m = static_cast<uint8_t>(1u << (n / 128 * 4 + s));
      for (int l = 0; l < 32; ++l)
        out[n + 32 * s + l] =
            static_cast<int8_t>(((q[l] >> (2 * s)) & 3) - ((b.hmask[l] & m) ? 0 : 4));
    }
  }
}
inline void UnpackQ4K(const BlockQ4_K& b, int8_t out[kQK_K]) {
  for (int j = 0; j < kQK_K / 64; ++j) {
    const uint8_t* q = b.qs + 32 * j;
    for (int l = 0; l < 32; ++l) {
      out[64 * j + l] = static_cast<int8_t>(q[l] & 0xF);
      out[64 * j + 32 + l] = static_cast<int8_t>(q[l] >> 4);
    }
  }
}
inline void UnpackQ5K(const BlockQ5_K& b, int8_t out[kQK_K]) {
  for (int j = 0; j < kQK_K / 64; ++j) {
    const uint8_t* q = b.qs + 32 * j;
    const uint8_t u1 = static_cast<uint8_t>(1u << (2 * j)), u2 = static_cast<uint8_t>(2u << (2 * j));
    for (int l = 0; l < 32; ++l) {
      out[64 * j + l] = static_cast<int8_t>((q[l] & 0xF) + ((b.qh[l] & u1) ? 16 : 0));
      out[64 * j + 32 + l] = static_cast<int8_t>((q[l] >> 4) + ((b.qh[l] & u2) ? 16 : 0));
    }
  }
}
inline void UnpackQ6K(const BlockQ6_K& b, int8_t out[kQK_K]) {
  for (int n = 0; n < kQK_K; n += 128) {
    const uint8_t* ql = b.ql + n / 2;
    const uint8_t* qh = b.qh + n / 4;
    for (int l = 0; l < 32; ++l) {
      out[n + l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
      out[n + l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
      out[n + l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      out[n + l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

}  // namespace bhasa::native::quant
