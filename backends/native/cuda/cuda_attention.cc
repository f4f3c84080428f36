#include "backends/native/cuda/cuda_attention.h"

#include <algorithm>
#include <string>

#include "backends/native/cuda/cuda_attention_kernel.h"
#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_device.h"

namespace bhasa::native::cuda {

void Attention(const AttentionArgs& a) {
  if (a.n_tokens <= 0) return;
  const int64_t n_kv = *std::max_element(a.pos, a.pos + a.n_tokens) + int64_t{1};
  CudaDevice* device = CudaDevice::Get();
  // Sliding windows (and their ring caches) and soft-capping run on the CPU path for now.
  if (!device || a.n_tokens < kGpuAttentionMinRows || a.window > 0 || a.kv.slots > 0 || a.softcap > 0 ||
      AttentionSharedBytes(a.head_dim, n_kv) > kAttentionSharedLimit)
    return CpuKernels().attention(a);

  const std::string what = "attention over " + std::to_string(n_kv) + " positions";
  auto ctx = device->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const size_t q_bytes = static_cast<size_t>(a.n_tokens * a.n_head * a.head_dim) * sizeof(float);
  const size_t kv_bytes = static_cast<size_t>(n_kv * a.kv.stride) * (a.kv.f16 ? 2 : 4);
  const size_t pos_bytes = static_cast<size_t>(a.n_tokens) * sizeof(int32_t);

  DeviceAttention d;
  d.q = static_cast<const float*>(ctx->x.Reserve(q_bytes, what + ", queries"));
  d.out = static_cast<float*>(ctx->out.Reserve(q_bytes, what + ", output"));
  d.k = ctx->att_k.Reserve(kv_bytes, what + ", keys");
  d.v = ctx->att_v.Reserve(kv_bytes, what + ", values");
  d.pos = static_cast<const int32_t*>(ctx->att_pos.Reserve(pos_bytes, what + ", positions"));
  auto upload = [&](const void* dst, const void* src, size_t bytes) {
    Check(cudaMemcpyAsync(const_cast<void*>(dst), src, bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync", what);
  };
  upload(d.q, a.q, q_bytes);
  upload(d.k, a.kv.k, kv_bytes);
  upload(d.v, a.kv.v, kv_bytes);
  upload(d.pos, a.pos, pos_bytes);
  d.f16 = a.kv.f16;
  d.stride = a.kv.stride;
  d.n_kv = n_kv;
  d.n_tokens = a.n_tokens;
  d.n_head = a.n_head;
  d.n_head_kv = a.n_head_kv;
  d.head_dim = a.head_dim;
  d.scale = a.scale;
  LaunchAttention(d, stream, what);
  Check(cudaMemcpyAsync(a.out, d.out, q_bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync", what);
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", what);
}

}  // namespace bhasa::native::cuda
