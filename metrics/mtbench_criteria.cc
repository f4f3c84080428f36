// Also registers the scorer "mtbench_judge". Its ScoreItem layout:
//   responses = [r_1 .. r_T, judge output for row.criteria[0], [1], ...]
// (T = row.prompts size); a skipped criterion's slot is ignored. A missing or
// empty judge output scores 0, as an unparsable one does upstream.
#include "metrics/mtbench_criteria.h"

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {

CriteriaJudgeConfig CriteriaJudgeConfig::FromJson(const nlohmann::json& judge) {
  CriteriaJudgeConfig c;
  if (!judge.contains("judge_prompts") || !judge["judge_prompts"].contains("system_prompt"))
    throw Error("mt-bench-judge config: missing judge_prompts.system_prompt");
  const auto& jp = judge["judge_prompts"];
  c.system_prompt = jp["system_prompt"].get<std::string>();
  if (!jp.contains("criteria_prompt")) throw Error("mt-bench-judge config: missing judge_prompts.criteria_prompt");
  for (int t = 1; jp["criteria_prompt"].contains("turn_" + std::to_string(t)); ++t)
    c.turn_templates.push_back(jp["criteria_prompt"]["turn_" + std::to_string(t)].get<std::string>());
  if (!judge.contains("classifications")) throw Error("mt-bench-judge config: missing classifications");
  for (const auto& [k, v] : judge["classifications"].items()) c.classifications[k] = v.get<double>();
  return c;
}

std::vector<CriterionRequest> BuildCriteriaRequests(const nlohmann::json& row,
                                                    const std::vector<std::optional<std::string>>& answers,
                                                    const CriteriaJudgeConfig& config) {
  const std::string id = row.contains("id") ? (row["id"].is_string() ? row["id"].get<std::string>() : row["id"].dump()) : "";
  const std::string where = "mt-bench-judge row " + id;
  if (!row.contains("prompts") || !row["prompts"].is_array() || row["prompts"].empty())
    throw Error(where + ": missing prompts");
  std::vector<std::string> q;
  for (const auto& p : row["prompts"]) q.push_back(p.value("text", ""));
  std::vector<std::pair<std::string, std::string>> prompt0_fields;
  for (const auto& [k, v] : row["prompts"][0].items())
    prompt0_fields.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  auto answer = [&](size_t t) -> std::optional<std::string> { return t < answers.size() ? answers[t] : std::nullopt; };
  std::vector<CriterionRequest> out;
  if (!row.contains("criteria") || !row["criteria"].is_array()) throw Error(where + ": missing criteria");
  for (size_t i = 0; i < row["criteria"].size(); ++i) {
    const auto& c = row["criteria"][i];
    const int turn = c.value("turn", 0);
    if (turn < 0 || static_cast<size_t>(turn) >= config.turn_templates.size() || static_cast<size_t>(turn) >= q.size())
      throw Error(where + ": criterion " + std::to_string(i) + " has an unusable turn");
    std::string transcript = "[User]\n" + q[0];
    if (turn == 1) {
      if (!answer(0)) continue;  // upstream: str + None raises TypeError, criterion skipped
      transcript += "\n\n[Assistant (fixed)]\n" + *answer(0) + "\n\n[User]\n" + q[1];
    }
    const auto resp = answer(static_cast<size_t>(turn));
    const std::string key_point = py::Format(c.value("criterion", ""), prompt0_fields);
    CriterionRequest r;
    r.custom_id = id + "_turn" + std::to_string(turn) + "_criteria" + std::to_string(i);
    r.turn = turn;
    r.criterion_index = i;
    r.messages = {{"system", config.system_prompt},
                  {"user", py::Format(config.turn_templates[static_cast<size_t>(turn)],
                                      {{"transcript", transcript}, {"response", resp ? *resp : "None"},
                                       {"keyPointText", key_point}})}};
    out.push_back(std::move(r));
  }
  return out;
}

double ParseCriteriaScore(std::string_view text, const std::map<std::string, double>& classifications) {
  static const PyRegex re(R"(<classification>\s*(\w+)\s*</classification>)");
  const auto all = re.FindAll(text);
  if (all.empty()) return 0.0;
  std::string inner = all.back();
  inner = inner.substr(16, inner.size() - 16 - 17);  // drop the two tags
  auto it = classifications.find(py::Strip(inner));
  return it == classifications.end() ? 0.0 : it->second;
}

namespace {

const std::map<std::string, double>& DefaultClasses() {
  static const std::map<std::string, double> k = {{"CLASS_UNMET", 0.0}, {"CLASS_SLIGHTLY_MET", 0.25},
                                                   {"CLASS_MODERATELY_MET", 0.5}, {"CLASS_MAJORLY_MET", 0.75},
                                                   {"CLASS_EXACTLY_MET", 1.0}};
  return k;
}

class CriteriaScorer : public Scorer {
 public:
  const ScorerInfo& info() const override {
    static const ScorerInfo kInfo{"mtbench_judge", "average_criteria_score", true,
                                  "mt-bench-judge: rubric criteria graded by a judge, mean over questions (0-100)",
                                  "row.criteria, row.prompts, row.metadata.category; responses = [turns..., judge per criterion]",
                                  ScoreScale::kFraction};
    return kInfo;
  }
  ScoreResult Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const override {
    std::map<std::string, double> classes = DefaultClasses();
    if (opts.options.contains("classifications")) {
      classes.clear();
      for (const auto& [k, v] : opts.options["classifications"].items()) classes[k] = v.get<double>();
    }
    ScoreResult out;
    double total = 0;
    std::map<std::string, std::pair<double, long long>> cats;
    for (const ScoreItem& item : items) {
      const auto& row = item.row;
      const size_t turns = row.contains("prompts") && row["prompts"].is_array() ? row["prompts"].size() : 2;
      if (!row.contains("criteria") || !row["criteria"].is_array()) throw Error("item " + item.id + ": row.criteria missing");
      const bool first_missing = item.responses.empty() || (item.failed && item.responses[0].empty());
      std::vector<std::pair<double, long long>> per_turn(turns, {0.0, 0});
      nlohmann::json scores = nlohmann::json::array();
      for (size_t i = 0; i < row["criteria"].size(); ++i) {
        const int turn = row["criteria"][i].value("turn", 0);
        if (turn < 0 || static_cast<size_t>(turn) >= turns) throw Error("item " + item.id + ": criterion turn out of range");
        if (turn == 1 && first_missing) { scores.push_back(nullptr); continue; }
        const size_t idx = turns + i;
        const double s = idx < item.responses.size() ? ParseCriteriaScore(item.responses[idx], classes) : 0.0;
        per_turn[static_cast<size_t>(turn)].first += s;
        per_turn[static_cast<size_t>(turn)].second += 1;
        scores.push_back(s);
      }
      double q = 0;
      for (const auto& [sum, n] : per_turn) q += n ? sum / static_cast<double>(n) : 0.0;
      q /= static_cast<double>(turns ? turns : 1);
      total += q;
      const std::string cat = row.contains("metadata") ? row["metadata"].value("category", "") : "";
      cats[cat].first += q;
      cats[cat].second += 1;
      ItemResult r;
      r.cleaned_is_response = true;
      r.individual_scores = {{"average_criteria_score", q}};
      r.details = {{"criteria_scores", scores}};
      out.items.push_back(std::move(r));
    }
    nlohmann::json categories = nlohmann::json::object();
    for (const auto& [c, sn] : cats) categories[c] = sn.first / static_cast<double>(sn.second);
    out.metrics = {{"average_criteria_score", items.empty() ? 0.0 : 100.0 * total / static_cast<double>(items.size())},
                   {"categories", categories}};
    return out;
  }
};

const RegisterScorer kRegister("mtbench_judge", [] { return std::make_unique<CriteriaScorer>(); });

}  // namespace
}  // namespace bhasa::metrics
