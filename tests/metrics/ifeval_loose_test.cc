// English IFEval's loose variants: the sliced build against the plain one
// (upstream's split, join, strip, replace) on random responses.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/pystr.h"
#include "metrics/ifeval_loose.h"

namespace bhasa::metrics {
namespace {

std::vector<std::string> Texts(const IfevalLooseVariants& v) { return {v.texts().begin(), v.texts().end()}; }

// Python: r.split("\n"), "\n".join(...).strip(), .replace("*", "").
TEST(IfevalLoose, PlainVariantsAreUpstreams) {
  EXPECT_EQ(IfevalLooseVariantsPlain("<<T>>\n **bold** one\n\nP.S. *x* \n"),
            (std::vector<std::string>{"<<T>>\n bold one\n\nP.S. x \n", "**bold** one\n\nP.S. *x*",
                                      "<<T>>\n **bold** one\n\nP.S. *x*", "**bold** one\n\nP.S. *x*",
                                      "bold one\n\nP.S. x", "<<T>>\n bold one\n\nP.S. x", "bold one\n\nP.S. x"}));
  EXPECT_EQ(IfevalLooseVariantsPlain("one *line*"),
            (std::vector<std::string>{"one line", "", "", "", "", "", ""}));
  EXPECT_EQ(IfevalLooseVariantsPlain("a\nb"), (std::vector<std::string>{"a\nb", "b", "a", "", "b", "a", ""}));
}

TEST(IfevalLoose, SlicedVariantsEqualThePlainOnesOnRandomResponses) {
  // Lines, stars, ASCII and Unicode spaces (U+3000, NEL), a non-space
  // (U+200B), multi-byte letters, and invalid bytes (stripped into U+FFFD).
  const std::vector<std::string> pieces = {"a", "bc", "*", "**", "\n", "\n\n", " ", "\t", "\xe3\x80\x80",
                                           "\xc2\x85", "\xe2\x80\x8b", "\xc3\xa9", "\xe0\xb8\x81", "\xff", "\xe0\xb8"};
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string r;
    for (int n = static_cast<int>(rng() % 16); n > 0; --n) r += pieces[rng() % pieces.size()];
    const std::vector<std::string> plain = IfevalLooseVariantsPlain(r);
    const IfevalLooseVariants sliced(r);
    if (r.find('*') != std::string::npos) {
      ASSERT_EQ(Texts(sliced), plain) << "response '" << r << "'";
    } else {  // the starless variants repeat earlier ones and are left out
      ASSERT_EQ(Texts(sliced), std::vector<std::string>(plain.begin() + 1, plain.begin() + 4)) << "response '" << r << "'";
      ASSERT_EQ(plain[0], r);
      ASSERT_EQ(std::vector<std::string>(plain.begin() + 4, plain.end()),
                std::vector<std::string>(plain.begin() + 1, plain.begin() + 4));
    }
    // The scorer passes the UTF-8 check it has made: the same variants.
    const IfevalLooseVariants told(r, py::IsValidUtf8(r));
    ASSERT_EQ(Texts(told), Texts(sliced)) << "response '" << r << "'";
  }
}

}  // namespace
}  // namespace bhasa::metrics
