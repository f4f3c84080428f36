// Text splitting for English IFEval: sentence counting (NLTK Punkt, English
// parameters) and word tokenization (nltk.word_tokenize) for the
// capital-word count.
//
// Both are approximations of NLTK, documented in docs/ifeval-mtbench.md:
//  * CountEnglishSentences breaks after '.', '?' or '!' (plus any closing
//    quotes or brackets) followed by whitespace, except after a known English
//    abbreviation, a single-letter initial, or a dotted form such as "e.g."; an
//    abbreviation followed by a capitalised word breaks only for "etc.".
//    Punkt's learned collocation and orthographic statistics are not ported.
//  * EnglishWordTokens splits on whitespace, peels leading/trailing punctuation
//    into separate tokens and splits the Treebank contractions (n't 's 're 've
//    'll 'd 'm), which is what decides str.isupper() on the tokens.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bhasa::metrics {

size_t CountEnglishSentences(std::string_view text);
std::vector<std::string> EnglishWordTokens(std::string_view text);

}  // namespace bhasa::metrics
