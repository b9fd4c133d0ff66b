// The DWARF reader over tests/user/probed.c, built by CMake with -g: the
// expectations below are what that source declares.
#include "kernel/test_support.h"
#include "kernel/user_binary.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

namespace mstap::kernel {
namespace {

using testing::userFixture;
using testing::userFixtureSource;

const UserFunction *find(const UserBinary &binary, const std::string &name) {
  auto found = binary.match(name);
  return found.size() == 1 ? found.front() : nullptr;
}

std::string describe(const UserFunction &f) {
  std::string text = f.name + "@" + std::to_string(f.line) + ":" + f.returnType.spelling + "(";
  for (const auto &p : f.parameters)
    text += (&p == &f.parameters.front() ? "" : ", ") + p.type.spelling + " " + p.name;
  return text + ")";
}

class UserBinaryTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    auto opened = UserBinary::open(userFixture("probed"));
    ASSERT_TRUE(opened.ok()) << opened.error();
    binary_ = opened.take().release();
  }
  static void TearDownTestSuite() {
    delete binary_;
    binary_ = nullptr;
  }
  static UserBinary *binary_;
};
UserBinary *UserBinaryTest::binary_ = nullptr;

TEST_F(UserBinaryTest, FunctionsWithTheirDeclarations) {
  const UserBinary &b = *binary_;
  struct Expected {
    const char *name, *text;
  } expected[] = {
      {"add", "add@22:int(int a, int b)"},
      {"scale", "scale@27:long int(long int value, unsigned char factor)"},
      {"describe", "describe@32:const char*(const struct point* p)"},
      {"count_chain", "count_chain@37:counter_t(struct point* head, counter_t limit)"},
      {"many", "many@46:long int(int a, int b, int c, int d, int e, int f, int g, long int h)"},
      {"halve", "halve@51:double(double x)"},
      {"by_value", "by_value@56:int(struct point p)"},
      {"nothing", "nothing@61:void()"},
      {"main", "main@67:int(int argc, char** argv)"},
      {"depth", "depth@91:int(int n)"},
      {"escape", "escape@112:int(int n)"},
      {"quit", "quit@121:void(int status)"},
      {"stress", "stress@136:int(const char* mode)"},
  };
  for (const auto &e : expected) {
    const UserFunction *f = find(b, e.name);
    ASSERT_NE(f, nullptr) << e.name;
    EXPECT_EQ(describe(*f), e.text);
    EXPECT_EQ(f->file, userFixtureSource()) << e.name;
  }
}

TEST_F(UserBinaryTest, TypesForReading) {
  const UserFunction *scale = find(*binary_, "scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->parameters[0].type.kind, CType::Kind::Integer);
  EXPECT_EQ(scale->parameters[0].type.size, 8u);
  EXPECT_TRUE(scale->parameters[0].type.isSigned);
  EXPECT_EQ(scale->parameters[1].type.size, 1u);
  EXPECT_FALSE(scale->parameters[1].type.isSigned);

  const UserFunction *count = find(*binary_, "count_chain");
  ASSERT_NE(count, nullptr);
  // A typedef is looked through for reading, kept for its spelling.
  EXPECT_EQ(count->parameters[1].type.kind, CType::Kind::Integer);
  EXPECT_EQ(count->parameters[1].type.size, 8u);
  EXPECT_FALSE(count->parameters[1].type.isSigned);
  EXPECT_EQ(count->parameters[0].type.kind, CType::Kind::Pointer);

  EXPECT_EQ(find(*binary_, "halve")->parameters[0].type.kind, CType::Kind::Float);
  EXPECT_EQ(find(*binary_, "by_value")->parameters[0].type.kind, CType::Kind::Struct);
  EXPECT_EQ(find(*binary_, "nothing")->returnType.kind, CType::Kind::Void);
}

TEST_F(UserBinaryTest, MembersThroughAPointer) {
  const UserFunction *f = find(*binary_, "describe");
  ASSERT_NE(f, nullptr);
  auto point = binary_->pointee(f->parameters[0].type);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->kind, CType::Kind::Struct); // const looked through
  EXPECT_EQ(point->size, 32u);
  auto members = binary_->members(*point);
  ASSERT_EQ(members.size(), 6u);
  struct Expected {
    const char *name;
    uint64_t bitOffset;
    uint32_t bitSize;
    const char *type;
  } expected[] = {{"x", 0, 0, "int"},           {"y", 32, 0, "int"},
                  {"label", 64, 0, "const char*"}, {"tail", 128, 0, "struct point*"},
                  {"flags", 192, 3, "unsigned int"}, {"level", 195, 5, "unsigned int"}};
  for (size_t i = 0; i < members.size(); ++i) {
    EXPECT_EQ(members[i].name, expected[i].name);
    EXPECT_EQ(members[i].bitOffset, expected[i].bitOffset) << expected[i].name;
    EXPECT_EQ(members[i].bitSize, expected[i].bitSize) << expected[i].name;
    EXPECT_EQ(members[i].type.spelling, expected[i].type) << expected[i].name;
  }
  // tail -> struct point again; label -> char.
  auto tail = binary_->pointee(members[3].type);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->id, point->id);
  auto character = binary_->pointee(members[2].type);
  ASSERT_TRUE(character);
  EXPECT_EQ(character->size, 1u);
  EXPECT_FALSE(binary_->pointee(members[0].type));
  EXPECT_TRUE(binary_->members(members[0].type).empty());
}

// The file offset must point at the function's first instruction in the
// file: at -O0 it is push %rbp (0x55) or, with CET, endbr64 (f3 0f 1e fa).
void expectEntriesInFile(const UserBinary &binary) {
  std::ifstream in(binary.path(), std::ios::binary);
  for (const char *name : {"add", "scale", "main", "many"}) {
    const UserFunction *f = find(binary, name);
    ASSERT_NE(f, nullptr) << name;
    in.seekg(static_cast<std::streamoff>(f->fileOffset));
    unsigned char first = static_cast<unsigned char>(in.get());
    EXPECT_TRUE(first == 0x55 || first == 0xf3) << name << " at offset " << f->fileOffset;
  }
}

// @cast's type names in a program (tests/user/probed.c): struct point is
// { int x; int y; const char *label; struct point *tail; ... }, 32 bytes.
TEST_F(UserBinaryTest, FindsTypesByTheNamesCastGives) {
  auto point = binary_->findType("struct point");
  ASSERT_TRUE(point);
  EXPECT_EQ(point->kind, CType::Kind::Struct);
  EXPECT_EQ(point->size, 32u);
  ASSERT_GE(point->members().size(), 4u);
  EXPECT_EQ(point->members()[3].name, "tail");
  EXPECT_EQ(point->members()[3].bitOffset, 128u);
  EXPECT_TRUE(binary_->findType("point"));
  auto counter = binary_->findType("counter_t");
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->kind, CType::Kind::Integer);
  EXPECT_EQ(counter->size, 8u);
  auto pointer = binary_->findType("struct point *");
  ASSERT_TRUE(pointer);
  EXPECT_EQ(pointer->kind, CType::Kind::Pointer);
  ASSERT_TRUE(pointer->pointee());
  EXPECT_EQ(pointer->pointee()->size, 32u);
  EXPECT_FALSE(binary_->findType("union point"));
  EXPECT_FALSE(binary_->findType("struct counter_t"));
  EXPECT_EQ(binary_->similarTypeNames("struct pont"), "point");
}

TEST_F(UserBinaryTest, FileOffsetsOfEntries) { expectEntriesInFile(*binary_); }

TEST(UserBinaryStatic, FileOffsetsDifferFromAddresses) {
  auto opened = UserBinary::open(userFixture("probed-static"));
  ASSERT_TRUE(opened.ok()) << opened.error();
  const UserBinary &b = **opened;
  expectEntriesInFile(b);
  const UserFunction *add = find(b, "add");
  ASSERT_NE(add, nullptr);
  // A static, non-PIE program is linked at 0x400000 and up.
  EXPECT_GE(add->address, 0x400000u);
  EXPECT_LT(add->fileOffset, add->address);
}

TEST_F(UserBinaryTest, Patterns) {
  EXPECT_EQ(binary_->match("add").size(), 1u);
  EXPECT_EQ(binary_->match("a*").size(), 1u);
  EXPECT_GE(binary_->match("*").size(), 9u);
  EXPECT_EQ(binary_->match("add@probed.c").size(), 1u);
  EXPECT_EQ(binary_->match("add@*/probed.c:22").size(), 1u);
  EXPECT_EQ(binary_->match("add@probed.c:23").size(), 0u);
  EXPECT_EQ(binary_->match("add@other.c").size(), 0u);
  EXPECT_EQ(binary_->match("missing").size(), 0u);
  EXPECT_NE(binary_->similarFunctions("ad").find("add"), std::string::npos);
  EXPECT_NE(binary_->similarFunctions("scal").find("scale"), std::string::npos);
}

TEST(UserBinaryInterpreter, DynamicProgramsNeedOne) {
  EXPECT_TRUE(needsInterpreter(userFixture("probed")));
  EXPECT_FALSE(needsInterpreter(userFixture("probed-static")));
  EXPECT_FALSE(needsInterpreter(userFixtureSource())); // not an ELF file
}

TEST(UserBinaryErrors, SayWhatIsWrong) {
  auto missing = UserBinary::open("/nonexistent/program");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot read '/nonexistent/program'"), std::string::npos) << missing.error();

  auto source = UserBinary::open(userFixtureSource());
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().find("is not an ELF file"), std::string::npos) << source.error();

  auto stripped = UserBinary::open(userFixture("probed-nodebug"));
  ASSERT_FALSE(stripped.ok());
  EXPECT_NE(stripped.error().find("built without -g?"), std::string::npos) << stripped.error();
}

// Where a section lies in an ELF64 file: (offset, size), or (0, 0).
std::pair<size_t, size_t> sectionOf(const std::string &elf, const std::string &wanted) {
  auto read = [&](size_t at, size_t bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes && at + i < elf.size(); ++i)
      value |= static_cast<uint64_t>(static_cast<unsigned char>(elf[at + i])) << (8 * i);
    return static_cast<size_t>(value);
  };
  size_t table = read(0x28, 8), entry = read(0x3a, 2), count = read(0x3c, 2), names = read(0x3e, 2);
  size_t strings = read(table + names * entry + 0x18, 8);
  for (size_t i = 0; i < count; ++i) {
    size_t header = table + i * entry;
    if (elf.compare(strings + read(header, 4), wanted.size() + 1, wanted.c_str(), wanted.size() + 1) == 0)
      return {read(header + 0x18, 8), read(header + 0x20, 8)};
  }
  return {0, 0};
}

// Damaged DWARF: runs of each DWARF section overwritten in turn with a few
// patterns; open() must neither crash nor hang (it may fail, or list less).
// LLVM 14 crashes on two of these unless the reader steers round them: a
// line table header with an out-of-bounds string offset, and a reference to
// a null entry.
TEST(UserBinaryErrors, DamagedDwarfDoesNotCrash) {
  std::string original = testing::readFixture(userFixture("probed"));
  testing::TempDir dir;
  size_t opened = 0;
  const char patterns[][4] = {{'\xff', '\xff', '\xff', '\xff'}, {0, 0, 0, 0}, {0x7f, 0x13, '\x80', 0x01}};
  for (const char *section : {".debug_info", ".debug_abbrev", ".debug_line", ".debug_str", ".debug_line_str"}) {
    auto [start, size] = sectionOf(original, section);
    ASSERT_GT(size, 0u) << section;
    for (size_t at = start; at + 4 <= start + size; at += 3)
      for (const auto &pattern : patterns) {
        std::string damaged = original;
        damaged.replace(at, 4, pattern, 4);
        std::string path = dir.write("damaged", damaged);
        auto result = UserBinary::open(path);
        if (!result.ok())
          continue;
        ++opened;
        for (const UserFunction &f : (*result)->functions())
          for (const CParameter &p : f.parameters) {
            (void)(*result)->members(p.type);
            if (auto pointee = (*result)->pointee(p.type))
              (void)(*result)->members(*pointee);
          }
      }
  }
  EXPECT_GT(opened, 0u); // the damage was read, not refused up front
}

TEST(UserBinaryPath, AbsoluteOrFromSearchPath) {
  testing::TempDir dir;
  std::string program = dir.write("bin/tool", "#!/bin/sh\n");
  ASSERT_EQ(::chmod(program.c_str(), 0755), 0);
  dir.write("other/tool", "not executable\n");

  auto found = resolveUserBinaryPath("tool", dir.path() + "/other:" + dir.path() + "/bin");
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_EQ(*found, program);

  auto notFound = resolveUserBinaryPath("tool", dir.path() + "/other");
  ASSERT_FALSE(notFound.ok());
  EXPECT_NE(notFound.error().find("cannot find the program 'tool'"), std::string::npos);

  auto absolute = resolveUserBinaryPath(dir.path() + "/bin/../bin/tool", "");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(*absolute, program);
}

} // namespace
} // namespace mstap::kernel
