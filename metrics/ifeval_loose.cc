#include "metrics/ifeval_loose.h"

#include <algorithm>

#include "common/pystr.h"

namespace bhasa::metrics {
namespace {

// `s` without its '*'s.
std::string WithoutStars(std::string_view s) {
  std::string out(s);
  std::erase(out, '*');
  return out;
}

std::string JoinLines(const std::vector<std::string_view>& lines, size_t begin, size_t end) {
  std::string out;
  for (size_t k = begin; k < end; ++k) {
    if (k > begin) out += '\n';
    out.append(lines[k]);
  }
  return out;
}

}  // namespace

IfevalLooseVariants::IfevalLooseVariants(std::string_view r) : IfevalLooseVariants(r, py::IsValidUtf8(r)) {}

IfevalLooseVariants::IfevalLooseVariants(std::string_view r, bool valid_utf8) {
  texts_.reserve(7);
  const size_t first_nl = r.find('\n'), last_nl = r.rfind('\n');
  std::string_view first, last, both;  // empty when there are too few lines
  if (first_nl != std::string_view::npos) {
    first = r.substr(first_nl + 1);
    last = r.substr(0, last_nl);
    if (last_nl > first_nl) both = r.substr(first_nl + 1, last_nl - first_nl - 1);
  }
  thread_local std::vector<size_t> stars;  // where the '*'s are; reused, as every row has some
  stars.clear();
  for (size_t at = r.find('*'); at != std::string_view::npos; at = r.find('*', at + 1)) stars.push_back(at);
  if (!valid_utf8) {  // Strip turns invalid bytes into U+FFFD: copies
    copies_ = {py::Strip(first), py::Strip(last), py::Strip(both)};
    if (!stars.empty())
      for (size_t k = 0; k < 3; ++k) copies_.push_back(WithoutStars(copies_[k]));
    texts_.assign(copies_.begin(), copies_.end());
    if (!stars.empty()) {
      starless_ = WithoutStars(r);
      texts_.insert(texts_.begin(), starless_);
    }
    return;
  }
  const std::string_view f = py::StripValid(first), l = py::StripValid(last), b = py::StripValid(both);
  texts_ = {f, l, b};
  if (stars.empty()) return;
  starless_.reserve(r.size() - stars.size());
  size_t from = 0;
  for (size_t at : stars) {
    starless_.append(r.substr(from, at - from));
    from = at + 1;
  }
  starless_.append(r.substr(from));
  // Byte p of `r` (not a '*') is byte p - (stars before p) of `starless_`,
  // so a range of `r` without its '*'s is a range of `starless_`.
  auto starless_at = [&](size_t p) {
    return p - static_cast<size_t>(std::lower_bound(stars.begin(), stars.end(), p) - stars.begin());
  };
  auto starless = [&](std::string_view range) -> std::string_view {
    if (range.empty()) return {};
    const auto p = static_cast<size_t>(range.data() - r.data());
    const size_t begin = starless_at(p), end = starless_at(p + range.size());
    return std::string_view(starless_).substr(begin, end - begin);
  };
  texts_ = {starless_, f, l, b, starless(f), starless(l), starless(b)};
}

std::vector<std::string> IfevalLooseVariantsPlain(std::string_view response) {
  std::vector<std::string_view> lines;  // response.split("\n")
  for (size_t from = 0;;) {
    const size_t nl = response.find('\n', from);
    lines.push_back(response.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from));
    if (nl == std::string_view::npos) break;
    from = nl + 1;
  }
  const size_t n = lines.size();
  const std::string first = py::Strip(JoinLines(lines, 1, n));
  const std::string last = py::Strip(JoinLines(lines, 0, n - 1));
  const std::string both = n >= 2 ? py::Strip(JoinLines(lines, 1, n - 1)) : std::string();
  return {WithoutStars(response), first, last, both, WithoutStars(first), WithoutStars(last), WithoutStars(both)};
}

}  // namespace bhasa::metrics
