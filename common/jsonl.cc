#include "common/jsonl.h"

#include <cstring>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <mutex>

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "common/fs.h"
#include "common/pystr.h"

namespace bhasa {

using namespace std::string_view_literals;  // sized appends: no strlen per escape

namespace {

Error MalformedLineError(const std::string& path, long line, const nlohmann::json::exception& e,
                         const std::string& note) {
  std::string msg = e.what();
  auto cut = msg.find("] ");  // drop nlohmann's "[json.exception...] " prefix
  return FileError(path, line, "malformed JSON: " + (cut == std::string::npos ? msg : msg.substr(cut + 2)) + note);
}

Error NotAnObjectError(const std::string& path, long line, const nlohmann::json& j, const std::string& note) {
  return FileError(path, line, "expected a JSON object, got " + std::string(j.type_name()) + note);
}

nlohmann::json ToJson(simdjson::dom::element e) {
  using Type = simdjson::dom::element_type;
  switch (e.type()) {
    case Type::ARRAY: {
      nlohmann::json a = nlohmann::json::array();
      auto& values = a.get_ref<nlohmann::json::array_t&>();
      const simdjson::dom::array elements = e.get_array().value_unsafe();
      values.reserve(elements.size());
      for (simdjson::dom::element x : elements) values.push_back(ToJson(x));
      return a;
    }
    case Type::OBJECT: {
      nlohmann::json o = nlohmann::json::object();
      auto& members = o.get_ref<nlohmann::json::object_t&>();
      const simdjson::dom::object fields = e.get_object().value_unsafe();
      for (const auto [key, value] : fields)
        members.insert_or_assign(std::string(key), ToJson(value));  // a repeated key: the last wins
      return o;
    }
    case Type::INT64: {  // nlohmann keeps a literal without a minus sign unsigned
      const int64_t v = e.get_int64().value_unsafe();
      return v >= 0 ? nlohmann::json(static_cast<uint64_t>(v)) : nlohmann::json(v);
    }
    case Type::UINT64: return e.get_uint64().value_unsafe();
    case Type::DOUBLE: return e.get_double().value_unsafe();
    case Type::STRING: return std::string(e.get_string().value_unsafe());
    case Type::BOOL: return e.get_bool().value_unsafe();
    case Type::NULL_VALUE: break;
  }
  return nullptr;
}

// nlohmann::json::parse(line), through simdjson when it accepts the line (some
// three times faster on these rows, the same tree); anything simdjson refuses
// (bad JSON, integers past 64 bits, deep nesting, a byte-order mark) goes to
// nlohmann, which gives its own value or error.
nlohmann::json Parse(std::string_view line, bool padded = false) {
  static_assert(kJsonlPadding == simdjson::SIMDJSON_PADDING);
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(line.data(), line.size(), /*realloc_if_needed=*/!padded).get(e) == simdjson::SUCCESS)
    return ToJson(e);
  return nlohmann::json::parse(line);
}

// `note` is appended to the message of a malformed line.
void ReadLines(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn,
               bool tolerate_torn_tail, bool* torn_tail, const std::string& note = "") {
  std::string content = ReadFile(path);
  if (torn_tail) *torn_tail = false;
  size_t pos = 0;
  long line_no = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    bool last_unterminated = end == std::string::npos;
    if (last_unterminated) end = content.size();
    ++line_no;
    std::string_view line(content.data() + pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    nlohmann::json j;
    try {
      j = Parse(line);
    } catch (const nlohmann::json::exception& e) {
      if (tolerate_torn_tail && last_unterminated) {
        if (torn_tail) *torn_tail = true;
        return;
      }
      throw MalformedLineError(path, line_no, e, note);
    }
    if (!j.is_object()) throw NotAnObjectError(path, line_no, j, note);
    fn(j, line_no);
  }
}

}  // namespace

void ReadJsonl(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn) {
  ReadLines(path, fn, false, nullptr);
}

void ReadJournalLines(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn,
                      bool* torn_tail) {
  ReadLines(path, fn, true, torn_tail, std::string(kDamagedJournalNote));
}

std::vector<JsonlLine> JsonlLines(std::string_view content, long first_number, long* lines) {
  std::vector<JsonlLine> out;
  long line_no = first_number - 1;
  for (size_t pos = 0; pos < content.size();) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    ++line_no;
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) out.push_back({line, line_no});
  }
  if (lines) *lines = line_no - (first_number - 1);
  return out;
}

nlohmann::json ParseJsonlLine(const std::string& path, const JsonlLine& line, bool padded) {
  nlohmann::json j;
  try {
    j = Parse(line.text, padded);
  } catch (const nlohmann::json::exception& e) {
    throw MalformedLineError(path, line.number, e, "");
  }
  if (!j.is_object()) throw NotAnObjectError(path, line.number, j, "");
  return j;
}

std::vector<nlohmann::json> ReadJsonlAll(const std::string& path) {
  std::vector<nlohmann::json> out;
  ReadJsonl(path, [&](nlohmann::json& j, long) { out.push_back(std::move(j)); });
  return out;
}

struct JsonlAppender::Impl {
  std::mutex mu;
};

JsonlAppender::JsonlAppender(const std::string& path, bool durable)
    : path_(path), durable_(durable), impl_(std::make_unique<Impl>()) {
  // A torn last line (crash mid-write) must not glue onto the next record.
  bool needs_newline = false;
  if (FileExists(path)) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in.tellg() > 0) {
      in.seekg(-1, std::ios::end);
      needs_newline = in.get() != '\n';
    }
  }
  file_ = fopen(path.c_str(), "ab");
  if (!file_) throw Error(path + ": cannot open for appending");
  if (needs_newline) fputc('\n', file_);
}

JsonlAppender::~JsonlAppender() {
  if (file_) fclose(file_);
}

void JsonlAppender::Append(const nlohmann::json& j) {
  std::string line = DumpJson(j) + "\n";
  std::lock_guard lock(impl_->mu);
  if (fwrite(line.data(), 1, line.size(), file_) != line.size() || fflush(file_) != 0)
    throw Error(path_ + ": write failed");
  if (durable_) fdatasync(fileno(file_));
}

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// What basic_json::dump does, with a starting indent and the caller's string.
void AppendWithSerializer(std::string& out, const nlohmann::json& j, int indent, int depth) {
  using Serializer = nlohmann::detail::serializer<nlohmann::json>;
  Serializer s(nlohmann::detail::output_adapter<char, std::string>(out), ' ',
               nlohmann::json::error_handler_t::replace);
  const auto step = static_cast<unsigned>(std::max(indent, 0));
  s.dump(j, indent >= 0, false, step, step * static_cast<unsigned>(depth));
}

}  // namespace

void AppendJson(std::string& out, const nlohmann::json& j, int indent, int depth) {
  // Containers, strings, booleans, integers and null are written here, as
  // nlohmann writes them; floats (its own shortest digits) and anything else
  // go through its serializer, which costs a locale lookup per call.
  using Type = nlohmann::json::value_t;
  const bool pretty = indent >= 0;
  const auto step = static_cast<size_t>(std::max(indent, 0));
  auto newline = [&](int level) {
    out += '\n';
    out.append(step * static_cast<size_t>(level), ' ');
  };
  switch (j.type()) {
    case Type::null:
      out += "null"sv;
      return;
    case Type::boolean:
      out += j.get<bool>() ? "true"sv : "false"sv;
      return;
    case Type::number_integer:
    case Type::number_unsigned: {
      char buf[24];
      const auto end = j.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, j.get<uint64_t>()).ptr
                                              : std::to_chars(buf, buf + sizeof buf, j.get<int64_t>()).ptr;
      out.append(buf, end);
      return;
    }
    case Type::string:
      AppendJsonString(out, j.get_ref<const std::string&>());
      return;
    case Type::array:
    case Type::object: {
      const bool object = j.is_object();
      if (j.empty()) {
        out += object ? "{}"sv : "[]"sv;
        return;
      }
      out += object ? '{' : '[';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ',';
        first = false;
        if (pretty) newline(depth + 1);
        if (object) {
          AppendJsonString(out, it.key());
          out += pretty ? ": "sv : ":"sv;
        }
        AppendJson(out, *it, indent, depth + 1);
      }
      if (pretty) newline(depth);
      out += object ? '}' : ']';
      return;
    }
    default:
      AppendWithSerializer(out, j, indent, depth);
  }
}

void AppendJsonString(std::string& out, std::string_view s) {
  // Invalid UTF-8 takes nlohmann's path for its exact replacement rules.
  if (!py::IsValidUtf8(s)) {
    AppendWithSerializer(out, nlohmann::json(std::string(s)), -1, 0);
    return;
  }
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
#if defined(__SSE2__)
    // Sixteen bytes at a time up to the first control byte, '"' or '\\'.
    for (; i + 16 <= s.size(); i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
      const __m128i quote = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
      if (const int hit = _mm_movemask_epi8(_mm_or_si128(control, quote))) {
        i += static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(hit)));
        break;
      }
    }
#endif
    // Skip eight bytes at a time while none is a control byte, '"' or '\\'
    // (zero tests may flag a byte after a true hit, never miss one).
    while (i + 8 <= s.size()) {
      uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
      auto zero = [&](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
      if ((((x - 0x20 * kOnes) & ~x) | zero(x ^ ('"' * kOnes)) | zero(x ^ ('\\' * kOnes))) & kHigh) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""sv; break;
      case '\\': out += "\\\\"sv; break;
      case '\b': out += "\\b"sv; break;
      case '\t': out += "\\t"sv; break;
      case '\n': out += "\\n"sv; break;
      case '\f': out += "\\f"sv; break;
      case '\r': out += "\\r"sv; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s, run);
  out += '"';
}

}  // namespace bhasa
