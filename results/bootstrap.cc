#include "results/bootstrap.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "results/pcg64.h"
#include "results/py_stats.h"

namespace bhasa::results {

namespace {

using OJson = nlohmann::ordered_json;

// A list of Python numbers: the notebook's lists can hold int 0 (from
// `max(x, 0)` and the empty-task placeholder) beside floats, and YAML shows
// the difference.
struct PyList {
  std::vector<double> values;
  std::vector<bool> is_int;
};

OJson ToJson(const PyList& l) {
  OJson a = OJson::array();
  for (size_t i = 0; i < l.values.size(); ++i) {
    if (l.is_int[i]) a.push_back(static_cast<long long>(l.values[i]));
    else a.push_back(l.values[i]);
  }
  return a;
}

PyList Floats(std::vector<double> v) {
  PyList l;
  l.is_int.assign(v.size(), false);
  l.values = std::move(v);
  return l;
}

// calculate_mean_and_stderr: statistics.mean keeps int when every value is
// an int (only the all-zero case here); the stderr is a float.
void AddMeanAndStderr(OJson& dst, const PyList& l, const std::string& prefix = "") {
  bool all_int = std::all_of(l.is_int.begin(), l.is_int.end(), [](bool b) { return b; }) && !l.values.empty();
  double mean = PyMean(l.values);
  if (all_int) dst[prefix + "mean"] = static_cast<long long>(mean);
  else dst[prefix + "mean"] = mean;
  if (all_int && PyVariance(l.values) == 0) dst[prefix + "stderr"] = 0.0;
  else dst[prefix + "stderr"] = PyStderr(l.values);
  dst[prefix + "mean_list"] = ToJson(l);
}

std::string LabelKey(const nlohmann::json& label) {
  return label.is_string() ? label.get<std::string>() : label.dump();
}

// sklearn balanced_accuracy_score(labels, preds) where preds[q] is the label
// when the question was answered correctly and "" otherwise: the mean recall
// over the classes present in the labels ("" predictions have no support).
double BalancedAccuracy(const std::vector<std::string>& labels, const std::vector<bool>& correct) {
  std::map<std::string, std::pair<double, double>> per_class;  // hits, support
  for (size_t i = 0; i < labels.size(); ++i) {
    auto& c = per_class[labels[i]];
    c.second += 1;
    if (correct[i]) c.first += 1;
  }
  if (per_class.empty()) return 0;
  // sklearn averages the recalls with np.mean over the class axis.
  std::vector<double> recalls;
  for (const auto& [_, c] : per_class) recalls.push_back(c.first / c.second);
  return NumpyMean(recalls);
}

}  // namespace

bool IsMultiChoice(const std::vector<nlohmann::json>& labels) {
  // len(set(labels)) != len(labels); unhashable (list/dict) labels → False.
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (l.is_array() || l.is_object()) return false;
    seen.insert(l.dump());
  }
  return seen.size() != labels.size();
}

OJson BootstrapScores(const std::vector<TaskRuns>& tasks, const BootstrapOptions& options) {
  if (options.n_bootstraps < 2) throw Error("bootstrap needs at least 2 resamples");
  const size_t nb = static_cast<size_t>(options.n_bootstraps);
  NumpyGenerator generator(options.seed);
  OJson out = OJson::object();
  bool any_incomplete = false;
  // Group member lists, kept apart from the output until the roll-up.
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, PyList>>> group_members;
  std::map<std::pair<std::string, std::string>, std::map<std::string, PyList>> task_lists;

  for (const TaskRuns& t : tasks) {
    if (!out.contains(t.lang)) out[t.lang] = OJson::object();
    OJson& lj = out[t.lang];
    if (!lj.contains(t.competency)) lj[t.competency] = {{"tasks", OJson::object()}, {"aggregation_groups", OJson::object()}};
    OJson& entry = lj[t.competency]["tasks"][t.task];
    entry = OJson::object();

    std::vector<const std::vector<double>*> valid;
    for (const auto& s : t.scores)
      if (!s.empty()) valid.push_back(&s);
    PyList stat;
    if (valid.empty()) {
      stat.values.assign(nb, 0.0);
      stat.is_int.assign(nb, true);
      entry["mean"] = 0;
      entry["stderr"] = 0;
      entry["mean_list"] = ToJson(stat);
    } else {
      const size_t n = valid[0]->size();
      for (const auto* v : valid)
        if (v->size() != n)
          throw Error("task '" + t.task + "' (" + t.lang + "): runs have different numbers of scored rows (" +
                      std::to_string(n) + " vs " + std::to_string(v->size()) + ")");
      const bool incomplete = valid.size() != t.scores.size();
      auto idx = generator.Integers(0, static_cast<int64_t>(valid.size()), nb * n);
      auto picked = [&](size_t b, size_t q) { return (*valid[static_cast<size_t>(idx[b * n + q])])[q]; };
      const bool fractions = t.row_scale == metrics::ScoreScale::kFraction;
      if (fractions && IsMultiChoice(t.labels)) {
        if (t.labels.size() != n)
          throw Error("task '" + t.task + "' (" + t.lang + "): " + std::to_string(t.labels.size()) + " labels for " +
                      std::to_string(n) + " scores");
        std::vector<std::string> keys;
        for (const auto& l : t.labels) keys.push_back(LabelKey(l));
        const double k = static_cast<double>(std::set<std::string>(keys.begin(), keys.end()).size());
        for (size_t b = 0; b < nb; ++b) {
          std::vector<bool> correct(n);
          for (size_t q = 0; q < n; ++q) {
            // np.strings.multiply(label, int(score)) == label
            long long times = static_cast<long long>(picked(b, q));
            correct[q] = times == 1 || keys[q].empty();
          }
          double x = BalancedAccuracy(keys, correct);
          // max((x - 1/K) / (1 - 1/K), 0) * 100; a negative value becomes int 0.
          // K == 1 would divide by zero in the notebook; the raw x×100 is kept.
          double norm = k > 1 ? (x - 1 / k) / (1 - 1 / k) : x;
          if (norm < 0) {
            stat.values.push_back(0);
            stat.is_int.push_back(true);
          } else {
            stat.values.push_back(norm * 100);
            stat.is_int.push_back(false);
          }
        }
      } else {
        const double points_per_unit = metrics::PointsPerUnit(t.row_scale);
        std::vector<double> row(n);
        for (size_t b = 0; b < nb; ++b) {
          for (size_t q = 0; q < n; ++q) row[q] = picked(b, q);
          double m = NumpyMean(row);
          stat.values.push_back(m * points_per_unit);
          stat.is_int.push_back(false);
        }
      }
      AddMeanAndStderr(entry, stat);
      if (incomplete) {
        entry["is_incomplete"] = true;
        any_incomplete = true;
      }
    }
    task_lists[{t.lang, t.competency}][t.task] = stat;
    if (!t.group.empty()) {
      std::string group = t.group;
      if (auto at = group.find("-logprobs"); at != std::string::npos) group.erase(at, 9);
      std::string upper = group;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      entry["remarks"] = "Using scores for aggregation group " + upper + " instead of individual task scores.";
      entry["ignore"] = true;
      entry["aggregation_group"] = group;
      auto& members = group_members[{t.lang, t.competency}];
      members.push_back({group, stat});
      lj[t.competency]["aggregation_groups"][group] = OJson::object();
    }
  }

  std::vector<std::vector<double>> overall;
  std::vector<std::pair<std::string, std::vector<double>>> lang_lists;
  for (auto& [lang, lj] : out.items()) {
    std::vector<std::vector<double>> lang_scores;
    for (auto& [comp, cj] : lj.items()) {
      std::vector<std::vector<double>> comp_scores;
      for (auto& [task, tj] : cj["tasks"].items()) {
        if (tj.value("ignore", false)) continue;
        comp_scores.push_back(task_lists[{lang, comp}][task].values);
      }
      for (auto& [group, gj] : cj["aggregation_groups"].items()) {
        std::vector<std::vector<double>> member_lists;
        for (const auto& [g, l] : group_members[{lang, comp}])
          if (g == group) member_lists.push_back(l.values);
        auto per_run = NumpyMeanAxis0(member_lists);
        comp_scores.push_back(per_run);
        gj = OJson::object();
        AddMeanAndStderr(gj, Floats(per_run));
      }
      auto comp_per_run = NumpyMeanAxis0(comp_scores);
      lang_scores.push_back(comp_per_run);
      AddMeanAndStderr(cj, Floats(comp_per_run));
    }
    auto lang_per_run = NumpyMeanAxis0(lang_scores);
    overall.push_back(lang_per_run);
    lang_lists.push_back({lang, lang_per_run});
    AddMeanAndStderr(lj, Floats(lang_per_run));
  }
  if (overall.empty()) throw Error("no task scores to aggregate");
  AddMeanAndStderr(out, Floats(NumpyMeanAxis0(overall)));
  std::vector<std::vector<double>> sea;
  for (const auto& [lang, l] : lang_lists)
    if (std::find(options.sea_languages.begin(), options.sea_languages.end(), lang) != options.sea_languages.end())
      sea.push_back(l);
  // With no SEA language the notebook's mean of nothing is NaN; it is left out here.
  if (!sea.empty()) AddMeanAndStderr(out, Floats(NumpyMeanAxis0(sea)), "sea_");
  if (any_incomplete) out["is_incomplete"] = true;
  return out;
}

}  // namespace bhasa::results
