#include "kernel/image_btf.h"

#include "kernel/decompress.h"
#include "kernel/elf_file.h"
#include "kernel/files.h"

#include <algorithm>

namespace mstap::kernel {

OrError<std::string> btfCacheFile(const std::string &cacheDirectory, const std::string &release,
                                  const std::string &image) {
  OrError<FileStamp> stamp = fileStamp(image);
  if (!stamp.ok())
    return OrError<std::string>::failure(stamp.error());
  // A release read from a build tree is free text; keep it one file name.
  std::string name = release;
  std::replace(name.begin(), name.end(), '/', '_');
  return cacheDirectory + "/btf/" + name + "-" + std::to_string(stamp->size) + "-" +
         std::to_string(stamp->mtimeSeconds) + ".btf";
}

OrError<ImageBtf> loadKernelImageBtf(const std::string &image, const std::string &release,
                                     const std::string &cacheDirectory) {
  using Result = OrError<ImageBtf>;
  ImageBtf loaded;
  if (!cacheDirectory.empty()) {
    OrError<std::string> cacheFile = btfCacheFile(cacheDirectory, release, image);
    if (!cacheFile.ok())
      return Result::failure(cacheFile.error());
    loaded.cacheFile = *cacheFile;
    if (isReadableFile(loaded.cacheFile)) {
      OrError<std::string> blob = readWholeFile(loaded.cacheFile);
      if (blob.ok()) {
        auto btf = Btf::parse(*blob, loaded.cacheFile);
        if (btf.ok()) {
          loaded.btf = btf.take();
          loaded.fromCache = true;
          loaded.how = "cached in " + loaded.cacheFile;
          return loaded;
        }
        loaded.cacheNote = "ignored the damaged cache file: " + btf.error();
      } else {
        loaded.cacheNote = "ignored the cache: " + blob.error();
      }
    }
  }

  OrError<MappedFile> mapped = MappedFile::open(image);
  if (!mapped.ok())
    return Result::failure(mapped.error());
  std::string_view bytes = mapped->bytes();
  KernelPayload payload;
  std::string_view elf;
  if (bytes.substr(0, 4) == std::string_view("\x7F" "ELF", 4)) {
    elf = bytes;
    loaded.how = "read from the ELF file " + image;
  } else {
    OrError<KernelPayload> extracted = extractVmlinux(bytes);
    if (!extracted.ok())
      return Result::failure(image + ": " + extracted.error());
    payload = extracted.take();
    elf = payload.elf;
    loaded.how = std::string("unpacked from the ") + compressionName(payload.compression) + " payload at offset " +
                 std::to_string(payload.offset) + " of " + image;
  }

  OrError<ElfContents> contents = readElf(elf, image, /*wantFunctions=*/false);
  if (!contents.ok())
    return Result::failure(contents.error());
  if (!contents->btf)
    return Result::failure(image + " has no .BTF section (was the kernel built with CONFIG_DEBUG_INFO_BTF=y?)");
  auto btf = Btf::parse(*contents->btf, image + " (.BTF)");
  if (!btf.ok())
    return Result::failure(btf.error());
  loaded.btf = btf.take();

  if (!loaded.cacheFile.empty()) {
    Status written = writeFileAtomically(loaded.cacheFile, *contents->btf);
    if (!written.ok())
      loaded.cacheNote = "could not fill the cache: " + written.error;
  }
  return loaded;
}

} // namespace mstap::kernel
