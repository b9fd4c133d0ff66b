// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-written reference of the probe-overhead benchmark: the least a
 * kprobe module can do to count the calls of one function. One kprobe with a
 * pre-handler that bumps an atomic counter; the count is printed on unload.
 *
 *   insmod getpid_kprobe.ko [symbol=NAME]; ...; rmmod getpid_kprobe
 *   dmesg | grep 'getpid_kprobe: hits'
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>

static char *symbol = "__do_sys_getpid";
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "the kernel function to count");

static atomic_long_t hits = ATOMIC_LONG_INIT(0);

static int count_hit(struct kprobe *probe, struct pt_regs *regs)
{
	atomic_long_inc(&hits);
	return 0;
}

static struct kprobe probe = {
	.pre_handler = count_hit,
};

static int __init getpid_kprobe_init(void)
{
	int err;

	probe.symbol_name = symbol;
	err = register_kprobe(&probe);
	if (err) {
		pr_err("getpid_kprobe: cannot probe %s: error %d\n", symbol, err);
		return err;
	}
	return 0;
}

static void __exit getpid_kprobe_exit(void)
{
	unregister_kprobe(&probe);
	pr_info("getpid_kprobe: hits of %s: %ld\n", symbol, atomic_long_read(&hits));
}

module_init(getpid_kprobe_init);
module_exit(getpid_kprobe_exit);
MODULE_DESCRIPTION("Counts the calls of one kernel function with a kprobe (benchmark reference)");
MODULE_LICENSE("GPL");
