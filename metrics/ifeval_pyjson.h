// Python's json.loads(text) acceptance test (strict mode), for IFEval's
// detectable_format:json_format. nlohmann::json is stricter than Python (no
// NaN / Infinity) and so is not used here.
//
// Accepts exactly what CPython 3.12's json module accepts: any top-level value;
// the literals NaN, Infinity, -Infinity; duplicate keys; whitespace only
// " \t\n\r"; no raw control characters (< 0x20) inside strings; no trailing
// text; a leading U+FEFF is an error. Numbers use ASCII digits only.
// Pure and thread-safe. Nesting deeper than 10000 levels returns false (CPython
// would raise RecursionError).
#pragma once

#include <string_view>

namespace bhasa::metrics {

bool PyJsonLoads(std::string_view text);

}  // namespace bhasa::metrics
