// A user-space binary, as process("PATH") probe points need it: its defined
// functions from DWARF (name, declaration file:line, parameters and return
// type spelled as stap prints them), each entry's offset in the file (what
// uprobes take, with the binary's inode), and the types behind member
// chains. Read with LLVM's Object and DebugInfo/DWARF libraries.
#pragma once

#include "kernel/or_error.h"
#include "support/c_type.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mstap::kernel {

struct UserFunction {
  std::string name;
  std::string file; // the declaration's source file, as DWARF's line table names it
  uint64_t line = 0;
  uint64_t address = 0;    // the entry's virtual address (DW_AT_low_pc)
  uint64_t fileOffset = 0; // the same instruction's offset in the file
  std::vector<CParameter> parameters;
  CType returnType; // kind Void for a void function
  bool variadic = false;
};

// The types of its functions answer through it (CType::source): their
// pointees and members, read from the DWARF on demand.
class UserBinary : public TypeSource {
public:
  ~UserBinary() override;
  UserBinary(const UserBinary &) = delete;
  UserBinary &operator=(const UserBinary &) = delete;

  // Reads the ELF file at `path` and the DWARF of every function it defines.
  // Errors say what is wrong: no such file, not an ELF file, not x86-64,
  // no DWARF (built without -g).
  static OrError<std::unique_ptr<UserBinary>> open(const std::string &path);

  const std::string &path() const { return path_; }
  // Defined functions (with code), sorted by name then address; one entry
  // an address.
  const std::vector<UserFunction> &functions() const { return functions_; }

  // Functions matching a stap function pattern: NAME (a glob), optionally
  // followed by @FILE (a glob over the declaration file's full path or any
  // tail of it after a '/') and :LINE (a glob over the declaration's line).
  std::vector<const UserFunction *> match(const std::string &pattern) const;
  // Up to five defined function names close to `name`, comma-separated.
  std::string similarFunctions(const std::string &name) const;

  // A type by the name a script gives @cast ("struct T", "union U",
  // "enum E", or a bare name tried as a struct, union, typedef, base type
  // and enum; trailing '*'s for pointers), from the first unit defining it.
  std::optional<CType> findType(const std::string &name) const;
  // Up to five type names close to `name`, comma-separated.
  std::string similarTypeNames(const std::string &name) const;

  // What a pointer points to, or an array's element type.
  std::optional<CType> pointee(const CType &type) const override;
  // The members of a struct or union; members of anonymous structs and
  // unions inside it are listed as its own, with their offsets added.
  std::vector<CMember> members(const CType &type) const override;

private:
  struct Dwarf;
  UserBinary() = default;
  std::string path_;
  std::vector<UserFunction> functions_;
  std::unique_ptr<Dwarf> dwarf_;
};

// Whether the ELF program at `path` asks for a program interpreter
// (PT_INTERP: a dynamically linked program needs ld.so and its libraries).
// False when it cannot be read.
bool needsInterpreter(const std::string &path);

// Where stap looks for process("NAME"): NAME itself when it holds a '/',
// else the first executable NAME in the folders of `searchPath` (like
// $PATH). Returns an absolute, normalised path, or an error.
OrError<std::string> resolveUserBinaryPath(const std::string &name, const std::string &searchPath);

} // namespace mstap::kernel
