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

  const kernel::UserBinary *binaryOf(const void *scope) const {
    for (const auto &[path, program] : programs)
      if (program.binary.get() == scope)
        return program.binary.get();
    return nullptr;
  }

  static_assert(static_cast<int>(KernelType::Kind::Other) == static_cast<int>(kernel::TypeInfo::Kind::Other),
                "KernelType::Kind mirrors kernel::TypeInfo::Kind");
  // KernelType carries the program in `scope` and the DIE offset in `id`.
  // A DIE past 4 GiB of .debug_info does not fit: such a type keeps no
  // scope, so its pointee and members are unknown rather than wrong.
  static KernelType typeOf(const kernel::UserBinary &binary, const kernel::UserType &t) {
    KernelType type;
    type.kind = static_cast<KernelType::Kind>(static_cast<int>(t.kind));
    type.spelling = t.spelling;
    type.size = t.size;
    type.isSigned = t.isSigned;
    type.elements = static_cast<uint32_t>(std::min<uint64_t>(t.elements, UINT32_MAX));
    if (t.die <= UINT32_MAX) {
      type.scope = &binary;
      type.id = static_cast<uint32_t>(t.die);
    }
    return type;
  }

  static kernel::UserType userType(const KernelType &t) {
    kernel::UserType type;
    type.kind = static_cast<kernel::TypeInfo::Kind>(static_cast<int>(t.kind));
    type.spelling = t.spelling;
    type.size = t.size;
    type.isSigned = t.isSigned;
    type.elements = t.elements;
    type.die = t.id;
    return type;
  }

  std::optional<KernelPrototype> prototypeOf(const UserMatch &match) {
    auto *function = static_cast<const kernel::UserFunction *>(match.handle);
    const Program &program = load(match.binary);
    if (!function || !program.binary)
      return std::nullopt;
    KernelPrototype prototype;
    for (const auto &p : function->parameters) {
      prototype.params.emplace_back(p.name, p.type.spelling);
      prototype.paramTypes.push_back(typeOf(*program.binary, p.type));
    }
    prototype.returnType = function->returnType.spelling;
    prototype.returnInfo = typeOf(*program.binary, function->returnType);
    return prototype;
  }

  std::optional<KernelType> pointeeOf(const KernelType &type) const {
    const kernel::UserBinary *binary = binaryOf(type.scope);
    if (!binary)
      return std::nullopt;
    auto pointee = binary->pointee(userType(type));
    if (!pointee)
      return std::nullopt;
    return typeOf(*binary, *pointee);
  }

  std::vector<KernelMember> membersOf(const KernelType &type) const {
    std::vector<KernelMember> out;
    const kernel::UserBinary *binary = binaryOf(type.scope);
    if (!binary)
      return out;
    for (const auto &m : binary->members(userType(type)))
      out.push_back({m.name, m.bitOffset, m.bitSize, typeOf(*binary, m.type)});
    return out;
  }
};

UserProbes::UserProbes(std::string searchPath) : state_(std::make_unique<State>()) {
  state_->searchPath = std::move(searchPath);
  State *state = state_.get();
  source_.match = [state](const std::string &binary, const std::string &pattern, std::vector<UserMatch> &out,
                          std::string &error) { return state->match(binary, pattern, out, error); };
  source_.prototype = [state](const UserMatch &match) { return state->prototypeOf(match); };
  source_.pointee = [state](const KernelType &type) { return state->pointeeOf(type); };
  source_.members = [state](const KernelType &type) { return state->membersOf(type); };
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
