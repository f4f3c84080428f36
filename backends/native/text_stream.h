// StreamableLength: how much of a growing generated text can be sent to a
// streaming client before generation ends, so that what was sent is never
// taken back and never splits a character.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace bhasa::native {

// The length of the longest prefix of `text` that (a) holds no bytes which may
// still turn out to begin a stop string (a text ending in a proper prefix of a
// stop string keeps that ending back) and (b) ends on a UTF-8 character
// boundary (an incomplete trailing sequence is kept back). Bytes that are not
// valid UTF-8 lead bytes are passed through: they will never complete.
size_t StreamableLength(std::string_view text, std::span<const std::string> stops);

}  // namespace bhasa::native
