#include "backends/native/forward.h"

#include <algorithm>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "common/error.h"

namespace bhasa::native {
namespace {

// Runs f(row) for every row, spread over the arena in blocks of rows large
// enough that scheduling costs little next to a row's work.
template <class F>
void ForRows(int64_t n_rows, F&& f) {
  constexpr int64_t kRowsPerTask = 8;
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n_rows, kRowsPerTask), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t t = r.begin(); t < r.end(); ++t) f(t);
  });
}

}  // namespace

std::vector<int64_t> AttentionWindows(const Model& model) {
  std::vector<int64_t> windows(static_cast<size_t>(model.hparams().n_layer), 0);
  for (const Step& s : model.program().steps)
    if (s.op == Op::kAttention) windows.at(static_cast<size_t>(s.layer)) = s.window;
  return windows;
}

Forward::Forward(const Model& model, const Kernels& kernels) : model_(model), kernels_(kernels) {}

float* Forward::Data(Buf b) { return b == Buf::kLogits ? logits_ : scratch_[static_cast<size_t>(b)].data(); }

int64_t Forward::Width(Buf b) const {
  return BufWidth(model_.hparams(), b);
}

void Forward::Run(std::span<const SeqChunk> batch, std::vector<float>& logits) {
  const auto& hp = model_.hparams();
  const Kernels& K = kernels_;
  const int64_t nv = hp.n_vocab;

  // Validate everything first so a bad entry leaves every cache untouched.
  int64_t n_tok = 0, n_out = 0;
  for (const auto& s : batch) {
    if (!s.cache) throw Error("forward: batch entry without a cache");
    if (s.cache->size() + static_cast<int64_t>(s.tokens.size()) > s.cache->n_ctx())
      throw Error("context length exceeded: " + std::to_string(s.cache->size()) + " + " +
                  std::to_string(s.tokens.size()) + " tokens > n_ctx " + std::to_string(s.cache->n_ctx()));
    for (int32_t t : s.tokens)
      if (t < 0 || t >= nv) throw Error("token id " + std::to_string(t) + " outside the vocabulary [0, " + std::to_string(nv) + ")");
    n_tok += static_cast<int64_t>(s.tokens.size());
    n_out += s.tokens.empty() || !s.logits ? 0 : (s.all_logits ? static_cast<int64_t>(s.tokens.size()) : 1);
  }
  logits.resize(n_out * nv);
  if (n_tok == 0) return;
  for (const auto& s : batch) s.cache->Reserve(static_cast<int64_t>(s.tokens.size()));

  tokens_.clear();
  pos_.clear();
  out_rows_.clear();
  for (const auto& s : batch)
    for (size_t i = 0; i < s.tokens.size(); ++i) {
      if (s.logits && (s.all_logits || i + 1 == s.tokens.size()))
        out_rows_.push_back(static_cast<int64_t>(tokens_.size()));
      tokens_.push_back(s.tokens[i]);
      pos_.push_back(static_cast<int32_t>(s.cache->size() + static_cast<int64_t>(i)));
    }
  for (size_t b = 0; b < scratch_.size(); ++b) scratch_[b].resize(n_tok * Width(static_cast<Buf>(b)));
  logits_ = logits.data();

  const Program& program = model_.program();
  int64_t n_rows = n_tok;  // rows still carried through the program
  for (size_t index = 0; index < program.steps.size(); ++index) {
    const Step& s = program.steps[index];
    const int64_t w = Width(s.dst);
    float* dst = Data(s.dst);
    switch (s.op) {
      case Op::kEmbed:
        K.get_rows(*s.weight, tokens_.data(), n_tok, dst);
        break;
      case Op::kScale:
        K.scale(dst, n_rows * w, s.value);
        break;
      case Op::kNorm: {
        const float* src = Data(s.src);
        const int64_t sw = Width(s.src);
        ForRows(n_rows, [&](int64_t t) { K.rmsnorm(src + t * sw, s.vec, sw, s.value, dst + t * w); });
        break;
      }
      case Op::kMatmul:
        K.matmul(*s.weight, Data(s.src), n_rows, dst);
        break;
      case Op::kAddBias:
        ForRows(n_rows, [&](int64_t t) { K.add(dst + t * w, s.vec, w); });
        break;
      case Op::kRope:
        K.rope(dst, n_rows, w / hp.head_dim, hp.head_dim, pos_.data(), program.rope);
        break;
      case Op::kAttention:
        Attend(s, batch);
        break;
      case Op::kKeepOutputRows:
        n_rows = KeepOutputRows();
        break;
      case Op::kAdd:
        K.add(dst, Data(s.src), n_rows * w);
        break;
      case Op::kGlu:
        (s.activation == Activation::kSilu ? K.swiglu : K.geglu)(dst, Data(s.src), n_rows * w, dst);
        break;
      case Op::kSoftcap:
        K.softcap(dst, n_rows * w, s.value);
        break;
    }
    if (observer_) observer_(index, s, Data(s.dst), n_rows, w);
  }
  for (const auto& s : batch) s.cache->Commit(static_cast<int64_t>(s.tokens.size()));
  if (n_rows != n_out) throw Error("forward: the program of " + hp.arch + " never kept the output rows");
}

void Forward::Attend(const Step& step, std::span<const SeqChunk> batch) {
  const auto& hp = model_.hparams();
  const int64_t qd = hp.q_dim(), kvd = hp.kv_dim();
  const float* q = Data(Buf::kQ);
  const float* k = Data(Buf::kK);
  const float* v = Data(Buf::kV);
  float* out = Data(Buf::kAttn);
  int64_t row = 0;
  for (const auto& s : batch) {
    const int64_t n = static_cast<int64_t>(s.tokens.size());
    if (n == 0) continue;
    s.cache->Write(step.layer, s.cache->size(), k + row * kvd, v + row * kvd, n, kvd);
    AttentionArgs a;
    a.q = q + row * qd;
    a.n_tokens = n;
    a.pos = &pos_[row];
    a.kv = s.cache->View(step.layer);
    a.n_head = hp.n_head;
    a.n_head_kv = hp.n_head_kv;
    a.head_dim = hp.head_dim;
    a.scale = step.value;
    a.window = step.window;
    a.softcap = step.softcap;
    a.out = out + row * qd;
    kernels_.attention(a);
    row += n;
  }
}

int64_t Forward::KeepOutputRows() {
  for (Buf b : {Buf::kX, Buf::kAttn}) {
    const int64_t w = Width(b);
    float* d = Data(b);
    for (size_t i = 0; i < out_rows_.size(); ++i) {
      const int64_t from = out_rows_[i], to = static_cast<int64_t>(i);
      if (from != to) std::copy_n(d + from * w, w, d + to * w);  // rows only move down: in order is safe
    }
  }
  return static_cast<int64_t>(out_rows_.size());
}

}  // namespace bhasa::native
