#include "backends/native/job_text.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "backends/native/sampler.h"
#include "backends/native/text_stream.h"

namespace bhasa::native {

bool Cancelled(const GenerationJob& job) { return job.cancelled && job.cancelled->load(std::memory_order_relaxed); }

bool AcceptToken(const GenerationJob& job, const Vocab& vocab, int32_t token, bool context_full, GenerationResult& r,
                 JobTextState& state) {
  r.tokens.push_back(token);
  r.completion_tokens = static_cast<int>(r.tokens.size());
  if (job.stop_at_eog && vocab.IsEog(token)) {
    r.finish_reason = "stop";
    return true;
  }
  r.text += vocab.TokenToPiece(token, /*render_special=*/false);
  if (!job.stop.empty()) {
    const size_t at = FindStop(r.text, job.stop, state.checked);
    if (at != std::string::npos) {
      size_t cut = at;
      if (job.include_stop) {
        // The earliest match; keep the longest stop string starting there.
        for (const auto& s : job.stop)
          if (!s.empty() && r.text.compare(at, s.size(), s) == 0) cut = std::max(cut, at + s.size());
      }
      r.text.resize(cut);
      r.finish_reason = "stop";
      return true;
    }
    state.checked = r.text.size();
  }
  if (r.completion_tokens >= job.max_tokens || context_full) {
    r.finish_reason = "length";
    return true;
  }
  if (Cancelled(job)) {
    r.finish_reason = "abort";
    return true;
  }
  return false;
}

void StreamText(const GenerationJob& job, const std::string& text, bool done, JobTextState& state) {
  if (!job.on_text) return;
  const size_t end = done ? text.size() : StreamableLength(text, job.stop);
  if (end <= state.sent) return;
  job.on_text(std::string_view(text).substr(state.sent, end - state.sent));
  state.sent = end;
}

}  // namespace bhasa::native
