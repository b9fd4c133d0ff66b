#include "parse/parser.h"
#include "sema/elaborate.h"
#include "sema/format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

using namespace mstap;

namespace {
struct Elaborated {
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<ast::Script> script;
  Diagnostics diags;
  ElaborateResult result;
};

std::unique_ptr<Elaborated> elaborateText(const std::string &text) {
  auto e = std::make_unique<Elaborated>();
  e->file = std::make_unique<SourceFile>("t.stp", text);
  e->script = parseScript(*e->file, {}, e->diags);
  EXPECT_NE(e->script, nullptr) << e->diags.render();
  if (e->script)
    e->result = elaborate(*e->script, {}, e->diags);
  return e;
}

ast::Variable &global(Elaborated &e, const std::string &name) {
  for (auto &decl : e.script->decls)
    if (decl.kind == ast::Decl::Kind::Global)
      for (auto &g : decl.global->vars)
        if (g.name == name)
          return *g.var;
  throw std::runtime_error("no global " + name);
}
} // namespace

TEST(Elaborate, TypesFlowThroughCallsInAnyOrder) {
  // g's result is known only through f, defined after its use; a fixed point finds it.
  auto e = elaborateText("global out\nprobe begin { out = g(1) }\nfunction g(x) { return f(x) }\n"
                         "function f(y) { return sprint(y) }\n");
  ASSERT_TRUE(e->result.ok) << e->diags.render();
  EXPECT_EQ(global(*e, "out").type, ast::Type::String);
  auto &g = *e->script->decls[2].function;
  EXPECT_EQ(g.returnType, ast::Type::String);
  EXPECT_EQ(g.locals[0]->type, ast::Type::Long);
}

TEST(Elaborate, ArrayKeysAndValuesAreTyped) {
  auto e = elaborateText("global a\nprobe begin { a[\"k\", 2] <<< 5 }\n");
  ASSERT_TRUE(e->result.ok) << e->diags.render();
  auto &a = global(*e, "a");
  EXPECT_EQ(a.arity, 2);
  EXPECT_EQ(a.type, ast::Type::Stats);
  EXPECT_EQ(a.keyTypes, (std::vector<ast::Type>{ast::Type::String, ast::Type::Long}));
}

TEST(Elaborate, LocalsBelongToTheirProbe) {
  auto e = elaborateText("probe begin { x = 1 } probe end { x = \"s\" }\n");
  ASSERT_TRUE(e->result.ok) << e->diags.render(); // two different x's
  EXPECT_EQ(e->script->decls[0].probe->locals[0]->type, ast::Type::Long);
  EXPECT_EQ(e->script->decls[1].probe->locals[0]->type, ast::Type::String);
}

TEST(Elaborate, EveryErrorInOneRunInSourceOrder) {
  auto e = elaborateText("probe begin {\n  x = \"a\" . 1\n  nosuch()\n  y = 1\n  y = \"s\"\n}\n");
  EXPECT_FALSE(e->result.ok);
  std::vector<uint32_t> lines;
  for (const auto &d : e->diags.all())
    if (d.severity == Severity::Error)
      lines.push_back(d.loc.line);
  EXPECT_EQ(lines, (std::vector<uint32_t>{2, 3, 5}));
}

TEST(Elaborate, UnknownTypesAreReported) {
  auto e = elaborateText("global a\nprobe begin { foreach (k in a) print(k) }\n");
  EXPECT_FALSE(e->result.ok);
  EXPECT_NE(e->diags.render().find("could not infer the type of global 'a'"), std::string::npos)
      << e->diags.render();
}

TEST(Elaborate, KernelProbesUseTheKernelSource) {
  struct Source : FunctionSource {
    bool matchKernel(const std::string &what, const std::string &module, const std::string &pattern,
                     std::vector<KernelMatch> &out, std::string &) const override {
      if (what == "function" && module.empty() && pattern == "vfs_*")
        out = {{"", "vfs_read", nullptr}, {"", "vfs_write", nullptr}};
      return true;
    }
    std::optional<CPrototype> prototype(const ResolvedProbe &) const override { return std::nullopt; }
  } source;
  SourceFile file("t.stp", "probe kernel.function(\"vfs_*\").return { }\nprobe kernel.function(\"nope\")? { }\n");
  Diagnostics diags;
  auto script = parseScript(file, {}, diags);
  ASSERT_NE(script, nullptr);
  ElaborateOptions options;
  options.kernel = &source;
  auto result = elaborate(*script, options, diags);
  ASSERT_TRUE(result.ok) << diags.render();
  ASSERT_EQ(result.probes[0].size(), 2u);
  EXPECT_EQ(result.probes[0][1].point, "kernel.function(\"vfs_write\").return");
  EXPECT_TRUE(result.probes[1].empty()); // optional, no match: no error
}

TEST(Similar, EditDistance) {
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  // Distance 1 each, ties by name; "println" is 3 away, past the limit of 2.
  EXPECT_EQ(similarNames("prinf", {"printf", "print", "exit", "println"}), "print, printf");
}

TEST(Format, Directives) {
  std::vector<FormatDirective> d;
  std::string error;
  size_t at = 0;
  ASSERT_TRUE(parseFormat("x=%-08.3ld%%y %*s", d, error, at)) << error;
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].literal, "x=");
  EXPECT_EQ(d[1].conversion, 'd');
  EXPECT_TRUE(d[1].leftAlign);
  EXPECT_TRUE(d[1].zeroPad);
  EXPECT_EQ(d[1].width, 8);
  EXPECT_EQ(d[1].precision, 3);
  EXPECT_EQ(d[2].literal, "%y ");
  EXPECT_EQ(d[3].width, -2);
  EXPECT_FALSE(parseFormat("abc %", d, error, at));
  EXPECT_EQ(at, 4u);
  EXPECT_FALSE(parseFormat("%q", d, error, at));
}

// ------------------------------------------------------ target variables

namespace {
// A small kernel: vfs_read and vfs_write as in 6.1, do_thing with $file in
// another position and no $buf, and no_btf without a prototype.
// It answers for its own types, as the BTF reader does.
struct FakeKernel : FunctionSource, TypeSource {
  std::map<uint32_t, CType> types;
  std::map<uint32_t, uint32_t> pointees;
  std::map<uint32_t, std::vector<CMember>> memberLists;
  std::map<std::string, CPrototype> prototypes;

  CType add(uint32_t id, CType::Kind kind, const std::string &spelling, uint32_t size, bool isSigned = false,
            uint32_t pointee = 0) {
    CType t;
    t.kind = kind;
    t.spelling = spelling;
    t.size = size;
    t.isSigned = isSigned;
    t.source = this;
    t.id = id;
    types[id] = t;
    if (pointee)
      pointees[id] = pointee;
    return t;
  }

  FakeKernel() {
    using K = CType::Kind;
    CType filePtr = add(1, K::Pointer, "struct file*", 8, false, 2);
    add(2, K::Struct, "struct file", 232);
    add(3, K::Struct, "struct path", 16);
    add(4, K::Pointer, "struct dentry*", 8, false, 5);
    add(5, K::Struct, "struct dentry", 192);
    add(6, K::Struct, "struct qstr", 16);
    add(7, K::Pointer, "const unsigned char*", 8, false, 8);
    add(8, K::Integer, "unsigned char", 1);
    CType i32 = add(9, K::Integer, "int", 4, true);
    CType sizeT = add(10, K::Integer, "size_t", 8);
    CType loffPtr = add(11, K::Pointer, "loff_t*", 8, false, 12);
    add(12, K::Integer, "loff_t", 8, true);
    CType charPtr = add(13, K::Pointer, "char*", 8, false, 14);
    add(14, K::Integer, "char", 1, true);
    CType ssizeT = add(15, K::Integer, "ssize_t", 8, true);
    add(16, K::Integer, "unsigned int", 4);
    CType voidT = add(17, K::Void, "void", 0);
    types[18] = add(18, K::Array, "unsigned char[32]", 32, false, 8);
    types[18].elements = 32;
    CType argv = add(19, K::Pointer, "const char* const*", 8, false, 13);
    memberLists[2] = {{"f_path", 128, 0, types[3]}, {"f_flags", 256, 0, types[16]}, {"f_mode", 288, 0, types[16]},
                      {"f_pos_bits", 320, 3, types[9]}};
    memberLists[3] = {{"mnt", 0, 0, types[13]}, {"dentry", 64, 0, types[4]}};
    memberLists[5] = {{"d_flags", 0, 0, types[16]}, {"d_name", 256, 0, types[6]}, {"d_iname", 448, 0, types[18]}};
    memberLists[6] = {{"len", 32, 0, types[16]}, {"name", 64, 0, types[7]}};
    auto proto = [&](std::vector<CParameter> params, CType ret) { return CPrototype{std::move(params), ret}; };
    prototypes["vfs_read"] = proto({{"file", filePtr}, {"buf", charPtr}, {"count", sizeT}, {"pos", loffPtr}}, ssizeT);
    prototypes["vfs_write"] = proto({{"file", filePtr}, {"buf", charPtr}, {"count", sizeT}, {"pos", loffPtr}}, ssizeT);
    prototypes["do_thing"] = proto({{"flag", i32}, {"file", filePtr}}, voidT);
    prototypes["exec_thing"] = proto({{"argv", argv}}, i32);
    // A tracepoint passing two pointers, and one passing a struct by value.
    prototypes["file_event"] = proto({{"old", filePtr}, {"new", filePtr}}, voidT);
    prototypes["path_event"] = proto({{"path", types[3]}}, voidT);
  }

  bool matchKernel(const std::string &what, const std::string &, const std::string &pattern,
                   std::vector<KernelMatch> &out, std::string &) const override {
    if (what == "trace") {
      for (const char *name : {"file_event", "path_event"})
        if (pattern == name)
          out.push_back({"", name, nullptr, true});
      return true;
    }
    if (what != "function")
      return true;
    for (const char *name : {"vfs_read", "vfs_write", "do_thing", "no_btf", "exec_thing"})
      if (pattern == name || (pattern == "vfs_*" && std::string(name).rfind("vfs_", 0) == 0) || (pattern == "*"))
        out.push_back({"", name, nullptr});
    return true;
  }

  std::optional<CPrototype> prototype(const ResolvedProbe &point) const override {
    auto it = point.kernel ? prototypes.find(point.kernel->function) : prototypes.end();
    if (it == prototypes.end())
      return std::nullopt;
    return it->second;
  }

  std::optional<CType> pointee(const CType &t) const override {
    auto it = pointees.find(static_cast<uint32_t>(t.id));
    if (it == pointees.end())
      return std::nullopt;
    return types.at(it->second);
  }

  std::vector<CMember> members(const CType &t) const override {
    auto it = memberLists.find(static_cast<uint32_t>(t.id));
    return it == memberLists.end() ? std::vector<CMember>{} : it->second;
  }
};

struct TargetRun {
  FakeKernel kernel;
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<ast::Script> script;
  Diagnostics diags;
  ElaborateResult result;

  // The access of the n-th target expression, in source order.
  const TargetAccess &nth(size_t n) {
    std::vector<std::pair<SourceLoc, const TargetAccess *>> all;
    for (auto &[e, a] : result.targets)
      all.emplace_back(e->loc(), &a);
    std::sort(all.begin(), all.end(), [](auto &x, auto &y) {
      return x.first.line != y.first.line ? x.first.line < y.first.line : x.first.column < y.first.column;
    });
    return *all.at(n).second;
  }
};

std::unique_ptr<TargetRun> elaborateTargets(const std::string &text, bool guru = false) {
  auto r = std::make_unique<TargetRun>();
  r->file = std::make_unique<SourceFile>("t.stp", text);
  r->script = parseScript(*r->file, {}, r->diags);
  EXPECT_NE(r->script, nullptr) << r->diags.render();
  if (!r->script)
    return r;
  ElaborateOptions options;
  options.kernel = &r->kernel;
  options.guru = guru;
  r->result = elaborate(*r->script, options, r->diags);
  return r;
}

bool has(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }
} // namespace

TEST(Targets, ParametersByPositionWidthAndSign) {
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\") { println($count + $file) }\n"
                            "probe kernel.function(\"do_thing\") { println($flag) }\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  ASSERT_EQ(r->result.targets.size(), 3u);
  const TargetAccess &count = r->nth(0);
  EXPECT_EQ(count.base, TargetAccess::Base::Argument);
  EXPECT_EQ(count.argument, 2);
  EXPECT_EQ(count.size, 8u);
  EXPECT_FALSE(count.isSigned);
  EXPECT_EQ(r->nth(1).argument, 0);
  const TargetAccess &flag = r->nth(2);
  EXPECT_EQ(flag.argument, 0);
  EXPECT_EQ(flag.size, 4u);
  EXPECT_TRUE(flag.isSigned);
}

TEST(Targets, MemberChainsFollowOffsetsThroughPointersAndEmbeddedStructs) {
  // f_path (at 16) and d_name (at 32) are embedded; dentry (at 8 in path)
  // and name (at 8 in qstr) are read.
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\") {\n"
                            "  println(kernel_string($file->f_path->dentry->d_name->name))\n"
                            "  println($file->f_flags, $file->f_pos_bits)\n}\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  const TargetAccess &name = r->nth(0);
  ASSERT_EQ(name.steps.size(), 2u);
  EXPECT_EQ(name.steps[0].offset, 24u);
  EXPECT_EQ(name.steps[0].size, 8u);
  EXPECT_EQ(name.steps[1].offset, 40u);
  EXPECT_EQ(name.steps[1].size, 8u);
  const TargetAccess &flags = r->nth(1);
  ASSERT_EQ(flags.steps.size(), 1u);
  EXPECT_EQ(flags.steps[0].offset, 32u);
  EXPECT_EQ(flags.steps[0].size, 4u);
  const TargetAccess &bits = r->nth(2);
  ASSERT_EQ(bits.steps.size(), 1u);
  EXPECT_EQ(bits.steps[0].offset, 40u);
  EXPECT_EQ(bits.steps[0].bitSize, 3u);
  EXPECT_TRUE(bits.steps[0].isSigned);
}

TEST(Targets, DotNamesAMemberOfAnEmbeddedStruct) {
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\") {\n"
                            "  println(kernel_string($file->f_path.dentry->d_name.name))\n}\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  const TargetAccess &name = r->nth(0);
  ASSERT_EQ(name.steps.size(), 2u);
  EXPECT_EQ(name.steps[0].offset, 24u);
  EXPECT_EQ(name.steps[1].offset, 40u);
  auto bad = elaborateTargets("probe kernel.function(\"vfs_read\") { println($file.f_path) }\n"
                              "probe kernel.function(\"vfs_read\") { println($count.x) }\n"
                              "probe kernel.function(\"vfs_read\") { println($file->f_path.dentry.d_name) }\n"
                              "probe kernel.function(\"vfs_read\") { println($file->f_path.dentri) }\n");
  EXPECT_FALSE(bad->result.ok);
  std::string text = bad->diags.render();
  EXPECT_TRUE(has(text, "'$file' is a pointer (struct file*): follow it with '->f_path', not '.f_path'")) << text;
  EXPECT_TRUE(has(text, "'$count' is a size_t, not a struct or union: it has no member 'x' (to concatenate "
                        "strings, put spaces around '.')"))
      << text;
  EXPECT_TRUE(has(text, "'$file->f_path.dentry' is a pointer (struct dentry*): follow it with '->d_name'")) << text;
  EXPECT_TRUE(has(text, "struct path has no member 'dentri' (in '$file->f_path.dentri') (similar: dentry)")) << text;
}

TEST(Targets, IndexesReadPointersAndMoveThroughArrays) {
  // $argv[1]: argv in hand, element 1 at +8; ->d_iname[2]: the embedded
  // array at 56, element 2 at 58; [i] at run time: a step naming the
  // component, its stride and the array's length.
  auto r = elaborateTargets("probe kernel.function(\"exec_thing\") { println(kernel_string($argv[1]), $argv[0][3]) }\n"
                            "probe kernel.function(\"vfs_read\") { i = 1\n"
                            "  println($file->f_path.dentry->d_iname[2], $file->f_path.dentry->d_iname[i],\n"
                            "          $file->f_path.dentry->d_name.name[i + 1]) }\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  const TargetAccess &argv1 = r->nth(0);
  ASSERT_EQ(argv1.steps.size(), 1u);
  EXPECT_EQ(argv1.steps[0].offset, 8u);
  EXPECT_EQ(argv1.steps[0].size, 8u);
  const TargetAccess &argv03 = r->nth(1);
  ASSERT_EQ(argv03.steps.size(), 2u);
  EXPECT_EQ(argv03.steps[0].offset, 0u);
  EXPECT_EQ(argv03.steps[1].offset, 3u);
  EXPECT_EQ(argv03.steps[1].size, 1u);
  EXPECT_TRUE(argv03.steps[1].isSigned); // char
  const TargetAccess &constant = r->nth(2);
  ASSERT_EQ(constant.steps.size(), 2u);
  EXPECT_EQ(constant.steps[1].offset, 58u);
  EXPECT_EQ(constant.steps[1].size, 1u);
  const TargetAccess &runtime = r->nth(3);
  ASSERT_EQ(runtime.steps.size(), 3u);
  EXPECT_EQ(runtime.steps[1].indexComponent, 3);
  EXPECT_EQ(runtime.steps[1].offset, 56u);
  EXPECT_EQ(runtime.steps[1].stride, 1u);
  EXPECT_EQ(runtime.steps[1].bound, 32u);
  EXPECT_EQ(runtime.steps[2].offset, 0u);
  EXPECT_EQ(runtime.steps[2].size, 1u);
  const TargetAccess &pointer = r->nth(4);
  ASSERT_EQ(pointer.steps.size(), 4u); // dentry, name, the index (unbounded), the byte
  EXPECT_EQ(pointer.steps[2].bound, 0u);
  auto bad = elaborateTargets("probe kernel.function(\"vfs_read\") { println($file->f_path.dentry->d_iname[32]) }\n"
                              "probe kernel.function(\"vfs_read\") { println($count[0]) }\n"
                              "probe kernel.function(\"vfs_read\") { println($file->f_path[0]) }\n"
                              "probe kernel.function(\"vfs_read\") { println($file->f_path.dentry->d_iname[-1]) }\n");
  EXPECT_FALSE(bad->result.ok);
  std::string text = bad->diags.render();
  EXPECT_TRUE(has(text, "index 32 is out of bounds for '$file->f_path.dentry->d_iname' (unsigned char[32], 32 "
                        "elements) in '$file->f_path.dentry->d_iname[32]'"))
      << text;
  EXPECT_TRUE(has(text, "'$count' is a size_t, not a pointer or an array: it cannot be indexed")) << text;
  EXPECT_TRUE(has(text, "'$file->f_path' is a struct path, not a pointer or an array")) << text;
  EXPECT_TRUE(has(text, "index -1 is out of bounds")) << text;
}

TEST(Targets, TracepointArgumentsArePositions) {
  auto r = elaborateTargets("probe kernel.trace(\"file_event\") { println($new->f_flags, $old) }\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  ASSERT_EQ(r->result.probes.at(0).size(), 1u);
  EXPECT_EQ(r->result.probes[0][0].traceArguments, 2);
  EXPECT_EQ(r->nth(0).argument, 1);
  ASSERT_EQ(r->nth(0).steps.size(), 1u);
  EXPECT_EQ(r->nth(0).steps[0].offset, 32u);
  EXPECT_EQ(r->nth(1).argument, 0);
  auto bad = elaborateTargets("probe kernel.trace(\"file_event\") { println($return, $nwe) }\n"
                              "probe kernel.trace(\"path_event\") { println($path->dentry) }\n");
  EXPECT_FALSE(bad->result.ok);
  std::string text = bad->diags.render();
  EXPECT_TRUE(has(text, "'$return' does not exist in 'kernel.trace(\"file_event\")': tracepoints return nothing"))
      << text;
  EXPECT_TRUE(has(text, "'$nwe' is not an argument of 'file_event' (similar: $new)")) << text;
  EXPECT_TRUE(has(text, "the tracepoint passes an argument that is not one integer or pointer")) << text;
  EXPECT_EQ(bad->result.probes.at(1).at(0).traceArguments, -1);
}

TEST(Targets, ReturnAndParms) {
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\").return { println($return) }\n"
                            "probe kernel.function(\"vfs_read\") { println($$parms) }\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  EXPECT_EQ(r->nth(0).base, TargetAccess::Base::Return);
  EXPECT_TRUE(r->nth(0).isSigned);
  const TargetAccess &parms = r->nth(1);
  ASSERT_EQ(parms.parms.size(), 4u);
  EXPECT_EQ(parms.parms[2].name, "count");
  EXPECT_EQ(parms.parms[2].argument, 2);
}

// In a .return probe a parameter resolves as at entry; pass 3 reads it there.
TEST(Targets, ParameterInReturnProbe) {
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\").return { println($count, @entry($file)) }\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  EXPECT_EQ(r->nth(0).base, TargetAccess::Base::Argument);
  EXPECT_EQ(r->nth(0).argument, 2);
  EXPECT_EQ(r->nth(1).argument, 0);
}

TEST(Targets, ErrorsNameWhatIsMissing) {
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\") { println($cont) }\n"
                            "probe kernel.function(\"vfs_read\") { println($file->f_pth) }\n"
                            "probe kernel.function(\"vfs_read\") { println($return) }\n"
                            "probe kernel.function(\"no_btf\") { println($x) }\n"
                            "probe kernel.function(\"do_thing\").return { println($return) }\n"
                            "probe begin { println($x) }\n"
                            "function f() { return $x }\nprobe end { println(f()) }\n"
                            "probe kernel.function(\"vfs_read\") { println($file->f_path) }\n");
  EXPECT_FALSE(r->result.ok);
  std::string text = r->diags.render();
  EXPECT_TRUE(has(text, "'$cont' is not a parameter of 'vfs_read' (similar: $count) (its parameters: "
                        "$file:struct file*, $buf:char*, $count:size_t, $pos:loff_t*)"))
      << text;
  EXPECT_TRUE(has(text, "struct file has no member 'f_pth' (in '$file->f_pth') (similar: f_path)")) << text;
  EXPECT_TRUE(has(text, "'$return' is only available in .return probes")) << text;
  EXPECT_TRUE(has(text, "the kernel's BTF has no prototype for 'no_btf'")) << text;
  EXPECT_TRUE(has(text, "'do_thing' returns void")) << text;
  EXPECT_TRUE(has(text, "not available in probe point 'begin'")) << text;
  EXPECT_TRUE(has(text, "target variable '$x' in function 'f'")) << text;
  EXPECT_TRUE(has(text, "'$file->f_path' is a struct path: name one of its members")) << text;
}

TEST(Targets, WildcardsNeedTheSameParameterEverywhereUnlessGuarded) {
  auto same = elaborateTargets("probe kernel.function(\"vfs_*\") { println($count) }\n");
  EXPECT_TRUE(same.get()->result.ok) << same->diags.render();
  auto lacking = elaborateTargets("probe kernel.function(\"vfs_read\"), kernel.function(\"do_thing\") "
                                  "{ println($buf) }\n");
  EXPECT_FALSE(lacking->result.ok);
  EXPECT_TRUE(has(lacking->diags.render(), "'$buf' is not a parameter of 'do_thing'")) << lacking->diags.render();
  auto moved = elaborateTargets("probe kernel.function(\"vfs_read\"), kernel.function(\"do_thing\") "
                                "{ println($file) }\n");
  EXPECT_FALSE(moved->result.ok);
  EXPECT_TRUE(has(moved->diags.render(), "'vfs_read' and 'do_thing' differ")) << moved->diags.render();
  auto guarded = elaborateTargets("probe kernel.function(\"vfs_read\"), kernel.function(\"do_thing\") {\n"
                                  "  if (@defined($buf)) println($buf)\n"
                                  "  println(@defined($count) ? $count : 0)\n}\n");
  EXPECT_TRUE(guarded->result.ok) << guarded->diags.render();
  EXPECT_FALSE(guarded->nth(0).error.empty()); // pass 3 reports it if it survives folding
}

TEST(Targets, WritingNeedsGuruMode) {
  auto r = elaborateTargets("probe kernel.function(\"vfs_read\") { $count = 1 }\n");
  EXPECT_FALSE(r->result.ok);
  EXPECT_TRUE(has(r->diags.render(), "needs guru mode")) << r->diags.render();
  auto g = elaborateTargets("probe kernel.function(\"vfs_read\") { $count = 1 }\n", true);
  EXPECT_TRUE(g->result.ok) << g->diags.render();
}

// ------------------------------------------------------------ process probes
namespace {
// The fake kernel's functions offered as a program's, through a user
// source: process probes take the same prototypes and types from it.
// A program whose functions are the fake kernel's, by prototype.
struct FakeProgram : FunctionSource {
  const FakeKernel *kernel = nullptr;
  bool matchProgram(const std::string &binary, const std::string &pattern, std::vector<UserMatch> &out,
                    std::string &error) const override {
    if (binary != "/bin/prog") {
      error = "cannot read '" + binary + "'";
      return false;
    }
    if (pattern == "vfs_read" || pattern == "*")
      out.push_back({"/bin/prog", "vfs_read", "/src/prog.c", 12, 0x1139, nullptr});
    if (pattern == "do_thing" || pattern == "*")
      out.push_back({"/bin/prog", "do_thing", "/src/prog.c", 30, 0x1200, nullptr});
    if (out.empty())
      error = "similar: vfs_read";
    return true;
  }
  std::optional<CPrototype> prototype(const ResolvedProbe &point) const override {
    return kernel->prototypes.at(point.user->function);
  }
};

struct UserTargetRun : TargetRun {
  FakeProgram user;
};

std::unique_ptr<UserTargetRun> elaborateUserTargets(const std::string &text, bool withUserSource = true) {
  auto r = std::make_unique<UserTargetRun>();
  r->user.kernel = &r->kernel;
  r->file = std::make_unique<SourceFile>("t.stp", text);
  r->script = parseScript(*r->file, {}, r->diags);
  EXPECT_NE(r->script, nullptr) << r->diags.render();
  if (!r->script)
    return r;
  ElaborateOptions options;
  options.kernel = &r->kernel;
  if (withUserSource)
    options.user = &r->user;
  r->result = elaborate(*r->script, options, r->diags);
  return r;
}
} // namespace

TEST(UserProbes, PointsCarryTheProgramAndTheEntryOffset) {
  auto r = elaborateUserTargets("probe process(\"/bin/prog\").function(\"*\").return {}\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  ASSERT_EQ(r->result.probes.at(0).size(), 2u);
  const ResolvedProbe &p = r->result.probes[0][0];
  EXPECT_EQ(p.point, "process(\"/bin/prog\").function(\"vfs_read@/src/prog.c:12\").return");
  EXPECT_TRUE(p.isReturn);
  ASSERT_TRUE(p.user);
  EXPECT_FALSE(p.kernel);
  EXPECT_EQ(p.user->binary, "/bin/prog");
  EXPECT_EQ(p.user->offset, 0x1139u);
}

TEST(UserProbes, MemberReadsGoToUserMemory) {
  auto r = elaborateUserTargets("probe process(\"/bin/prog\").function(\"vfs_read\") {\n"
                                "  println($count, $file->f_flags)\n}\n"
                                "probe kernel.function(\"vfs_read\") { println($file->f_flags) }\n");
  ASSERT_TRUE(r->result.ok) << r->diags.render();
  const TargetAccess &count = r->nth(0);
  EXPECT_EQ(count.argument, 2);
  EXPECT_TRUE(count.userMemory);
  const TargetAccess &flags = r->nth(1);
  ASSERT_EQ(flags.steps.size(), 1u);
  EXPECT_EQ(flags.steps[0].offset, 32u);
  EXPECT_TRUE(flags.userMemory);
  EXPECT_FALSE(r->nth(2).userMemory); // the kernel's vfs_read reads kernel memory
}

TEST(UserProbes, ErrorsSayWhatIsWrong) {
  auto noMatch = elaborateUserTargets("probe process(\"/bin/prog\").function(\"vfs_reed\") {}\n");
  EXPECT_FALSE(noMatch->result.ok);
  EXPECT_TRUE(has(noMatch->diags.render(), "t.stp:1:28: error: no match for probe point "
                                           "'process(\"/bin/prog\").function(\"vfs_reed\")' (similar: vfs_read)"))
      << noMatch->diags.render();
  auto unreadable = elaborateUserTargets("probe process(\"/bin/other\").function(\"f\") {}\n");
  EXPECT_TRUE(has(unreadable->diags.render(), "t.stp:1:7: error: cannot read '/bin/other'"))
      << unreadable->diags.render();
  auto optional = elaborateUserTargets("probe process(\"/bin/prog\").function(\"nothing\")? {}\n");
  EXPECT_TRUE(optional->result.ok) << optional->diags.render();
  auto statement = elaborateUserTargets("probe process(\"/bin/prog\").statement(\"f\") {}\n");
  EXPECT_TRUE(has(statement->diags.render(), "unknown probe point")) << statement->diags.render();
  auto noSource = elaborateUserTargets("probe process(\"/bin/prog\").function(\"f\") {}\n", false);
  EXPECT_TRUE(has(noSource->diags.render(), "user-space probes are not available here")) << noSource->diags.render();
  auto returnParam = elaborateUserTargets("probe process(\"/bin/prog\").function(\"vfs_read\").return { println($count) }\n");
  // Read at entry and kept for the return (pass 3 saves it).
  EXPECT_TRUE(returnParam->result.ok) << returnParam->diags.render();
}

// 'private' declarations are private to the file they come from: a library
// file's private global is its own (the user's file sees a local of that
// name), its private function cannot be called from the user's file, and a
// user's global of the same name is another variable. The library file is
// simulated by moving its declarations into the user's script, keeping the
// file each came from.
TEST(Elaborate, PrivateNamesBelongToTheirFile) {
  SourceFile library("lib.stp", "private global counter\nprivate function bump() { counter++ return counter }\n"
                                "function lib_next() { return bump() }\n");
  Diagnostics libraryDiags;
  auto lib = parseScript(library, {}, libraryDiags);
  ASSERT_NE(lib, nullptr) << libraryDiags.render();

  auto user = [&](const std::string &text, Diagnostics &diags) {
    auto file = std::make_unique<SourceFile>("user.stp", text);
    auto script = parseScript(*file, {}, diags);
    EXPECT_NE(script, nullptr) << diags.render();
    auto libCopy = parseScript(library, {}, libraryDiags);
    for (auto &decl : libCopy->decls)
      script->decls.push_back(std::move(decl));
    ElaborateResult result = elaborate(*script, {}, diags);
    return std::make_tuple(std::move(file), std::move(script), result.ok);
  };

  // The user calls the public function, and has a 'counter' of its own.
  Diagnostics okDiags;
  auto [okFile, okScript, ok] =
      user("global counter\nprobe begin { counter = 5 println(lib_next(), counter) }\n", okDiags);
  ASSERT_TRUE(ok) << okDiags.render();
  std::vector<const ast::Variable *> counters;
  for (auto &decl : okScript->decls)
    if (decl.kind == ast::Decl::Kind::Global)
      for (auto &g : decl.global->vars)
        if (g.name == "counter")
          counters.push_back(g.var.get());
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_NE(counters[0], counters[1]);
  EXPECT_EQ(counters[0]->privateTo, nullptr);
  EXPECT_EQ(counters[1]->privateTo, &library);

  // Without a global of its own, 'counter' in the user's probe is a local.
  Diagnostics localDiags;
  auto [localFile, localScript, localOk] = user("probe begin { counter = 1 println(counter) }\n", localDiags);
  ASSERT_TRUE(localOk) << localDiags.render();
  auto &probe = *localScript->decls[0].probe;
  ASSERT_EQ(probe.locals.size(), 1u);
  EXPECT_EQ(probe.locals[0]->name, "counter");

  // The private function is the library's only.
  Diagnostics callDiags;
  auto [callFile, callScript, callOk] = user("probe begin { println(bump()) }\n", callDiags);
  EXPECT_FALSE(callOk);
  EXPECT_NE(callDiags.render().find("function 'bump' is private to lib.stp: only that file can call it"),
            std::string::npos)
      << callDiags.render();
}
