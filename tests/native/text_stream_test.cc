// StreamableLength: what a streaming client may be sent of a growing text.
#include "backends/native/text_stream.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bhasa::native {
namespace {

size_t Streamable(const std::string& text, std::vector<std::string> stops = {}) {
  return StreamableLength(text, stops);
}

TEST(StreamableLength, WholeTextWithoutStopsOrOpenCharacters) {
  EXPECT_EQ(Streamable(""), 0u);
  EXPECT_EQ(Streamable("Selamat pagi"), 12u);
  EXPECT_EQ(Streamable("สวัสดี"), std::string("สวัสดี").size());
}

TEST(StreamableLength, IncompleteUtf8SequenceIsHeldBack) {
  const std::string thai = "สวั";  // three 3-byte characters
  EXPECT_EQ(Streamable("a" + thai.substr(0, 1)), 1u);
  EXPECT_EQ(Streamable("a" + thai.substr(0, 2)), 1u);
  EXPECT_EQ(Streamable("a" + thai.substr(0, 3)), 4u);
  EXPECT_EQ(Streamable("a" + thai.substr(0, 4)), 4u);
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  EXPECT_EQ(Streamable("x" + emoji.substr(0, 3)), 1u);
  EXPECT_EQ(Streamable("x" + emoji), 5u);
}

TEST(StreamableLength, BytesThatNeverCompleteAreNotHeld) {
  EXPECT_EQ(Streamable("a\x80"), 2u);         // a stray continuation byte
  EXPECT_EQ(Streamable("a\xFF"), 2u);         // never valid in UTF-8
  EXPECT_EQ(Streamable("a\xE0\x80\x80\x80"), 5u);  // a lead followed by one continuation too many
}

TEST(StreamableLength, PossibleStopStringBeginningIsHeldBack) {
  EXPECT_EQ(Streamable("Jawaban: A\n", {"\n\n"}), 10u);
  EXPECT_EQ(Streamable("Jawaban: A\nB", {"\n\n"}), 12u);
  EXPECT_EQ(Streamable("ab###", {"####"}), 2u);
  EXPECT_EQ(Streamable("ab##", {"####", "#x"}), 2u);  // the longest held ending wins
  EXPECT_EQ(Streamable("abc", {"", "zz"}), 3u);       // an empty stop string holds nothing
  // A held stop beginning that ends in an open character holds both.
  EXPECT_EQ(Streamable("ok \xE0\xB8", {"\xE0\xB8\xAA!"}), 3u);
}

}  // namespace
}  // namespace bhasa::native
