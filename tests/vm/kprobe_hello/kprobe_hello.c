// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal kprobe module for the VM tests: counts the calls of one kernel
 * function (kernel_clone by default, which every fork from the shell reaches)
 * and prints the count when it is unloaded.
 *
 *   insmod kprobe_hello.ko [symbol=NAME]; ...; rmmod kprobe_hello
 *   dmesg | grep 'kprobe_hello: hits'
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>

static char *symbol = "kernel_clone";
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "the kernel function to count");

static atomic_long_t hits = ATOMIC_LONG_INIT(0);

static int before_call(struct kprobe *probe, struct pt_regs *regs)
{
	atomic_long_inc(&hits);
	return 0;
}

static struct kprobe probe = {
	.pre_handler = before_call,
};

static int __init kprobe_hello_init(void)
{
	int err;

	probe.symbol_name = symbol;
	err = register_kprobe(&probe);
	if (err) {
		pr_err("kprobe_hello: cannot probe %s: error %d\n", symbol, err);
		return err;
	}
	pr_info("kprobe_hello: probing %s\n", symbol);
	return 0;
}

static void __exit kprobe_hello_exit(void)
{
	unregister_kprobe(&probe);
	pr_info("kprobe_hello: hits of %s: %ld\n", symbol, atomic_long_read(&hits));
}

module_init(kprobe_hello_init);
module_exit(kprobe_hello_exit);
MODULE_DESCRIPTION("Counts the calls of one kernel function with a kprobe");
MODULE_LICENSE("GPL");
