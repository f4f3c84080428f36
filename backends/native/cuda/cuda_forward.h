// CudaForward: the model's Program (arch/program.h, the ops its
// architecture's builder lists) executed on the GPU. Weights are resident in
// their block format (ResidentWeights), the KV cache is a pool of f16 blocks
// in device memory indexed through block tables (paged_step.h), activations
// never leave the device, and each output row is sampled there: per step
// only token ids, positions, cache slots and tables go in, and ids (plus the
// logits rows asked for) come out.
//
// Op by op it does what Forward (forward.h) does with a kernel table:
// kEmbed get_rows, kNorm RMSNorm, kMatmul the dp4a GEMV for up to
// kGemvMaxTokens rows and the f16 tensor-core GEMM above, kRope, kAttention
// (store K and V into their slots, then attention through each row's block
// table, with the window and soft-cap of the step), kKeepOutputRows a gather,
// and the element-wise ops of cuda_ops.h.
//
// Decode steps (every row an output, at most kGemvMaxTokens rows) are
// padded to a bucket (PadForGraph) and replayed as a CUDA graph captured once
// per bucket; BHASA_CUDA_GRAPHS=0 turns graphs off.
//
// Memory: the weights, then activations for n_batch rows, logits for n_batch
// rows and the GEMM scratch, all within gpu_memory_fraction of the device;
// what is left becomes KV blocks (at most enough for 2 * max_batch
// sequences of n_ctx positions, at least one sequence's n_ctx).
//
// Ownership: borrows the Model (which must outlive it); owns its stream,
// cuBLAS handle and device memory. Thread-safety: one thread at a time.
// Failure: the constructor throws bhasa::Error (exit code usage) when the
// model does not fit, or naming the tensor whose type has no device kernel;
// Run throws naming the failed CUDA call or an attention span over the
// kernel's shared-memory limit.
#pragma once

#include <memory>

#include "backends/native/llama_model.h"
#include "backends/native/paged_step.h"

namespace bhasa::native::cuda {

std::unique_ptr<DeviceForward> MakeCudaForward(const Model& model, const DeviceForwardOptions& options);

}  // namespace bhasa::native::cuda
