#include "kernel/decompress.h"
#include "kernel/test_support.h"

#include <gtest/gtest.h>

namespace mstap::kernel {
namespace {

using testing::compress;
using testing::fakeBzImage;

// Compressible but not trivial: an ELF magic, then lines of counters.
std::string sampleElfLikeData(size_t size) {
  std::string data("\x7F" "ELF", 4);
  for (unsigned i = 0; data.size() < size; ++i)
    data += "symbol_" + std::to_string(i * 2654435761u % 100003) + "\n";
  data.resize(size);
  return data;
}

std::vector<Compression> compressionsBuiltIn() {
  std::vector<Compression> all{Compression::Xz, Compression::Zstd, Compression::Gzip};
  if (lz4Available())
    all.push_back(Compression::Lz4Legacy);
  return all;
}

TEST(Decompress, EachCompressionRoundTripsAndIgnoresTrailingBytes) {
  std::string data = sampleElfLikeData(300000);
  for (Compression compression : compressionsBuiltIn()) {
    SCOPED_TRACE(compressionName(compression));
    std::string packed = compress(compression, data) + std::string("\x10\x20\x30\x40", 4);
    OrError<std::string> unpacked = decompressStream(compression, packed);
    ASSERT_TRUE(unpacked.ok()) << unpacked.error();
    EXPECT_EQ(*unpacked, data);
  }
}

TEST(Decompress, Lz4LegacyStreamsLongerThanOneBlock) {
  if (!lz4Available())
    GTEST_SKIP() << "built without liblz4";
  std::string data = sampleElfLikeData((8 << 20) + 12345);
  OrError<std::string> unpacked =
      decompressStream(Compression::Lz4Legacy, compress(Compression::Lz4Legacy, data) + "\x01\x02\x03\x04");
  ASSERT_TRUE(unpacked.ok()) << unpacked.error();
  EXPECT_EQ(unpacked->size(), data.size());
  EXPECT_TRUE(*unpacked == data);
}

TEST(Decompress, Lz4WithoutLibraryIsAClearError) {
  if (lz4Available())
    GTEST_SKIP() << "built with liblz4";
  OrError<std::string> unpacked = decompressStream(Compression::Lz4Legacy, std::string("\x02\x21\x4C\x18", 4));
  ASSERT_FALSE(unpacked.ok());
  EXPECT_NE(unpacked.error().find("without liblz4"), std::string::npos) << unpacked.error();
}

TEST(Decompress, TruncatedAndCorruptStreamsFail) {
  std::string data = sampleElfLikeData(200000);
  for (Compression compression : {Compression::Xz, Compression::Zstd, Compression::Gzip}) {
    SCOPED_TRACE(compressionName(compression));
    std::string packed = compress(compression, data);
    EXPECT_FALSE(decompressStream(compression, packed.substr(0, packed.size() / 2)).ok());
    std::string corrupt = packed;
    for (size_t i = 20; i < corrupt.size(); i += 97)
      corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
    EXPECT_FALSE(decompressStream(compression, corrupt).ok());
  }
}

TEST(Decompress, StopsEarlyWhenTheOutputLacksTheRequiredPrefix) {
  std::string notElf(100000, 'x');
  OrError<std::string> unpacked =
      decompressStream(Compression::Xz, compress(Compression::Xz, notElf), std::string_view("\x7F" "ELF", 4));
  ASSERT_FALSE(unpacked.ok());
  EXPECT_NE(unpacked.error().find("not of the expected kind"), std::string::npos) << unpacked.error();
}

TEST(Decompress, RefusesOutputBeyondTheLimit) {
  OrError<std::string> unpacked =
      decompressStream(Compression::Zstd, compress(Compression::Zstd, std::string(3 << 20, 'a')), {}, 1 << 20);
  ASSERT_FALSE(unpacked.ok());
  EXPECT_NE(unpacked.error().find("exceeds"), std::string::npos) << unpacked.error();
}

TEST(ExtractVmlinux, FindsThePayloadPastStrayMagicNumbers) {
  std::string elf = sampleElfLikeData(250000);
  for (Compression compression : compressionsBuiltIn()) {
    SCOPED_TRACE(compressionName(compression));
    OrError<KernelPayload> payload = extractVmlinux(fakeBzImage(compression, elf));
    ASSERT_TRUE(payload.ok()) << payload.error();
    EXPECT_EQ(payload->compression, compression);
    EXPECT_EQ(payload->offset, 0x800u);
    EXPECT_TRUE(payload->elf == elf);
  }
}

TEST(ExtractVmlinux, ReportsAnImageWithoutPayload) {
  OrError<KernelPayload> payload = extractVmlinux(std::string(4096, '\0') + "\xFD" "7zXZ" + std::string(100, '\1'));
  ASSERT_FALSE(payload.ok());
  EXPECT_NE(payload.error().find("found no compressed ELF kernel"), std::string::npos) << payload.error();
}

TEST(ExtractVmlinux, IgnoresACompressedStreamThatIsNotElf) {
  std::string image = std::string(64, '\0') + compress(Compression::Gzip, "not an ELF file at all");
  EXPECT_FALSE(extractVmlinux(image).ok());
}

TEST(DecompressModuleFile, ChoosesByFileNameSuffix) {
  std::string elf = sampleElfLikeData(50000);
  struct Case {
    const char *path;
    std::string stored;
  } cases[] = {
      {"/m/a.ko", elf},
      {"/m/a.ko.xz", compress(Compression::Xz, elf)},
      {"/m/a.ko.zst", compress(Compression::Zstd, elf)},
      {"/m/a.ko.gz", compress(Compression::Gzip, elf)},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.path);
    OrError<std::string> unpacked = decompressModuleFile(c.path, c.stored);
    ASSERT_TRUE(unpacked.ok()) << unpacked.error();
    EXPECT_TRUE(*unpacked == elf);
  }
  OrError<std::string> broken = decompressModuleFile("/m/b.ko.xz", "garbage");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().find("/m/b.ko.xz"), std::string::npos) << broken.error();
}

} // namespace
} // namespace mstap::kernel
