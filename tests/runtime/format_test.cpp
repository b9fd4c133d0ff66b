// printf: the numeric conversions against the C library's snprintf over a
// grid of flags, widths, precisions and values; stap's own conversions
// against stap's testsuite (systemtap.printf/*.exp) and documentation.
#include "test_support.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using mstap_test::format;

std::string c_format(const std::string &spec, s64 value) {
  char buffer[256];
  int length;
  char conversion = spec.back();
  std::string c_spec = spec.substr(0, spec.size() - 1) + "ll" + conversion;
  if (conversion == 'd' || conversion == 'i')
    length = std::snprintf(buffer, sizeof(buffer), c_spec.c_str(), static_cast<long long>(value));
  else
    length = std::snprintf(buffer, sizeof(buffer), c_spec.c_str(),
                           static_cast<unsigned long long>(value));
  return std::string(buffer, length);
}

const s64 kValues[] = {0,          1,          -1,         7,
                       8,          42,         -42,        255,
                       4096,       123456789,  -123456789, INT64_MAX,
                       INT64_MIN,  INT32_MIN,  4294967296, 0xdeadbeef,
                       -0xdeadbeefLL};

TEST(Format, IntegersMatchSnprintf) {
  const char *flags[] = {"",  "-",  "+",  " ",  "#",   "0",    "-0",
                         "+0", " 0", "#0", "-#", "+ ", "-+ #0", "0#"};
  const char *widths[] = {"", "1", "5", "20", "30"};
  const char *precisions[] = {"", ".", ".0", ".1", ".5", ".25"};
  const char conversions[] = {'d', 'i', 'u', 'o', 'x', 'X'};
  size_t checked = 0;
  for (const char *flag : flags)
    for (const char *width : widths)
      for (const char *precision : precisions)
        for (char conversion : conversions) {
          std::string spec = std::string("%") + flag + width + precision + conversion;
          for (s64 value : kValues) {
            std::string message;
            std::string ours = format(spec.c_str(), {mstap_arg_long(value)}, &message);
            ASSERT_EQ(message, "");
            checked++;
            // Where stap's '#' differs from C's (every number marked, 0
            // included: StapAlternateFormMarksZero), C is no oracle.
            bool alternate = std::string(flag).find('#') != std::string::npos;
            if (alternate && (conversion == 'o' || (value == 0 && conversion != 'd' && conversion != 'i' &&
                                                     conversion != 'u')))
              continue;
            ASSERT_EQ(ours, c_format(spec, value)) << spec << " of " << value;
          }
        }
  EXPECT_EQ(checked, 14u * 5 * 6 * 6 * 17);
}

// stap's runtime puts the '#' prefix on every number, zero included, and
// puts octal's 0 before the precision's zeros (its number(): the prefix,
// then the precision's zeros, then the digits); C leaves 0 bare.
TEST(Format, StapAlternateFormMarksZero) {
  EXPECT_EQ(format("%#x %#X %#o\n", {mstap_arg_long(0), mstap_arg_long(0), mstap_arg_long(0)}), "0x0 0X0 00\n");
  EXPECT_EQ(format("%#o %#.5o", {mstap_arg_long(15), mstap_arg_long(8)}), "017 000010");
  EXPECT_EQ(format("%#6x|%-#6x|%#06x", {mstap_arg_long(0), mstap_arg_long(0), mstap_arg_long(0)}),
            "   0x0|0x0   |0x0000");
}

TEST(Format, StarWidthAndPrecisionMatchSnprintf) {
  // Which counts each spec takes from the arguments: the width, the
  // precision, or both.
  enum Stars { kWidth, kPrecision, kBoth };
  const struct {
    const char *spec;
    Stars stars;
  } specs[] = {{"%*d", kWidth},      {"%-*d", kWidth},     {"%0*d", kWidth},
               {"%.*x", kPrecision}, {"%*.*d", kBoth},     {"%#*.*x", kBoth}, /* 0 excepted below */
               {"%+*.*i", kBoth},    {"%0*.*u", kBoth}};
  const int counts[] = {-30, -8, -1, 0, 1, 3, 8, 22};
  for (const auto &s : specs)
    for (int width : counts)
      for (int precision : counts)
        for (s64 value : kValues) {
          std::string c_spec = s.spec;
          c_spec.insert(c_spec.size() - 1, "ll");
          unsigned long long bits = static_cast<unsigned long long>(value);
          char expected[256];
          std::vector<mstap_arg> args;
          if (s.stars == kWidth) {
            std::snprintf(expected, sizeof(expected), c_spec.c_str(), width, bits);
            args = {mstap_arg_long(width), mstap_arg_long(value)};
          } else if (s.stars == kPrecision) {
            std::snprintf(expected, sizeof(expected), c_spec.c_str(), precision, bits);
            args = {mstap_arg_long(precision), mstap_arg_long(value)};
          } else {
            std::snprintf(expected, sizeof(expected), c_spec.c_str(), width, precision, bits);
            args = {mstap_arg_long(width), mstap_arg_long(precision), mstap_arg_long(value)};
          }
          if (value == 0 && std::string(s.spec).find('#') != std::string::npos)
            continue; // stap marks 0 too: Format.StapAlternateFormMarksZero
          ASSERT_EQ(format(s.spec, args), expected)
              << s.spec << " " << width << " " << precision << " " << value;
        }
}

TEST(Format, LengthModifiersMeanNothing) {
  EXPECT_EQ(format("%ld %lld %hd %hhd %zd %jd %qd %Ld %td",
                   {mstap_arg_long(-1), mstap_arg_long(-2), mstap_arg_long(70000),
                    mstap_arg_long(300), mstap_arg_long(4), mstap_arg_long(5),
                    mstap_arg_long(6), mstap_arg_long(7), mstap_arg_long(8)}),
            "-1 -2 70000 300 4 5 6 7 8");
  EXPECT_EQ(format("%lx", {mstap_arg_long(-1)}), "ffffffffffffffff");
}

TEST(Format, StringsMatchSnprintf) {
  const char *texts[] = {"", "a", "hello", "a longer piece of text"};
  const char *specs[] = {"%s", "%10s", "%-10s", "%.3s", "%10.3s", "%-10.3s", "%.0s", "%1s", "%.30s"};
  for (const char *spec : specs)
    for (const char *text : texts) {
      char expected[256];
      std::snprintf(expected, sizeof(expected), spec, text);
      EXPECT_EQ(format(spec, {mstap_arg_string(text)}), expected) << spec << " " << text;
    }
  EXPECT_EQ(format("%*.*s|", {mstap_arg_long(-6), mstap_arg_long(2), mstap_arg_string("abc")}),
            "ab    |");
}

TEST(Format, CharsMatchSnprintf) {
  const char *specs[] = {"%c", "%3c", "%-3c"};
  for (const char *spec : specs)
    for (int c = 32; c < 127; c++) {
      char expected[16];
      std::snprintf(expected, sizeof(expected), spec, c);
      EXPECT_EQ(format(spec, {mstap_arg_long(c)}), expected) << spec << " " << c;
    }
  // testsuite/systemtap.printf/char1: "%c" of 115, 116, 97, 112
  EXPECT_EQ(format("%c%c%c%c", {mstap_arg_long(115), mstap_arg_long(116), mstap_arg_long(97),
                                mstap_arg_long(112)}),
            "stap");
  // Only the low byte counts.
  EXPECT_EQ(format("%c", {mstap_arg_long(0x141)}), "A");
}

// testsuite/systemtap.printf/char2.exp
TEST(Format, AlternateCharEscapes) {
  std::string printable;
  for (char c : std::string("abc-ABC 123!"))
    printable += format("%#c", {mstap_arg_long(c)});
  EXPECT_EQ(printable, "abc-ABC 123!");
  std::string escapes;
  for (char c : std::string("\a\b\f\n\r\t\v\'\\"))
    escapes += format("%#c", {mstap_arg_long(c)});
  EXPECT_EQ(escapes, "\\a\\b\\f\\n\\r\\t\\v\\'\\\\");
  EXPECT_EQ(format("%#c%#c%#c%#c%#c%#c",
                   {mstap_arg_long(0), mstap_arg_long(033), mstap_arg_long(0177),
                    mstap_arg_long(0222), mstap_arg_long(0333), mstap_arg_long(0377)}),
            "\\000\\033\\177\\222\\333\\377");
  // stap(1): printf("%#c %#c %#c\n", 0, 9, 42) prints \000 \t *
  EXPECT_EQ(format("%#c %#c %#c\n", {mstap_arg_long(0), mstap_arg_long(9), mstap_arg_long(42)}),
            "\\000 \\t *\n");
}

// testsuite/systemtap.printf/ptr-1.3.exp (stap 1.3 and later)
TEST(Format, PointersAsStapsTestsuite) {
  const s64 values[] = {0, 1, 0x12345678, 0x12345678abcdef00, 0x0000000012345678};
  struct Case {
    const char *spec;
    const char *expected[5];
  } cases[] = {
      {"%p", {"0x0", "0x1", "0x12345678", "0x12345678abcdef00", "0x12345678"}},
      {"%20pX",
       {"                 0x0X", "                 0x1X", "          0x12345678X",
        "  0x12345678abcdef00X", "          0x12345678X"}},
      {"%-20pX",
       {"0x0                 X", "0x1                 X", "0x12345678          X",
        "0x12345678abcdef00  X", "0x12345678          X"}},
      {"%.20pX",
       {"0x00000000000000000000X", "0x00000000000000000001X", "0x00000000000012345678X",
        "0x000012345678abcdef00X", "0x00000000000012345678X"}},
      {"%20.8pX",
       {"          0x00000000X", "          0x00000001X", "          0x12345678X",
        "  0x12345678abcdef00X", "          0x12345678X"}},
      {"%-20.8pX",
       {"0x00000000          X", "0x00000001          X", "0x12345678          X",
        "0x12345678abcdef00  X", "0x12345678          X"}},
      {"%8p", {"     0x0", "     0x1", "0x12345678", "0x12345678abcdef00", "0x12345678"}},
      {"%-8pX", {"0x0     X", "0x1     X", "0x12345678X", "0x12345678abcdef00X", "0x12345678X"}},
      {"%.8p", {"0x00000000", "0x00000001", "0x12345678", "0x12345678abcdef00", "0x12345678"}},
      {"%8.20p",
       {"0x00000000000000000000", "0x00000000000000000001", "0x00000000000012345678",
        "0x000012345678abcdef00", "0x00000000000012345678"}},
      {"%-8.20pX",
       {"0x00000000000000000000X", "0x00000000000000000001X", "0x00000000000012345678X",
        "0x000012345678abcdef00X", "0x00000000000012345678X"}},
  };
  for (const Case &c : cases)
    for (int i = 0; i < 5; i++)
      EXPECT_EQ(format(c.spec, {mstap_arg_long(values[i])}), c.expected[i])
          << c.spec << " of " << values[i];
  // stap(1): %p of 0x1234abcd prints 0x1234abcd; the 0 flag pads after 0x.
  EXPECT_EQ(format("%p", {mstap_arg_long(0x1234abcd)}), "0x1234abcd");
  EXPECT_EQ(format("%012p", {mstap_arg_long(0xff)}), "0x00000000ff");
  EXPECT_EQ(format("%p", {mstap_arg_long(-1)}), "0xffffffffffffffff");
}

// stap(1)'s printf examples.
TEST(Format, StapManualExamples) {
  EXPECT_EQ(format("%c is %s; %x or %X or %p; %d or %u\n",
                   {mstap_arg_long(97), mstap_arg_string("alice"), mstap_arg_long(0x1234abcd),
                    mstap_arg_long(0x1234abcd), mstap_arg_long(0x1234abcd), mstap_arg_long(-1),
                    mstap_arg_long(-1)}),
            "a is alice; 1234abcd or 1234ABCD or 0x1234abcd; -1 or 18446744073709551615\n");
  EXPECT_EQ(format("%#o %#x %#X\n", {mstap_arg_long(1), mstap_arg_long(2), mstap_arg_long(3)}),
            "01 0x2 0X3\n");
  EXPECT_EQ(format("100%% %s%%", {mstap_arg_string("sure")}), "100% sure%");
}

// The langref's binary write examples (x86-64 is little-endian).
TEST(Format, BinaryAsStapsLanguageReference) {
  EXPECT_EQ(format("%1b%1b%1blo %1b%1brld\n",
                   {mstap_arg_long(72), mstap_arg_long(101), mstap_arg_long(108),
                    mstap_arg_long(87), mstap_arg_long(111)}),
            "Hello World\n");
  std::string bytes = format("%b%b", {mstap_arg_long(0xc0dedbad), mstap_arg_long(0x12345678)});
  const unsigned char expected[] = {0xad, 0xdb, 0xde, 0xc0, 0, 0, 0, 0,
                                    0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0};
  ASSERT_EQ(bytes.size(), sizeof(expected));
  EXPECT_EQ(std::memcmp(bytes.data(), expected, sizeof(expected)), 0);
  std::string lines;
  for (int i = 97; i < 100; i++)
    lines += format("%3d: %1b%1b%1b\n", {mstap_arg_long(i), mstap_arg_long(i),
                                         mstap_arg_long(i - 32), mstap_arg_long(i - 64)});
  EXPECT_EQ(lines, " 97: aA!\n 98: bB\"\n 99: cC#\n");
}

TEST(Format, BinaryWidths) {
  s64 value = 0x0102030405060708;
  EXPECT_EQ(format("%2b", {mstap_arg_long(value)}), std::string("\x08\x07", 2));
  EXPECT_EQ(format("%4b", {mstap_arg_long(value)}), std::string("\x08\x07\x06\x05", 4));
  EXPECT_EQ(format("%8b", {mstap_arg_long(value)}),
            std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(format("%*b", {mstap_arg_long(2), mstap_arg_long(value)}), std::string("\x08\x07", 2));
  EXPECT_EQ(format("%b", {mstap_arg_long(0)}), std::string(8, '\0'));
  std::string message;
  EXPECT_EQ(format("a%3bz", {mstap_arg_long(value)}, &message), "a");
  EXPECT_EQ(message, "printf: the width of %b must be 1, 2, 4 or 8");
}

// testsuite/systemtap.printf/memory1.stp: %m reads `precision` bytes
// (default 1), the width pads; %M writes them as hex.
TEST(Format, MemoryAsStapsTestsuite) {
  const char *filename = "/usr/lib/locale";
  s64 address = static_cast<s64>(reinterpret_cast<uintptr_t>(filename));
  s64 length = static_cast<s64>(std::strlen(filename));
  auto a = mstap_arg_long(address);
  auto n = [](s64 v) { return mstap_arg_long(v); };
  EXPECT_EQ(format("%m", {a}), "/");
  EXPECT_EQ(format("%.5m", {a}), "/usr/");
  EXPECT_EQ(format("%.*m", {n(5), a}), "/usr/");
  EXPECT_EQ(format("%.*m", {n(length), a}), filename);
  EXPECT_EQ(format("%5m", {a}), "    /");
  EXPECT_EQ(format("%*m", {n(5), a}), "    /");
  EXPECT_EQ(format("%4.5m", {a}), "/usr/");
  EXPECT_EQ(format("%15.5m", {a}), "          /usr/");
  EXPECT_EQ(format("%*.5m", {n(4), a}), "/usr/");
  EXPECT_EQ(format("%*.5m", {n(15), a}), "          /usr/");
  EXPECT_EQ(format("%4.*m", {n(length), a}), filename);
  EXPECT_EQ(format("%25.*m", {n(length), a}), "          /usr/lib/locale");
  EXPECT_EQ(format("%*.*m", {n(4), n(length), a}), filename);
  EXPECT_EQ(format("%-7.3m|", {a}), "/us    |");
  // "%*.*M", 14, 6: two spaces, then six bytes as 12 hex digits.
  EXPECT_EQ(format("%*.*M", {n(14), n(6), a}), "  2f7573722f6c");
  EXPECT_EQ(format("%M", {a}), "2f");
  EXPECT_EQ(format("%-6.2M|", {a}), "2f75  |");
}

TEST(Format, MemoryLongerThanOnePiece) {
  std::vector<unsigned char> bytes(100);
  for (size_t i = 0; i < bytes.size(); i++)
    bytes[i] = static_cast<unsigned char>(i * 7);
  s64 address = static_cast<s64>(reinterpret_cast<uintptr_t>(bytes.data()));
  std::string hex;
  for (unsigned char b : bytes) {
    char pair[3];
    std::snprintf(pair, sizeof(pair), "%02x", b);
    hex += pair;
  }
  EXPECT_EQ(format("%.100M", {mstap_arg_long(address)}), hex);
  EXPECT_EQ(format("%.100m", {mstap_arg_long(address)}),
            std::string(reinterpret_cast<char *>(bytes.data()), 100));
}

TEST(Format, MemoryFaultIsAnError) {
  std::vector<char> bytes(64, 'x');
  u64 address = reinterpret_cast<uintptr_t>(bytes.data());
  mstap_shim_set_fault_range(address + 40, address + 41);
  std::string message;
  std::string out = format("%.64m", {mstap_arg_long(static_cast<s64>(address))}, &message);
  mstap_shim_set_fault_range(0, 0);
  // The first piece (32 bytes) was written; the second faults.
  EXPECT_EQ(out, std::string(32, 'x'));
  char expected[64];
  std::snprintf(expected, sizeof(expected), "kernel read fault at 0x%016llx",
                static_cast<unsigned long long>(address + 32));
  EXPECT_EQ(message, expected);
}

TEST(Format, BadFormatsAndArgumentsAreErrors) {
  std::string message;
  format("%d %d", {mstap_arg_long(1)}, &message);
  EXPECT_EQ(message, "printf: too few arguments for the format");
  format("%s", {mstap_arg_long(1)}, &message);
  EXPECT_EQ(message, "printf: argument type does not match the format");
  format("%d", {mstap_arg_string("x")}, &message);
  EXPECT_EQ(message, "printf: argument type does not match the format");
  format("abc%", {}, &message);
  EXPECT_EQ(message, "printf: format ends inside a conversion");
  format("%-08", {}, &message);
  EXPECT_EQ(message, "printf: format ends inside a conversion");
  format("%y", {mstap_arg_long(1)}, &message);
  EXPECT_EQ(message, "printf: unknown conversion in format");
  format("%*d", {mstap_arg_string("x"), mstap_arg_long(1)}, &message);
  EXPECT_EQ(message, "printf: '*' needs a long argument");
  EXPECT_EQ(format("extra %d", {mstap_arg_long(1), mstap_arg_long(2)}, &message), "extra 1");
  EXPECT_EQ(message, "");
  mstap_arg null_string = mstap_arg_string(nullptr);
  EXPECT_EQ(format("[%s]", {null_string}), "[]");
}

TEST(Format, FieldsAreLimitedTo4096) {
  EXPECT_EQ(format("%*d", {mstap_arg_long(100000), mstap_arg_long(1)}).size(), 4096u);
  EXPECT_EQ(format("%*d", {mstap_arg_long(INT64_MIN), mstap_arg_long(1)}).size(), 4096u);
  EXPECT_EQ(format("%.*d", {mstap_arg_long(INT64_MAX), mstap_arg_long(1)}).size(), 4096u);
  EXPECT_EQ(format("%99999999999999999999d", {mstap_arg_long(1)}).size(), 4096u);
  EXPECT_EQ(format("%4096d", {mstap_arg_long(1)}).size(), 4096u);
}

TEST(Format, SprintfTruncatesAtTheStringLimit) {
  char result[MSTAP_MAXSTRINGLEN + 8];
  std::memset(result, '#', sizeof(result));
  mstap_error error;
  mstap_error_clear(&error);
  mstap_arg args[] = {mstap_arg_long(600), mstap_arg_long(7)};
  EXPECT_EQ(mstap_sprintf(result, "%*d", args, 2, &error), 0);
  EXPECT_EQ(std::strlen(result), static_cast<size_t>(MSTAP_MAXSTRINGLEN - 1));
  EXPECT_EQ(result[MSTAP_MAXSTRINGLEN], '#');
  EXPECT_EQ(error.message, nullptr);
}

TEST(Format, OutputStopsWhenFullAndSaysSo) {
  char buffer[8];
  mstap_out out;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_out_init(&out, buffer, 5);
  mstap_arg arg = mstap_arg_string("abcdefgh");
  mstap_format(&out, "%s", &arg, 1, &error);
  EXPECT_EQ(out.used, 5u);
  EXPECT_EQ(out.truncated, 1u);
  EXPECT_EQ(std::string(buffer, 5), "abcde");
}

std::string flushed;
void flush_to_string(mstap_out *out) {
  flushed.append(out->data, out->used);
  out->used = 0;
}

TEST(Format, FlushHookMakesRoom) {
  char buffer[16];
  mstap_out out;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_out_init(&out, buffer, sizeof(buffer));
  out.flush = flush_to_string;
  flushed.clear();
  mstap_arg args[] = {mstap_arg_long(40), mstap_arg_string("end"), mstap_arg_long(12345)};
  mstap_format(&out, "start %*s %d!", args, 3, &error);
  flush_to_string(&out);
  EXPECT_EQ(flushed, "start " + std::string(37, ' ') + "end 12345!");
  EXPECT_EQ(out.truncated, 0u);
}

} // namespace
