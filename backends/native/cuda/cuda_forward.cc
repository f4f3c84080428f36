// The Program on device pointers (see cuda_forward.h).
#include "backends/native/cuda/cuda_forward.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include <cuda_runtime_api.h>

#include "backends/native/cuda/cuda_attention_kernel.h"
#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_device.h"
#include "backends/native/cuda/cuda_gemv.h"
#include "backends/native/cuda/cuda_ops.h"
#include "backends/native/cuda/cuda_paged.h"
#include "backends/native/cuda/cuda_resources.h"
#include "backends/native/cuda/resident_weights.h"
#include "backends/native/gpu_memory.h"
#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::native::cuda {
namespace {

constexpr size_t kNumBufs = static_cast<size_t>(Buf::kLogits) + 1;
// Room for cuBLAS workspaces, the sampler's sort and allocator slack.
constexpr size_t kHeadroomBytes = size_t{512} << 20;

StreamPtr NewStream() {
  cudaStream_t s = nullptr;
  Check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags", "forward stream");
  return StreamPtr(s);
}

CublasPtr NewCublas(cudaStream_t stream) {
  cublasHandle_t h = nullptr;
  Check(cublasCreate(&h), "cublasCreate", "forward");
  CublasPtr owned(h);
  Check(cublasSetStream(h, stream), "cublasSetStream", "forward");
  return owned;
}

void Upload(void* dst, const void* src, size_t bytes, cudaStream_t stream, const std::string& what) {
  Check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync", what);
}

struct GraphExecDestroy {
  void operator()(CUgraphExec_st* g) const { cudaGraphExecDestroy(g); }
};
using GraphExecPtr = std::unique_ptr<CUgraphExec_st, GraphExecDestroy>;

// BHASA_CUDA_GRAPHS=0 runs decode steps without graphs, to tell a graph's
// fault from a kernel's.
bool GraphsWanted() {
  const char* v = std::getenv("BHASA_CUDA_GRAPHS");
  return !(v && std::string(v) == "0");
}

class CudaForward final : public DeviceForward {
 public:
  CudaForward(const Model& model, const DeviceForwardOptions& options);

  int32_t n_blocks() const override { return n_blocks_; }
  int32_t block_tokens() const override { return options_.block_tokens; }
  size_t peak_bytes() const override { return peak_bytes_; }
  void CopyBlocks(std::span<const KvBlockCopy> copies) override;
  void Run(const PagedStepPlan& plan, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
           std::vector<float>& logits) override;

 private:
  int64_t Width(Buf b) const;
  const DeviceMatrix& Matrix(const TensorInfo& w) const;
  const float* Vector(const float* host) const { return vectors_.at(host); }
  void Matmul(const TensorInfo& w, const float* x, int64_t n_rows, float* out);
  void Attend(const Step& step, const PagedStepPlan& plan);
  void KeepOutputRows(int64_t n_out);
  // Points the index arrays at `plan`'s copy in device memory `at`.
  void UploadPlan(const PagedStepPlan& plan, int32_t* at);
  // Enqueues the program over the uploaded plan; returns the rows it ends with.
  int64_t Enqueue(const PagedStepPlan& plan);
  // The decode step of padded plans like `padded` as a graph, or null (graphs
  // then stay off) when capturing fails.
  GraphExecPtr Capture(const PagedStepPlan& padded);
  void* KvLayer(int64_t layer, bool v) const;
  void NotePeak();

  const Model& model_;
  DeviceForwardOptions options_;
  StreamPtr stream_;
  CublasPtr cublas_;
  ResidentWeights weights_;
  DevicePtr vector_arena_;  // norm weights, biases, RoPE factors
  std::unordered_map<const float*, const float*> vectors_;
  const float* freq_factors_ = nullptr;
  DevicePtr kv_;
  int32_t n_blocks_ = 0;    // blocks the scheduler hands out; block n_blocks_ is the graphs' spare
  size_t block_bytes_ = 0;  // one layer's K (or V) of one block
  // Decode graphs, by bucket of rows (GraphBucket), over fixed buffers: the
  // activations and scratch are reserved for n_batch rows up front and never move.
  bool use_graphs_ = false;
  int64_t graph_stride_ = 0, graph_kv_ = 0;
  DevicePtr graph_meta_;
  std::array<GraphExecPtr, kGemvMaxTokens + 1> graphs_;
  std::array<DeviceBuffer, kNumBufs> buffers_;
  std::array<DeviceBuffer, 2> spares_;
  DeviceBuffer meta_, matmul_scratch_, sample_scratch_, samples_, ids_;
  std::array<float*, kNumBufs> buf_{};  // this Run's activations (KeepOutputRows swaps in the spare)
  const int32_t* d_tokens_ = nullptr;
  const int32_t* d_pos_ = nullptr;
  const int32_t* d_slots_ = nullptr;
  const int32_t* d_tables_ = nullptr;
  const int32_t* d_out_rows_ = nullptr;
  size_t peak_bytes_ = 0;
  std::string what_;
};

size_t ActivationBytes(const Hparams& hp, int64_t n_batch) {
  const int64_t row = 3 * hp.n_embd + 3 * hp.q_dim() + 2 * hp.kv_dim() + 2 * hp.n_ff + hp.n_vocab;
  return static_cast<size_t>(row * n_batch) * sizeof(float);
}

CudaForward::CudaForward(const Model& model, const DeviceForwardOptions& options)
    : model_(model),
      options_(options),
      stream_(NewStream()),
      cublas_(NewCublas(stream_.get())),
      weights_(model.file().tensors(), model.file().path(), options.gpu_memory_fraction,
               static_cast<size_t>(std::max<int64_t>(options.n_ctx, 1)) *
                       KvBytesPerPosition(model.hparams().n_layer, model.hparams().kv_dim(), KvType::kF16) +
                   ActivationBytes(model.hparams(), options.n_batch) + kHeadroomBytes,
               stream_.get()),
      what_("forward of " + model.file().path()) {
  const Hparams& hp = model.hparams();
  const Program& program = model.program();
  if (options_.block_tokens <= 0) options_.block_tokens = 16;
  options_.n_batch = std::max<int64_t>(options_.n_batch, 1);

  // Every weight the program reads must be resident; every vector goes up once.
  std::vector<std::pair<const float*, int64_t>> vectors;
  for (const Step& s : program.steps) {
    if (s.weight) Matrix(*s.weight);
    if (s.vec) vectors.emplace_back(s.vec, s.op == Op::kNorm ? Width(s.src) : Width(s.dst));
  }
  if (program.rope.freq_factors) vectors.emplace_back(program.rope.freq_factors, program.rope.rope_dim / 2);
  int64_t floats = 0;
  for (const auto& [host, n] : vectors) floats += n;
  vector_arena_ = DeviceAlloc(static_cast<size_t>(floats) * sizeof(float), "vectors of " + model.file().path());
  auto* at = static_cast<float*>(vector_arena_.get());
  for (const auto& [host, n] : vectors) {
    if (vectors_.emplace(host, at).second) {
      Upload(at, host, static_cast<size_t>(n) * sizeof(float), stream_.get(), "vectors of " + model.file().path());
      at += n;
    }
  }
  if (program.rope.freq_factors) freq_factors_ = Vector(program.rope.freq_factors);

  // The rest of the budget, after activations and headroom, is KV blocks.
  const GpuMemoryPlan& plan = weights_.plan();
  const size_t reserved = weights_.bytes() + static_cast<size_t>(floats) * sizeof(float) +
                          ActivationBytes(hp, options_.n_batch) + kHeadroomBytes;
  block_bytes_ = static_cast<size_t>(options_.block_tokens * hp.kv_dim()) * 2;
  const size_t per_block = block_bytes_ * 2 * static_cast<size_t>(hp.n_layer);
  const int64_t blocks_per_seq = (std::max<int64_t>(options_.n_ctx, 1) + options_.block_tokens - 1) / options_.block_tokens;
  const int64_t wanted = 2 * std::max(options_.max_batch, 1) * blocks_per_seq;
  const int64_t fit = plan.budget_bytes > reserved ? static_cast<int64_t>((plan.budget_bytes - reserved) / per_block) : 0;
  n_blocks_ = static_cast<int32_t>(std::min<int64_t>({wanted, fit, INT32_MAX / options_.block_tokens - 1}));
  if (n_blocks_ < blocks_per_seq)
    throw Error("model " + model.file().path() + " does not fit on the GPU with a KV cache of " +
                    std::to_string(options_.n_ctx) + " positions; use a smaller context or raise --gpu-memory-fraction",
                kExitUsage);
  kv_ = DeviceAlloc(per_block * static_cast<size_t>(n_blocks_ + 1), "KV cache of " + model.file().path());

  // Activations and matmul scratch for n_batch rows now, so no pointer a graph holds ever moves.
  for (size_t b = 0; b < kNumBufs; ++b)
    buffers_[b].Reserve(static_cast<size_t>(options_.n_batch * Width(static_cast<Buf>(b))) * sizeof(float), what_);
  spares_[0].Reserve(static_cast<size_t>(options_.n_batch * hp.n_embd) * sizeof(float), what_);
  spares_[1].Reserve(static_cast<size_t>(options_.n_batch * hp.q_dim()) * sizeof(float), what_);
  size_t scratch = 1;
  for (const Step& s : program.steps)
    if (s.op == Op::kMatmul) {
      const DeviceMatrix& m = Matrix(*s.weight);
      scratch = std::max({scratch, GemvScratchBytes(m.type, m.cols, kGemvMaxTokens),
                          options_.n_batch > kGemvMaxTokens ? GemmScratchBytes(m, options_.n_batch) : size_t{0}});
    }
  matmul_scratch_.Reserve(scratch, what_);
  graph_stride_ = blocks_per_seq;
  graph_kv_ = blocks_per_seq * options_.block_tokens;
  use_graphs_ = GraphsWanted() && AttentionSharedBytes(hp.head_dim, graph_kv_) <= kAttentionSharedLimit;
  graph_meta_ = DeviceAlloc(static_cast<size_t>(kGemvMaxTokens * (4 + graph_stride_)) * sizeof(int32_t), what_);
  Check(cudaStreamSynchronize(stream_.get()), "cudaStreamSynchronize", what_);
  NotePeak();
}

int64_t CudaForward::Width(Buf b) const {
  return BufWidth(model_.hparams(), b);
}

const DeviceMatrix& CudaForward::Matrix(const TensorInfo& w) const {
  const DeviceMatrix* m = weights_.Find(w);
  if (!m)
    throw Error(model_.file().path() + ": tensor " + w.name + " of type " + TypeName(w.type) +
                    " has no CUDA kernel (use --device cpu)",
                kExitUsage);
  return *m;
}

void* CudaForward::KvLayer(int64_t layer, bool v) const {
  const size_t layer_bytes = block_bytes_ * static_cast<size_t>(n_blocks_ + 1);
  return static_cast<uint8_t*>(kv_.get()) + (2 * static_cast<size_t>(layer) + (v ? 1 : 0)) * layer_bytes;
}

void CudaForward::NotePeak() {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess)
    peak_bytes_ = std::max(peak_bytes_, total_bytes - free_bytes);
}

void CudaForward::CopyBlocks(std::span<const KvBlockCopy> copies) {
  for (const KvBlockCopy& c : copies)
    for (int64_t layer = 0; layer < model_.hparams().n_layer; ++layer)
      for (bool v : {false, true}) {
        auto* base = static_cast<uint8_t*>(KvLayer(layer, v));
        Check(cudaMemcpyAsync(base + static_cast<size_t>(c.to) * block_bytes_,
                              base + static_cast<size_t>(c.from) * block_bytes_, block_bytes_,
                              cudaMemcpyDeviceToDevice, stream_.get()),
              "cudaMemcpyAsync", "KV block copy, " + what_);
      }
}

void CudaForward::Matmul(const TensorInfo& w, const float* x, int64_t n_rows, float* out) {
  const DeviceMatrix& m = Matrix(w);
  if (n_rows <= kGemvMaxTokens) {
    void* scratch = matmul_scratch_.Reserve(std::max<size_t>(GemvScratchBytes(m.type, m.cols, n_rows), 1), what_);
    Gemv(m, x, n_rows, out, scratch, stream_.get(), w.name);
  } else {
    void* scratch = matmul_scratch_.Reserve(std::max<size_t>(GemmScratchBytes(m, n_rows), 1), what_);
    GemmPrompt(m, x, n_rows, out, scratch, cublas_.get(), stream_.get(), w.name);
  }
}

void CudaForward::Attend(const Step& step, const PagedStepPlan& plan) {
  const Hparams& hp = model_.hparams();
  const int64_t n = plan.n_rows();
  void* kc = KvLayer(step.layer, false);
  void* vc = KvLayer(step.layer, true);
  StoreKv(buf_[static_cast<size_t>(Buf::kK)], buf_[static_cast<size_t>(Buf::kV)], d_slots_, n, hp.kv_dim(), kc, vc,
          stream_.get(), what_);
  if (AttentionSharedBytes(hp.head_dim, plan.max_kv) > kAttentionSharedLimit)
    throw Error("CUDA attention: " + std::to_string(plan.max_kv) + " positions exceed the kernel's shared memory (" +
                std::to_string(kAttentionSharedLimit / sizeof(float) - hp.head_dim) + " at head_dim " +
                std::to_string(hp.head_dim) + "); use a shorter context");
  DeviceAttention a;
  a.q = buf_[static_cast<size_t>(Buf::kQ)];
  a.pos = d_pos_;
  a.k = kc;
  a.v = vc;
  a.f16 = true;
  a.stride = hp.kv_dim();
  a.n_kv = plan.max_kv;
  a.n_tokens = n;
  a.n_head = hp.n_head;
  a.n_head_kv = hp.n_head_kv;
  a.head_dim = hp.head_dim;
  a.scale = step.value;
  a.out = buf_[static_cast<size_t>(Buf::kAttn)];
  a.window = step.window;
  a.softcap = step.softcap;
  a.block_table = d_tables_;
  a.block_tokens = options_.block_tokens;
  a.table_stride = plan.table_stride;
  LaunchAttention(a, stream_.get(), what_);
}

void CudaForward::KeepOutputRows(int64_t n_out) {
  // Into a spare of the buffer's width; the spare becomes the buffer for the rest of this Run.
  const Buf kept[] = {Buf::kX, Buf::kAttn};
  for (size_t i = 0; i < 2; ++i) {
    float*& live = buf_[static_cast<size_t>(kept[i])];
    const size_t bytes = static_cast<size_t>(n_out * Width(kept[i])) * sizeof(float);
    auto* spare = static_cast<float*>(spares_[i].Reserve(std::max<size_t>(bytes, 1), what_));
    GatherRows(live, d_out_rows_, n_out, Width(kept[i]), spare, stream_.get(), what_);
    live = spare;
  }
}

void CudaForward::UploadPlan(const PagedStepPlan& plan, int32_t* at) {
  std::vector<int32_t> meta;
  meta.reserve(plan.tokens.size() * 3 + plan.tables.size() + plan.out_rows.size());
  meta.insert(meta.end(), plan.tokens.begin(), plan.tokens.end());
  meta.insert(meta.end(), plan.pos.begin(), plan.pos.end());
  meta.insert(meta.end(), plan.slots.begin(), plan.slots.end());
  meta.insert(meta.end(), plan.tables.begin(), plan.tables.end());
  meta.insert(meta.end(), plan.out_rows.begin(), plan.out_rows.end());
  Upload(at, meta.data(), meta.size() * sizeof(int32_t), stream_.get(), what_);
  const size_t n = plan.tokens.size();
  d_tokens_ = at;
  d_pos_ = at + n;
  d_slots_ = at + 2 * n;
  d_tables_ = at + 3 * n;
  d_out_rows_ = at + 3 * n + plan.tables.size();
}

int64_t CudaForward::Enqueue(const PagedStepPlan& plan) {
  const Hparams& hp = model_.hparams();
  const Program& program = model_.program();
  const int64_t n_tok = plan.n_rows(), n_out = static_cast<int64_t>(plan.out_rows.size());
  cudaStream_t stream = stream_.get();
  for (size_t b = 0; b < kNumBufs; ++b) buf_[b] = static_cast<float*>(buffers_[b].Reserve(1, what_));
  const DeviceRope rope{program.rope.rope_dim, program.rope.freq_base, freq_factors_, program.rope.neox};

  int64_t n_rows = n_tok;
  for (const Step& s : program.steps) {
    const int64_t w = Width(s.dst);
    float* dst = buf_[static_cast<size_t>(s.dst)];
    const float* src = buf_[static_cast<size_t>(s.src)];
    switch (s.op) {
      case Op::kEmbed:
        CheckRowIds(Matrix(*s.weight), plan.tokens.data(), n_tok, what_);
        GetRows(Matrix(*s.weight), d_tokens_, n_tok, dst, stream, s.weight->name);
        break;
      case Op::kScale:
        Scale(dst, n_rows * w, s.value, stream, what_);
        break;
      case Op::kNorm:
        RmsNorm(src, Vector(s.vec), n_rows, Width(s.src), s.value, dst, stream, what_);
        break;
      case Op::kMatmul:
        Matmul(*s.weight, src, n_rows, dst);
        break;
      case Op::kAddBias:
        AddRowVector(dst, Vector(s.vec), n_rows, w, stream, what_);
        break;
      case Op::kRope:
        Rope(dst, n_rows, w / hp.head_dim, hp.head_dim, d_pos_, rope, stream, what_);
        break;
      case Op::kAttention:
        Attend(s, plan);
        break;
      case Op::kKeepOutputRows:
        if (n_out != n_rows) KeepOutputRows(n_out);  // every row an output (decode): nothing moves
        n_rows = n_out;
        break;
      case Op::kAdd:
        Add(dst, src, n_rows * w, stream, what_);
        break;
      case Op::kGlu:
        (s.activation == Activation::kSilu ? Swiglu : Geglu)(dst, src, n_rows * w, dst, stream, what_);
        break;
      case Op::kSoftcap:
        Softcap(dst, n_rows * w, s.value, stream, what_);
        break;
    }
  }
  if (n_rows != n_out) throw Error("CUDA forward: the program of " + hp.arch + " never kept the output rows");
  return n_rows;
}

GraphExecPtr CudaForward::Capture(const PagedStepPlan& padded) {
  cudaStream_t stream = stream_.get();
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    use_graphs_ = false;
    return nullptr;
  }
  cudaGraph_t graph = nullptr;
  try {
    Enqueue(padded);
  } catch (...) {  // the stream must leave capture mode whatever went wrong
    cudaStreamEndCapture(stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    use_graphs_ = false;
    return nullptr;
  }
  cudaGraphExec_t exec = nullptr;
  cudaError_t status = cudaStreamEndCapture(stream, &graph);
  if (status == cudaSuccess) status = cudaGraphInstantiate(&exec, graph, 0);
  if (graph) cudaGraphDestroy(graph);
  if (status != cudaSuccess) {
    cudaGetLastError();
    use_graphs_ = false;
    return nullptr;
  }
  return GraphExecPtr(exec);
}

void CudaForward::Run(const PagedStepPlan& plan, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
                      std::vector<float>& logits) {
  const Hparams& hp = model_.hparams();
  const int64_t n_tok = plan.n_rows(), n_out = static_cast<int64_t>(plan.out_rows.size());
  if (static_cast<int64_t>(outputs.size()) != n_out)
    throw Error("CUDA forward: " + std::to_string(outputs.size()) + " outputs for " + std::to_string(n_out) + " rows");
  ids.assign(static_cast<size_t>(n_out), -1);
  logits.clear();
  if (n_tok == 0) return;
  if (n_tok > options_.n_batch)
    throw Error("CUDA forward: " + std::to_string(n_tok) + " tokens in one call, more than n_batch " +
                std::to_string(options_.n_batch));
  for (int32_t t : plan.tokens)  // checked here too: a replayed graph checks nothing
    if (t < 0 || t >= hp.n_vocab)
      throw Error("token id " + std::to_string(t) + " outside the vocabulary [0, " + std::to_string(hp.n_vocab) + ")");
  cudaStream_t stream = stream_.get();

  // A decode step (every row an output, few rows) replays its bucket's graph.
  const int64_t bucket = use_graphs_ && n_out == n_tok ? GraphBucket(n_tok, kGemvMaxTokens) : 0;
  if (bucket > 0 && plan.table_stride <= graph_stride_ && plan.max_kv <= graph_kv_) {
    const PagedStepPlan padded =
        PadForGraph(plan, bucket, graph_stride_, n_blocks_, options_.block_tokens, graph_kv_);
    UploadPlan(padded, static_cast<int32_t*>(graph_meta_.get()));
    GraphExecPtr& exec = graphs_[static_cast<size_t>(bucket)];
    if (!exec) exec = Capture(padded);
    if (exec) Check(cudaGraphLaunch(exec.get(), stream), "cudaGraphLaunch", what_);
    else Enqueue(padded);  // capturing failed: this step and the next ones run without graphs
  } else {
    const size_t ints = plan.tokens.size() * 3 + plan.tables.size() + plan.out_rows.size();
    UploadPlan(plan, static_cast<int32_t*>(meta_.Reserve(ints * sizeof(int32_t), what_)));
    Enqueue(plan);
  }

  // Sampling on the device, then only ids and the logits rows asked for come back.
  const auto* d_logits = static_cast<const float*>(buffers_[static_cast<size_t>(Buf::kLogits)].Reserve(1, what_));
  std::vector<RowSample> samples(static_cast<size_t>(n_out));
  bool any_sample = false, stochastic = false;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].sample) continue;
    samples[i] = {outputs[i].cut, outputs[i].u};
    any_sample = true;
    stochastic = stochastic || outputs[i].cut.temperature > 0.0f;
  }
  std::vector<int32_t> host_ids(static_cast<size_t>(n_out));
  if (any_sample && n_out > 0) {
    auto* d_samples = static_cast<RowSample*>(samples_.Reserve(samples.size() * sizeof(RowSample), what_));
    Upload(d_samples, samples.data(), samples.size() * sizeof(RowSample), stream, what_);
    void* scratch = stochastic ? sample_scratch_.Reserve(SampleScratchBytes(n_out, hp.n_vocab), what_) : nullptr;
    auto* d_ids = static_cast<int32_t*>(ids_.Reserve(host_ids.size() * sizeof(int32_t), what_));
    SampleRows(d_logits, n_out, hp.n_vocab, d_samples, stochastic, d_ids, scratch, stream, what_);
    Check(cudaMemcpyAsync(host_ids.data(), d_ids, host_ids.size() * sizeof(int32_t), cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync", what_);
  }
  size_t n_logits = 0;
  for (const RowOutput& o : outputs) n_logits += o.logits ? 1 : 0;
  logits.resize(n_logits * static_cast<size_t>(hp.n_vocab));
  size_t row = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].logits) continue;
    Check(cudaMemcpyAsync(logits.data() + row * hp.n_vocab, d_logits + i * hp.n_vocab, hp.n_vocab * sizeof(float),
                          cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync", what_);
    ++row;
  }
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", what_);
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].sample) ids[i] = host_ids[i];
  NotePeak();
}

}  // namespace

std::unique_ptr<DeviceForward> MakeCudaForward(const Model& model, const DeviceForwardOptions& options) {
  std::string why;
  if (!CudaDevice::Get(&why)) throw Error("device cuda: " + why, kExitRuntime);
  Check(cudaSetDevice(0), "cudaSetDevice", "forward");
  return std::make_unique<CudaForward>(model, options);
}

}  // namespace bhasa::native::cuda
