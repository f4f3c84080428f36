// The CLI's subcommands. Each harness/cmd_*.cc registers one or more with
// RegisterCommand; harness/main.cc dispatches on the first argument.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "common/registry.h"

namespace bhasa {

struct Command {
  std::string summary;  // one line for `bhasa --help`
  // Receives the arguments after the command name; returns the exit code.
  // Throws bhasa::Error for bad input (main prints it and exits with its code).
  std::function<int(std::span<const std::string>)> run;
};

Registry<Command>& CommandRegistry();

struct RegisterCommand {
  RegisterCommand(const std::string& name, std::string summary,
                  std::function<int(std::span<const std::string>)> run) {
    CommandRegistry().Add(name, Command{std::move(summary), std::move(run)});
  }
};

}  // namespace bhasa
