// Process exit codes of the bhasa CLI (documented in README.md).
#pragma once

namespace bhasa {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRegression = 1;   // `compare` found a drop beyond the threshold
inline constexpr int kExitUsage = 2;        // bad flags, unknown task/language, bad input file
inline constexpr int kExitRuntime = 3;      // I/O, backend or internal failure
inline constexpr int kExitIncomplete = 4;   // run finished but some requests failed
inline constexpr int kExitInterrupted = 130;

}  // namespace bhasa
