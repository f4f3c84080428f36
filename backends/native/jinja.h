// A small Jinja2 subset, enough for chat templates as Hugging Face renders
// them (trim_blocks and lstrip_blocks on, whitespace control with "-"):
//   {{ expr }}, {% if/elif/else/endif %}, {% for x in xs %}/{% for k, v in d.items() %}
//   with loop.index0/index/first/last/length, {% set x = e %}, {% set ns.attr = e %}, {# #}.
//   Expressions: literals (strings, numbers, true/false/none, lists, dicts), names, a.b,
//   a[i], a[i:j], calls, + - * / // % ~, comparisons, in / not in, and/or/not,
//   "x if c else y", tests (is [not] defined/none/string/number/mapping/iterable/sequence),
//   filters (trim, length, count, upper, lower, first, last, join, default, tojson, string),
//   string methods (strip, lstrip, rstrip, upper, lower, startswith, endswith), dict
//   methods (items, get),
//   functions raise_exception(msg), range(n), namespace(k=v...).
// Anything else is a parse error naming the line; templates beyond the subset
// are out of scope (the chat renderers in chat_template.h are hand-written).
//
// Thread-safety: a parsed JinjaTemplate is immutable; Render keeps its state
// local. Failure: parse and render errors throw bhasa::Error with the template
// line; raise_exception(msg) throws Error("chat template: msg").
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace bhasa::native {

class JinjaTemplate {
 public:
  explicit JinjaTemplate(const std::string& source);
  ~JinjaTemplate();
  JinjaTemplate(JinjaTemplate&&) noexcept;
  JinjaTemplate& operator=(JinjaTemplate&&) noexcept;

  // Variables come from `context` (a JSON object). Undefined names are
  // undefined (empty when printed, false when tested), as in Jinja's default.
  std::string Render(const nlohmann::json& context) const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;
};

}  // namespace bhasa::native
