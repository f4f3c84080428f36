#include "backends/native/session.h"

#include <algorithm>
#include <set>

#include "common/error.h"

namespace bhasa::native {

Session::Session(const Model& model, const Kernels& kernels, SessionOptions options)
    : model_(model), forward_(model, kernels), options_(options), windows_(AttentionWindows(model)) {
  n_ctx_ = options.n_ctx > 0 ? options.n_ctx : model.hparams().n_ctx_train;
  if (options_.n_batch <= 0) options_.n_batch = 512;
}

int Session::Add() {
  const auto& hp = model_.hparams();
  Sequence s;
  s.cache = std::make_unique<KvCache>(hp.n_layer, hp.kv_dim(), n_ctx_, options_.kv_type, windows_);
  seqs_.emplace(next_id_, std::move(s));
  return next_id_++;
}

void Session::Remove(int seq) { seqs_.erase(seq); }

int Session::Adopt(std::unique_ptr<KvCache> cache) {
  const auto& hp = model_.hparams();
  if (!cache || !cache->Fits(hp.n_layer, hp.kv_dim(), n_ctx_, options_.kv_type, windows_))
    throw Error("session: adopted KV cache does not match this model and context");
  Sequence s;
  s.cache = std::move(cache);
  seqs_.emplace(next_id_, std::move(s));
  return next_id_++;
}

std::unique_ptr<KvCache> Session::CloneCache(int seq) const { return std::make_unique<KvCache>(*Get(seq).cache); }

std::unique_ptr<KvCache> Session::Release(int seq) {
  auto cache = std::move(Get(seq).cache);
  seqs_.erase(seq);
  return cache;
}

Session::Sequence& Session::Get(int seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) throw Error("session: unknown sequence " + std::to_string(seq));
  return it->second;
}

const Session::Sequence& Session::Get(int seq) const {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) throw Error("session: unknown sequence " + std::to_string(seq));
  return it->second;
}

int64_t Session::Length(int seq) const { return Get(seq).cache->size(); }

std::span<const float> Session::Logits(int seq) const { return Get(seq).logits; }

std::vector<std::string> Session::Step(std::span<const SeqTokens> steps, const OnRow& on_row) {
  std::vector<std::string> errors(steps.size());
  std::set<int> seen;
  const int64_t n_vocab = model_.hparams().n_vocab;
  // Per entry: how many of its tokens are done; entries that fail validation
  // are dropped up front so they cannot fail the shared forward call.
  std::vector<size_t> done(steps.size(), 0);
  std::vector<bool> live(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!seen.insert(steps[i].seq).second)
      throw Error("session: sequence " + std::to_string(steps[i].seq) + " listed twice in one step");
    const Sequence& s = Get(steps[i].seq);
    const int64_t n = static_cast<int64_t>(steps[i].tokens.size());
    if (s.cache->size() + n > n_ctx_) {
      errors[i] = "context length exceeded: " + std::to_string(s.cache->size()) + " + " + std::to_string(n) +
                  " tokens > n_ctx " + std::to_string(n_ctx_);
      continue;
    }
    auto bad = std::find_if(steps[i].tokens.begin(), steps[i].tokens.end(),
                            [&](int32_t t) { return t < 0 || t >= n_vocab; });
    if (bad != steps[i].tokens.end()) {
      errors[i] = "token id " + std::to_string(*bad) + " outside the vocabulary";
      continue;
    }
    live[i] = n > 0;
  }

  // Fill forward calls of up to n_batch tokens, splitting long prompts into
  // chunks; a sequence's chunks run in order across calls.
  std::vector<SeqChunk> batch;
  std::vector<size_t> owner, first;  // per chunk: its entry and its first token's index
  for (;;) {
    batch.clear();
    owner.clear();
    first.clear();
    int64_t budget = options_.n_batch;
    for (size_t i = 0; i < steps.size() && budget > 0; ++i) {
      if (!live[i] || done[i] == steps[i].tokens.size()) continue;
      const size_t n = std::min<size_t>(steps[i].tokens.size() - done[i], static_cast<size_t>(budget));
      const bool rows = on_row && steps[i].rows_from >= 0 &&
                        static_cast<size_t>(steps[i].rows_from) < done[i] + n;
      // Only a sequence's last chunk needs its last-token logits.
      const bool last = done[i] + n == steps[i].tokens.size();
      batch.push_back(SeqChunk{Get(steps[i].seq).cache.get(), steps[i].tokens.subspan(done[i], n), rows, rows || last});
      owner.push_back(i);
      first.push_back(done[i]);
      done[i] += n;
      budget -= static_cast<int64_t>(n);
    }
    if (batch.empty()) break;
    forward_.Run(batch, logits_);
    const float* row = logits_.data();  // chunks without logits have no rows
    for (size_t b = 0; b < batch.size(); ++b) {
      if (!batch[b].logits) continue;
      const size_t i = owner[b], n = batch[b].tokens.size();
      if (batch[b].all_logits) {
        for (size_t t = 0; t < n; ++t, row += n_vocab)
          if (first[b] + t >= static_cast<size_t>(steps[i].rows_from))
            on_row(i, first[b] + t, {row, static_cast<size_t>(n_vocab)});
      } else {
        row += n_vocab;
      }
      if (done[i] != steps[i].tokens.size()) continue;  // an intermediate chunk: logits unused
      Get(steps[i].seq).logits.assign(row - n_vocab, row);
    }
  }
  return errors;
}

}  // namespace bhasa::native
