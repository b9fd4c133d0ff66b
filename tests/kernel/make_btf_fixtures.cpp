// Writes the BTF blobs the kernel library's tests use, with libbpf's BTF
// writer: DIR/vmlinux.btf, a miniature of a kernel's BTF, and DIR/module.btf,
// split BTF on top of it as a module's .BTF section is.
//
//   mstap_kernel_make_btf DIR
#include <bpf/btf.h>

#include <cstdio>
#include <initializer_list>
#include <utility>
#include <cstdlib>
#include <string>

namespace {

// Every libbpf call here returns a type id, or a negative error.
int check(int result, const char *what) {
  if (result < 0) {
    std::fprintf(stderr, "mstap_kernel_make_btf: %s failed (%d)\n", what, result);
    std::exit(1);
  }
  return result;
}

bool writeBlob(const struct btf *btf, const std::string &path) {
  __u32 size = 0;
  const void *data = btf__raw_data(btf, &size);
  if (!data)
    return false;
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return false;
  bool ok = std::fwrite(data, 1, size, file) == size;
  return std::fclose(file) == 0 && ok;
}

// The base types both blobs use.
struct BaseTypes {
  int intType, charType, longType, ulongType, longLongType, ushortType;
  int sizeType, ssizeType, loffType;
  int fileStruct, ptRegsStruct;
  int filePtr, charPtr, constCharPtr, loffPtr, ptRegsPtr, voidPtr;
};

void addFunction(struct btf *btf, const char *name, int returnType,
                 std::initializer_list<std::pair<const char *, int>> parameters,
                 int linkage = BTF_FUNC_GLOBAL) {
  int proto = check(btf__add_func_proto(btf, returnType), "func_proto");
  for (const auto &[parameterName, type] : parameters)
    check(btf__add_func_param(btf, parameterName, type), "func_param");
  check(btf__add_func(btf, name, static_cast<enum btf_func_linkage>(linkage), proto), name);
}

BaseTypes addBaseTypes(struct btf *btf) {
  BaseTypes t{};
  t.intType = check(btf__add_int(btf, "int", 4, BTF_INT_SIGNED), "int");
  t.charType = check(btf__add_int(btf, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR), "char");
  t.longType = check(btf__add_int(btf, "long", 8, BTF_INT_SIGNED), "long");
  t.ulongType = check(btf__add_int(btf, "unsigned long", 8, 0), "unsigned long");
  t.longLongType = check(btf__add_int(btf, "long long", 8, BTF_INT_SIGNED), "long long");
  t.ushortType = check(btf__add_int(btf, "unsigned short", 2, 0), "unsigned short");
  t.sizeType = check(btf__add_typedef(btf, "size_t", t.ulongType), "size_t");
  t.ssizeType = check(btf__add_typedef(btf, "ssize_t", t.longType), "ssize_t");
  t.loffType = check(btf__add_typedef(btf, "loff_t", t.longLongType), "loff_t");
  t.fileStruct = check(btf__add_struct(btf, "file", 8), "struct file");
  check(btf__add_field(btf, "f_pos", t.longLongType, 0, 0), "f_pos");
  t.ptRegsStruct = check(btf__add_struct(btf, "pt_regs", 8), "struct pt_regs");
  check(btf__add_field(btf, "ip", t.ulongType, 0, 0), "ip");
  t.filePtr = check(btf__add_ptr(btf, t.fileStruct), "struct file*");
  t.charPtr = check(btf__add_ptr(btf, t.charType), "char*");
  int constChar = check(btf__add_const(btf, t.charType), "const char");
  t.constCharPtr = check(btf__add_ptr(btf, constChar), "const char*");
  t.loffPtr = check(btf__add_ptr(btf, t.loffType), "loff_t*");
  t.ptRegsPtr = check(btf__add_ptr(btf, t.ptRegsStruct), "struct pt_regs*");
  t.voidPtr = check(btf__add_ptr(btf, 0), "void*");
  return t;
}

void addVmlinuxFunctions(struct btf *btf, const BaseTypes &t) {
  addFunction(btf, "vfs_read", t.ssizeType,
              {{"file", t.filePtr}, {"buf", t.charPtr}, {"count", t.sizeType}, {"pos", t.loffPtr}});
  addFunction(btf, "vfs_write", t.ssizeType,
              {{"file", t.filePtr}, {"buf", t.constCharPtr}, {"count", t.sizeType}, {"pos", t.loffPtr}});
  addFunction(btf, "vfs_fsync", t.intType, {{"file", t.filePtr}, {"datasync", t.intType}});
  addFunction(btf, "do_sys_open", t.longType,
              {{"dfd", t.intType}, {"filename", t.constCharPtr}, {"flags", t.intType}, {"mode", t.ushortType}});
  // C's "..." is a last parameter without name or type.
  addFunction(btf, "_printk", t.intType, {{"fmt", t.constCharPtr}, {"", 0}});
  // A parameter that is a function pointer: int (*threadfn)(void* data).
  int threadProto = check(btf__add_func_proto(btf, t.intType), "thread proto");
  check(btf__add_func_param(btf, "data", t.voidPtr), "thread param");
  int threadPtr = check(btf__add_ptr(btf, threadProto), "thread ptr");
  addFunction(btf, "kthread_create_on_node", t.voidPtr,
              {{"threadfn", threadPtr}, {"data", t.voidPtr}, {"node", t.intType}});
  addFunction(btf, "schedule", 0, {});
  // Two static functions of one name, as kernels have in different files.
  addFunction(btf, "show_stat", t.intType, {{"file", t.filePtr}}, BTF_FUNC_STATIC);
  addFunction(btf, "show_stat", t.intType, {{"file", t.filePtr}, {"v", t.voidPtr}}, BTF_FUNC_STATIC);
  // Functions a probe must not land on.
  addFunction(btf, "kprobe_int3_handler", t.intType, {{"regs", t.ptRegsPtr}});
  addFunction(btf, "exc_page_fault", 0, {{"regs", t.ptRegsPtr}, {"error_code", t.ulongType}});
  addFunction(btf, "_raw_spin_lock", 0, {{"lock", t.voidPtr}});
}

void addModuleFunctions(struct btf *btf, const BaseTypes &t) {
  int device = check(btf__add_struct(btf, "tiny_device", 4), "struct tiny_device");
  check(btf__add_field(btf, "id", t.intType, 0, 0), "id");
  int devicePtr = check(btf__add_ptr(btf, device), "struct tiny_device*");
  addFunction(btf, "tiny_read", t.ssizeType,
              {{"file", t.filePtr}, {"buf", t.charPtr}, {"count", t.sizeType}, {"pos", t.loffPtr}},
              BTF_FUNC_STATIC);
  addFunction(btf, "tiny_probe", t.intType, {{"dev", devicePtr}});
  addFunction(btf, "ct_tiny_helper", t.intType, {{"value", t.intType}});
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: mstap_kernel_make_btf DIR\n");
    return 2;
  }
  std::string dir = argv[1];

  struct btf *vmlinux = btf__new_empty();
  if (!vmlinux)
    return check(-1, "btf__new_empty");
  BaseTypes types = addBaseTypes(vmlinux);
  addVmlinuxFunctions(vmlinux, types);

  struct btf *module = btf__new_empty_split(vmlinux);
  if (!module)
    return check(-1, "btf__new_empty_split");
  addModuleFunctions(module, types);

  bool ok = writeBlob(vmlinux, dir + "/vmlinux.btf") && writeBlob(module, dir + "/module.btf");
  btf__free(module);
  btf__free(vmlinux);
  if (!ok) {
    std::fprintf(stderr, "mstap_kernel_make_btf: cannot write into %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
