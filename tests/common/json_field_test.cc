#include "common/json_field.h"

#include <functional>

#include <gtest/gtest.h>

#include "common/exit_codes.h"

namespace bhasa {
namespace {

using nlohmann::json;

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage) << e.what();
    return e.what();
  }
  return "";
}

TEST(JsonField, ReadsTheTypeAskedForOrNamesTheField) {
  const json j = {{"s", "x"}, {"i", 3}, {"f", 2.5}, {"b", true}, {"n", nullptr}};
  EXPECT_EQ(FieldOr(j, "s", "d", "f.json"), "x");
  EXPECT_EQ(FieldOr<int64_t>(j, "i", 0, "f.json"), 3);
  EXPECT_EQ(FieldOr<double>(j, "i", 0, "f.json"), 3.0);  // an integer is a number
  EXPECT_EQ(FieldOr(j, "b", false, "f.json"), true);
  EXPECT_EQ(FieldOr(j, "n", "d", "f.json"), "d");  // null reads as absent
  EXPECT_EQ(FieldOr(j, "missing", "d", "f.json"), "d");
  EXPECT_EQ(RequireField<double>(j, "f", "f.json"), 2.5);

  EXPECT_EQ(ErrorOf([&] { FieldOr(j, "i", "", "f.json"); }), "f.json: field 'i' must be a string");
  EXPECT_EQ(ErrorOf([&] { FieldOr<int64_t>(j, "f", 0, "f.json"); }), "f.json: field 'f' must be an integer");
  EXPECT_EQ(ErrorOf([&] { FieldOr<double>(j, "s", 0, "f.json"); }), "f.json: field 's' must be a number");
  EXPECT_EQ(ErrorOf([&] { FieldOr(j, "s", false, "f.json"); }), "f.json: field 's' must be true or false");
  EXPECT_EQ(ErrorOf([&] { RequireField<std::string>(j, "n", "f.json"); }), "f.json: field 'n' is missing");
}

}  // namespace
}  // namespace bhasa
