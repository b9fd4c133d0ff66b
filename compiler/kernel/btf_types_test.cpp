#include "kernel/btf_types.h"
#include "kernel/test_support.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>

namespace mstap::kernel {
namespace {

using testing::builtFixture;
using testing::readFixture;

const BtfFunction *findFunction(const std::vector<BtfFunction> &functions, const std::string &name) {
  for (const BtfFunction &function : functions)
    if (function.name == name)
      return &function;
  return nullptr;
}

std::shared_ptr<const Btf> parseFixture(const std::string &name, std::shared_ptr<const Btf> base = nullptr) {
  auto btf = Btf::parse(readFixture(builtFixture(name)), name, std::move(base));
  EXPECT_TRUE(btf.ok()) << btf.error();
  return btf.ok() ? btf.take() : nullptr;
}

TEST(Btf, ListsTheFunctionsWithTheirPrototypes) {
  auto btf = parseFixture("vmlinux.btf");
  ASSERT_TRUE(btf);
  std::vector<BtfFunction> functions = btf->functions();
  EXPECT_EQ(functions.size(), 12u);

  const BtfFunction *read = findFunction(functions, "vfs_read");
  ASSERT_NE(read, nullptr);
  EXPECT_FALSE(read->isStatic);
  const Prototype &prototype = read->prototype;
  EXPECT_EQ(prototype.returnType, "ssize_t");
  ASSERT_EQ(prototype.parameters.size(), 4u);
  EXPECT_EQ(prototype.parameters[0].name, "file");
  EXPECT_EQ(prototype.parameters[0].type, "struct file*");
  EXPECT_EQ(prototype.parameters[1].type, "char*");
  EXPECT_EQ(prototype.parameters[2].type, "size_t");
  EXPECT_EQ(prototype.parameters[3].type, "loff_t*");
  EXPECT_FALSE(prototype.variadic);
  EXPECT_EQ(prototype.declaration, "ssize_t vfs_read(struct file* file, char* buf, size_t count, loff_t* pos)");

  EXPECT_EQ(findFunction(functions, "vfs_write")->prototype.parameters[1].type, "const char*");
}

// @cast's type names: "struct T", a bare name (struct, typedef, base type),
// trailing '*'s; a module's split BTF finds its own types and vmlinux's.
TEST(Btf, FindsTypesByTheNamesCastGives) {
  auto kernel = parseFixture("vmlinux.btf");
  ASSERT_TRUE(kernel);
  auto file = kernel->findType("struct file");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->kind, CType::Kind::Struct);
  EXPECT_EQ(file->size, 8u);
  EXPECT_EQ(file->spelling, "struct file");
  ASSERT_EQ(file->members().size(), 1u);
  EXPECT_EQ(file->members()[0].name, "f_pos");
  EXPECT_TRUE(kernel->findType("file"));
  EXPECT_TRUE(kernel->findType("  struct   file  "));

  auto size = kernel->findType("size_t");
  ASSERT_TRUE(size);
  EXPECT_EQ(size->kind, CType::Kind::Integer);
  EXPECT_EQ(size->size, 8u);
  EXPECT_FALSE(size->isSigned);
  auto ulong = kernel->findType("unsigned  long");
  ASSERT_TRUE(ulong);
  EXPECT_EQ(ulong->spelling, "unsigned long");

  auto pointer = kernel->findType("struct file *");
  ASSERT_TRUE(pointer);
  EXPECT_EQ(pointer->kind, CType::Kind::Pointer);
  EXPECT_EQ(pointer->spelling, "struct file*");
  ASSERT_TRUE(pointer->pointee());
  EXPECT_EQ(pointer->pointee()->spelling, "struct file");

  EXPECT_FALSE(kernel->findType("struct size_t")); // a typedef is no struct
  EXPECT_FALSE(kernel->findType("union file"));
  EXPECT_FALSE(kernel->findType("struct file **")); // nothing declares one
  EXPECT_FALSE(kernel->findType("tiny_device"));    // the module's
  EXPECT_FALSE(kernel->findType(""));
  EXPECT_EQ(kernel->similarTypeNames("struct fil"), "file");
  EXPECT_EQ(kernel->similarTypeNames("size_u"), "size_t, ssize_t"); // 1 and 2 edits away
  EXPECT_EQ(kernel->similarTypeNames("struct size_u"), ""); // only structs for "struct"

  auto module = parseFixture("module.btf", kernel);
  ASSERT_TRUE(module);
  auto device = module->findType("struct tiny_device");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->members().at(0).name, "id");
  EXPECT_TRUE(module->findType("struct file"));
}

TEST(Btf, SpellsVariadicVoidAndFunctionPointerPrototypes) {
  auto btf = parseFixture("vmlinux.btf");
  ASSERT_TRUE(btf);
  std::vector<BtfFunction> functions = btf->functions();
  const Prototype &printk = findFunction(functions, "_printk")->prototype;
  EXPECT_TRUE(printk.variadic);
  ASSERT_EQ(printk.parameters.size(), 1u);
  EXPECT_EQ(printk.declaration, "int _printk(const char* fmt, ...)");

  const Prototype &schedule = findFunction(functions, "schedule")->prototype;
  EXPECT_EQ(schedule.returnType, "void");
  EXPECT_TRUE(schedule.parameters.empty());
  EXPECT_EQ(schedule.declaration, "void schedule(void)");

  const Prototype &kthread = findFunction(functions, "kthread_create_on_node")->prototype;
  EXPECT_EQ(kthread.returnType, "void*");
  EXPECT_EQ(kthread.parameters[0].type, "int (*)(void* data)");
  EXPECT_EQ(kthread.declaration,
            "void* kthread_create_on_node(int (*threadfn)(void* data), void* data, int node)");

  const BtfFunction *showStat = findFunction(functions, "show_stat");
  ASSERT_NE(showStat, nullptr);
  EXPECT_TRUE(showStat->isStatic);
}

TEST(Btf, SpellsCTypes) {
  struct btf *writer = btf__new_empty();
  ASSERT_NE(writer, nullptr);
  int intType = btf__add_int(writer, "int", 4, BTF_INT_SIGNED);
  int charType = btf__add_int(writer, "char", 1, BTF_INT_CHAR);
  int charPtr = btf__add_ptr(writer, charType);
  int constCharPtr = btf__add_const(writer, charPtr);        // char* const
  int volatileInt = btf__add_volatile(writer, intType);      // volatile int
  int intArray = btf__add_array(writer, intType, intType, 4); // int[4]
  int arrayPtr = btf__add_ptr(writer, intArray);             // int (*)[4]
  int anonymous = btf__add_struct(writer, nullptr, 4);
  int anonymousPtr = btf__add_ptr(writer, anonymous);
  int unionType = btf__add_union(writer, "key", 8);
  int enumType = btf__add_enum(writer, "state", 4);
  int forward = btf__add_fwd(writer, "inode", BTF_FWD_STRUCT);
  int forwardUnion = btf__add_fwd(writer, "u", BTF_FWD_UNION);
  int pointerPointer = btf__add_ptr(writer, charPtr);
  int proto = btf__add_func_proto(writer, charPtr);
  btf__add_func_param(writer, "", intType);
  int protoPtr = btf__add_ptr(writer, proto);
  __u32 size = 0;
  const void *raw = btf__raw_data(writer, &size);
  ASSERT_NE(raw, nullptr);
  auto btf = Btf::parse(std::string_view(static_cast<const char *>(raw), size), "built");
  btf__free(writer);
  ASSERT_TRUE(btf.ok()) << btf.error();

  auto name = [&](int id) { return (*btf)->typeName(static_cast<uint32_t>(id)); };
  EXPECT_EQ(name(0), "void");
  EXPECT_EQ(name(constCharPtr), "char* const");
  EXPECT_EQ(name(volatileInt), "volatile int");
  EXPECT_EQ(name(intArray), "int[4]");
  EXPECT_EQ(name(arrayPtr), "int (*)[4]");
  EXPECT_EQ(name(anonymousPtr), "struct {...}*");
  EXPECT_EQ(name(unionType), "union key");
  EXPECT_EQ(name(enumType), "enum state");
  EXPECT_EQ(name(forward), "struct inode");
  EXPECT_EQ(name(forwardUnion), "union u");
  EXPECT_EQ(name(pointerPointer), "char**");
  EXPECT_EQ(name(protoPtr), "char* (*)(int)");
  EXPECT_EQ((*btf)->declaration(static_cast<uint32_t>(constCharPtr), "p"), "char* const p");
  EXPECT_EQ((*btf)->declaration(static_cast<uint32_t>(intArray), "table"), "int table[4]");
  EXPECT_EQ((*btf)->declaration(static_cast<uint32_t>(arrayPtr), "rows"), "int (*rows)[4]");
  EXPECT_EQ(name(9999), "?");
}

TEST(Btf, ReadsSplitBtfOnTopOfItsBase) {
  auto base = parseFixture("vmlinux.btf");
  ASSERT_TRUE(base);
  auto module = parseFixture("module.btf", base);
  ASSERT_TRUE(module);
  std::vector<BtfFunction> functions = module->functions();
  ASSERT_EQ(functions.size(), 3u) << "only the module's own functions, not its base's";
  const BtfFunction *read = findFunction(functions, "tiny_read");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->prototype.declaration, "ssize_t tiny_read(struct file* file, char* buf, size_t count, loff_t* pos)");
  EXPECT_EQ(findFunction(functions, "tiny_probe")->prototype.parameters[0].type, "struct tiny_device*");
}

// The CTypes the reader makes: typedefs and qualifiers looked through for
// kind, size and signedness, spelled as declared, and asking their own BTF
// (split BTF included) for pointees and members.
TEST(Btf, TypesAnswerForTheirPointeesAndMembers) {
  auto base = parseFixture("vmlinux.btf");
  ASSERT_TRUE(base);
  std::vector<BtfFunction> baseFunctions = base->functions();
  const Prototype &read = findFunction(baseFunctions, "vfs_read")->prototype;
  CType file = base->type(read.parameters[0].typeId);
  EXPECT_EQ(file.kind, CType::Kind::Pointer);
  EXPECT_EQ(file.spelling, "struct file*");
  EXPECT_EQ(file.size, 8u);
  EXPECT_EQ(file.source, base.get());
  auto fileStruct = file.pointee();
  ASSERT_TRUE(fileStruct);
  EXPECT_EQ(fileStruct->kind, CType::Kind::Struct);
  EXPECT_EQ(fileStruct->spelling, "struct file");
  auto members = fileStruct->members();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].name, "f_pos");
  EXPECT_EQ(members[0].type.spelling, "long long");
  EXPECT_EQ(members[0].type.size, 8u);
  EXPECT_TRUE(members[0].type.isSigned);

  CType count = base->type(read.parameters[2].typeId);
  EXPECT_EQ(count.kind, CType::Kind::Integer); // size_t: the typedef looked through
  EXPECT_EQ(count.spelling, "size_t");
  EXPECT_EQ(count.size, 8u);
  EXPECT_FALSE(count.isSigned);
  EXPECT_FALSE(count.pointee());
  EXPECT_TRUE(count.members().empty());
  auto loff = base->type(read.parameters[3].typeId).pointee();
  ASSERT_TRUE(loff);
  EXPECT_EQ(loff->spelling, "loff_t");
  EXPECT_TRUE(loff->isSigned);
  EXPECT_EQ(base->type(read.returnTypeId, "ssize_t").spelling, "ssize_t");

  auto module = parseFixture("module.btf", base);
  ASSERT_TRUE(module);
  std::vector<BtfFunction> moduleFunctions = module->functions();
  const Prototype &probe = findFunction(moduleFunctions, "tiny_probe")->prototype;
  auto device = module->type(probe.parameters[0].typeId).pointee();
  ASSERT_TRUE(device);
  EXPECT_EQ(device->spelling, "struct tiny_device");
  ASSERT_EQ(device->members().size(), 1u);
  EXPECT_EQ(device->members()[0].name, "id");
  // Split BTF reaches its base's types; each BTF answers only for the types
  // it made, even where the ids are the same.
  CType fileInModule = module->type(read.parameters[0].typeId);
  EXPECT_EQ(fileInModule.spelling, "struct file*");
  ASSERT_TRUE(fileInModule.pointee());
  EXPECT_EQ(fileInModule.pointee()->members().size(), 1u);
  EXPECT_FALSE(base->pointee(fileInModule));
  EXPECT_TRUE(base->members(*fileInModule.pointee()).empty());
}

TEST(Btf, RejectsWhatIsNotBtf) {
  auto btf = Btf::parse("definitely not BTF", "junk.btf");
  ASSERT_FALSE(btf.ok());
  EXPECT_NE(btf.error().find("junk.btf: not valid BTF"), std::string::npos) << btf.error();
  // Split BTF makes no sense without its base.
  EXPECT_FALSE(Btf::parse(readFixture(builtFixture("module.btf")), "module.btf").ok());
}

// Tracepoints as a kernel's BTF has them: "btf_trace_NAME", a pointer to
// the unnamed prototype (void *, ARGS...), and "__bpf_trace_CLASS", a
// function of the same argument types whose parameters are named.
TEST(Btf, ListsTracepointsWithTheArgumentNamesOfTheirClass) {
  struct btf *raw = btf__new_empty();
  ASSERT_NE(raw, nullptr);
  int intType = btf__add_int(raw, "int", 4, BTF_INT_SIGNED);
  int pidType = btf__add_typedef(raw, "pid_t", intType);
  int task = btf__add_struct(raw, "task_struct", 8);
  btf__add_field(raw, "pid", pidType, 0, 0);
  int taskPtr = btf__add_ptr(raw, task);
  int voidPtr = btf__add_ptr(raw, 0);
  auto proto = [&](std::initializer_list<std::pair<const char *, int>> params) {
    int id = btf__add_func_proto(raw, 0);
    for (const auto &[name, type] : params)
      btf__add_func_param(raw, name, type);
    return id;
  };
  auto event = [&](const char *name, int protoId) {
    btf__add_typedef(raw, name, btf__add_ptr(raw, protoId));
  };
  // An event that is its own class; one of a class with another name (and
  // a second class of the same types, sharing less of the name); one
  // without a class; one whose typedef is not a tracepoint prototype.
  event("btf_trace_proc_exec", proto({{"", voidPtr}, {"", taskPtr}, {"", pidType}}));
  btf__add_func(raw, "__bpf_trace_proc_exec", BTF_FUNC_STATIC,
                proto({{"__data", voidPtr}, {"p", taskPtr}, {"old_pid", pidType}}));
  event("btf_trace_wake_one", proto({{"", voidPtr}, {"", taskPtr}}));
  btf__add_func(raw, "__bpf_trace_other_template", BTF_FUNC_STATIC, proto({{"__data", voidPtr}, {"q", taskPtr}}));
  btf__add_func(raw, "__bpf_trace_wake_template", BTF_FUNC_STATIC, proto({{"__data", voidPtr}, {"p", taskPtr}}));
  event("btf_trace_lonely", proto({{"", voidPtr}, {"", intType}, {"", intType}}));
  event("btf_trace_odd", proto({{"", intType}}));
  uint32_t size = 0;
  const void *data = btf__raw_data(raw, &size);
  ASSERT_NE(data, nullptr);
  auto parsed = Btf::parse(std::string_view(static_cast<const char *>(data), size), "tracepoints");
  btf__free(raw);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  std::vector<Tracepoint> tracepoints = parsed.take()->tracepoints();
  ASSERT_EQ(tracepoints.size(), 4u);
  auto describe = [](const Tracepoint &tp) {
    std::string text = tp.name + (tp.prototypeKnown ? "" : " (unknown)");
    for (const Parameter &a : tp.arguments)
      text += " " + a.name + ":" + a.type;
    return text;
  };
  EXPECT_EQ(describe(tracepoints[0]), "proc_exec p:struct task_struct* old_pid:pid_t");
  EXPECT_EQ(describe(tracepoints[1]), "wake_one p:struct task_struct*");
  EXPECT_EQ(describe(tracepoints[2]), "lonely arg1:int arg2:int");
  EXPECT_EQ(describe(tracepoints[3]), "odd (unknown)");
}

} // namespace
} // namespace mstap::kernel
