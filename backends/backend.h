// Backend: turns Requests into Responses. Implementations: native (built-in
// engine), openai (any OpenAI-compatible server), replay (saved answers).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/registry.h"
#include "common/request.h"

namespace bhasa {

struct BackendCapabilities {
  bool chat = true;           // accepts Request::messages
  bool raw_prompt = true;     // accepts Request::prompt
  bool continue_final = true; // supports continue_final_message (base two-phase decoding)
  bool logprobs = false;
  int max_context = 0;        // 0 = unknown
  std::string warning;        // a problem found while asking, worth telling the user ("" = none)
};

// Options a backend is created from: --model, --url, --chat-template, ...
// Values are strings as given on the command line or in a suite file.
struct BackendOptions {
  std::string model;
  std::map<std::string, std::string> values;
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
};

class Backend {
 public:
  using OnResponse = std::function<void(Response)>;
  // on_text(request id, new text): a request's answer as it is generated.
  using OnText = std::function<void(const std::string&, std::string_view)>;
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // What the backend can do. A remote backend asks its server (once, with a
  // short timeout) and throws Error with kExitRuntime when it cannot be
  // reached or refuses us, so that a run stops before it plans.
  virtual BackendCapabilities capabilities() const = 0;
  // Facts recorded in results.json (model file, sha256, engine, quantization...).
  virtual nlohmann::json Describe() const { return {{"backend", name()}}; }
  // Answers every request. `on_response` is called exactly once per request,
  // as each finishes, never concurrently with itself. A request that fails is
  // answered with status kFailed and an error message, never by throwing;
  // Generate throws only when the backend as a whole cannot work.
  virtual void Generate(std::span<const Request> requests, const OnResponse& on_response) = 0;
  // Generate that also hands on each request's text as it is produced, on the
  // same thread, before that request's on_response; the pieces of a
  // successful request concatenate to its Response::text. A backend that
  // produces no text early (the default) sends it whole just before the response.
  virtual void GenerateStreaming(std::span<const Request> requests, const OnText& on_text,
                                 const OnResponse& on_response);
};

using BackendFactory = std::function<std::unique_ptr<Backend>(const BackendOptions&)>;
Registry<BackendFactory>& BackendRegistry();

// Registers a backend factory from a static initializer.
struct RegisterBackend {
  RegisterBackend(const std::string& name, BackendFactory f) { BackendRegistry().Add(name, std::move(f)); }
};

std::unique_ptr<Backend> MakeBackend(const std::string& name, const BackendOptions& options);

}  // namespace bhasa
