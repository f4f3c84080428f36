// Typed reads of JSON that came from outside (model files, results, requests).
// nlohmann's get<T>() and value() throw type_error on a value of the wrong
// type, which would reach the user as an internal error; these throw
// bhasa::Error "WHERE: field 'KEY' must be a string" (exit 2) instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bhasa {

namespace json_field_detail {

template <typename T>
bool Holds(const nlohmann::json& v) {
  if constexpr (std::is_same_v<T, std::string>) return v.is_string();
  else if constexpr (std::is_same_v<T, bool>) return v.is_boolean();
  else if constexpr (std::is_integral_v<T>) return v.is_number_integer();
  else if constexpr (std::is_floating_point_v<T>) return v.is_number();
  else if constexpr (std::is_same_v<T, nlohmann::json::object_t>) return v.is_object();
  else return v.is_array();
}

template <typename T>
const char* Expected() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else if constexpr (std::is_same_v<T, nlohmann::json::object_t>) return "an object";
  else return "an array";
}

}  // namespace json_field_detail

// The member `key` of `obj`, or nullptr when `obj` is not an object, lacks
// the key, or holds null there.
inline const nlohmann::json* FindField(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// Error "WHERE: field 'KEY' must be EXPECTED" with the input-error exit code.
inline Error FieldTypeError(const std::string& where, std::string_view key, const char* expected) {
  return Error(where + ": field '" + std::string(key) + "' must be " + expected);
}

// `v` as T, or the error above naming `key`.
template <typename T>
T FieldAs(const nlohmann::json& v, std::string_view key, const std::string& where) {
  if (!json_field_detail::Holds<T>(v)) throw FieldTypeError(where, key, json_field_detail::Expected<T>());
  return v.get<T>();
}

// obj[key] as T; missing or null is an error too.
template <typename T>
T RequireField(const nlohmann::json& obj, std::string_view key, const std::string& where) {
  const nlohmann::json* v = FindField(obj, key);
  if (!v) throw Error(where + ": field '" + std::string(key) + "' is missing");
  return FieldAs<T>(*v, key, where);
}

// obj[key] as T, or `fallback` when it is missing or null.
template <typename T>
T FieldOr(const nlohmann::json& obj, std::string_view key, T fallback, const std::string& where) {
  const nlohmann::json* v = FindField(obj, key);
  return v ? FieldAs<T>(*v, key, where) : fallback;
}

inline std::string FieldOr(const nlohmann::json& obj, std::string_view key, const char* fallback,
                           const std::string& where) {
  return FieldOr<std::string>(obj, key, std::string(fallback), where);
}

}  // namespace bhasa
