#include "backends/native/text_stream.h"

#include <algorithm>

namespace bhasa::native {
namespace {

// Bytes in the UTF-8 sequence `lead` starts; 0 for a continuation or invalid byte.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

// `end`, moved back to the start of a trailing incomplete UTF-8 sequence.
size_t CharacterBoundary(std::string_view text, size_t end) {
  for (size_t back = 1; back <= std::min<size_t>(4, end); ++back) {
    const auto c = static_cast<unsigned char>(text[end - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for its lead
    const size_t need = SequenceLength(c);
    return need > back ? end - back : end;
  }
  return end;
}

}  // namespace

size_t StreamableLength(std::string_view text, std::span<const std::string> stops) {
  size_t held = 0;
  for (const std::string& stop : stops)
    for (size_t k = std::min(stop.size() - (stop.empty() ? 0 : 1), text.size()); k > held; --k)
      if (text.ends_with(std::string_view(stop).substr(0, k))) {
        held = k;
        break;
      }
  return CharacterBoundary(text, text.size() - held);
}

}  // namespace bhasa::native
