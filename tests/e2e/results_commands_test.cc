// End-to-end: the commands that read finished runs (`export`, `compare`,
// `report`) over runs made by `bhasa run --backend replay`, plus `metric`,
// `list` and their help texts, through the built binary.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;
using testing::SourceDir;

const char* kSentimentTags[][2] = {{"id", "Jawaban:"}, {"vi", "Câu trả lời:"}};

// Sentiment answers for id and vi: gold labels, except the first `wrong_id`
// Indonesian rows, which get a label that is not gold.
std::string SentimentAnswers(const std::string& path, size_t wrong_id) {
  std::ofstream out(path);
  for (const auto& [lang, tag] : kSentimentTags) {
    auto rows = ReadJsonlAll(SourceDir() + "/data/samples/sentiment/" + lang + "/test.jsonl");
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string label = rows[i]["label"];
      if (std::string(lang) == "id" && i < wrong_id) label = label == "Positif" ? "Negatif" : "Positif";
      out << nlohmann::json({{"id", "sentiment/" + std::string(lang) + "/" + rows[i]["id"].get<std::string>() + "/t1"},
                             {"response", std::string(tag) + " " + label}})
                 .dump()
          << "\n";
    }
  }
  return path;
}

// Runs `bhasa run` over replayed answers; returns the run directory.
std::string RunReplay(const std::string& dir, const std::string& name, const std::string& answers, const std::string& extra) {
  std::string log;
  int rc = RunCommand(BhasaBinary() + " run --backend replay --replay " + answers + " --output " + dir +
                          "/runs --model-name " + name + " " + extra,
                      &log);
  EXPECT_EQ(rc, 0) << log;
  return dir + "/runs/" + name + "/run_0";
}

// Runs a command with stdout to a file; returns the exit code. *stdout_text
// and *stderr_text receive the two streams.
int Split(const std::string& cmd, const std::string& dir, std::string* stdout_text, std::string* stderr_text) {
  int rc = RunCommand("(" + cmd + " > " + dir + "/stdout.txt 2> " + dir + "/stderr.txt)");
  *stdout_text = ReadFile(dir + "/stdout.txt");
  *stderr_text = ReadFile(dir + "/stderr.txt");
  return rc;
}

TEST(ExportCli, ScoresUseTheScaleTheScorerDeclares) {
  auto dir = testing::TempDir("e2e-export");
  // A weak summary: one reference word among 300 others. ROUGE-L per row is
  // far below 1 point; the export must not read those points as fractions.
  std::ofstream answers(dir + "/answers.jsonl");
  auto rows = ReadJsonlAll(SourceDir() + "/data/samples/abssum/id/test.jsonl");
  for (const auto& row : rows) {
    std::string label = row["label"], filler;
    for (int i = 0; i < 300; ++i) filler += " zzz";
    answers << nlohmann::json({{"id", "abssum/id/" + row["id"].get<std::string>() + "/t1"},
                               {"response", "Rangkuman: " + label.substr(0, label.find(' ')) + filler}})
                   .dump()
            << "\n";
  }
  answers.close();
  std::string run = RunReplay(dir, "weak", dir + "/answers.jsonl", "--tasks abssum --languages id");
  auto doc = nlohmann::json::parse(ReadFile(run + "/results.json"));
  const double recorded = doc["results"]["id"]["nlg"]["abssum"]["normalized_rougel_f1"].get<double>();
  EXPECT_GT(recorded, 0.0);
  EXPECT_LT(recorded, 1.0);

  std::string out, err;
  ASSERT_EQ(Split(BhasaBinary() + " export " + run, dir, &out, &err), 0) << err;
  auto lb = nlohmann::json::parse(out);
  EXPECT_EQ(lb["estimator"], "seahelm-bootstrap");
  const double exported = lb["models"]["weak"]["languages"]["id"]["competencies"]["nlg"]["tasks"]["abssum"]["mean"];
  EXPECT_GT(exported, 0.0);
  EXPECT_LT(exported, 1.0);  // the value-guessing export multiplied it by 100

  ASSERT_EQ(Split(BhasaBinary() + " export --format csv " + run, dir, &out, &err), 0) << err;
  EXPECT_EQ(out.rfind("model,level,lang,competency,name,mean,stderr,n_runs,incomplete,estimator\n", 0), 0u) << out;
  std::ostringstream want;
  want << "weak,task,id,nlg,abssum," << nlohmann::json(exported).dump() << ",";
  EXPECT_NE(out.find(want.str()), std::string::npos) << out;
  EXPECT_EQ(Split(BhasaBinary() + " export --format xml " + run, dir, &out, &err), 2);
  EXPECT_NE(err.find("leaderboard, csv or seahelm-yaml"), std::string::npos) << err;
}

TEST(CompareCli, DefaultGatePartialRunsAndFormats) {
  auto dir = testing::TempDir("e2e-compare");
  std::string base = RunReplay(dir + "/b", "m", SentimentAnswers(dir + "/good.jsonl", 0), "--tasks sentiment --languages id,vi");
  std::string worse = RunReplay(dir + "/w", "m", SentimentAnswers(dir + "/bad.jsonl", 6), "--tasks sentiment --languages id,vi");
  std::string partial = RunReplay(dir + "/p", "m", dir + "/good.jsonl", "--tasks sentiment --languages id");
  std::string out, err;

  // No --max-drop: a large drop fails the default gate.
  EXPECT_EQ(Split(BhasaBinary() + " compare " + base + " " + worse, dir, &out, &err), 1) << out << err;
  EXPECT_NE(out.find("REGRESSION (limit 2.00)"), std::string::npos) << out;
  EXPECT_EQ(Split(BhasaBinary() + " compare " + base + " " + base, dir, &out, &err), 0) << out << err;

  // A partial run: missing rows fail unless allowed; totals over common rows.
  EXPECT_EQ(Split(BhasaBinary() + " compare " + base + " " + partial, dir, &out, &err), 1) << out << err;
  EXPECT_NE(out.find("MISSING in current"), std::string::npos) << out;
  EXPECT_NE(out.find("recomputed over the 1 task rows both sides have"), std::string::npos) << out;
  EXPECT_EQ(Split(BhasaBinary() + " compare --allow-missing " + base + " " + partial, dir, &out, &err), 0) << out << err;

  ASSERT_EQ(Split(BhasaBinary() + " compare --format json --allow-missing " + base + " " + partial, dir, &out, &err), 0)
      << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["missing"], 1);
  EXPECT_EQ(j["rollups_recomputed"], true);
  for (const auto& row : j["rows"]) {
    if (row["level"] == "total") {
      EXPECT_DOUBLE_EQ(row["delta"].get<double>(), 0.0) << row.dump();
    }
  }

  EXPECT_EQ(Split(BhasaBinary() + " compare --format markdown " + base + " " + worse, dir, &out, &err), 1);
  EXPECT_EQ(out.rfind("**bhasa compare: FAIL**", 0), 0u) << out;
  EXPECT_NE(out.find("| task | id | nlu | sentiment |"), std::string::npos) << out;
  EXPECT_EQ(Split(BhasaBinary() + " compare --format yaml " + base + " " + base, dir, &out, &err), 2);
  EXPECT_NE(err.find("table, json, markdown or github"), std::string::npos) << err;
}

TEST(CompareCli, WarnsWhenProvenanceDiffersOrIsAbsent) {
  auto dir = testing::TempDir("e2e-provenance");
  std::string base = RunReplay(dir + "/b", "m", SentimentAnswers(dir + "/good.jsonl", 0), "--tasks sentiment --languages id");
  auto doc = nlohmann::json::parse(ReadFile(base + "/results.json"));
  doc["meta"].erase("data");
  doc["meta"].erase("decoding");
  WriteFileAtomic(dir + "/old.json", doc.dump());
  doc["meta"]["run"]["limit"] = 3;
  WriteFileAtomic(dir + "/limited.json", doc.dump());
  std::string out, err;
  // Warnings go to stderr; the verdict is unchanged.
  EXPECT_EQ(Split(BhasaBinary() + " compare " + dir + "/old.json " + dir + "/limited.json", dir, &out, &err), 0) << err;
  EXPECT_NE(err.find("compare: warning: " + dir + "/old.json: no provenance recorded"), std::string::npos) << err;
  EXPECT_NE(err.find("differ in --limit"), std::string::npos) << err;
  EXPECT_EQ(out.find("warning"), std::string::npos) << out;
}

TEST(ReportCli, WritesOneFileThatNamesItsEstimator) {
  auto dir = testing::TempDir("e2e-report");
  std::string run = RunReplay(dir, "m", SentimentAnswers(dir + "/good.jsonl", 2), "--tasks sentiment --languages id");
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " report " + run + " -o " + dir + "/r.html", &log), 0) << log;
  std::string html = ReadFile(dir + "/r.html");
  EXPECT_NE(html.find("Estimator: per-run results.json task metrics"), std::string::npos);
  EXPECT_NE(html.find("data-task=\"id/nlu/sentiment\""), std::string::npos);
  EXPECT_EQ(RunCommand(BhasaBinary() + " report " + run, &log), 2);
  EXPECT_NE(log.find("-o report.html"), std::string::npos) << log;
}

TEST(MetricCli, ScoresRowsAndStatesTheRowScale) {
  auto dir = testing::TempDir("e2e-metric");
  WriteFileAtomic(dir + "/rows.jsonl",
                  "{\"response\": \"Jawaban: Positif\", \"label\": \"Positif\"}\n"
                  "{\"response\": \"Jawaban: Negatif\", \"label\": \"Positif\"}\n"
                  "{\"response\": \"Jawaban: Negatif\", \"label\": \"Negatif\"}\n");
  std::string out, err;
  ASSERT_EQ(Split(BhasaBinary() + " metric classification --answer-tag Jawaban: --json --input " + dir + "/rows.jsonl",
                  dir, &out, &err),
            0)
      << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["row_scale"], "0-1");
  EXPECT_EQ(j["n"], 3);
  EXPECT_DOUBLE_EQ(j["metrics"]["accuracy"].get<double>(), 75.0);  // recalls 1/2 and 1
  EXPECT_EQ(j["items"][1]["individual_scores"]["normalized_accuracy"], 0);
  // A regular file is mapped; a pipe is read: the same rows, the same output.
  // An empty file maps to nothing and scores no rows.
  const std::string from_file = out;
  ASSERT_EQ(Split("cat " + dir + "/rows.jsonl | " + BhasaBinary() +
                      " metric classification --answer-tag Jawaban: --json --input /dev/stdin",
                  dir, &out, &err),
            0)
      << err;
  EXPECT_EQ(out, from_file);
  WriteFileAtomic(dir + "/empty.jsonl", "");
  ASSERT_EQ(Split(BhasaBinary() + " metric classification --json --input " + dir + "/empty.jsonl", dir, &out, &err), 0)
      << err;
  EXPECT_EQ(nlohmann::json::parse(out)["n"], 0);
  ASSERT_EQ(Split(BhasaBinary() + " metric chrf --input " + dir + "/rows.jsonl", dir, &out, &err), 0) << err;
  EXPECT_NE(out.find("per-row scores 0-100"), std::string::npos) << out;
  // One spelling of the think-stripping flag, the one `run` has.
  WriteFileAtomic(dir + "/think.jsonl",
                  "{\"response\": \"<think>Jawaban: Positif</think> Saya tidak yakin.\", \"label\": \"Positif\"}\n");
  ASSERT_EQ(Split(BhasaBinary() + " metric classification --answer-tag Jawaban: --json --strip-think --input " + dir +
                      "/think.jsonl",
                  dir, &out, &err),
            0)
      << err;
  EXPECT_EQ(nlohmann::json::parse(out)["items"][0]["cleaned"], "null") << out;  // the answer was only in the thought
  EXPECT_EQ(Split(BhasaBinary() + " metric classification --strip-thinking --input " + dir + "/think.jsonl", dir, &out,
                  &err),
            2);
  EXPECT_EQ(Split(BhasaBinary() + " metric nosuch --input " + dir + "/rows.jsonl", dir, &out, &err), 2);
  EXPECT_NE(err.find("unknown metric 'nosuch'"), std::string::npos) << err;
}

// The --json output is rendered a few blocks of rows at a time: it must read
// as nlohmann's own dump of the whole, indented by 2, rows in input order.
TEST(MetricCli, JsonOfManyRowsIsTheDumpOfTheWhole) {
  auto dir = testing::TempDir("e2e-metric-many");
  std::string rows;
  const char* labels[] = {"Positif", "Negatif", "Netral"};
  for (int i = 0; i < 5000; ++i)  // many blocks of 256 rows, the last one short
    rows += nlohmann::json({{"id", "r" + std::to_string(i)},
                            {"response", std::string("Jawaban: ") + labels[i % 3] + (i % 7 ? "" : " \u00e9\t\"")},
                            {"label", labels[i % 2]}})
                .dump() +
            "\n";
  WriteFileAtomic(dir + "/rows.jsonl", rows);
  std::string out, err;
  ASSERT_EQ(Split(BhasaBinary() + " metric classification --answer-tag Jawaban: --json --input " + dir + "/rows.jsonl",
                  dir, &out, &err),
            0)
      << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(out, j.dump(2) + "\n");
  ASSERT_EQ(j["items"].size(), 5000u);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(j["items"][i]["id"], "r" + std::to_string(i));
}

// Lines are found in slices of the file at once: a row without an id is
// still named by its line in the whole file (blank lines, CRLF and a last
// line without its newline counted as a line-by-line read counts them).
TEST(MetricCli, RowsWithoutIdsAreNamedByTheirLine) {
  auto dir = testing::TempDir("e2e-metric-lines");
  std::string rows;
  std::vector<long> numbers;
  long line = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 97 == 0) {
      rows += i % 2 ? "\n" : " \t\r\n";
      ++line;
    }
    rows += R"({"response": "Jawaban: Positif", "label": "Positif"})";
    rows += i == 2999 ? "" : i % 5 ? "\n" : "\r\n";
    numbers.push_back(++line);
  }
  WriteFileAtomic(dir + "/rows.jsonl", rows);
  std::string out, err;
  ASSERT_EQ(Split(BhasaBinary() + " metric classification --answer-tag Jawaban: --json --input " + dir + "/rows.jsonl",
                  dir, &out, &err),
            0)
      << err;
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["items"].size(), numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(j["items"][i]["id"], "line " + std::to_string(numbers[i])) << i;
}

// Rows are parsed concurrently; the error is still that of the first bad line.
TEST(MetricCli, NamesTheFirstBadLineOfAFileParsedInParallel) {
  auto dir = testing::TempDir("e2e-metric-bad");
  std::string rows;
  for (int i = 1; i <= 4000; ++i) {
    if (i == 1500) rows += "\n";  // a blank line still counts
    if (i == 2000) rows += "{\"response\": 7, \"label\": \"Positif\"}\n";
    else if (i == 3000) rows += "{\"response\": \"Jawaban: Positif\",\n";
    else rows += "{\"response\": \"Jawaban: Positif\", \"label\": \"Positif\"}\n";
  }
  WriteFileAtomic(dir + "/rows.jsonl", rows);
  std::string out, err;
  EXPECT_EQ(Split(BhasaBinary() + " metric classification --json --input " + dir + "/rows.jsonl", dir, &out, &err), 2);
  EXPECT_NE(err.find("rows.jsonl:2001: field 'response' must be a string or null"), std::string::npos) << err;

  // Malformed JSON late in the file, after a blank line and a row without a
  // response; the same line number when the rows come through a pipe.
  rows.clear();
  for (int i = 1; i <= 4000; ++i) {
    if (i == 1200) rows += "\r\n";
    if (i == 3301) rows += "{\"response\": \"Jawaban: Positif\", \"label\": \n";
    else if (i == 3900) rows += "{\"label\": \"Positif\"}\n";
    else rows += "{\"response\": \"Jawaban: Positif\", \"label\": \"Positif\"}\n";
  }
  WriteFileAtomic(dir + "/rows.jsonl", rows);
  EXPECT_EQ(Split(BhasaBinary() + " metric classification --json --input " + dir + "/rows.jsonl", dir, &out, &err), 2);
  EXPECT_NE(err.find("rows.jsonl:3302: malformed JSON"), std::string::npos) << err;
  EXPECT_EQ(Split("cat " + dir + "/rows.jsonl | " + BhasaBinary() + " metric classification --json --input /dev/stdin",
                  dir, &out, &err),
            2);
  EXPECT_NE(err.find("/dev/stdin:3302: malformed JSON"), std::string::npos) << err;
}

TEST(ListCli, NamesWhatItAcceptsAndAlignsMetrics) {
  std::string log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " list --help", &log), 0);
  EXPECT_NE(log.find("usage: bhasa list metrics|backends|families"), std::string::npos) << log;
  EXPECT_EQ(RunCommand(BhasaBinary() + " list commands", &log), 2);
  EXPECT_NE(log.find("valid: metrics, backends, families"), std::string::npos) << log;
  ASSERT_EQ(RunCommand(BhasaBinary() + " list families", &log), 0);
  EXPECT_NE(log.find("mtbench"), std::string::npos) << log;

  ASSERT_EQ(RunCommand(BhasaBinary() + " list metrics", &log), 0);
  std::istringstream in(log);
  std::string header, line;
  std::getline(in, header);
  std::vector<size_t> starts;
  for (const char* col : {"task score key", "higher", "row scale", "description"}) starts.push_back(header.find(col));
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    for (size_t s : starts) {
      ASSERT_LT(s, line.size()) << line;
      EXPECT_EQ(line[s - 1], ' ') << "column at " << s << " misaligned in: " << line;
      EXPECT_NE(line[s], ' ') << "column at " << s << " misaligned in: " << line;
    }
    if (line.rfind("rouge_l ", 0) == 0 || line.rfind("translation ", 0) == 0) {
      EXPECT_EQ(line.substr(starts[2], 5), "0-100") << line;
    }
    if (line.rfind("qa ", 0) == 0) {
      EXPECT_EQ(line.substr(starts[2], 4), "0-1 ") << line;
    }
  }
  EXPECT_GE(n, 9);
}

TEST(HelpCli, ResultCommandsStateEachDefaultOnce) {
  for (const char* cmd : {"compare", "export", "report", "metric", "list"}) {
    std::string log;
    ASSERT_EQ(RunCommand(BhasaBinary() + " " + cmd + " --help", &log), 0) << cmd;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      const bool doubled = line.find("[default:") != std::string::npos &&
                           (line.find("(default") != std::string::npos || line.find("default:", line.find("[default:") + 9) != std::string::npos);
      EXPECT_FALSE(doubled) << cmd << ": " << line;
    }
  }
  std::string log;
  RunCommand(BhasaBinary() + " compare --help", &log);
  EXPECT_NE(log.find("--allow-missing"), std::string::npos);
  EXPECT_NE(log.find("[default: 2]"), std::string::npos) << log;
  EXPECT_NE(log.find("table, json, markdown or github"), std::string::npos);
  RunCommand(BhasaBinary() + " export --help", &log);
  EXPECT_NE(log.find("--languages A,B              languages of the SEA average [default: id,vi,th,ta,tl,ms,my]"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace bhasa
