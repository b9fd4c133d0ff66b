#include "driver/user_probes.h"

#include "kernel/user_binary.h"
#include "support/clock.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

namespace mstap {

struct UserProbes::State {
  std::string searchPath;
  struct Program {
    std::unique_ptr<kernel::UserBinary> binary;
    std::string error;
    double milliseconds = 0;
  };
  std::map<std::string, Program> programs; // by absolute path

  const Program &load(const std::string &path) {
    auto found = programs.find(path);
    if (found != programs.end())
      return found->second;
    Program program;
    auto start = std::chrono::steady_clock::now();
    auto opened = kernel::UserBinary::open(path);
    program.milliseconds = millisecondsSince(start);
    if (opened)
      program.binary = opened.take();
    else
      program.error = opened.error();
    return programs.emplace(path, std::move(program)).first->second;
  }

  bool match(const std::string &name, const std::string &pattern, std::vector<UserMatch> &out, std::string &error) {
    auto path = kernel::resolveUserBinaryPath(name, searchPath);
    if (!path) {
      error = path.error();
      return false;
    }
    const Program &program = load(*path);
    if (!program.binary) {
      error = program.error;
      return false;
    }
    for (const kernel::UserFunction *f : program.binary->match(pattern))
      out.push_back({*path, f->name, f->file, f->line, f->fileOffset, f});
    if (out.empty() && pattern.find_first_of("*?[") == std::string::npos) {
      std::string similar = program.binary->similarFunctions(pattern.substr(0, pattern.find('@')));
      if (!similar.empty())
        error = "similar: " + similar;
    }
    return true;
  }

  std::optional<CPrototype> prototypeOf(const UserMatch &match) {
    auto *function = static_cast<const kernel::UserFunction *>(match.handle);
    const Program &program = load(match.binary);
    if (!function || !program.binary)
      return std::nullopt;
    return CPrototype{function->parameters, function->returnType};
  }
};

UserProbes::UserProbes(std::string searchPath) : state_(std::make_unique<State>()) {
  state_->searchPath = std::move(searchPath);
}

bool UserProbes::matchProgram(const std::string &binary, const std::string &pattern, std::vector<UserMatch> &matches,
                              std::string &error) const {
  return state_->match(binary, pattern, matches, error);
}

std::optional<CPrototype> UserProbes::prototype(const ResolvedProbe &point) const {
  return point.user ? state_->prototypeOf(*point.user) : std::nullopt;
}

std::optional<CType> UserProbes::namedType(const std::string &module, const std::string &name,
                                           std::string &error) const {
  const State::Program &program = state_->load(module);
  if (!program.binary) {
    error = program.error;
    return std::nullopt;
  }
  if (auto found = program.binary->findType(name))
    return found;
  std::string similar = program.binary->similarTypeNames(name);
  error = fmt::format("the DWARF of '{}' has no type '{}'{}", module, name,
                      similar.empty() ? "" : " (similar: " + similar + ")");
  return std::nullopt;
}

UserProbes::~UserProbes() = default;

std::vector<std::string> UserProbes::report() const {
  std::vector<std::string> lines;
  for (const auto &[path, program] : state_->programs)
    if (program.binary)
      lines.push_back(fmt::format("program {}: {} functions from DWARF in {:.0f} ms", path,
                                  program.binary->functions().size(), program.milliseconds));
  return lines;
}

} // namespace mstap
