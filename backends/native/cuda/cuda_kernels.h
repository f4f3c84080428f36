// The "cuda" kernel table: the weight matmuls of the built-in engine on an
// NVIDIA GPU through cuBLAS.
//
// What runs where: weights live on the GPU (uploaded once per tensor on first
// use; quantized types dequantized to F16 there, F32/F16/BF16 kept as they
// are); activations round-trip per matmul (host f32 → device, converted to the
// weight's compute type, GEMM with f32 accumulation and f32 output → host);
// attention over a prompt chunk runs on the GPU too (cuda_attention.h; the
// visible cache is copied over per call), single-token decode attention and
// the other ops (rmsnorm, rope, softmax, swiglu, add, get_rows) run on the
// CPU for now: they are CpuKernels()'s. Host pointers stay the
// interface, so a Forward cannot tell the tables apart.
//
// Numerics: unlike the CPU table, quantized weights meet f16 activations
// (not Q8_0/Q8_K); results agree with RefKernels() to about 1e-2 of the row
// norm, and F32 weights use full f32 GEMMs (no TF32).
//
// Only compiled with -DBHASA_CUDA=ON (BHASA_HAVE_CUDA defined); use
// KernelsForDevice (device.h) from code that must build either way: these
// live in the module libbhasa_cuda.so (cuda_module.h), not the executable. No CUDA
// headers here.
//
// Thread-safety: entries are reentrant (each call borrows its own stream and
// cuBLAS handle). Failure: the matmul throws bhasa::Error naming the CUDA or
// cuBLAS call and the tensor; the functions below never throw.
#pragma once

#include <cstddef>
#include <string>

#include "backends/native/kernels.h"

namespace bhasa::native {

// The table, or nullptr when no usable GPU is found (no driver, no device,
// or a device this build has no code for); *why then holds the reason,
// starting "no CUDA device: ".
const Kernels* CudaKernelsOrNull(std::string* why = nullptr);

// One line about the device the table uses, e.g. "NVIDIA H100 80GB HBM3
// (sm_90, 79.1 GiB, driver 13.0, runtime 13.0)"; the reason when there is none.
std::string CudaDeviceSummary();

// Total memory of the device the table uses, in bytes; 0 when there is none.
size_t CudaDeviceMemoryBytes();

}  // namespace bhasa::native
