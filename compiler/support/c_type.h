// One model of a C type, for the kernel's BTF and a program's DWARF alike:
// what pass 2 needs to read a value of it (kind, size, signedness, array
// length), its spelling as declared, and the way to its pointee and members.
// The readers (kernel/btf_types.h, kernel/user_binary.h) make these and
// answer for them as their TypeSource; pass 2 (sema) resolves target
// variables through them without knowing which reader it talks to. Here in
// support/ because sema does not link the readers' library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mstap {

class TypeSource;
struct CMember;

// A C type, typedefs and qualifiers looked through for the kind, size and
// signedness; `spelling` keeps the C text as declared ("size_t",
// "struct file*", "const char*").
struct CType {
  enum class Kind { Void, Integer, Enum, Pointer, Struct, Union, Array, Function, Float, Other };
  Kind kind = Kind::Other;
  std::string spelling;
  uint32_t size = 0;     // bytes; 8 for a pointer, 0 for void and functions
  bool isSigned = false; // integers and enums
  uint64_t elements = 0; // arrays: the length (0 for a flexible array member or when unknown)
  // The reader that made this type and its own name for it (a BTF type id,
  // a DIE's offset in .debug_info): what pointee() and members() ask. A
  // type without a source has neither. Valid while the reader lives.
  const TypeSource *source = nullptr;
  uint64_t id = 0;

  // What a pointer points to, or an array's element type; nullopt otherwise.
  std::optional<CType> pointee() const;
  // The members of a struct or union; empty for other types.
  std::vector<CMember> members() const;
};

// A member of a struct or union; members of anonymous structs and unions
// inside it are listed as its own, with their offsets added.
struct CMember {
  std::string name;
  uint64_t bitOffset = 0;
  uint32_t bitSize = 0; // non-zero for a bitfield
  CType type;
};

// A parameter of a function, or an argument of a tracepoint.
struct CParameter {
  std::string name; // may be empty when the reader does not name it
  CType type;
};

// A function's prototype as far as pass 2 needs it; a tracepoint's is its
// arguments, returning void.
struct CPrototype {
  std::vector<CParameter> params;
  CType returns; // kind Void, spelled "void", for none
};

// What a reader implements to answer for the types it made.
class TypeSource {
public:
  virtual ~TypeSource() = default;
  virtual std::optional<CType> pointee(const CType &type) const = 0;
  virtual std::vector<CMember> members(const CType &type) const = 0;
};

inline std::optional<CType> CType::pointee() const {
  return source ? source->pointee(*this) : std::nullopt;
}

inline std::vector<CMember> CType::members() const {
  return source ? source->members(*this) : std::vector<CMember>{};
}

} // namespace mstap
