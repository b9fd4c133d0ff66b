#include "kernel/user_binary.h"
#include "support/text.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/DebugInfo/DWARF/DWARFDie.h>
#include <llvm/DebugInfo/DWARF/DWARFFormValue.h>
#include <llvm/DebugInfo/DWARF/DWARFUnit.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Error.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fnmatch.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace mstap::kernel {

namespace {

using llvm::DWARFDie;
namespace dw = llvm::dwarf;

// Type chains deeper than this only come from malformed DWARF (or a cycle).
constexpr int kMaxTypeDepth = 64;

// "char" + "*" gives "char*"; "int" + "[4]" gives "int[4]"; "int" + "(*)(int)"
// gives "int (*)(int)": the spelling stap prints for target variables.
std::string attach(const std::string &base, const std::string &declarator) {
  size_t stars = declarator.find_first_not_of('*');
  if (stars == std::string::npos || (stars == 0 && declarator[0] == '['))
    return base + declarator;
  return base + declarator.substr(0, stars) + " " + declarator.substr(stars);
}

// Array and function declarators bind tighter than '*'.
std::string bindTighter(const std::string &declarator) {
  return !declarator.empty() && declarator[0] == '*' ? "(" + declarator + ")" : declarator;
}

// The DIE a reference names; invalid when it names nothing or a null entry
// (damaged DWARF): LLVM 14 crashes walking a null entry's attributes.
DWARFDie referenced(const DWARFDie &from, const llvm::DWARFFormValue &value) {
  DWARFDie target = from.getAttributeValueAsReferencedDie(value);
  return target.isValid() && !target.isNULL() ? target : DWARFDie();
}

DWARFDie typeOf(const DWARFDie &die) {
  if (auto value = die.findRecursively({dw::DW_AT_type}))
    return referenced(die, *value);
  return {};
}

std::string nameOf(const DWARFDie &die) {
  const char *name = die.getShortName();
  return name ? name : "";
}

// An attribute of the DIE itself, read by walking its attributes: LLVM 14's
// DWARFDie::find misreads DW_FORM_implicit_const values that are not first in
// their abbreviation, and GCC 12 writes decl_file and sizes that way.
llvm::Optional<llvm::DWARFFormValue> attributeOf(const DWARFDie &die, dw::Attribute attribute) {
  if (!die.isValid() || die.isNULL())
    return llvm::None;
  for (const llvm::DWARFAttribute &a : die.attributes())
    if (a.Attr == attribute)
      return a.Value;
  return llvm::None;
}

uint64_t unsignedAttribute(const DWARFDie &die, dw::Attribute attribute, uint64_t fallback = 0) {
  return dw::toUnsigned(attributeOf(die, attribute), fallback);
}

bool isQualifier(dw::Tag tag) {
  return tag == dw::DW_TAG_typedef || tag == dw::DW_TAG_const_type || tag == dw::DW_TAG_volatile_type ||
         tag == dw::DW_TAG_restrict_type || tag == dw::DW_TAG_atomic_type;
}

// The type with typedefs and qualifiers looked through; invalid for void.
DWARFDie strip(DWARFDie die) {
  for (int depth = 0; die.isValid() && isQualifier(die.getTag()) && depth < kMaxTypeDepth; ++depth)
    die = typeOf(die);
  return die;
}

std::string spell(const DWARFDie &die, const std::string &inner, int depth = 0);

std::string parameterList(const DWARFDie &function, int depth) {
  std::string list;
  bool any = false;
  for (const DWARFDie &child : function.children()) {
    if (child.getTag() == dw::DW_TAG_formal_parameter) {
      list += (any ? ", " : "") + spell(typeOf(child), "", depth + 1);
      any = true;
    } else if (child.getTag() == dw::DW_TAG_unspecified_parameters) {
      list += any ? ", ..." : "...";
      any = true;
    }
  }
  return "(" + (any ? list : std::string("void")) + ")";
}

std::string spell(const DWARFDie &die, const std::string &inner, int depth) {
  if (depth > kMaxTypeDepth)
    return attach("?", inner);
  if (!die.isValid())
    return attach("void", inner);
  std::string name = nameOf(die);
  auto tagged = [&](const char *keyword) {
    return attach(std::string(keyword) + " " + (name.empty() ? std::string("{...}") : name), inner);
  };
  switch (die.getTag()) {
  case dw::DW_TAG_base_type:
  case dw::DW_TAG_typedef:
  case dw::DW_TAG_unspecified_type:
    return attach(name.empty() ? "?" : name, inner);
  case dw::DW_TAG_structure_type:
    return tagged("struct");
  case dw::DW_TAG_class_type:
    return tagged("class");
  case dw::DW_TAG_union_type:
    return tagged("union");
  case dw::DW_TAG_enumeration_type:
    return tagged("enum");
  case dw::DW_TAG_const_type:
  case dw::DW_TAG_volatile_type:
  case dw::DW_TAG_restrict_type:
  case dw::DW_TAG_atomic_type: {
    dw::Tag tag = die.getTag();
    const char *qualifier = tag == dw::DW_TAG_const_type      ? "const"
                            : tag == dw::DW_TAG_volatile_type ? "volatile"
                            : tag == dw::DW_TAG_restrict_type ? "restrict"
                                                              : "_Atomic";
    DWARFDie target = typeOf(die);
    // A qualified pointer is "char* const"; anything else "const char".
    if (target.isValid() && target.getTag() == dw::DW_TAG_pointer_type)
      return spell(target, std::string(qualifier) + (inner.empty() ? "" : " " + inner), depth + 1);
    return std::string(qualifier) + " " + spell(target, inner, depth + 1);
  }
  case dw::DW_TAG_pointer_type:
    return spell(typeOf(die), "*" + inner, depth + 1);
  case dw::DW_TAG_reference_type:
    return spell(typeOf(die), "&" + inner, depth + 1);
  case dw::DW_TAG_rvalue_reference_type:
    return spell(typeOf(die), "&&" + inner, depth + 1);
  case dw::DW_TAG_array_type: {
    std::string dimensions;
    for (const DWARFDie &child : die.children()) {
      if (child.getTag() != dw::DW_TAG_subrange_type)
        continue;
      if (auto count = dw::toUnsigned(attributeOf(child, dw::DW_AT_count)))
        dimensions += fmt::format("[{}]", *count);
      else if (auto upper = dw::toUnsigned(attributeOf(child, dw::DW_AT_upper_bound)))
        dimensions += fmt::format("[{}]", *upper + 1);
      else
        dimensions += "[]";
    }
    return spell(typeOf(die), bindTighter(inner) + (dimensions.empty() ? "[]" : dimensions), depth + 1);
  }
  case dw::DW_TAG_subroutine_type:
    return spell(typeOf(die), bindTighter(inner) + parameterList(die, depth), depth + 1);
  default:
    return attach("?", inner);
  }
}

// The element count of an array type (0 when unknown or flexible).
uint64_t arrayElements(const DWARFDie &array) {
  uint64_t total = 1;
  bool any = false;
  for (const DWARFDie &child : array.children()) {
    if (child.getTag() != dw::DW_TAG_subrange_type)
      continue;
    any = true;
    if (auto count = dw::toUnsigned(attributeOf(child, dw::DW_AT_count)))
      total *= *count;
    else if (auto upper = dw::toUnsigned(attributeOf(child, dw::DW_AT_upper_bound)))
      total *= *upper + 1;
    else
      return 0;
  }
  return any ? total : 0;
}

// The type a DIE declares; `source` answers for its pointee and members,
// which it finds by the DIE offset kept in `id` (0: void).
CType describe(const DWARFDie &declared, const TypeSource *source) {
  CType type;
  type.spelling = spell(declared, "");
  type.source = source;
  DWARFDie die = strip(declared);
  if (!die.isValid()) {
    type.kind = CType::Kind::Void;
    return type;
  }
  type.id = die.getOffset();
  type.size = static_cast<uint32_t>(unsignedAttribute(die, dw::DW_AT_byte_size));
  switch (die.getTag()) {
  case dw::DW_TAG_base_type: {
    uint64_t encoding = unsignedAttribute(die, dw::DW_AT_encoding);
    if (encoding == dw::DW_ATE_float || encoding == dw::DW_ATE_complex_float || encoding == dw::DW_ATE_decimal_float)
      type.kind = CType::Kind::Float;
    else
      type.kind = CType::Kind::Integer;
    type.isSigned = encoding == dw::DW_ATE_signed || encoding == dw::DW_ATE_signed_char;
    break;
  }
  case dw::DW_TAG_pointer_type:
  case dw::DW_TAG_reference_type:
  case dw::DW_TAG_rvalue_reference_type:
    type.kind = CType::Kind::Pointer;
    if (type.size == 0)
      type.size = 8;
    break;
  case dw::DW_TAG_structure_type:
  case dw::DW_TAG_class_type:
    type.kind = CType::Kind::Struct;
    break;
  case dw::DW_TAG_union_type:
    type.kind = CType::Kind::Union;
    break;
  case dw::DW_TAG_enumeration_type: {
    type.kind = CType::Kind::Enum;
    DWARFDie underlying = strip(typeOf(die));
    if (underlying.isValid()) {
      uint64_t encoding = unsignedAttribute(underlying, dw::DW_AT_encoding);
      type.isSigned = encoding == dw::DW_ATE_signed || encoding == dw::DW_ATE_signed_char;
      if (type.size == 0)
        type.size = static_cast<uint32_t>(unsignedAttribute(underlying, dw::DW_AT_byte_size));
    }
    break;
  }
  case dw::DW_TAG_array_type: {
    type.kind = CType::Kind::Array;
    DWARFDie element = strip(typeOf(die));
    uint64_t elementSize = element.isValid() ? unsignedAttribute(element, dw::DW_AT_byte_size) : 0;
    if (element.isValid() && element.getTag() == dw::DW_TAG_pointer_type && elementSize == 0)
      elementSize = 8;
    type.elements = arrayElements(die);
    type.size = static_cast<uint32_t>(std::min<uint64_t>(type.elements * elementSize, UINT32_MAX));
    break;
  }
  case dw::DW_TAG_subroutine_type:
    type.kind = CType::Kind::Function;
    break;
  default:
    type.kind = CType::Kind::Other;
    break;
  }
  return type;
}

// A member's byte offset: a constant, or (DWARF 2) DW_OP_plus_uconst N.
uint64_t memberByteOffset(const DWARFDie &member) {
  auto value = attributeOf(member, dw::DW_AT_data_member_location);
  if (!value)
    return 0;
  if (auto constant = value->getAsUnsignedConstant())
    return *constant;
  if (auto block = value->getAsBlock(); block && !block->empty() && (*block)[0] == dw::DW_OP_plus_uconst) {
    uint64_t result = 0;
    unsigned shift = 0;
    for (size_t i = 1; i < block->size() && shift < 64; ++i, shift += 7) {
      result |= static_cast<uint64_t>((*block)[i] & 0x7f) << shift;
      if (!((*block)[i] & 0x80))
        break;
    }
    return result;
  }
  return 0;
}

void collectMembers(const DWARFDie &container, uint64_t baseBits, const TypeSource *source, std::vector<CMember> &out,
                    int depth) {
  if (depth > kMaxTypeDepth)
    return;
  for (const DWARFDie &child : container.children()) {
    if (child.getTag() != dw::DW_TAG_member)
      continue;
    uint64_t byteOffset = memberByteOffset(child);
    DWARFDie declared = typeOf(child);
    std::string name = nameOf(child);
    uint32_t bitSize = static_cast<uint32_t>(unsignedAttribute(child, dw::DW_AT_bit_size));
    uint64_t bitOffset = byteOffset * 8;
    if (bitSize) {
      if (auto dataBit = dw::toUnsigned(attributeOf(child, dw::DW_AT_data_bit_offset))) {
        bitOffset = *dataBit;
      } else if (auto oldBit = dw::toUnsigned(attributeOf(child, dw::DW_AT_bit_offset))) {
        // DWARF 2/3 count from the storage unit's most significant bit.
        uint64_t storage = unsignedAttribute(child, dw::DW_AT_byte_size);
        if (!storage)
          storage = unsignedAttribute(strip(declared), dw::DW_AT_byte_size);
        bitOffset = byteOffset * 8 + storage * 8 - *oldBit - bitSize;
      }
    }
    DWARFDie resolved = strip(declared);
    if (name.empty() && resolved.isValid() &&
        (resolved.getTag() == dw::DW_TAG_structure_type || resolved.getTag() == dw::DW_TAG_union_type)) {
      collectMembers(resolved, baseBits + bitOffset, source, out, depth + 1);
      continue;
    }
    out.push_back({name, baseBits + bitOffset, bitSize, describe(declared, source)});
  }
}

// The file names of one line table (.debug_line at a unit's stmt_list),
// read here rather than with LLVM 14's parser, which crashes on some
// damaged headers (an out-of-bounds string offset). Indexes as DW_AT_decl_file
// uses them: 0-based in DWARF 5, 1-based before. Empty when unreadable.
class LineTableFiles {
public:
  LineTableFiles(llvm::StringRef line, llvm::StringRef lineStr, llvm::StringRef str)
      : line_(line), lineStr_(lineStr), str_(str) {}

  const std::vector<std::string> &files(uint64_t offset, const std::string &compDir) {
    auto found = cache_.find(offset);
    if (found != cache_.end())
      return found->second;
    std::vector<std::string> &out = cache_[offset];
    if (!parse(offset, compDir, out))
      out.clear();
    return out;
  }

private:
  struct Reader {
    llvm::StringRef data;
    uint64_t at, end;
    bool ok = true;
    uint64_t fixed(unsigned bytes) {
      if (!ok || at + bytes > end) {
        ok = false;
        return 0;
      }
      uint64_t value = 0;
      for (unsigned i = 0; i < bytes; ++i)
        value |= static_cast<uint64_t>(static_cast<unsigned char>(data[at + i])) << (8 * i);
      at += bytes;
      return value;
    }
    uint64_t uleb() {
      uint64_t value = 0;
      for (unsigned shift = 0; ok; shift += 7) {
        uint64_t byte = fixed(1);
        if (shift < 64)
          value |= (byte & 0x7f) << shift;
        if (!(byte & 0x80))
          break;
      }
      return value;
    }
    std::string cstring() {
      size_t stop = data.find('\0', at);
      if (!ok || stop == llvm::StringRef::npos || stop >= end) {
        ok = false;
        return {};
      }
      std::string text = data.substr(at, stop - at).str();
      at = stop + 1;
      return text;
    }
  };

  static bool stringAt(llvm::StringRef section, uint64_t offset, std::string &out) {
    if (offset >= section.size())
      return false;
    size_t stop = section.find('\0', offset);
    if (stop == llvm::StringRef::npos)
      return false;
    out = section.substr(offset, stop - offset).str();
    return true;
  }

  // One DWARF 5 entry value: a path string or an index; false on a form
  // this reader does not know.
  bool value(Reader &r, uint64_t form, unsigned offsetSize, std::string &text, uint64_t &number) {
    switch (form) {
    case dw::DW_FORM_string: text = r.cstring(); return r.ok;
    case dw::DW_FORM_line_strp: return stringAt(lineStr_, r.fixed(offsetSize), text) && r.ok;
    case dw::DW_FORM_strp: return stringAt(str_, r.fixed(offsetSize), text) && r.ok;
    case dw::DW_FORM_udata: number = r.uleb(); return r.ok;
    case dw::DW_FORM_data1: number = r.fixed(1); return r.ok;
    case dw::DW_FORM_data2: number = r.fixed(2); return r.ok;
    case dw::DW_FORM_data4: number = r.fixed(4); return r.ok;
    case dw::DW_FORM_data8: number = r.fixed(8); return r.ok;
    case dw::DW_FORM_data16: r.fixed(8); r.fixed(8); return r.ok;
    case dw::DW_FORM_block: {
      uint64_t length = r.uleb();
      if (!r.ok || r.at + length > r.end)
        return false;
      r.at += length;
      return true;
    }
    default: return false;
    }
  }

  // Directories or files of a DWARF 5 header: (path, directory index) each.
  bool entries(Reader &r, unsigned offsetSize, std::vector<std::pair<std::string, uint64_t>> &out) {
    unsigned formats = static_cast<unsigned>(r.fixed(1));
    std::vector<std::pair<uint64_t, uint64_t>> layout;
    for (unsigned i = 0; i < formats && r.ok; ++i) {
      uint64_t content = r.uleb();
      layout.emplace_back(content, r.uleb());
    }
    uint64_t count = r.uleb();
    if (!r.ok || count > r.end - r.at)
      return false;
    for (uint64_t i = 0; i < count; ++i) {
      std::string path;
      uint64_t directory = 0;
      for (const auto &[content, form] : layout) {
        std::string text;
        uint64_t number = 0;
        if (!value(r, form, offsetSize, text, number))
          return false;
        if (content == dw::DW_LNCT_path)
          path = text;
        else if (content == dw::DW_LNCT_directory_index)
          directory = number;
      }
      out.emplace_back(path, directory);
    }
    return r.ok;
  }

  static std::string join(const std::string &directory, const std::string &name) {
    if (name.empty() || name[0] == '/' || directory.empty())
      return name;
    return directory.back() == '/' ? directory + name : directory + "/" + name;
  }

  bool parse(uint64_t offset, const std::string &compDir, std::vector<std::string> &out) {
    Reader r{line_, offset, line_.size()};
    uint64_t length = r.fixed(4);
    unsigned offsetSize = 4;
    if (length == 0xffffffff) {
      length = r.fixed(8);
      offsetSize = 8;
    }
    if (!r.ok || length > r.end - r.at)
      return false;
    r.end = r.at + length;
    unsigned version = static_cast<unsigned>(r.fixed(2));
    if (version < 2 || version > 5)
      return false;
    if (version >= 5)
      r.fixed(2); // address and segment selector sizes
    r.fixed(offsetSize); // header length
    r.fixed(version >= 4 ? 5 : 4); // instruction length ... line range
    unsigned opcodeBase = static_cast<unsigned>(r.fixed(1));
    for (unsigned i = 1; i < opcodeBase && r.ok; ++i)
      r.fixed(1);
    if (!r.ok)
      return false;
    if (version >= 5) {
      std::vector<std::pair<std::string, uint64_t>> directories, files;
      if (!entries(r, offsetSize, directories) || !entries(r, offsetSize, files))
        return false;
      for (const auto &[name, directory] : files) {
        std::string folder = directory < directories.size() ? directories[directory].first : "";
        out.push_back(join(join(compDir, folder), name));
      }
      return true;
    }
    std::vector<std::string> directories{compDir};
    for (std::string d = r.cstring(); r.ok && !d.empty(); d = r.cstring())
      directories.push_back(join(compDir, d));
    out.emplace_back(); // DWARF 2-4 count files from 1
    for (std::string name = r.cstring(); r.ok && !name.empty(); name = r.cstring()) {
      uint64_t directory = r.uleb();
      r.uleb(); // modification time
      r.uleb(); // length
      out.push_back(join(directory < directories.size() ? directories[directory] : "", name));
    }
    return r.ok;
  }

  llvm::StringRef line_, lineStr_, str_;
  std::map<uint64_t, std::vector<std::string>> cache_;
};

// The declaration's file (full path, from its unit's line table) and line,
// from the DIE or its abstract origin / specification.
void declaration(LineTableFiles &tables, DWARFDie die, std::string &file, uint64_t &line) {
  for (int depth = 0; die.isValid() && depth < 4; ++depth) {
    auto index = dw::toUnsigned(attributeOf(die, dw::DW_AT_decl_file));
    if (index) {
      line = unsignedAttribute(die, dw::DW_AT_decl_line);
      DWARFDie unit = die.getDwarfUnit()->getUnitDIE();
      auto stmtList = dw::toSectionOffset(attributeOf(unit, dw::DW_AT_stmt_list));
      if (!stmtList)
        return;
      const char *compDir = dw::toString(attributeOf(unit, dw::DW_AT_comp_dir), "");
      const auto &files = tables.files(*stmtList, compDir);
      if (*index < files.size())
        file = files[*index];
      return;
    }
    auto origin = attributeOf(die, dw::DW_AT_abstract_origin);
    if (!origin)
      origin = attributeOf(die, dw::DW_AT_specification);
    if (!origin)
      return;
    die = referenced(die, *origin);
  }
}

// A section's bytes, when present and not compressed; else empty.
llvm::StringRef sectionBytes(const llvm::object::ObjectFile &object, llvm::StringRef wanted) {
  for (const auto &section : object.sections()) {
    auto name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name != wanted || section.isCompressed())
      continue;
    auto contents = section.getContents();
    if (!contents) {
      llvm::consumeError(contents.takeError());
      return {};
    }
    return *contents;
  }
  return {};
}

bool hasSection(const llvm::object::ObjectFile &object, llvm::StringRef wanted) {
  for (const auto &section : object.sections()) {
    auto name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name == wanted)
      return true;
  }
  return false;
}

} // namespace

struct UserBinary::Dwarf {
  llvm::object::OwningBinary<llvm::object::ObjectFile> object;
  std::unique_ptr<llvm::DWARFContext> context;
};

UserBinary::~UserBinary() = default;

OrError<std::unique_ptr<UserBinary>> UserBinary::open(const std::string &path) {
  using Result = OrError<std::unique_ptr<UserBinary>>;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Result::failure(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    return Result::failure(fmt::format("cannot read '{}': not a regular file", path));
  auto opened = llvm::object::ObjectFile::createObjectFile(path);
  if (!opened) {
    llvm::consumeError(opened.takeError());
    return Result::failure(fmt::format("'{}' is not an ELF file", path));
  }
  auto *elf = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(opened->getBinary());
  if (!elf) {
    if (llvm::isa<llvm::object::ELFObjectFileBase>(opened->getBinary()))
      return Result::failure(fmt::format("'{}' is not a 64-bit little-endian ELF file: mstap probes x86-64 "
                                         "programs",
                                         path));
    return Result::failure(fmt::format("'{}' is not an ELF file", path));
  }
  const auto &file = elf->getELFFile();
  if (file.getHeader().e_machine != llvm::ELF::EM_X86_64)
    return Result::failure(fmt::format("'{}' is not an x86-64 program: mstap probes x86-64 programs", path));
  if (!hasSection(*elf, ".debug_info") && !hasSection(*elf, ".zdebug_info"))
    return Result::failure(fmt::format("'{}' has no DWARF debug information (built without -g?): mstap reads a "
                                       "program's functions and their parameters from it",
                                       path));

  // Loadable segments map virtual addresses to file offsets.
  struct Segment {
    uint64_t vaddr, filesz, offset;
  };
  std::vector<Segment> segments;
  auto headers = file.program_headers();
  if (!headers) {
    std::string message = llvm::toString(headers.takeError());
    return Result::failure(fmt::format("cannot read the program headers of '{}': {}", path, message));
  }
  for (const auto &header : *headers)
    if (header.p_type == llvm::ELF::PT_LOAD)
      segments.push_back({header.p_vaddr, header.p_filesz, header.p_offset});

  std::unique_ptr<UserBinary> binary(new UserBinary());
  binary->path_ = path;
  binary->dwarf_ = std::make_unique<Dwarf>();
  binary->dwarf_->object = std::move(*opened);
  // Damaged DWARF is skipped where LLVM can recover, quietly: what cannot be
  // read is simply not listed (LLVM's default handlers print to stderr).
  auto quiet = [](llvm::Error error) { llvm::consumeError(std::move(error)); };
  binary->dwarf_->context = llvm::DWARFContext::create(*binary->dwarf_->object.getBinary(),
                                                       llvm::DWARFContext::ProcessDebugRelocations::Process,
                                                       nullptr, "", quiet, quiet);
  llvm::DWARFContext &context = *binary->dwarf_->context;

  const llvm::object::ObjectFile &object = *binary->dwarf_->object.getBinary();
  LineTableFiles lineTables(sectionBytes(object, ".debug_line"), sectionBytes(object, ".debug_line_str"),
                            sectionBytes(object, ".debug_str"));
  std::set<uint64_t> seen;
  for (const auto &unit : context.compile_units()) {
    for (const llvm::DWARFDebugInfoEntry &entry : unit->dies()) {
      DWARFDie die(unit.get(), &entry);
      if (die.getTag() != dw::DW_TAG_subprogram || attributeOf(die, dw::DW_AT_declaration))
        continue;
      // Inlined-only functions have no entry of their own: no low_pc.
      auto low = dw::toAddress(attributeOf(die, dw::DW_AT_low_pc));
      if (!low || *low == 0)
        continue;
      UserFunction function;
      function.name = nameOf(die);
      if (function.name.empty() || !seen.insert(*low).second)
        continue;
      function.address = *low;
      bool mapped = false;
      for (const Segment &s : segments)
        if (*low >= s.vaddr && *low < s.vaddr + s.filesz) {
          function.fileOffset = *low - s.vaddr + s.offset;
          mapped = true;
          break;
        }
      if (!mapped)
        continue; // not in the file's loadable code: nothing to probe
      declaration(lineTables, die, function.file, function.line);
      // Parameters are the children of this DIE, or of its abstract
      // origin for an out-of-line copy of an inline function.
      DWARFDie holder = die;
      if (auto origin = attributeOf(die, dw::DW_AT_abstract_origin)) {
        DWARFDie abstract = referenced(die, *origin);
        bool ownParameters = false;
        for (const DWARFDie &child : die.children())
          ownParameters = ownParameters || child.getTag() == dw::DW_TAG_formal_parameter;
        if (!ownParameters && abstract.isValid())
          holder = abstract;
      }
      for (const DWARFDie &child : holder.children()) {
        if (child.getTag() == dw::DW_TAG_formal_parameter)
          function.parameters.push_back({nameOf(child), describe(typeOf(child), binary.get())});
        else if (child.getTag() == dw::DW_TAG_unspecified_parameters)
          function.variadic = true;
      }
      function.returnType = describe(typeOf(die), binary.get());
      binary->functions_.push_back(std::move(function));
    }
  }
  std::sort(binary->functions_.begin(), binary->functions_.end(), [](const UserFunction &a, const UserFunction &b) {
    return a.name != b.name ? a.name < b.name : a.address < b.address;
  });
  return Result(std::move(binary));
}

std::vector<const UserFunction *> UserBinary::match(const std::string &pattern) const {
  std::string name = pattern, file, line;
  if (size_t at = pattern.find('@'); at != std::string::npos) {
    name = pattern.substr(0, at);
    file = pattern.substr(at + 1);
    if (size_t colon = file.rfind(':'); colon != std::string::npos) {
      line = file.substr(colon + 1);
      file = file.substr(0, colon);
    }
  }
  auto fileMatches = [&](const std::string &path) {
    if (file.empty())
      return true;
    if (fnmatch(file.c_str(), path.c_str(), 0) == 0)
      return true;
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      if (fnmatch(file.c_str(), path.c_str() + slash + 1, 0) == 0)
        return true;
    return false;
  };
  std::vector<const UserFunction *> out;
  for (const UserFunction &f : functions_)
    if (fnmatch(name.c_str(), f.name.c_str(), 0) == 0 && fileMatches(f.file) &&
        (line.empty() || fnmatch(line.c_str(), std::to_string(f.line).c_str(), 0) == 0))
      out.push_back(&f);
  return out;
}

std::string UserBinary::similarFunctions(const std::string &name) const {
  std::vector<std::pair<size_t, std::string>> scored;
  std::string last;
  for (const UserFunction &f : functions_) {
    if (f.name == last)
      continue;
    last = f.name;
    size_t d = editDistance(name, f.name);
    if (d <= std::max<size_t>(2, name.size() / 3))
      scored.emplace_back(d, f.name);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  std::string out;
  for (size_t i = 0; i < scored.size() && i < 5; ++i)
    out += (i ? ", " : "") + scored[i].second;
  return out;
}

std::optional<CType> UserBinary::pointee(const CType &type) const {
  if (type.source != this || !type.id)
    return std::nullopt;
  DWARFDie die = dwarf_->context->getDIEForOffset(type.id);
  if (!die.isValid() || die.isNULL())
    return std::nullopt;
  switch (die.getTag()) {
  case dw::DW_TAG_pointer_type:
  case dw::DW_TAG_reference_type:
  case dw::DW_TAG_rvalue_reference_type:
  case dw::DW_TAG_array_type:
    return describe(typeOf(die), this);
  default:
    return std::nullopt;
  }
}

std::vector<CMember> UserBinary::members(const CType &type) const {
  std::vector<CMember> out;
  if (type.source != this || !type.id)
    return out;
  DWARFDie die = dwarf_->context->getDIEForOffset(type.id);
  if (die.isValid() && !die.isNULL() && (die.getTag() == dw::DW_TAG_structure_type || die.getTag() == dw::DW_TAG_class_type ||
                        die.getTag() == dw::DW_TAG_union_type))
    collectMembers(die, 0, this, out, 0);
  return out;
}

namespace {

// "struct T *" as (tags to try, "T", pointer levels).
struct TypeQuery {
  std::vector<dw::Tag> tags;
  std::string name;
  int pointers = 0;
};

TypeQuery typeQuery(const std::string &text) {
  TypeQuery query;
  std::string rest = text;
  auto trim = [](std::string &s) {
    size_t first = s.find_first_not_of(" \t"), last = s.find_last_not_of(" \t");
    s = first == std::string::npos ? "" : s.substr(first, last - first + 1);
  };
  trim(rest);
  while (!rest.empty() && rest.back() == '*') {
    ++query.pointers;
    rest.pop_back();
    trim(rest);
  }
  auto keyword = [&](const char *word) {
    size_t n = std::strlen(word);
    if (rest.size() > n && rest.compare(0, n, word) == 0 && (rest[n] == ' ' || rest[n] == '\t')) {
      rest = rest.substr(n);
      trim(rest);
      return true;
    }
    return false;
  };
  if (keyword("struct"))
    query.tags = {dw::DW_TAG_structure_type, dw::DW_TAG_class_type};
  else if (keyword("union"))
    query.tags = {dw::DW_TAG_union_type};
  else if (keyword("enum"))
    query.tags = {dw::DW_TAG_enumeration_type};
  else
    query.tags = {dw::DW_TAG_structure_type, dw::DW_TAG_class_type, dw::DW_TAG_union_type, dw::DW_TAG_typedef,
                  dw::DW_TAG_base_type, dw::DW_TAG_enumeration_type};
  for (char c : rest)
    if (c != ' ' || (!query.name.empty() && query.name.back() != ' '))
      query.name += c;
  return query;
}

} // namespace

std::optional<CType> UserBinary::findType(const std::string &text) const {
  TypeQuery query = typeQuery(text);
  if (query.name.empty())
    return std::nullopt;
  llvm::DWARFContext &context = *dwarf_->context;
  DWARFDie found;
  for (dw::Tag tag : query.tags) {
    for (const auto &unit : context.compile_units()) {
      for (const llvm::DWARFDebugInfoEntry &entry : unit->dies()) {
        DWARFDie die(unit.get(), &entry);
        if (die.getTag() == tag && !attributeOf(die, dw::DW_AT_declaration) && nameOf(die) == query.name) {
          found = die;
          break;
        }
      }
      if (found.isValid())
        break;
    }
    if (found.isValid())
      break;
  }
  if (!found.isValid())
    return std::nullopt;
  // Pointers to it, as the program's DWARF declares them.
  for (int level = 0; level < query.pointers; ++level) {
    DWARFDie pointer;
    for (const auto &unit : context.compile_units()) {
      for (const llvm::DWARFDebugInfoEntry &entry : unit->dies()) {
        DWARFDie die(unit.get(), &entry);
        if (die.getTag() == dw::DW_TAG_pointer_type && typeOf(die).isValid() &&
            typeOf(die).getOffset() == found.getOffset()) {
          pointer = die;
          break;
        }
      }
      if (pointer.isValid())
        break;
    }
    if (!pointer.isValid())
      return std::nullopt;
    found = pointer;
  }
  return describe(found, this);
}

std::string UserBinary::similarTypeNames(const std::string &text) const {
  TypeQuery query = typeQuery(text);
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(2, query.name.size() / 3);
  for (const auto &unit : dwarf_->context->compile_units())
    for (const llvm::DWARFDebugInfoEntry &entry : unit->dies()) {
      DWARFDie die(unit.get(), &entry);
      if (std::find(query.tags.begin(), query.tags.end(), die.getTag()) == query.tags.end())
        continue;
      std::string name = nameOf(die);
      if (name.empty() || name == query.name)
        continue;
      size_t d = editDistance(query.name, name);
      if (d <= limit)
        scored.emplace_back(d, name);
    }
  return closestNames(scored);
}

bool needsInterpreter(const std::string &path) {
  auto opened = llvm::object::ObjectFile::createObjectFile(path);
  if (!opened) {
    llvm::consumeError(opened.takeError());
    return false;
  }
  auto *elf = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(opened->getBinary());
  if (!elf)
    return false;
  auto headers = elf->getELFFile().program_headers();
  if (!headers) {
    llvm::consumeError(headers.takeError());
    return false;
  }
  for (const auto &header : *headers)
    if (header.p_type == llvm::ELF::PT_INTERP)
      return true;
  return false;
}

OrError<std::string> resolveUserBinaryPath(const std::string &name, const std::string &searchPath) {
  namespace fs = std::filesystem;
  using Result = OrError<std::string>;
  if (name.empty())
    return Result::failure("process(\"\") names no program");
  if (name.find('/') != std::string::npos) {
    std::error_code ec;
    fs::path absolute = fs::absolute(name, ec);
    if (ec)
      return Result::failure(fmt::format("cannot resolve '{}': {}", name, ec.message()));
    return Result(absolute.lexically_normal().string());
  }
  size_t start = 0;
  while (start <= searchPath.size()) {
    size_t end = searchPath.find(':', start);
    std::string folder = searchPath.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (folder.empty())
      folder = ".";
    std::string candidate = folder + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      std::error_code ec;
      return Result(fs::absolute(candidate, ec).lexically_normal().string());
    }
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return Result::failure(fmt::format("cannot find the program '{}' in $PATH: name it with its path", name));
}

} // namespace mstap::kernel
