#include "backends/native/jinja.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "common/pystr.h"

namespace bhasa::native {

namespace {

using json = nlohmann::json;

// Jinja's Undefined, kept apart from none (null).
json Undefined() { return json(json::value_t::discarded); }
bool IsUndef(const json& v) { return v.is_discarded(); }

[[noreturn]] void Fail(int line, const std::string& msg) {
  throw Error("chat template line " + std::to_string(line) + ": " + msg);
}

// Limits that no chat template comes near, so that a hostile or broken one
// ends in an error instead of a stack overflow, a hang or all the memory.
constexpr int kMaxNesting = 100;               // brackets, "not"s, "-"s; blocks inside blocks
constexpr size_t kMaxTokensPerTag = 2048;      // bounds an expression tree's depth
constexpr size_t kMaxStringBytes = 16 << 20;   // any value or the rendered text
constexpr uint64_t kMaxRenderWork = 64 << 20;  // see Renderer::Charge

// ---- expression tokens ----------------------------------------------------

struct Tok {
  enum Kind { kName, kStr, kNum, kOp, kEnd } kind;
  std::string text;
  json num;
};

// A number literal: digits, with one '.' when is_float. Python's ints are
// unbounded; one beyond 64 bits (or a float beyond double) is a parse error.
json NumberLiteral(const std::string& t, bool is_float, int line) {
  const char* end = t.data() + t.size();
  if (is_float) {
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), end, v);
    if (ec == std::errc() && p == end && std::isfinite(v)) return v;
  } else {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), end, v);
    if (ec == std::errc() && p == end) return v;
  }
  Fail(line, "number out of range: " + t.substr(0, 40));
}

std::vector<Tok> Lex(std::string_view s, int line) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Tok::kName, std::string(s.substr(i, j - i)), {}});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      bool is_float = false;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || (s[j] == '.' && !is_float))) {
        if (s[j] == '.') is_float = true;
        ++j;
      }
      std::string t(s.substr(i, j - i));
      out.push_back({Tok::kNum, t, NumberLiteral(t, is_float, line)});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string v;
      size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          char e = s[++j];
          v.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
        } else {
          v.push_back(s[j]);
        }
      }
      if (j >= s.size()) Fail(line, "unterminated string");
      out.push_back({Tok::kStr, v, {}});
      i = j + 1;
    } else {
      static const char* kTwo[] = {"==", "!=", "<=", ">=", "//", "**"};
      std::string op(1, c);
      for (const char* t : kTwo)
        if (s.substr(i, 2) == t) op = t;
      if (op.size() == 1 && std::string_view("()[]{}.,:|+-*/%~<>=").find(c) == std::string_view::npos)
        Fail(line, std::string("unexpected character '") + c + "'");
      out.push_back({Tok::kOp, op, {}});
      i += op.size();
    }
  }
  out.push_back({Tok::kEnd, "", {}});
  return out;
}

// ---- expressions ------------------------------------------------------------

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct Expr {
  enum Kind { kLit, kVar, kAttr, kIndex, kSlice, kCall, kFilter, kTest, kNeg, kBin, kAnd, kOr, kNot, kCond, kList, kDict };
  Kind kind;
  std::string name;  // variable, attribute, operator, filter or test name
  json lit;
  std::vector<ExprPtr> args;  // operands; for kCall/kFilter/kTest: subject first
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negate = false;  // "is not"
};

// A node with a name (or "") and operands.
template <class... Args>
ExprPtr Make(Expr::Kind k, std::string name = "", Args... args) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->name = std::move(name);
  (e->args.push_back(std::move(args)), ...);
  return e;
}

ExprPtr Literal(json v) {
  auto e = Make(Expr::kLit);
  e->lit = std::move(v);
  return e;
}

class Parser {
 public:
  Parser(std::vector<Tok> toks, int line) : t_(std::move(toks)), line_(line) {
    if (t_.size() > kMaxTokensPerTag) Fail(line_, "a tag of more than " + std::to_string(kMaxTokensPerTag) + " tokens");
  }

  ExprPtr Expression() {
    Nest nest(this);
    ExprPtr e = Or();
    if (!IsName("if")) return e;
    ++p_;
    ExprPtr cond = Or();
    ExprPtr other = IsName("else") ? (++p_, Expression()) : Literal(Undefined());
    return Make(Expr::kCond, "", std::move(cond), std::move(e), std::move(other));
  }
  bool IsName(const char* n) const { return t_[p_].kind == Tok::kName && t_[p_].text == n; }
  bool IsOp(const char* o) const { return t_[p_].kind == Tok::kOp && t_[p_].text == o; }
  bool AtEnd() const { return t_[p_].kind == Tok::kEnd; }
  std::string Name() {
    if (t_[p_].kind != Tok::kName) Fail(line_, "expected a name, got \"" + t_[p_].text + "\"");
    return t_[p_++].text;
  }
  void Expect(const char* op) {
    if (!IsOp(op)) Fail(line_, std::string("expected \"") + op + "\", got \"" + t_[p_].text + "\"");
    ++p_;
  }
  void ExpectEnd() {
    if (!AtEnd()) Fail(line_, "unexpected \"" + t_[p_].text + "\"");
  }

 private:
  // Counts the parser's recursion: brackets, "not not ...", "- - ...".
  struct Nest {
    explicit Nest(Parser* p) : p(p) {
      if (++p->depth_ > kMaxNesting) Fail(p->line_, "expression nested too deeply");
    }
    ~Nest() { --p->depth_; }
    Parser* p;
  };

  ExprPtr Or() {
    ExprPtr l = And();
    while (IsName("or")) { ++p_; l = Make(Expr::kOr, "", std::move(l), And()); }
    return l;
  }
  ExprPtr And() {
    ExprPtr l = Not();
    while (IsName("and")) { ++p_; l = Make(Expr::kAnd, "", std::move(l), Not()); }
    return l;
  }
  ExprPtr Not() {
    if (!IsName("not")) return Compare();
    Nest nest(this);
    ++p_;
    return Make(Expr::kNot, "", Not());
  }
  ExprPtr Compare() {
    ExprPtr l = Add();
    for (;;) {
      static const char* kOps[] = {"==", "!=", "<", ">", "<=", ">="};
      bool matched = false;
      for (const char* op : kOps)
        if (IsOp(op)) { ++p_; l = Make(Expr::kBin, op, std::move(l), Add()); matched = true; break; }
      if (matched) continue;
      if (IsName("in")) { ++p_; l = Make(Expr::kBin, "in", std::move(l), Add()); continue; }
      if (IsName("not") && t_[p_ + 1].kind == Tok::kName && t_[p_ + 1].text == "in") {
        p_ += 2;
        l = Make(Expr::kNot, "", Make(Expr::kBin, "in", std::move(l), Add()));
        continue;
      }
      if (IsName("is")) {
        ++p_;
        bool negate = IsName("not") && (++p_, true);
        l = Make(Expr::kTest, Name(), std::move(l));
        l->negate = negate;
        continue;
      }
      return l;
    }
  }
  ExprPtr Add() {
    ExprPtr l = Concat();
    while (IsOp("+") || IsOp("-")) { std::string op = t_[p_++].text; l = Make(Expr::kBin, op, std::move(l), Concat()); }
    return l;
  }
  ExprPtr Concat() {
    ExprPtr l = Mul();
    while (IsOp("~")) { ++p_; l = Make(Expr::kBin, "~", std::move(l), Mul()); }
    return l;
  }
  ExprPtr Mul() {
    ExprPtr l = Unary();
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      std::string op = t_[p_++].text;
      l = Make(Expr::kBin, op, std::move(l), Unary());
    }
    return l;
  }
  ExprPtr Unary() {
    Nest nest(this);
    if (IsOp("-")) return ++p_, Make(Expr::kNeg, "", Unary());
    ExprPtr e = Postfix(Primary());
    while (IsOp("|")) {
      ++p_;
      auto f = Make(Expr::kFilter, Name(), std::move(e));
      if (IsOp("(")) Args(f.get());
      e = Postfix(std::move(f));
    }
    return e;
  }
  void Args(Expr* call) {
    Expect("(");
    while (!IsOp(")")) {
      if (t_[p_].kind == Tok::kName && t_[p_ + 1].kind == Tok::kOp && t_[p_ + 1].text == "=") {
        std::string k = Name();
        ++p_;
        call->kwargs.emplace_back(k, Expression());
      } else {
        call->args.push_back(Expression());
      }
      if (!IsOp(")")) Expect(",");
    }
    ++p_;
  }
  ExprPtr Postfix(ExprPtr e) {
    for (;;) {
      if (IsOp(".")) {
        ++p_;
        e = Make(Expr::kAttr, Name(), std::move(e));
      } else if (IsOp("[")) {
        ++p_;
        ExprPtr a = IsOp(":") ? Literal(Undefined()) : Expression();
        if (IsOp(":")) {
          ++p_;
          ExprPtr b = IsOp("]") ? Literal(Undefined()) : Expression();
          e = Make(Expr::kSlice, "", std::move(e), std::move(a), std::move(b));
        } else {
          e = Make(Expr::kIndex, "", std::move(e), std::move(a));
        }
        Expect("]");
      } else if (IsOp("(")) {
        e = Make(Expr::kCall, "", std::move(e));
        Args(e.get());
      } else {
        return e;
      }
    }
  }
  ExprPtr Primary() {
    const Tok& t = t_[p_];
    if (t.kind == Tok::kStr) {
      std::string v = t_[p_++].text;
      while (t_[p_].kind == Tok::kStr) v += t_[p_++].text;  // 'a' 'b'
      return Literal(v);
    }
    if (t.kind == Tok::kNum) return ++p_, Literal(t.num);
    if (t.kind == Tok::kName) {
      ++p_;
      if (t.text == "true" || t.text == "True") return Literal(true);
      if (t.text == "false" || t.text == "False") return Literal(false);
      if (t.text == "none" || t.text == "None") return Literal(nullptr);
      return Make(Expr::kVar, t.text);
    }
    if (IsOp("(")) {
      ++p_;
      ExprPtr e = Expression();
      Expect(")");
      return e;
    }
    if (IsOp("[") || IsOp("{")) {
      bool list = IsOp("[");
      ++p_;
      auto e = Make(list ? Expr::kList : Expr::kDict);
      while (!IsOp(list ? "]" : "}")) {
        e->args.push_back(Expression());
        if (!list) { Expect(":"); e->args.push_back(Expression()); }
        if (!IsOp(list ? "]" : "}")) Expect(",");
      }
      ++p_;
      return e;
    }
    Fail(line_, "unexpected \"" + t.text + "\" in expression");
  }

  std::vector<Tok> t_;
  size_t p_ = 0;
  int line_;
  int depth_ = 0;
};

}  // namespace

// ---- template structure -------------------------------------------------------

struct JinjaTemplate::Node {
  enum Kind { kSeq, kText, kOut, kIf, kFor, kSet } kind = kSeq;
  int line = 0;
  std::string text;                           // kText
  std::vector<std::unique_ptr<Node>> kids;    // kSeq: statements; kIf: bodies (+ else); kFor: body (+ else)
  std::vector<ExprPtr> exprs;                 // kOut: value; kIf: conditions; kFor: iterable; kSet: value
  std::vector<std::string> names;             // kFor: loop variables; kSet: target [, attribute]
};
using Node = JinjaTemplate::Node;

namespace {

struct Seg {
  enum Kind { kText, kExpr, kStmt } kind;
  std::string body;
  int line;
};

// Splits the source into text / {{ }} / {% %} segments, applying "-"
// whitespace control and Hugging Face's trim_blocks + lstrip_blocks.
std::vector<Seg> Segment(const std::string& src) {
  std::vector<Seg> segs;
  std::string text;
  int line = 1;
  bool strip_next = false;
  size_t i = 0;
  auto flush = [&] {
    if (!text.empty()) segs.push_back({Seg::kText, text, line});
    text.clear();
  };
  while (i < src.size()) {
    size_t open = src.find('{', i);
    while (open != std::string::npos && open + 1 < src.size() && std::string_view("{%#").find(src[open + 1]) == std::string_view::npos)
      open = src.find('{', open + 1);
    if (open == std::string::npos || open + 1 >= src.size()) open = src.size();
    std::string chunk = src.substr(i, open - i);
    if (strip_next) chunk = py::LStrip(chunk), strip_next = false;
    text += chunk;
    if (open >= src.size()) break;
    char kind = src[open + 1];
    const char* close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    // Find the close, skipping quoted strings inside expressions.
    size_t j = open + 2;
    char quote = 0;
    for (; j + 1 < src.size(); ++j) {
      if (quote) { if (src[j] == '\\') ++j; else if (src[j] == quote) quote = 0; continue; }
      if (kind != '#' && (src[j] == '\'' || src[j] == '"')) quote = src[j];
      else if (src[j] == close[0] && src[j + 1] == close[1]) break;
    }
    if (j + 1 >= src.size()) Fail(line, std::string("unclosed \"{") + kind + "\"");
    std::string inner = src.substr(open + 2, j - open - 2);
    bool block = kind != '{';
    bool lstrip_here = !inner.empty() && inner[0] == '-', keep_here = !inner.empty() && inner[0] == '+';
    bool rstrip_after = !inner.empty() && inner.back() == '-';
    if (lstrip_here) text = py::RStrip(text);
    else if (block && !keep_here) {
      // lstrip_blocks: drop spaces/tabs between a source line's start and the tag.
      size_t k = open;
      while (k > 0 && (src[k - 1] == ' ' || src[k - 1] == '\t')) --k;
      if (k == 0 || src[k - 1] == '\n')
        for (size_t n = open - k; n > 0 && !text.empty() && (text.back() == ' ' || text.back() == '\t'); --n)
          text.pop_back();
    }
    for (size_t k = i; k < j; ++k) line += src[k] == '\n';
    flush();
    if (lstrip_here || keep_here) inner.erase(0, 1);
    if (rstrip_after && !inner.empty()) inner.pop_back();  // "{{-}}": one '-' serves both sides
    if (kind != '#') segs.push_back({kind == '{' ? Seg::kExpr : Seg::kStmt, inner, line});
    i = j + 2;
    if (rstrip_after) strip_next = true;
    else if (block && i < src.size() && src[i] == '\n') ++i, ++line;  // trim_blocks
  }
  flush();
  return segs;
}

class Builder {
 public:
  explicit Builder(std::vector<Seg> segs) : segs_(std::move(segs)) {}

  // Parses statements until one whose keyword is in `ends`; returns that
  // keyword (or "" at the end of input) and leaves its parser in *tail.
  std::unique_ptr<Node> Body(std::initializer_list<const char*> ends, std::string* end_kw,
                             std::unique_ptr<Parser>* tail) {
    auto seq = std::make_unique<Node>();
    while (pos_ < segs_.size()) {
      const Seg& s = segs_[pos_++];
      if (s.kind == Seg::kText) {
        auto n = std::make_unique<Node>();
        n->kind = Node::kText;
        n->text = s.body;
        seq->kids.push_back(std::move(n));
        continue;
      }
      auto p = std::make_unique<Parser>(Lex(s.body, s.line), s.line);
      if (s.kind == Seg::kExpr) {
        auto n = std::make_unique<Node>();
        n->kind = Node::kOut;
        n->line = s.line;
        n->exprs.push_back(p->Expression());
        p->ExpectEnd();
        seq->kids.push_back(std::move(n));
        continue;
      }
      std::string kw = p->Name();
      for (const char* e : ends)
        if (kw == e) {
          *end_kw = kw;
          *tail = std::move(p);
          return seq;
        }
      seq->kids.push_back(Statement(kw, *p, s.line));
    }
    if (ends.size() > 0) Fail(segs_.empty() ? 1 : segs_.back().line, "missing {% " + std::string(*ends.begin()) + " %}");
    end_kw->clear();
    return seq;
  }

 private:
  std::unique_ptr<Node> Statement(const std::string& kw, Parser& p, int line) {
    // An error ends the whole parse, so depth_ needs no unwinding on the way out.
    const bool block = kw == "if" || kw == "for";
    if (block && ++depth_ > kMaxNesting) Fail(line, "blocks nested more than " + std::to_string(kMaxNesting) + " deep");
    auto n = std::make_unique<Node>();
    n->line = line;
    std::string end;
    std::unique_ptr<Parser> tail;
    if (kw == "if") {
      n->kind = Node::kIf;
      n->exprs.push_back(p.Expression());
      p.ExpectEnd();
      for (;;) {
        n->kids.push_back(Body({"elif", "else", "endif"}, &end, &tail));
        if (end == "elif") {
          n->exprs.push_back(tail->Expression());
          tail->ExpectEnd();
        } else if (end == "else") {
          tail->ExpectEnd();
          n->kids.push_back(Body({"endif"}, &end, &tail));
          break;
        } else {
          break;
        }
      }
    } else if (kw == "for") {
      n->kind = Node::kFor;
      n->names.push_back(p.Name());
      while (p.IsOp(",")) { p.Expect(","); n->names.push_back(p.Name()); }
      if (!p.IsName("in")) Fail(line, "expected \"in\" in for");
      p.Name();
      n->exprs.push_back(p.Expression());
      p.ExpectEnd();
      n->kids.push_back(Body({"else", "endfor"}, &end, &tail));
      if (end == "else") n->kids.push_back(Body({"endfor"}, &end, &tail));
    } else if (kw == "set") {
      n->kind = Node::kSet;
      n->names.push_back(p.Name());
      if (p.IsOp(".")) { p.Expect("."); n->names.push_back(p.Name()); }
      p.Expect("=");
      n->exprs.push_back(p.Expression());
      p.ExpectEnd();
    } else {
      Fail(line, "unsupported statement \"" + kw + "\"");
    }
    depth_ -= block;
    return n;
  }

  std::vector<Seg> segs_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// ---- evaluation -----------------------------------------------------------------

bool Truthy(const json& v) {
  if (IsUndef(v) || v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

std::string PyDump(const json& v);

// JSON text of a scalar. A string may hold bytes that are not UTF-8 (the
// template source is raw bytes from a model file): they become U+FFFD, as
// Python's bytes.decode(errors="replace") would have made them.
std::string JsonText(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string ToStr(const json& v) {
  if (IsUndef(v)) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "None";
  if (v.is_number_float()) {
    double d = v.get<double>();
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, r.ptr);
    if (std::isfinite(d) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
  }
  if (v.is_number()) return JsonText(v);
  return PyDump(v);
}

// Python json.dumps spacing (", " and ": "), non-ASCII kept.
std::string PyDump(const json& v) {
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + PyDump(v[i]);
    return s + "]";
  }
  if (v.is_object()) {
    std::string s = "{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it, first = false) s += (first ? "" : ", ") + JsonText(it.key()) + ": " + PyDump(*it);
    return s + "}";
  }
  return IsUndef(v) ? "null" : JsonText(v);
}

class Renderer {
 public:
  explicit Renderer(const json& ctx) { scopes_.push_back(ctx.is_object() ? ctx : json::object()); }

  void Exec(const Node& n) {
    switch (n.kind) {
      case Node::kSeq: for (const auto& k : n.kids) Exec(*k); break;
      case Node::kText: Emit(n.text, n.line); break;
      case Node::kOut: Emit(ToStr(Eval(*n.exprs[0], n.line)), n.line); break;
      case Node::kIf:
        for (size_t i = 0; i < n.exprs.size(); ++i)
          if (Truthy(Eval(*n.exprs[i], n.line))) return Exec(*n.kids[i]);
        if (n.kids.size() > n.exprs.size()) Exec(*n.kids.back());
        break;
      case Node::kFor: For(n); break;
      case Node::kSet: {
        json v = Eval(*n.exprs[0], n.line);
        if (n.names.size() == 1) { scopes_.back()[n.names[0]] = v; break; }
        json* target = Find(n.names[0]);
        if (!target || !target->is_object()) Fail(n.line, "cannot set an attribute of \"" + n.names[0] + "\"");
        (*target)[n.names[1]] = v;
        break;
      }
    }
  }
  std::string out;

 private:
  void Emit(const std::string& text, int line) {
    Charge(kStepCost + text.size() / 4, line);
    out += text;
    if (out.size() > kMaxStringBytes) Fail(line, "rendered text longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
  }

  // Rendering cost: every evaluation and statement costs kStepCost, a loop
  // iteration kIterationCost, and each value made or copied a quarter of its
  // bytes. A chat of a thousand turns costs a few million; a template that
  // loops or copies without end is stopped at kMaxRenderWork.
  static constexpr uint64_t kStepCost = 64, kIterationCost = 1024;
  void Charge(uint64_t units, int line) {
    work_ += units;
    if (work_ > kMaxRenderWork) Fail(line, "rendering stopped: the template loops or copies far more than any chat needs");
  }
  // The bytes a value holds (strings, plus 16 per element), all levels down;
  // a value nested deeper than any template builds is an error, since
  // copying and printing it recurse.
  static uint64_t Size(const json& v, int line, int depth = 0) {
    if (v.is_string()) return v.get_ref<const std::string&>().size();
    if (!v.is_array() && !v.is_object()) return 0;
    if (depth == kMaxNesting) Fail(line, "a value nested more than " + std::to_string(kMaxNesting) + " deep");
    uint64_t size = 16 * v.size();
    for (const json& x : v) size += Size(x, line, depth + 1);
    return size;
  }

  json* Find(const std::string& name) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
      if (auto f = it->find(name); f != it->end()) return &*f;
    return nullptr;
  }

  void For(const Node& n) {
    json seq = Eval(*n.exprs[0], n.line);
    std::vector<json> items;
    if (seq.is_array()) items.assign(seq.begin(), seq.end());
    else if (seq.is_object()) for (auto it = seq.begin(); it != seq.end(); ++it) items.push_back(it.key());
    else if (seq.is_string()) for (char32_t c : py::Decode(seq.get<std::string>())) items.push_back(py::Encode(std::u32string(1, c)));
    else if (!IsUndef(seq) && !seq.is_null()) Fail(n.line, "cannot iterate over " + ToStr(seq));
    if (items.empty()) {
      if (n.kids.size() > 1) Exec(*n.kids[1]);
      return;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      Charge(kIterationCost, n.line);
      json scope = json::object();
      if (n.names.size() == 1) scope[n.names[0]] = items[i];
      else {
        if (!items[i].is_array() || items[i].size() != n.names.size()) Fail(n.line, "cannot unpack loop item");
        for (size_t k = 0; k < n.names.size(); ++k) scope[n.names[k]] = items[i][k];
      }
      int64_t len = static_cast<int64_t>(items.size()), idx = static_cast<int64_t>(i);
      scope["loop"] = {{"index0", idx}, {"index", idx + 1}, {"first", i == 0}, {"last", i + 1 == items.size()},
                       {"length", len}, {"revindex", len - idx}, {"revindex0", len - idx - 1}};
      scopes_.push_back(std::move(scope));
      Exec(*n.kids[0]);
      scopes_.pop_back();
    }
  }

  json Eval(const Expr& e, int line) {
    json v = Evaluate(e, line);
    const uint64_t size = Size(v, line);
    if (v.is_string() && size > kMaxStringBytes) Fail(line, "a string longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
    Charge(kStepCost + size / 4, line);
    return v;
  }
  json Evaluate(const Expr& e, int line);
  json Call(const Expr& e, int line);
  json Filter(const Expr& e, int line);
  bool Test(const Expr& e, int line);

  std::vector<json> scopes_;
  uint64_t work_ = 0;
};

int64_t Index(const json& v, int64_t size, int line) {
  if (!v.is_number_integer()) Fail(line, "index is not an integer");
  int64_t i = v.get<int64_t>();
  return i < 0 ? i + size : i;
}

json Renderer::Evaluate(const Expr& e, int line) {
  switch (e.kind) {
    case Expr::kLit: return e.lit;
    case Expr::kVar: {
      json* v = Find(e.name);
      return v ? *v : Undefined();
    }
    case Expr::kAttr: case Expr::kIndex: {
      json obj = Eval(*e.args[0], line);
      json key = e.kind == Expr::kAttr ? json(e.name) : Eval(*e.args[1], line);
      if (obj.is_object() && key.is_string()) {
        auto it = obj.find(key.get<std::string>());
        return it == obj.end() ? Undefined() : *it;
      }
      if ((obj.is_array() || obj.is_string()) && key.is_number_integer()) {
        std::u32string cps = obj.is_string() ? py::Decode(obj.get<std::string>()) : U"";
        int64_t size = obj.is_array() ? static_cast<int64_t>(obj.size()) : static_cast<int64_t>(cps.size());
        int64_t i = Index(key, size, line);
        if (i < 0 || i >= size) Fail(line, "index " + JsonText(key) + " out of range");
        return obj.is_array() ? obj[i] : json(py::Encode(cps.substr(i, 1)));
      }
      return Undefined();
    }
    case Expr::kSlice: {
      json obj = Eval(*e.args[0], line);
      json a = Eval(*e.args[1], line), b = Eval(*e.args[2], line);
      std::u32string cps = obj.is_string() ? py::Decode(obj.get<std::string>()) : U"";
      int64_t size = obj.is_array() ? static_cast<int64_t>(obj.size()) : static_cast<int64_t>(cps.size());
      if (!obj.is_array() && !obj.is_string()) Fail(line, "cannot slice " + ToStr(obj));
      int64_t from = IsUndef(a) ? 0 : std::clamp<int64_t>(Index(a, size, line), 0, size);
      int64_t to = IsUndef(b) ? size : std::clamp<int64_t>(Index(b, size, line), 0, size);
      if (to < from) to = from;
      if (obj.is_string()) return py::Encode(cps.substr(from, to - from));
      return json(obj.begin() + from, obj.begin() + to);
    }
    case Expr::kCall: return Call(e, line);
    case Expr::kFilter: return Filter(e, line);
    case Expr::kTest: return Test(e, line) != e.negate;
    case Expr::kNeg: {
      json v = Eval(*e.args[0], line);
      if (v.is_number_integer()) {
        if (v.get<int64_t>() == INT64_MIN) Fail(line, "integer overflow in -(" + std::to_string(INT64_MIN) + ")");
        return -v.get<int64_t>();
      }
      if (v.is_number()) return -v.get<double>();
      Fail(line, "cannot negate " + ToStr(v));
    }
    case Expr::kNot: return !Truthy(Eval(*e.args[0], line));
    case Expr::kAnd: { json l = Eval(*e.args[0], line); return Truthy(l) ? Eval(*e.args[1], line) : l; }
    case Expr::kOr: { json l = Eval(*e.args[0], line); return Truthy(l) ? l : Eval(*e.args[1], line); }
    case Expr::kCond: return Truthy(Eval(*e.args[0], line)) ? Eval(*e.args[1], line) : Eval(*e.args[2], line);
    case Expr::kList: {
      json l = json::array();
      for (const auto& a : e.args) l.push_back(Eval(*a, line));
      return l;
    }
    case Expr::kDict: {
      json d = json::object();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) d[ToStr(Eval(*e.args[i], line))] = Eval(*e.args[i + 1], line);
      return d;
    }
    case Expr::kBin: break;
  }
  json l = Eval(*e.args[0], line), r = Eval(*e.args[1], line);
  const std::string& op = e.name;
  if (op == "~") return ToStr(l) + ToStr(r);
  if (op == "==") return l == r;
  if (op == "!=") return !(l == r);
  if (op == "in") {
    if (r.is_string()) return r.get<std::string>().find(ToStr(l)) != std::string::npos;
    if (r.is_array()) return std::find(r.begin(), r.end(), l) != r.end();
    if (r.is_object()) return l.is_string() && r.contains(l.get<std::string>());
    return false;
  }
  if (op == "+" && l.is_string() && r.is_string()) return l.get<std::string>() + r.get<std::string>();
  if (op == "+" && l.is_array() && r.is_array()) { json c = l; c.insert(c.end(), r.begin(), r.end()); return c; }
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    if (!((l.is_number() && r.is_number()) || (l.is_string() && r.is_string()))) Fail(line, "cannot compare " + ToStr(l) + " and " + ToStr(r));
    bool lt = l < r, gt = r < l;
    return op == "<" ? lt : op == ">" ? gt : op == "<=" ? !gt : !lt;
  }
  if (!l.is_number() || !r.is_number()) Fail(line, "operator " + op + " needs numbers (got " + ToStr(l) + ", " + ToStr(r) + ")");
  if (l.is_number_integer() && r.is_number_integer() && op != "/") {
    int64_t a = l.get<int64_t>(), b = r.get<int64_t>(), v = 0;
    if ((op == "//" || op == "%") && b == 0) Fail(line, "division by zero");
    // Python's ints do not overflow; ours are 64-bit, so going past is an error.
    const bool over = op == "+"   ? __builtin_add_overflow(a, b, &v)
                      : op == "-" ? __builtin_sub_overflow(a, b, &v)
                      : op == "*" ? __builtin_mul_overflow(a, b, &v)
                                  : a == INT64_MIN && b == -1;
    if (over) Fail(line, "integer overflow in " + std::to_string(a) + " " + op + " " + std::to_string(b));
    if (op == "+" || op == "-" || op == "*") return v;
    int64_t q = a / b - ((a % b != 0) && ((a < 0) != (b < 0)));  // Python floor division
    if (op == "//") return q;
    if (op == "%") return a - q * b;
  }
  double a = l.get<double>(), b = r.get<double>();
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  if (b == 0) Fail(line, "division by zero");
  if (op == "/") return a / b;
  if (op == "//") return std::floor(a / b);
  return a - std::floor(a / b) * b;
}

json Renderer::Call(const Expr& e, int line) {
  const Expr& callee = *e.args[0];
  std::vector<json> args;
  for (size_t i = 1; i < e.args.size(); ++i) args.push_back(Eval(*e.args[i], line));
  auto arg = [&](size_t i) { return i < args.size() ? args[i] : Undefined(); };
  if (callee.kind == Expr::kVar) {
    if (callee.name == "raise_exception") throw Error("chat template: " + ToStr(arg(0)));
    if (callee.name == "range") {
      auto bound = [&](size_t i) {
        const json v = arg(i);
        if (!v.is_number_integer()) Fail(line, "range() takes integers, got " + ToStr(v));
        return v.get<int64_t>();
      };
      const int64_t from = args.size() > 1 ? bound(0) : 0, to = args.size() > 1 ? bound(1) : bound(0);
      // A chat template counts messages; a range this long is a broken template, not a loop to run.
      constexpr uint64_t kMaxRange = 100'000;
      if (to > from && static_cast<uint64_t>(to) - static_cast<uint64_t>(from) > kMaxRange)
        Fail(line, "range() of more than " + std::to_string(kMaxRange) + " items");
      json l = json::array();
      for (int64_t i = from; i < to; ++i) l.push_back(i);
      return l;
    }
    if (callee.name == "namespace") {
      json ns = json::object();
      for (const auto& [k, v] : e.kwargs) ns[k] = Eval(*v, line);
      return ns;
    }
    Fail(line, "unknown function \"" + callee.name + "\"");
  }
  if (callee.kind != Expr::kAttr) Fail(line, "only functions and methods can be called");
  json obj = Eval(*callee.args[0], line);
  const std::string& m = callee.name;
  if (obj.is_string()) {
    std::string s = obj.get<std::string>();
    if (m == "strip" || m == "lstrip" || m == "rstrip") {
      return m == "strip" ? py::Strip(s) : m == "lstrip" ? py::LStrip(s) : py::RStrip(s);
    }
    if (m == "upper") {
      for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));  // ASCII only
      return s;
    }
    if (m == "lower") return py::Lower(s);
    if (m == "startswith") return s.rfind(ToStr(arg(0)), 0) == 0;
    if (m == "endswith") { std::string t = ToStr(arg(0)); return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0; }
  }
  if (obj.is_object()) {
    if (m == "items") {
      json l = json::array();
      for (auto it = obj.begin(); it != obj.end(); ++it) l.push_back({it.key(), *it});
      return l;
    }
    if (m == "get") {
      auto it = obj.find(ToStr(arg(0)));
      return it != obj.end() ? *it : (args.size() > 1 ? arg(1) : json(nullptr));
    }
  }
  Fail(line, "unknown method \"" + m + "\"");
}

json Renderer::Filter(const Expr& e, int line) {
  json v = Eval(*e.args[0], line);
  std::vector<json> args;
  for (size_t i = 1; i < e.args.size(); ++i) args.push_back(Eval(*e.args[i], line));
  const std::string& f = e.name;
  if (f == "trim") return py::Strip(ToStr(v));
  if (f == "length" || f == "count") {
    if (v.is_string()) return static_cast<int64_t>(py::Decode(v.get<std::string>()).size());
    if (v.is_array() || v.is_object()) return static_cast<int64_t>(v.size());
    Fail(line, "length of " + ToStr(v));
  }
  if (f == "upper" || f == "lower") {
    std::string s = ToStr(v);
    if (f == "lower") return py::Lower(s);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  if (f == "first" || f == "last") {
    if (!v.is_array() || v.empty()) return Undefined();
    return f == "first" ? v.front() : v.back();
  }
  if (f == "join") {
    std::string sep = args.empty() ? "" : ToStr(args[0]), out;
    if (v.is_array()) for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + ToStr(v[i]);
    return out;
  }
  if (f == "default" || f == "d") return IsUndef(v) ? (args.empty() ? json("") : args[0]) : v;
  if (f == "tojson") return PyDump(v);
  if (f == "string") return ToStr(v);
  Fail(line, "unknown filter \"" + f + "\"");
}

bool Renderer::Test(const Expr& e, int line) {
  json v = Eval(*e.args[0], line);
  const std::string& t = e.name;
  if (t == "defined") return !IsUndef(v);
  if (t == "undefined") return IsUndef(v);
  if (t == "none") return v.is_null();
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "mapping") return v.is_object();
  if (t == "iterable" || t == "sequence") return v.is_array() || v.is_string() || v.is_object();
  Fail(line, "unknown test \"" + t + "\"");
}

}  // namespace

JinjaTemplate::JinjaTemplate(const std::string& source) {
  Builder b(Segment(source));
  std::string end;
  std::unique_ptr<Parser> tail;
  root_ = b.Body({}, &end, &tail);
}

JinjaTemplate::~JinjaTemplate() = default;
JinjaTemplate::JinjaTemplate(JinjaTemplate&&) noexcept = default;
JinjaTemplate& JinjaTemplate::operator=(JinjaTemplate&&) noexcept = default;

std::string JinjaTemplate::Render(const nlohmann::json& context) const {
  Renderer r(context);
  r.Exec(*root_);
  return std::move(r.out);
}

}  // namespace bhasa::native
