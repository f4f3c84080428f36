// English IFEval's loose mode (Google's evaluation_lib, as SEA-HELM runs it)
// retries an instruction that fails on the response with seven variants:
// the response without its '*'s; without its first line, its last line, or
// both (each stripped); and those three without their '*'s.
//
// IfevalLooseVariants builds them as byte ranges of the response or of one
// starless copy; IfevalLooseVariantsPlain builds them as upstream does
// (split, join, strip, replace), one string each: the plain twin the tests
// compare it with.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bhasa::metrics {

// Without a '*' in the response the three starless variants equal earlier
// ones and are left out (checks are pure functions of the text, so an equal
// variant has already failed): texts() then holds three variants, else all
// seven, in upstream order. Valid UTF-8 only is sliced; invalid bytes come
// back as U+FFFD from Strip, so those variants are copies.
// Ownership: texts() points into this object and, for valid UTF-8, into the
// response, which must outlive it.
class IfevalLooseVariants {
 public:
  explicit IfevalLooseVariants(std::string_view response);
  // `valid_utf8`: py::IsValidUtf8(response), when the caller knows it already.
  IfevalLooseVariants(std::string_view response, bool valid_utf8);
  IfevalLooseVariants(const IfevalLooseVariants&) = delete;  // texts_ points into this object
  IfevalLooseVariants& operator=(const IfevalLooseVariants&) = delete;

  std::span<const std::string_view> texts() const { return texts_; }

 private:
  std::string starless_;
  std::vector<std::string> copies_;
  std::vector<std::string_view> texts_;
};

// All seven variants, each built as upstream builds it.
std::vector<std::string> IfevalLooseVariantsPlain(std::string_view response);

}  // namespace bhasa::metrics
