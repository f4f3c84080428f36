// The installation's home: the folder holding tasks/ (the task YAMLs) and
// data/samples/ (the bundled sample data). Found relative to the running
// executable: <bin>/../share/bhasa once installed (`cmake --install`), or
// <build>/share/bhasa in a build tree (links made by CMake); else $BHASA_HOME.
#pragma once

#include <string>

namespace bhasa {

// "" when no home is found.
std::string BhasaHome();
// <home>/tasks and <home>/data/samples. Throw Error (exit 2) naming where
// they were looked for when there is no home.
std::string DefaultTasksDir();
std::string DefaultDataDir();

}  // namespace bhasa
