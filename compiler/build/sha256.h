// SHA-256 (FIPS 180-4), for the module cache's keys: small, dependency-free,
// and fast enough to hash a kernel tree's .config and Module.symvers on every
// pass 4 (about 2 MB).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mstap::build {

class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // A length-prefixed field, so that ("ab","c") and ("a","bc") differ.
  void field(std::string_view text);
  std::array<uint8_t, 32> finish();
  // finish() as 64 lower-case hex digits.
  std::string hexDigest();

private:
  void block(const uint8_t *p);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

std::string sha256Hex(std::string_view data);

} // namespace mstap::build
