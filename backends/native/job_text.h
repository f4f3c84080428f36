// How a generation job's sampled tokens become its result, shared by the
// engine's two schedulers (engine.cc over Forward, engine_paged.cc over a
// device-resident forward): end of generation, stop strings, max_tokens, the
// context's end and cancellation; and the streaming of text that has become
// final. Internal to the engine.
//
// Thread-safety: functions of their arguments. Failure: none.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backends/native/engine.h"
#include "backends/native/vocab.h"

namespace bhasa::native {

bool Cancelled(const GenerationJob& job);

// Where a job's text stands.
struct JobTextState {
  size_t checked = 0;  // bytes of text already searched for stop strings
  size_t sent = 0;     // bytes of text already handed to on_text
};

// Appends `token` to r and returns whether the job is finished (finish_reason
// set). context_full: the sequence cannot take another position.
bool AcceptToken(const GenerationJob& job, const Vocab& vocab, int32_t token, bool context_full, GenerationResult& r,
                 JobTextState& state);

// Hands job.on_text the text that has become final (all of it when done).
void StreamText(const GenerationJob& job, const std::string& text, bool done, JobTextState& state);

}  // namespace bhasa::native
