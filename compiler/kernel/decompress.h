// Undoing the compressions a kernel uses: the payload of an x86 bzImage
// (vmlinuz) and compressed module files (.ko.xz, .ko.zst, .ko.gz).
#pragma once

#include "kernel/or_error.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace mstap::kernel {

enum class Compression { Xz, Zstd, Gzip, Lz4Legacy };

const char *compressionName(Compression compression);

// lz4 support depends on liblz4 being found when mstap was built.
bool lz4Available();

// Decompresses the one stream that starts at the front of `input`, ignoring
// whatever follows its end (the kernel's build appends the uncompressed size
// there). When `requiredPrefix` is given, gives up as soon as the output does
// not start with it, so that scanning an image for payloads stays cheap when
// a magic number turns up by chance inside other data.
OrError<std::string> decompressStream(Compression compression, std::string_view input,
                                      std::string_view requiredPrefix = {},
                                      size_t outputLimit = size_t{1} << 30);

// The vmlinux ELF file inside a kernel image. The x86 boot code that unpacks
// the kernel sits before the payload, so the payload is found by looking for
// each compressor's magic number and keeping the first stream that unpacks to
// an ELF file.
struct KernelPayload {
  std::string elf;
  Compression compression = Compression::Xz;
  size_t offset = 0; // where the compressed stream starts in the image
};
OrError<KernelPayload> extractVmlinux(std::string_view image);

// A module file as stored on disk, decompressed when its name ends in .xz,
// .zst or .gz. `path` is only used for the suffix and in messages.
OrError<std::string> decompressModuleFile(const std::string &path, std::string data);

} // namespace mstap::kernel
