// YAML → JSON conversion with YAML 1.2 core-schema scalar typing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace bhasa::tasks {

// Parses a YAML file into JSON. Throws Error("path:line: ...") on syntax errors.
nlohmann::json LoadYamlFile(const std::string& path);
nlohmann::json ParseYaml(const std::string& text, const std::string& source_name);

}  // namespace bhasa::tasks
