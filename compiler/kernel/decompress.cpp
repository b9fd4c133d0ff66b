#include "kernel/decompress.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <lzma.h>
#include <optional>
#include <vector>
#include <zlib.h>
#include <zstd.h>
#if MSTAP_HAVE_LZ4
#include <lz4.h>
#endif

namespace mstap::kernel {

namespace {

constexpr size_t kChunkSize = size_t{1} << 20;

// Collects decompressed bytes and decides early whether the stream is worth
// finishing: too large, or not starting with the expected bytes.
class OutputSink {
public:
  OutputSink(std::string_view requiredPrefix, size_t limit) : requiredPrefix_(requiredPrefix), limit_(limit) {}

  bool append(const char *data, size_t size) {
    if (output_.size() + size > limit_) {
      failure_ = "decompressed data exceeds " + std::to_string(limit_ >> 20) + " MiB";
      return false;
    }
    output_.append(data, size);
    if (!prefixChecked_ && output_.size() >= requiredPrefix_.size()) {
      prefixChecked_ = true;
      if (output_.compare(0, requiredPrefix_.size(), requiredPrefix_) != 0) {
        failure_ = "decompressed data is not of the expected kind";
        return false;
      }
    }
    return true;
  }

  const std::string &failure() const { return failure_; }
  std::string take() { return std::move(output_); }
  bool empty() const { return output_.empty(); }

private:
  std::string_view requiredPrefix_;
  size_t limit_;
  bool prefixChecked_ = false;
  std::string output_;
  std::string failure_;
};

OrError<std::string> fail(const char *format, const std::string &detail) {
  return OrError<std::string>::failure(std::string(format) + ": " + detail);
}

OrError<std::string> decompressXz(std::string_view input, OutputSink &sink) {
  lzma_stream stream = LZMA_STREAM_INIT;
  // No LZMA_CONCATENATED: stop at the end of the first stream, whatever follows.
  if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK)
    return OrError<std::string>::failure("xz: cannot start the decoder");
  std::vector<uint8_t> chunk(kChunkSize);
  stream.next_in = reinterpret_cast<const uint8_t *>(input.data());
  stream.avail_in = input.size();
  for (;;) {
    stream.next_out = chunk.data();
    stream.avail_out = chunk.size();
    lzma_ret status = lzma_code(&stream, LZMA_FINISH);
    size_t produced = chunk.size() - stream.avail_out;
    if (produced && !sink.append(reinterpret_cast<const char *>(chunk.data()), produced)) {
      lzma_end(&stream);
      return fail("xz", sink.failure());
    }
    if (status == LZMA_STREAM_END)
      break;
    if (status != LZMA_OK) {
      lzma_end(&stream);
      return fail("xz", status == LZMA_BUF_ERROR ? "stream is truncated"
                        : status == LZMA_FORMAT_ERROR ? "not an xz stream"
                                                      : "corrupt data (liblzma error " + std::to_string(status) + ")");
    }
  }
  lzma_end(&stream);
  return sink.take();
}

OrError<std::string> decompressZstd(std::string_view input, OutputSink &sink) {
  ZSTD_DCtx *context = ZSTD_createDCtx();
  if (!context)
    return OrError<std::string>::failure("zstd: cannot start the decoder");
  // The kernel compresses its image with large windows (zstd -22 --ultra);
  // accept any window the format allows rather than libzstd's default limit.
  ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, ZSTD_dParam_getBounds(ZSTD_d_windowLogMax).upperBound);
  std::vector<char> chunk(kChunkSize);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  for (;;) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    size_t status = ZSTD_decompressStream(context, &out, &in);
    if (ZSTD_isError(status)) {
      ZSTD_freeDCtx(context);
      return fail("zstd", ZSTD_getErrorName(status));
    }
    if (out.pos && !sink.append(chunk.data(), out.pos)) {
      ZSTD_freeDCtx(context);
      return fail("zstd", sink.failure());
    }
    if (status == 0) // the frame is complete
      break;
    if (in.pos == in.size && out.pos < out.size) {
      ZSTD_freeDCtx(context);
      return OrError<std::string>::failure("zstd: stream is truncated");
    }
  }
  ZSTD_freeDCtx(context);
  return sink.take();
}

OrError<std::string> decompressGzip(std::string_view input, OutputSink &sink) {
  z_stream stream{};
  // 16 + MAX_WBITS: a gzip header and trailer around the deflate data.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
    return OrError<std::string>::failure("gzip: cannot start the decoder");
  std::vector<Bytef> chunk(kChunkSize);
  size_t consumed = 0;
  for (;;) {
    // zlib counts in 32-bit units; feed at most 1 GiB at a time.
    size_t feed = std::min<size_t>(input.size() - consumed, size_t{1} << 30);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input.data() + consumed));
    stream.avail_in = static_cast<uInt>(feed);
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    int status = inflate(&stream, Z_NO_FLUSH);
    consumed += feed - stream.avail_in;
    size_t produced = chunk.size() - stream.avail_out;
    if (produced && !sink.append(reinterpret_cast<const char *>(chunk.data()), produced)) {
      inflateEnd(&stream);
      return fail("gzip", sink.failure());
    }
    if (status == Z_STREAM_END)
      break;
    if (status == Z_BUF_ERROR && consumed == input.size()) {
      inflateEnd(&stream);
      return OrError<std::string>::failure("gzip: stream is truncated");
    }
    if (status != Z_OK && status != Z_BUF_ERROR) {
      std::string detail = stream.msg ? stream.msg : "zlib error " + std::to_string(status);
      inflateEnd(&stream);
      return fail("gzip", detail);
    }
  }
  inflateEnd(&stream);
  return sink.take();
}

#if MSTAP_HAVE_LZ4
constexpr uint32_t kLz4LegacyMagic = 0x184C2102;

uint32_t readLittleEndian32(const char *bytes) {
  const auto *u = reinterpret_cast<const unsigned char *>(bytes);
  return uint32_t(u[0]) | uint32_t(u[1]) << 8 | uint32_t(u[2]) << 16 | uint32_t(u[3]) << 24;
}
#endif

OrError<std::string> decompressLz4Legacy(std::string_view input, OutputSink &sink) {
#if MSTAP_HAVE_LZ4
  // The kernel uses lz4's legacy format (`lz4 -l`): the magic number, then
  // blocks of a 32-bit little-endian compressed size and the compressed bytes,
  // each unpacking to 8 MiB except the last. The format has no end marker, so
  // the stream ends at the first short block or at anything that cannot be a
  // block size (such as the uncompressed size the kernel's build appends).
  constexpr int kBlockSize = 8 << 20;
  const uint32_t maxCompressed = static_cast<uint32_t>(LZ4_compressBound(kBlockSize));
  if (input.size() < 4 || readLittleEndian32(input.data()) != kLz4LegacyMagic)
    return OrError<std::string>::failure("lz4: not an lz4 legacy stream");
  std::vector<char> block(kBlockSize);
  size_t position = 4;
  while (position + 4 <= input.size()) {
    uint32_t compressedSize = readLittleEndian32(input.data() + position);
    if (compressedSize == kLz4LegacyMagic) { // a second stream, concatenated
      position += 4;
      continue;
    }
    if (compressedSize == 0 || compressedSize > maxCompressed || position + 4 + compressedSize > input.size())
      break;
    int produced = LZ4_decompress_safe(input.data() + position + 4, block.data(), static_cast<int>(compressedSize),
                                       kBlockSize);
    if (produced < 0) {
      if (sink.empty())
        return OrError<std::string>::failure("lz4: corrupt data");
      break;
    }
    if (!sink.append(block.data(), static_cast<size_t>(produced)))
      return fail("lz4", sink.failure());
    position += 4 + compressedSize;
    if (produced < kBlockSize)
      break;
  }
  if (sink.empty())
    return OrError<std::string>::failure("lz4: stream is empty or truncated");
  return sink.take();
#else
  (void)input;
  (void)sink;
  return OrError<std::string>::failure(
      "lz4: this mstap was built without liblz4 (install liblz4-dev and rebuild to read lz4-compressed kernels)");
#endif
}

struct Magic {
  Compression compression;
  std::string_view bytes;
};

const Magic kMagics[] = {
    {Compression::Xz, std::string_view("\xFD" "7zXZ\0", 6)},
    {Compression::Zstd, std::string_view("\x28\xB5\x2F\xFD", 4)},
    {Compression::Gzip, std::string_view("\x1F\x8B\x08", 3)},
    {Compression::Lz4Legacy, std::string_view("\x02\x21\x4C\x18", 4)},
};

const std::string_view kElfMagic("\x7F" "ELF", 4);

bool endsWith(const std::string &text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

const char *compressionName(Compression compression) {
  switch (compression) {
  case Compression::Xz: return "xz";
  case Compression::Zstd: return "zstd";
  case Compression::Gzip: return "gzip";
  case Compression::Lz4Legacy: return "lz4";
  }
  return "?";
}

bool lz4Available() { return MSTAP_HAVE_LZ4 != 0; }

OrError<std::string> decompressStream(Compression compression, std::string_view input,
                                      std::string_view requiredPrefix, size_t outputLimit) {
  OutputSink sink(requiredPrefix, outputLimit);
  switch (compression) {
  case Compression::Xz: return decompressXz(input, sink);
  case Compression::Zstd: return decompressZstd(input, sink);
  case Compression::Gzip: return decompressGzip(input, sink);
  case Compression::Lz4Legacy: return decompressLz4Legacy(input, sink);
  }
  return OrError<std::string>::failure("unknown compression");
}

OrError<KernelPayload> extractVmlinux(std::string_view image) {
  struct Candidate {
    size_t offset;
    Compression compression;
  };
  std::vector<Candidate> candidates;
  for (const Magic &magic : kMagics)
    for (size_t at = image.find(magic.bytes); at != std::string_view::npos; at = image.find(magic.bytes, at + 1))
      candidates.push_back({at, magic.compression});
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate &a, const Candidate &b) { return a.offset < b.offset; });

  std::string lastError;
  for (const Candidate &candidate : candidates) {
    OrError<std::string> elf = decompressStream(candidate.compression, image.substr(candidate.offset), kElfMagic);
    if (elf.ok()) {
      KernelPayload payload;
      payload.elf = elf.take();
      payload.compression = candidate.compression;
      payload.offset = candidate.offset;
      return payload;
    }
    // A by-chance magic number fails in a way not worth reporting; an lz4
    // payload that this build cannot read is.
    if (candidate.compression == Compression::Lz4Legacy && !lz4Available())
      lastError = elf.error();
  }
  if (!lastError.empty())
    return OrError<KernelPayload>::failure(lastError);
  return OrError<KernelPayload>::failure(
      "found no compressed ELF kernel inside the image (looked for xz, zstd, gzip and lz4 payloads)");
}

OrError<std::string> decompressModuleFile(const std::string &path, std::string data) {
  std::optional<Compression> compression;
  if (endsWith(path, ".xz"))
    compression = Compression::Xz;
  else if (endsWith(path, ".zst"))
    compression = Compression::Zstd;
  else if (endsWith(path, ".gz"))
    compression = Compression::Gzip;
  if (!compression)
    return data;
  OrError<std::string> elf = decompressStream(*compression, data, kElfMagic);
  if (!elf.ok())
    return OrError<std::string>::failure(path + ": " + elf.error());
  return elf;
}

} // namespace mstap::kernel
