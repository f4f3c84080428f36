#include "harness/command.h"

namespace bhasa {

Registry<Command>& CommandRegistry() {
  static Registry<Command> r("command");
  return r;
}

}  // namespace bhasa
