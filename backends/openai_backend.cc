#include "backends/openai_backend.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <unordered_map>

#include "backends/openai_models.h"
#include "backends/openai_wire.h"
#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::backends {

namespace {

using Clock = std::chrono::steady_clock;

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

Error OptionError(const std::string& key, const std::string& value, const std::string& expected) {
  return Error("openai backend: option " + key + "='" + value + "': expected " + expected);
}

int IntOption(const BackendOptions& o, const std::string& key, int fallback, int min) {
  const std::string v = o.Get(key);
  if (v.empty()) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (end != v.c_str() + v.size() || x < min || x > 1'000'000)
    throw OptionError(key, v, "an integer >= " + std::to_string(min));
  return static_cast<int>(x);
}

double SecondsOption(const BackendOptions& o, const std::string& key, double fallback) {
  const std::string v = o.Get(key);
  if (v.empty()) return fallback;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size() || !(x >= 0) || x > 1e7) throw OptionError(key, v, "a number of seconds >= 0");
  return x;
}

bool BoolOption(const BackendOptions& o, const std::string& key, bool fallback) {
  const std::string v = o.Get(key);
  if (v.empty()) return fallback;
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw OptionError(key, v, "true or false");
}

std::string Plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

OpenAiConfig OpenAiConfig::FromOptions(const BackendOptions& options) {
  OpenAiConfig c;
  const std::string urls = options.Get("url");
  size_t pos = 0;
  while (pos <= urls.size()) {
    size_t comma = urls.find(',', pos);
    if (comma == std::string::npos) comma = urls.size();
    const std::string one = Trim(std::string_view(urls).substr(pos, comma - pos));
    if (!one.empty()) {
      Url u = Url::Parse(one);
      // Servers document their base as ".../v1"; users write either form.
      if (!u.path.ends_with("/v1")) u.path += "/v1";
      c.urls.push_back(std::move(u));
    }
    pos = comma + 1;
  }
  if (c.urls.empty()) throw Error("openai backend: needs a url (e.g. --url http://localhost:8000/v1)");
  c.model = options.model;
  c.api_key_env = options.Get("api_key_env", c.api_key_env);
  c.concurrency = IntOption(options, "concurrency", c.concurrency, 1);
  c.timeout_s = SecondsOption(options, "timeout", c.timeout_s);
  c.connect_timeout_s = SecondsOption(options, "connect_timeout", c.connect_timeout_s);
  c.retry.max_retries = IntOption(options, "max_retries", c.retry.max_retries, 0);
  c.retry.base_delay_s = SecondsOption(options, "retry_base_delay", c.retry.base_delay_s);
  c.retry.max_delay_s = SecondsOption(options, "retry_max_delay", c.retry.max_delay_s);
  c.verify_tls = BoolOption(options, "tls_verify", c.verify_tls);
  c.ca_file = options.Get("ca_file");
  const std::string tmpl = options.Get("chat_template");
  if (tmpl == "base" || tmpl == "seahelm-base" || tmpl == "base_model") {
    c.message_format = MessageFormat::kBaseTemplate;
  } else if (!tmpl.empty() && tmpl != "auto") {
    throw OptionError("chat_template", tmpl,
                      "'base' (SEA-HELM's base template, rendered by bhasa) or nothing (the server applies its own)");
  }
  const std::string lp = options.Get("prompt_logprobs", "vllm");
  if (lp == "echo") c.prompt_logprobs_api = PromptLogprobsApi::kEcho;
  else if (lp != "vllm")
    throw OptionError("prompt_logprobs", lp,
                      "'vllm' (the prompt_logprobs field) or 'echo' (OpenAI-style completions: echo + logprobs)");
  if (c.timeout_s <= 0) throw OptionError("timeout", options.Get("timeout"), "a number of seconds > 0");
  return c;
}

OpenAiBackend::OpenAiBackend(OpenAiConfig config) : config_(std::move(config)) {
  if (config_.urls.empty()) throw Error("openai backend: needs at least one url");
  if (!config_.api_key_env.empty())
    if (const char* key = std::getenv(config_.api_key_env.c_str())) api_key_ = key;
  HttpClient::Options o;
  o.request_timeout_s = config_.timeout_s;
  o.connect_timeout_s = config_.connect_timeout_s;
  o.verify_tls = config_.verify_tls;
  o.ca_file = config_.ca_file;
  o.max_idle_per_origin = static_cast<size_t>(config_.concurrency);
  client_ = std::make_unique<HttpClient>(std::move(o));
}

OpenAiBackend::~OpenAiBackend() = default;

BackendCapabilities OpenAiBackend::capabilities() const {
  std::lock_guard lock(capabilities_mu_);
  if (!capabilities_) capabilities_ = AskServers();
  return *capabilities_;
}

BackendCapabilities OpenAiBackend::AskServers() const {
  BackendCapabilities c;
  c.chat = true;
  c.raw_prompt = true;
  c.continue_final = true;  // base models: rendered here; chat: vLLM/SGLang's continue_final_message
  c.logprobs = true;
  HttpClient::Options o;
  o.connect_timeout_s = std::min(config_.connect_timeout_s, 5.0);
  o.request_timeout_s = std::min(config_.timeout_s, 10.0);
  o.verify_tls = config_.verify_tls;
  o.ca_file = config_.ca_file;
  HttpClient probe(std::move(o));
  for (const Url& base : config_.urls) {
    HttpRequest req;
    req.method = "GET";
    req.url = base;
    req.target = "/models";
    req.headers = {{"Accept", "application/json"}};
    if (!api_key_.empty()) req.headers.emplace_back("Authorization", "Bearer " + api_key_);
    const std::string where = base.ToString(req.target);
    const HttpResponse h = probe.SendSync(std::move(req));
    if (h.error != HttpError::kNone)
      throw Error(Scrub("openai backend: cannot reach " + where + ": " + ToString(h.error) + ": " + h.error_message),
                  kExitRuntime);
    if (h.status == 404 || h.status == 405) continue;  // no model list: nothing to learn
    if (h.status < 200 || h.status >= 300) {
      const bool auth = h.status == 401 || h.status == 403;
      throw Error(Scrub("openai backend: GET " + where + ": HTTP " + std::to_string(h.status) + ": " +
                        ErrorBodySummary(h.body) +
                        (auth ? " (the key is read from $" + config_.api_key_env + ")" : "")),
                  kExitRuntime);
    }
    ServedModels served;
    try {
      served = ParseModelsReply(h.body, config_.model);
    } catch (const Error& e) {
      c.warning = "GET " + where + ": " + e.what();
      continue;
    }
    if (served.max_context > 0 && (c.max_context == 0 || served.max_context < c.max_context))
      c.max_context = served.max_context;
    if (!served.listed && !config_.model.empty() && served.ids.size() > 1) {
      std::string ids;
      for (const std::string& id : served.ids) ids += (ids.empty() ? "" : ", ") + id;
      c.warning = where + " does not list model '" + config_.model + "' (it serves: " + ids + ")";
    }
  }
  return c;
}

nlohmann::json OpenAiBackend::Describe() const {
  nlohmann::json urls = nlohmann::json::array();
  nlohmann::json hosts = nlohmann::json::array();
  for (const Url& u : config_.urls) {
    urls.push_back(u.ToString());
    hosts.push_back((u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" + u.port);
  }
  nlohmann::json d = {{"backend", name()},
                      {"urls", urls},
                      {"url_hosts", hosts},
                      {"model", config_.model},
                      {"endpoint", config_.message_format == MessageFormat::kBaseTemplate
                                       ? "completions (base template)"
                                       : "chat/completions"},
                      {"concurrency", config_.concurrency},
                      {"timeout_s", config_.timeout_s},
                      {"max_retries", config_.retry.max_retries},
                      {"api_key_env", config_.api_key_env}};
  std::lock_guard lock(capabilities_mu_);
  if (capabilities_ && capabilities_->max_context > 0) d["max_context"] = capabilities_->max_context;
  return d;
}

std::string OpenAiBackend::Scrub(std::string text) const {
  // Some servers quote the offending key back in their 401 message.
  if (api_key_.size() < 4) return text;
  for (size_t at = text.find(api_key_); at != std::string::npos; at = text.find(api_key_, at))
    text.replace(at, api_key_.size(), "***");
  return text;
}

void OpenAiBackend::Generate(std::span<const Request> requests, const OnResponse& on_response) {
  // Completions arrive on the HTTP client's thread and are handed over here;
  // shared so that a late completion after an exception in on_response is harmless.
  struct Done {
    size_t index;
    HttpResponse http;
  };
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Done> items;
  };
  struct InFlight {
    OpenAiCall call;
    int attempt = 0;
    Clock::time_point start;
    std::string url;  // of the latest attempt
  };
  auto mailbox = std::make_shared<Mailbox>();
  std::unordered_map<size_t, InFlight> in_flight;
  std::multimap<Clock::time_point, size_t> waiting;  // retries by due time
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const size_t n = requests.size();
  const size_t limit = static_cast<size_t>(config_.concurrency);
  size_t next = 0, finished = 0;

  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"},
                                                              {"Accept", "application/json"}};
  if (!api_key_.empty()) headers.emplace_back("Authorization", "Bearer " + api_key_);

  auto send = [&](size_t i) {
    InFlight& f = in_flight.at(i);
    const Url& base = config_.urls[next_url_.fetch_add(1, std::memory_order_relaxed) % config_.urls.size()];
    HttpRequest hr;
    hr.url = base;
    hr.target = EndpointPath(f.call.endpoint);
    hr.headers = headers;
    hr.body = f.call.body;
    f.url = base.ToString(hr.target);
    client_->Send(std::move(hr), [mailbox, i](HttpResponse r) {
      {
        std::lock_guard lock(mailbox->mu);
        mailbox->items.push_back(Done{i, std::move(r)});
      }
      mailbox->cv.notify_one();
    });
  };
  auto finish = [&](size_t i, Response r, Clock::time_point start) {
    r.request_id = requests[i].id;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    in_flight.erase(i);
    ++finished;
    on_response(std::move(r));
  };
  auto fail = [&](size_t i, const std::string& cause) {
    const InFlight& f = in_flight.at(i);
    Response r;
    r.status = ResponseStatus::kFailed;
    r.finish_reason = "error";
    r.error = Scrub("request " + requests[i].id + ": POST " + f.url + " failed after " +
                    Plural(f.attempt + 1, "attempt") + ": " + cause);
    finish(i, std::move(r), f.start);
  };
  auto handle = [&](Done& d) {
    InFlight& f = in_flight.at(d.index);
    const HttpResponse& h = d.http;
    if (h.error == HttpError::kNone && h.status >= 200 && h.status < 300) {
      Response r;
      const std::string problem = ParseOpenAiReply(f.call.endpoint, h.body, &r, &requests[d.index].params, &f.call);
      if (!problem.empty()) return fail(d.index, problem);
      return finish(d.index, std::move(r), f.start);
    }
    if (RetryPolicy::IsRetriable(h) && f.attempt < config_.retry.max_retries) {
      const double delay = config_.retry.DelaySeconds(f.attempt, h.retry_after, unit(rng));
      ++f.attempt;
      waiting.emplace(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(delay)),
                      d.index);
      return;
    }
    if (h.error != HttpError::kNone) return fail(d.index, std::string(ToString(h.error)) + ": " + h.error_message);
    fail(d.index, "HTTP " + std::to_string(h.status) + ": " + ErrorBodySummary(h.body));
  };

  while (finished < n) {
    while (next < n && in_flight.size() < limit) {  // in_flight includes requests waiting to retry
      const size_t i = next++;
      InFlight f;
      f.start = Clock::now();
      try {
        f.call = BuildOpenAiCall(requests[i], config_.model, config_.message_format, config_.prompt_logprobs_api);
      } catch (const Error& e) {
        Response r;
        r.status = ResponseStatus::kFailed;
        r.finish_reason = "error";
        r.error = e.what();
        ++finished;
        r.request_id = requests[i].id;
        on_response(std::move(r));
        continue;
      }
      in_flight.emplace(i, std::move(f));
      send(i);
    }
    if (finished >= n) break;
    std::vector<Done> batch;
    {
      std::unique_lock lock(mailbox->mu);
      auto ready = [&] { return !mailbox->items.empty(); };
      if (waiting.empty()) mailbox->cv.wait(lock, ready);
      else mailbox->cv.wait_until(lock, waiting.begin()->first, ready);
      batch.swap(mailbox->items);
    }
    for (Done& d : batch) handle(d);
    const auto now = Clock::now();
    while (!waiting.empty() && waiting.begin()->first <= now) {
      const size_t i = waiting.begin()->second;
      waiting.erase(waiting.begin());
      send(i);
    }
  }
}

namespace {

const RegisterBackend kRegisterOpenAi("openai", [](const BackendOptions& options) -> std::unique_ptr<Backend> {
  return std::make_unique<OpenAiBackend>(OpenAiConfig::FromOptions(options));
});

}  // namespace

}  // namespace bhasa::backends
