#include "kernel/btf_types.h"

#include "support/text.h"

#include <optional>

#include <bpf/btf.h>

#include <algorithm>
#include <cctype>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <map>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace mstap::kernel {

namespace {

// Type chains deeper than this only come from malformed BTF; stop rather
// than recurse without end.
constexpr int kMaxTypeDepth = 64;

// Puts a type's base spelling in front of the declarator built so far:
// "char" + "*buf" gives "char* buf", "int" + "[4]" gives "int[4]",
// "int" + "(*)(void)" gives "int (*)(void)".
std::string attach(const std::string &base, const std::string &declarator) {
  size_t stars = declarator.find_first_not_of('*');
  if (stars == std::string::npos)
    return base + declarator;
  if (stars == 0 && declarator[0] == '[')
    return base + declarator;
  return base + declarator.substr(0, stars) + " " + declarator.substr(stars);
}

// An array or function declarator binds tighter than '*', so a pointer to
// one needs parentheses: "(*)[4]", "(*callback)(int)".
std::string bindTighterThanPointer(const std::string &declarator) {
  if (!declarator.empty() && declarator[0] == '*')
    return "(" + declarator + ")";
  return declarator;
}

const char *nameOf(const struct btf *parsed, const btf_type *type) {
  const char *name = btf__name_by_offset(parsed, type->name_off);
  return name ? name : "";
}

// Split BTF from memory. libbpf 1.1 (Debian 12's) declares btf__new_split()
// in btf.h but its library does not export it, so the blob goes into an
// anonymous in-memory file that btf__parse_raw_split() can open by path.
struct btf *parseSplitBlob(std::string_view blob, struct btf *base) {
  int fd = ::memfd_create("mstap-split-btf", MFD_CLOEXEC);
  if (fd < 0)
    return nullptr;
  size_t written = 0;
  while (written < blob.size()) {
    ssize_t put = ::write(fd, blob.data() + written, blob.size() - written);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0) {
      int error = errno;
      ::close(fd);
      errno = error;
      return nullptr;
    }
    written += static_cast<size_t>(put);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  struct btf *parsed = btf__parse_raw_split(path.c_str(), base);
  int error = errno;
  ::close(fd);
  errno = error;
  return parsed;
}

} // namespace

OrError<std::shared_ptr<const Btf>> Btf::parse(std::string_view blob, const std::string &origin,
                                               std::shared_ptr<const Btf> base) {
  using Result = OrError<std::shared_ptr<const Btf>>;
  if (blob.size() > UINT32_MAX)
    return Result::failure(origin + ": BTF larger than 4 GiB");
  // libbpf copies the blob. It takes the base as non-const, but only reads it.
  errno = 0;
  struct btf *parsed = base ? parseSplitBlob(blob, const_cast<struct btf *>(base->btf_))
                            : btf__new(blob.data(), static_cast<uint32_t>(blob.size()));
  if (!parsed) {
    int error = errno;
    return Result::failure(origin + ": not valid BTF (libbpf: " + std::strerror(error) + ")");
  }
  return std::shared_ptr<const Btf>(new Btf(parsed, std::move(base)));
}

Btf::~Btf() { btf__free(btf_); }

uint32_t Btf::typeCount() const { return btf__type_cnt(btf_); }

// Spells a FUNC's prototype. `spelling` spells a type id (callers may
// cache: a kernel's prototypes use a few thousand types over and over).
template <typename Spelling>
static std::optional<Prototype> spellPrototype(const Btf &btf, const struct btf *handle, uint32_t funcId,
                                               const std::string &name, Spelling &&spelling) {
  const btf_type *type = btf__type_by_id(handle, funcId);
  if (!type || !btf_is_func(type))
    return std::nullopt;
  const btf_type *proto = btf__type_by_id(handle, type->type);
  if (!proto || !btf_is_func_proto(proto))
    return std::nullopt;
  // "TYPE NAME" is the C declaration unless the type has a declarator that
  // the name goes inside of: a function pointer or an array.
  auto declare = [&](uint32_t id, const char *paramName) {
    const std::string &spelled = spelling(id);
    if (spelled.find_first_of("([") != std::string::npos)
      return btf.declaration(id, paramName);
    return *paramName ? spelled + " " + paramName : spelled;
  };
  Prototype prototype;
  prototype.returnType = spelling(proto->type);
  prototype.returnTypeId = proto->type;
  std::string parameterList;
  const btf_param *params = btf_params(proto);
  uint16_t count = btf_vlen(proto);
  for (uint16_t i = 0; i < count; ++i) {
    if (!parameterList.empty())
      parameterList += ", ";
    // C's "..." is a last parameter of type void without a name.
    if (i + 1 == count && params[i].type == 0) {
      prototype.variadic = true;
      parameterList += "...";
      break;
    }
    const char *paramName = btf__name_by_offset(handle, params[i].name_off);
    if (!paramName)
      paramName = "";
    prototype.parameters.push_back({paramName, spelling(params[i].type), params[i].type});
    parameterList += declare(params[i].type, paramName);
  }
  if (prototype.returnType.find_first_of("([") != std::string::npos)
    prototype.declaration = btf.declaration(funcId, name);
  else
    prototype.declaration =
        prototype.returnType + " " + name + "(" + (parameterList.empty() ? "void" : parameterList) + ")";
  return prototype;
}

std::vector<BtfFunction> Btf::functions(bool withPrototypes) const {
  std::vector<BtfFunction> functions;
  uint32_t first = base_ ? base_->typeCount() : 1;
  uint32_t end = typeCount();

  std::vector<std::string> spelled(withPrototypes ? end : 0);
  std::vector<bool> isSpelled(withPrototypes ? end : 0);
  auto spelling = [&](uint32_t id) -> const std::string & {
    if (id >= end)
      return spelled[0] = "?";
    if (!isSpelled[id]) {
      spelled[id] = typeName(id);
      isSpelled[id] = true;
    }
    return spelled[id];
  };

  for (uint32_t id = first; id < end; ++id) {
    const btf_type *type = btf__type_by_id(btf_, id);
    if (!type || !btf_is_func(type))
      continue;
    BtfFunction function;
    function.name = nameOf(btf_, type);
    function.typeId = id;
    function.isStatic = btf_vlen(type) == BTF_FUNC_STATIC; // a FUNC's vlen holds its linkage
    if (withPrototypes)
      if (auto prototype = spellPrototype(*this, btf_, id, function.name, spelling))
        function.prototype = std::move(*prototype);
    functions.push_back(std::move(function));
  }
  return functions;
}

std::optional<Prototype> Btf::prototypeOf(uint32_t funcId) const {
  const btf_type *type = btf__type_by_id(btf_, funcId);
  if (!type || !btf_is_func(type))
    return std::nullopt;
  std::string spelled;
  return spellPrototype(*this, btf_, funcId, nameOf(btf_, type), [&](uint32_t id) -> const std::string & {
    return spelled = typeName(id);
  });
}

std::vector<Tracepoint> Btf::tracepoints() const {
  static const std::string_view typedefPrefix = "btf_trace_", functionPrefix = "__bpf_trace_";
  struct Named {
    std::string_view name; // after the prefix
    const btf_type *proto;
  };
  std::vector<Named> events, templates;
  uint32_t end = typeCount();
  for (uint32_t id = 1; id < end; ++id) {
    const btf_type *type = btf__type_by_id(btf_, id);
    if (!type || (!btf_is_typedef(type) && !btf_is_func(type)))
      continue;
    std::string_view name = nameOf(btf_, type);
    if (btf_is_typedef(type) && name.substr(0, typedefPrefix.size()) == typedefPrefix) {
      const btf_type *pointer = btf__type_by_id(btf_, type->type);
      const btf_type *proto = pointer && btf_is_ptr(pointer) ? btf__type_by_id(btf_, pointer->type) : nullptr;
      events.push_back({name.substr(typedefPrefix.size()), proto && btf_is_func_proto(proto) ? proto : nullptr});
    } else if (btf_is_func(type) && name.substr(0, functionPrefix.size()) == functionPrefix) {
      const btf_type *proto = btf__type_by_id(btf_, type->type);
      if (proto && btf_is_func_proto(proto))
        templates.push_back({name.substr(functionPrefix.size()), proto});
    }
  }
  // Templates by their argument types: an event's names come from the
  // template with its own name, else the one sharing the longest prefix
  // with it (sched_wakeup's is sched_wakeup_template).
  auto signature = [](const btf_type *proto) {
    std::string key;
    const btf_param *params = btf_params(proto);
    for (uint16_t i = 0; i < btf_vlen(proto); ++i)
      key += std::to_string(params[i].type) + ",";
    return key;
  };
  std::multimap<std::string, const Named *> bySignature;
  for (const Named &t : templates)
    bySignature.emplace(signature(t.proto), &t);
  std::map<uint32_t, std::string> spelled;
  auto spelling = [&](uint32_t id) -> const std::string & {
    auto it = spelled.find(id);
    return it != spelled.end() ? it->second : spelled.emplace(id, typeName(id)).first->second;
  };
  std::vector<Tracepoint> out;
  out.reserve(events.size());
  for (const Named &event : events) {
    Tracepoint tp;
    tp.name = std::string(event.name);
    const btf_param *params = event.proto ? btf_params(event.proto) : nullptr;
    uint16_t count = event.proto ? btf_vlen(event.proto) : 0;
    const btf_type *first = count ? btf__type_by_id(btf_, params[0].type) : nullptr;
    tp.prototypeKnown = first && btf_is_ptr(first) && first->type == 0; // void *data
    if (tp.prototypeKnown) {
      const Named *names = nullptr;
      size_t bestPrefix = 0;
      auto [from, to] = bySignature.equal_range(signature(event.proto));
      for (auto it = from; it != to; ++it) {
        std::string_view candidate = it->second->name;
        size_t prefix = 0;
        while (prefix < candidate.size() && prefix < event.name.size() && candidate[prefix] == event.name[prefix])
          ++prefix;
        if (candidate == event.name)
          prefix = SIZE_MAX;
        if (!names || prefix > bestPrefix) {
          names = it->second;
          bestPrefix = prefix;
        }
      }
      for (uint16_t i = 1; i < count; ++i) {
        const char *name = names ? btf__name_by_offset(btf_, btf_params(names->proto)[i].name_off) : nullptr;
        tp.arguments.push_back({name && *name ? std::string(name) : "arg" + std::to_string(i),
                                spelling(params[i].type), params[i].type});
      }
    }
    out.push_back(std::move(tp));
  }
  return out;
}

CType Btf::resolve(uint32_t id) const {
  CType info;
  info.source = this;
  for (int depth = 0; depth <= kMaxTypeDepth; ++depth) {
    info.id = id;
    if (id == 0) {
      info.kind = CType::Kind::Void;
      return info;
    }
    const btf_type *type = btf__type_by_id(btf_, id);
    if (!type)
      return info;
    switch (btf_kind(type)) {
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      id = type->type;
      continue;
    case BTF_KIND_INT:
      info.kind = CType::Kind::Integer;
      info.size = type->size;
      info.isSigned = (btf_int_encoding(type) & BTF_INT_SIGNED) != 0;
      return info;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      info.kind = CType::Kind::Enum;
      info.size = type->size;
      info.isSigned = btf_kflag(type); // libbpf sets kflag for signed enums
      return info;
    case BTF_KIND_PTR:
      info.kind = CType::Kind::Pointer;
      info.size = 8;
      return info;
    case BTF_KIND_STRUCT:
      info.kind = CType::Kind::Struct;
      info.size = type->size;
      return info;
    case BTF_KIND_UNION:
      info.kind = CType::Kind::Union;
      info.size = type->size;
      return info;
    case BTF_KIND_FWD:
      info.kind = btf_kflag(type) ? CType::Kind::Union : CType::Kind::Struct;
      return info;
    case BTF_KIND_ARRAY: {
      const struct btf_array *array = btf_array(type);
      info.kind = CType::Kind::Array;
      info.elements = array->nelems;
      info.size = resolve(array->type).size * array->nelems;
      return info;
    }
    case BTF_KIND_FUNC_PROTO:
    case BTF_KIND_FUNC:
      info.kind = CType::Kind::Function;
      return info;
    case BTF_KIND_FLOAT:
      info.kind = CType::Kind::Float;
      info.size = type->size;
      return info;
    default:
      return info;
    }
  }
  return info;
}

CType Btf::type(uint32_t id, std::string spelling) const {
  CType type = resolve(id);
  type.spelling = spelling.empty() ? typeName(id) : std::move(spelling);
  return type;
}

std::optional<CType> Btf::pointee(const CType &of) const {
  if (of.source != this)
    return std::nullopt;
  const btf_type *type = btf__type_by_id(btf_, static_cast<uint32_t>(of.id));
  if (type && btf_is_ptr(type))
    return this->type(type->type);
  if (type && btf_is_array(type))
    return this->type(btf_array(type)->type);
  return std::nullopt;
}

std::vector<CMember> Btf::members(const CType &container) const {
  std::vector<CMember> out;
  if (container.source != this)
    return out;
  // Depth first, in declaration order.
  auto walk = [&](auto &self, uint32_t structId, uint64_t base, int depth) -> void {
    if (depth > kMaxTypeDepth)
      return;
    const btf_type *type = btf__type_by_id(btf_, structId);
    if (!type || !(btf_is_struct(type) || btf_is_union(type)))
      return;
    const btf_member *members = btf_members(type);
    for (uint16_t i = 0; i < btf_vlen(type); ++i) {
      const char *name = btf__name_by_offset(btf_, members[i].name_off);
      uint64_t offset = base + btf_member_bit_offset(type, i);
      if (!name || !*name) {
        CType inner = resolve(members[i].type);
        if (inner.kind == CType::Kind::Struct || inner.kind == CType::Kind::Union)
          self(self, static_cast<uint32_t>(inner.id), offset, depth + 1);
        continue;
      }
      out.push_back({name, offset, btf_member_bitfield_size(type, i), this->type(members[i].type)});
    }
  };
  walk(walk, static_cast<uint32_t>(container.id), 0, 0);
  return out;
}

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// "struct T *" as (kind keyword, "T", pointer levels).
struct TypeWords {
  std::string_view keyword; // "struct", "union", "enum" or empty
  std::string name;
  int pointers = 0;
};

TypeWords typeWords(std::string_view text) {
  TypeWords words;
  text = trimmed(text);
  while (!text.empty() && text.back() == '*') {
    ++words.pointers;
    text = trimmed(text.substr(0, text.size() - 1));
  }
  for (std::string_view keyword : {"struct", "union", "enum"})
    if (text.size() > keyword.size() && text.substr(0, keyword.size()) == keyword &&
        std::isspace(static_cast<unsigned char>(text[keyword.size()]))) {
      words.keyword = keyword;
      text = trimmed(text.substr(keyword.size()));
    }
  // Base types are named with single spaces in BTF ("unsigned int").
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!words.name.empty() && words.name.back() != ' ')
        words.name += ' ';
    } else {
      words.name += c;
    }
  }
  return words;
}

} // namespace

std::optional<CType> Btf::findType(std::string_view text) const {
  TypeWords words = typeWords(text);
  if (words.name.empty())
    return std::nullopt;
  std::vector<uint32_t> kinds;
  if (words.keyword == "struct")
    kinds = {BTF_KIND_STRUCT};
  else if (words.keyword == "union")
    kinds = {BTF_KIND_UNION};
  else if (words.keyword == "enum")
    kinds = {BTF_KIND_ENUM, BTF_KIND_ENUM64};
  else
    kinds = {BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF, BTF_KIND_INT, BTF_KIND_ENUM, BTF_KIND_ENUM64};
  int32_t id = -1;
  for (uint32_t kind : kinds) {
    id = btf__find_by_name_kind(btf_, words.name.c_str(), kind);
    if (id > 0)
      break;
  }
  if (id <= 0 && words.name == "void" && words.keyword.empty())
    id = 0;
  else if (id <= 0)
    return std::nullopt;
  uint32_t found = static_cast<uint32_t>(id);
  // A pointer to it is a BTF_KIND_PTR somewhere in the types, if anything
  // in the kernel declares one; pointee() and members() need a real id.
  for (int level = 0; level < words.pointers; ++level) {
    uint32_t pointer = 0;
    for (uint32_t candidate = 1, end = typeCount(); candidate < end && !pointer; ++candidate) {
      const btf_type *type = btf__type_by_id(btf_, candidate);
      if (type && btf_is_ptr(type) && type->type == found)
        pointer = candidate;
    }
    if (!pointer)
      return std::nullopt;
    found = pointer;
  }
  return type(found);
}

std::string Btf::similarTypeNames(std::string_view text) const {
  TypeWords words = typeWords(text);
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(2, words.name.size() / 3);
  for (uint32_t id = 1, end = typeCount(); id < end; ++id) {
    const btf_type *type = btf__type_by_id(btf_, id);
    if (!type)
      continue;
    bool wanted = words.keyword == "struct" ? btf_is_struct(type)
                  : words.keyword == "union" ? btf_is_union(type)
                  : words.keyword == "enum"  ? btf_is_any_enum(type)
                                             : btf_is_composite(type) || btf_is_typedef(type) || btf_is_any_enum(type);
    if (!wanted)
      continue;
    const char *name = nameOf(btf_, type);
    size_t length = std::strlen(name);
    if (!*name || (length > words.name.size() ? length - words.name.size() : words.name.size() - length) > limit)
      continue;
    size_t d = editDistance(words.name, name);
    if (d <= limit && words.name != name)
      scored.emplace_back(d, name);
  }
  return closestNames(scored);
}

std::string Btf::typeName(uint32_t id) const { return declare(id, "", 0); }

std::string Btf::declaration(uint32_t id, std::string_view name) const { return declare(id, std::string(name), 0); }

std::string Btf::parameterList(uint32_t protoId, int depth) const {
  const btf_type *proto = btf__type_by_id(btf_, protoId);
  const btf_param *params = btf_params(proto);
  uint16_t count = btf_vlen(proto);
  if (count == 0)
    return "(void)";
  std::string list = "(";
  for (uint16_t i = 0; i < count; ++i) {
    if (i)
      list += ", ";
    if (i + 1 == count && params[i].type == 0) {
      list += "...";
      break;
    }
    const char *name = btf__name_by_offset(btf_, params[i].name_off);
    list += declare(params[i].type, name ? name : "", depth + 1);
  }
  return list + ")";
}

// Builds a C declaration inside out, as C's declarator syntax requires:
// `inner` is what has been built from the outer types so far ("*buf" for a
// pointer named buf), and each step wraps it with the next type down.
std::string Btf::declare(uint32_t id, std::string inner, int depth) const {
  if (depth > kMaxTypeDepth)
    return attach("?", inner);
  if (id == 0)
    return attach("void", inner);
  const btf_type *type = btf__type_by_id(btf_, id);
  if (!type)
    return attach("?", inner);
  const std::string name = nameOf(btf_, type);
  switch (btf_kind(type)) {
  case BTF_KIND_INT:
  case BTF_KIND_FLOAT:
  case BTF_KIND_TYPEDEF:
    return attach(name, inner);
  case BTF_KIND_STRUCT:
    return attach("struct " + (name.empty() ? std::string("{...}") : name), inner);
  case BTF_KIND_UNION:
    return attach("union " + (name.empty() ? std::string("{...}") : name), inner);
  case BTF_KIND_ENUM:
  case BTF_KIND_ENUM64:
    return attach("enum " + (name.empty() ? std::string("{...}") : name), inner);
  case BTF_KIND_FWD:
    return attach((btf_kflag(type) ? "union " : "struct ") + name, inner);
  case BTF_KIND_CONST:
  case BTF_KIND_VOLATILE:
  case BTF_KIND_RESTRICT: {
    const char *qualifier = btf_is_const(type) ? "const" : btf_is_volatile(type) ? "volatile" : "restrict";
    const btf_type *target = btf__type_by_id(btf_, type->type);
    // A qualified pointer is "char* const p"; a qualified anything else is
    // "const char".
    if (target && btf_is_ptr(target))
      return declare(type->type, std::string(qualifier) + (inner.empty() ? "" : " " + inner), depth + 1);
    return std::string(qualifier) + " " + declare(type->type, inner, depth + 1);
  }
  case BTF_KIND_TYPE_TAG: // annotations such as __user; not part of the C type
    return declare(type->type, inner, depth + 1);
  case BTF_KIND_PTR:
    return declare(type->type, "*" + inner, depth + 1);
  case BTF_KIND_ARRAY: {
    const struct btf_array *array = btf_array(type);
    return declare(array->type, bindTighterThanPointer(inner) + "[" + std::to_string(array->nelems) + "]",
                   depth + 1);
  }
  case BTF_KIND_FUNC_PROTO:
    return declare(type->type, bindTighterThanPointer(inner) + parameterList(id, depth), depth + 1);
  case BTF_KIND_FUNC:
    return declare(type->type, inner, depth + 1);
  default:
    return attach("?", inner);
  }
}

} // namespace mstap::kernel
