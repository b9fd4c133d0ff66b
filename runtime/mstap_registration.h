/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_registration.h - what the runtime registers for each probe, and
 * the kernel APIs it registers with (kprobes, hrtimers, tracepoints,
 * uprobes). Private to the runtime's .c files (mstap_probes.c,
 * mstap_session.c): the script's file never includes it, so that it does
 * not parse these kernel headers (MODULE.md section 6).
 */
#ifndef MSTAP_REGISTRATION_H
#define MSTAP_REGISTRATION_H

#include "mstap_context.h"

#include <linux/hrtimer.h>
#include <linux/kprobes.h>
#include <linux/tracepoint.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/dcache.h>
#include <linux/uprobes.h>

/*
 * uprobes: a consumer registered at (inode, offset) of a program file.
 * Linux 6.12 changed the API: uprobe_register() returns the struct uprobe
 * (or an ERR_PTR), and unregistering is split into a per-probe nosync step
 * and one synchronisation for all of them. Before 6.12 it returns 0 or
 * -errno, and uprobe_unregister(inode, offset, consumer) returns only once
 * no handler of that consumer runs (it takes the uprobe's register_rwsem,
 * which handlers hold for reading). The generated code never sees either.
 */
struct mstap_uprobe {
	struct uprobe_consumer consumer;
	struct path path; /* holds the program's inode while registered */
	loff_t offset;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	struct uprobe *uprobe;
#endif
};

/* Process context. The caller set consumer's handlers; 0 or -errno. */
static inline int mstap_uprobe_register(struct mstap_uprobe *u,
					const char *file, u64 offset)
{
	int status = kern_path(file, LOOKUP_FOLLOW, &u->path);

	if (status)
		return status;
	if (!d_is_reg(u->path.dentry)) {
		path_put(&u->path);
		return -EINVAL;
	}
	u->offset = (loff_t)offset;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	u->uprobe = uprobe_register(d_inode(u->path.dentry), u->offset, 0,
				    &u->consumer);
	if (IS_ERR(u->uprobe)) {
		status = (int)PTR_ERR(u->uprobe);
		u->uprobe = NULL;
	}
#else
	status = uprobe_register(d_inode(u->path.dentry), u->offset,
				 &u->consumer);
#endif
	if (status)
		path_put(&u->path);
	return status;
}

/* No new hits after this; handlers may run until mstap_uprobe_sync(). */
static inline void mstap_uprobe_unregister(struct mstap_uprobe *u)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	uprobe_unregister_nosync(u->uprobe, &u->consumer);
#else
	uprobe_unregister(d_inode(u->path.dentry), u->offset, &u->consumer);
#endif
}

/* Once after unregistering any number: no handler runs on return. */
static inline void mstap_uprobe_sync(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	uprobe_unregister_sync();
#endif
}

/* After mstap_uprobe_sync(): lets go of the program's inode. */
static inline void mstap_uprobe_release(struct mstap_uprobe *u)
{
	path_put(&u->path);
}

struct mstap_timer {
	struct hrtimer timer;
	const struct mstap_probe *probe;
	u64 random_state;    /* xorshift64 state, only touched by the callback */
	u32 started;
};

struct mstap_uentry_table; /* mstap_probes.c */

/* What the runtime registered for one probe of the script. */
struct mstap_registration {
	const struct mstap_probe *probe;
	u32 registered;
	struct kprobe kprobe;
	struct kretprobe kretprobe;
	struct mstap_timer timer;
	struct tracepoint *tracepoint;
	struct mstap_timer *profile; /* timer.profile: one per possible CPU */
	struct mstap_uprobe uprobe;  /* uprobes and uretprobes */
	struct mstap_uentry_table *uentries; /* uretprobes with an entry_handler */
};

#endif /* MSTAP_REGISTRATION_H */
