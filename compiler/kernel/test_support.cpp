#include "kernel/test_support.h"

#include "kernel/files.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <lzma.h>
#include <stdexcept>
#include <vector>
#include <zlib.h>
#include <zstd.h>
#if MSTAP_HAVE_LZ4
#include <lz4.h>
#endif

namespace mstap::kernel::testing {

// Test set-up failures abort the test binary: they mean the build or the
// machine is broken, not the code under test.
[[noreturn]] static void setupFailed(const std::string &message) {
  std::fprintf(stderr, "test set-up failed: %s\n", message.c_str());
  std::abort();
}

TempDir::TempDir() {
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mstap-kernel-test.XXXXXX";
  if (!::mkdtemp(pattern.data()))
    setupFailed("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string &relative, std::string_view content) const {
  std::string path = path_ + "/" + relative;
  Status written = writeFileAtomically(path, content);
  if (!written.ok())
    setupFailed(written.error);
  return path;
}

std::string fixtureSource(const std::string &name) { return std::string(MSTAP_KERNEL_FIXTURE_SOURCES) + "/" + name; }

std::string builtFixture(const std::string &name) { return std::string(MSTAP_KERNEL_FIXTURES) + "/" + name; }

std::string userFixtureSource() { return MSTAP_USER_FIXTURE_SOURCE; }

std::string userFixture(const std::string &name) { return std::string(MSTAP_USER_FIXTURES) + "/" + name; }

std::string readFixture(const std::string &path) {
  OrError<std::string> content = readWholeFile(path);
  if (!content.ok())
    setupFailed(content.error());
  return content.take();
}

std::string compress(Compression compression, std::string_view data) {
  switch (compression) {
  case Compression::Xz: {
    std::string out(lzma_stream_buffer_bound(data.size()), '\0');
    size_t written = 0;
    if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const uint8_t *>(data.data()),
                                data.size(), reinterpret_cast<uint8_t *>(out.data()), &written,
                                out.size()) != LZMA_OK)
      setupFailed("xz compression");
    out.resize(written);
    return out;
  }
  case Compression::Zstd: {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t written = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
    if (ZSTD_isError(written))
      setupFailed("zstd compression");
    out.resize(written);
    return out;
  }
  case Compression::Gzip: {
    z_stream stream{};
    if (deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      setupFailed("gzip compression");
    std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END)
      setupFailed("gzip compression");
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
  }
  case Compression::Lz4Legacy: {
#if MSTAP_HAVE_LZ4
    constexpr size_t kBlock = 8 << 20;
    std::string out("\x02\x21\x4C\x18", 4);
    std::vector<char> block(LZ4_compressBound(kBlock));
    for (size_t at = 0; at < data.size(); at += kBlock) {
      int size = static_cast<int>(std::min(kBlock, data.size() - at));
      int written = LZ4_compress_default(data.data() + at, block.data(), size, static_cast<int>(block.size()));
      if (written <= 0)
        setupFailed("lz4 compression");
      uint32_t length = static_cast<uint32_t>(written);
      char header[4] = {char(length), char(length >> 8), char(length >> 16), char(length >> 24)};
      out.append(header, 4);
      out.append(block.data(), static_cast<size_t>(written));
    }
    return out;
#else
    setupFailed("lz4 compression without liblz4");
#endif
  }
  }
  setupFailed("unknown compression");
}

std::string fakeBzImage(Compression compression, std::string_view elf) {
  // Boot code: filler with each magic number planted where no valid stream
  // follows it, as happens by chance in real images.
  std::string image(0x800, '\x90');
  image.replace(0x100, 6, std::string("\xFD" "7zXZ\0", 6));
  image.replace(0x200, 3, "\x1F\x8B\x08");
  image.replace(0x300, 4, "\x28\xB5\x2F\xFD");
  image.replace(0x400, 4, "\x02\x21\x4C\x18");
  image += compress(compression, elf);
  uint32_t size = static_cast<uint32_t>(elf.size());
  char trailer[4] = {char(size), char(size >> 8), char(size >> 16), char(size >> 24)};
  image.append(trailer, 4);
  return image;
}

} // namespace mstap::kernel::testing
