#include "kernel/elf_file.h"

#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

namespace mstap::kernel {

namespace {

OrError<ElfContents> failure(const std::string &origin, llvm::Error error) {
  return OrError<ElfContents>::failure(origin + ": " + llvm::toString(std::move(error)));
}

} // namespace

OrError<ElfContents> readElf(std::string_view bytes, const std::string &origin, bool wantFunctions) {
  llvm::MemoryBufferRef buffer(llvm::StringRef(bytes.data(), bytes.size()), origin);
  auto parsed = llvm::object::ObjectFile::createObjectFile(buffer);
  if (!parsed)
    return failure(origin, parsed.takeError());
  const auto *elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(parsed->get());
  if (!elf)
    return OrError<ElfContents>::failure(origin + ": not an ELF file");

  ElfContents contents;
  for (const llvm::object::SectionRef &section : elf->sections()) {
    auto name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name != ".BTF")
      continue;
    auto data = section.getContents();
    if (!data)
      return failure(origin + " (.BTF)", data.takeError());
    contents.btf = data->str();
    break;
  }

  if (!wantFunctions)
    return contents;
  for (const llvm::object::ELFSymbolRef &symbol : elf->symbols()) {
    auto type = symbol.getType();
    if (!type) {
      llvm::consumeError(type.takeError());
      continue;
    }
    if (*type != llvm::object::SymbolRef::ST_Function)
      continue;
    auto flags = symbol.getFlags();
    if (!flags) {
      llvm::consumeError(flags.takeError());
      continue;
    }
    if (*flags & llvm::object::SymbolRef::SF_Undefined)
      continue;
    auto name = symbol.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (name->empty())
      continue;
    ElfFunctionSymbol function;
    function.name = name->str();
    if (auto address = symbol.getAddress())
      function.address = *address;
    else
      llvm::consumeError(address.takeError());
    if (auto section = symbol.getSection(); section && *section != elf->section_end()) {
      if (auto sectionName = (*section)->getName())
        function.section = sectionName->str();
      else
        llvm::consumeError(sectionName.takeError());
    } else if (!section) {
      llvm::consumeError(section.takeError());
    }
    function.global = symbol.getBinding() != llvm::ELF::STB_LOCAL;
    contents.functions.push_back(std::move(function));
  }
  return contents;
}

} // namespace mstap::kernel
