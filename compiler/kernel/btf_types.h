// The kernel's BTF (BPF Type Format) as parsed by libbpf: the functions it
// describes, with their prototypes spelled as C types. A module's BTF is
// "split" BTF: its type ids continue those of vmlinux's BTF, which it builds on.
#pragma once

#include "kernel/or_error.h"
#include "support/c_type.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct btf;

namespace mstap::kernel {

struct Parameter {
  std::string name; // empty when the BTF does not name it
  std::string type; // C spelling, e.g. "struct file*", "const char*", "size_t"
  uint32_t typeId = 0; // in the BTF the prototype came from
};

struct Prototype {
  std::string returnType;
  uint32_t returnTypeId = 0; // 0: void
  std::vector<Parameter> parameters;
  bool variadic = false;
  // The whole C declaration, e.g. "ssize_t vfs_read(struct file* file, char* buf,
  // size_t count, loff_t* pos)".
  std::string declaration;
};

struct BtfFunction {
  std::string name;
  uint32_t typeId = 0; // of the BTF_KIND_FUNC entry
  bool isStatic = false;
  Prototype prototype;
};

// A tracepoint, from the "btf_trace_NAME" typedef the kernel's BTF holds for
// each: a pointer to the prototype its probes are called with, (void *data,
// ARGS...). `arguments` are ARGS; the typedef's prototype names none of
// them, so their names come from the "__bpf_trace_TEMPLATE" function of the
// same argument types (TEMPLATE is the event itself or its event class),
// else they are arg1, arg2, ...
struct Tracepoint {
  std::string name;
  std::vector<Parameter> arguments;
  bool prototypeKnown = false; // false: the typedef is not a pointer to (void *, ...)
};

// Besides parsing, a Btf answers for the types it made (CType::source):
// their pointees and members.
class Btf : public TypeSource {
public:
  // Parses a raw BTF blob (a .BTF section or /sys/kernel/btf/*). With `base`,
  // the blob is split BTF on top of it, and `base` is kept alive as long as
  // this object. `origin` names the blob in messages.
  static OrError<std::shared_ptr<const Btf>> parse(std::string_view blob, const std::string &origin,
                                                   std::shared_ptr<const Btf> base = nullptr);
  ~Btf() override;
  Btf(const Btf &) = delete;
  Btf &operator=(const Btf &) = delete;

  // The BTF_KIND_FUNC entries in type-id order; for split BTF only its own,
  // not its base's. Without prototypes it is several times faster: spelling
  // 45,000 prototypes is most of the cost of loading a kernel.
  std::vector<BtfFunction> functions(bool withPrototypes = true) const;
  // The prototype of the FUNC entry `funcId`, spelled on demand.
  std::optional<Prototype> prototypeOf(uint32_t funcId) const;

  // Every tracepoint this BTF describes, in type-id order (one pass over
  // the types; argument types spelled once each).
  std::vector<Tracepoint> tracepoints() const;

  // The C spelling of type `id`, e.g. "struct file*", "int (*)(void*)".
  std::string typeName(uint32_t id) const;
  // The C declaration of `name` with type `id`, e.g. "char* buf",
  // "int (*callback)(void*)".
  std::string declaration(uint32_t id, std::string_view name) const;

  // Type `id` as a CType: kind, size and signedness with its typedefs and
  // qualifiers looked through, spelled as declared (or as `spelling`, when
  // the caller has it already).
  CType type(uint32_t id, std::string spelling = {}) const;
  // A pointer's pointee or an array's element, for a type this BTF made.
  std::optional<CType> pointee(const CType &type) const override;
  // The named members of a struct or union this BTF made, anonymous members
  // flattened; empty for any other kind.
  std::vector<CMember> members(const CType &type) const override;

  // A type by the name a script gives @cast: "struct task_struct",
  // "union U", "enum E", or a bare name tried as a struct, union, typedef,
  // base type and enum in that order ("task_struct", "pid_t", "int");
  // trailing '*'s make pointers to it. Split BTF finds its base's types too.
  std::optional<CType> findType(std::string_view name) const;
  // Up to five struct, union, typedef and enum names close to `name`
  // (without its "struct " or "union "), comma-separated.
  std::string similarTypeNames(std::string_view name) const;

  // How many type ids this BTF defines, its base's included, plus one for void.
  uint32_t typeCount() const;
  const struct btf *handle() const { return btf_; }

private:
  Btf(struct btf *parsed, std::shared_ptr<const Btf> base) : btf_(parsed), base_(std::move(base)) {}
  // type() without the spelling, which costs most: `id` of the result is the
  // type with its typedefs and qualifiers skipped.
  CType resolve(uint32_t id) const;
  std::string declare(uint32_t id, std::string inner, int depth) const;
  std::string parameterList(uint32_t protoId, int depth) const;

  struct btf *btf_;
  std::shared_ptr<const Btf> base_;
};

} // namespace mstap::kernel
