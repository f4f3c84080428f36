#include "harness/pipeline.h"

#include <chrono>
#include <map>

#include "harness/progress.h"

namespace bhasa {

namespace {

Response MissingAnswer(const Request& r, const std::string& why) {
  Response resp;
  resp.request_id = r.id;
  resp.status = ResponseStatus::kFailed;
  resp.finish_reason = "error";
  resp.error = why;
  return resp;
}

}  // namespace

PipelineStats RunRounds(const std::vector<tasks::Task*>& tasks, Backend* model, Backend* judge,
                        results::Journal& journal, tasks::ResponseMap& done) {
  PipelineStats stats;
  std::vector<bool> finished(tasks.size(), false);
  for (int round = 0;; ++round) {
    std::vector<Request> to_model, to_judge;
    bool any = false;
    for (size_t i = 0; i < tasks.size(); ++i) {
      if (finished[i]) continue;
      std::vector<Request> reqs = tasks[i]->Requests(round, done);
      if (reqs.empty()) {
        finished[i] = true;
        continue;
      }
      any = true;
      for (auto& r : reqs) {
        const std::string key = r.role == "judge" ? r.task + "/judge" : r.task;
        if (!stats.decoding[key].contains(r.lang)) stats.decoding[key][r.lang] = r.params;
        if (const Response* hit = journal.Find(r)) {
          done[r.id] = *hit;
          ++stats.reused;
        } else {
          (r.role == "judge" ? to_judge : to_model).push_back(std::move(r));
        }
      }
    }
    if (!any) break;

    auto answer = [&](Backend* backend, std::vector<Request>& reqs, const char* what) {
      if (reqs.empty()) return;
      if (!backend) {
        for (const auto& r : reqs) {
          done[r.id] = MissingAnswer(r, std::string("no saved answer and no ") + what + " backend to ask");
          ++stats.failed;
        }
        return;
      }
      std::map<std::string, const Request*> by_id;
      for (const auto& r : reqs) by_id[r.id] = &r;
      Progress progress(std::string(what) + " round " + std::to_string(round + 1), reqs.size());
      const auto start = std::chrono::steady_clock::now();
      backend->Generate(reqs, [&](Response resp) {
        auto it = by_id.find(resp.request_id);
        if (it == by_id.end()) return;  // a backend answering an id it was not asked: ignore
        journal.Record(*it->second, resp);
        const bool ok = resp.status == ResponseStatus::kOk;
        if (ok) {
          stats.prompt_tokens += resp.prompt_tokens;
          stats.generated_tokens += resp.completion_tokens;
        } else {
          ++stats.failed;
        }
        done[resp.request_id] = std::move(resp);
        progress.Tick(!ok);
      });
      stats.backend_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress.Finish();
      stats.asked += reqs.size();
      // A backend that skipped a request must not leave a hole.
      for (const auto& r : reqs)
        if (!done.count(r.id)) {
          done[r.id] = MissingAnswer(r, "backend returned no response");
          ++stats.failed;
        }
    };
    answer(model, to_model, "model");
    answer(judge, to_judge, "judge");
  }
  return stats;
}

}  // namespace bhasa
