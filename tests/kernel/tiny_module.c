/* Stands in for a module (.ko) in the kernel library's tests: the build adds
   the generated module.btf (split BTF on vmlinux.btf) as its .BTF section.
   The tests read its function symbols: defined functions count, data and
   undefined symbols do not, and a function in .noinstr.text cannot be
   probed. */
extern int _printk(const char *fmt, ...);

int tiny_counter;

struct tiny_device {
  int id;
};

static long tiny_read(void *file, char *buf, unsigned long count, long long *pos) {
  (void)file;
  (void)buf;
  (void)pos;
  return (long)count;
}

int tiny_probe(struct tiny_device *dev) {
  tiny_counter += dev->id;
  return _printk("tiny %d\n", dev->id);
}

/* A name the built-in blocklist holds for vmlinux (ct_*), harmless here. */
int ct_tiny_helper(int value) { return value + 1; }

__attribute__((section(".noinstr.text"))) int tiny_noinstr_entry(void) { return tiny_counter; }

__attribute__((section(".init.text"))) int tiny_init(void) {
  return (int)tiny_read(0, 0, 0, 0);
}
