/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_probes.h - running a probe handler (MODULE.md section 4) and the
 * kernel hooks that call it: kprobes, kretprobes, hrtimers, the per-CPU
 * profile timer, tracepoints and uprobes, with their registration and
 * removal: the hit's inline part here, the rest in mstap_probes.c.
 */
#ifndef MSTAP_PROBES_H
#define MSTAP_PROBES_H

#include "mstap_context.h"
#include "mstap_transport.h"
#include "mstap_builtins.h"

#include <linux/smp.h>
/*
 * NOKPROBE_SYMBOL, which generated kprobe pre-handlers use: the small
 * header that defines it (and that asm/kprobes.h includes first on every
 * architecture), not linux/kprobes.h, which is parsed by the runtime's .c
 * files only (mstap_registration.h).
 */
#include <asm-generic/kprobes.h>

/* Which phase a run of a probe belongs to. */
enum mstap_run_kind {
	MSTAP_RUN_EVENT, /* kprobes, timers, tracepoints: only while running */
	MSTAP_RUN_BEGIN,
	MSTAP_RUN_END,   /* end and error probes, while stopping */
};

/* Asks for the run to stop; the reader of `output` does it (section 5). */
static inline void mstap_request_stop(bool exit_flag)
{
	if (exit_flag)
		atomic_set(&mstap_rt.exit_flag, 1);
	atomic_set(&mstap_rt.stop_requested, 1);
}

/* A hit that did not run: counted, and past MSTAP_MAXSKIPPED the run stops. */
static inline void mstap_count_skip(void)
{
	static const char message[] =
		"ERROR: Skipped too many probes, check MAXSKIPPED\n";

	if (atomic_inc_return(&mstap_rt.skipped) <= MSTAP_MAXSKIPPED)
		return;
	if (atomic_cmpxchg(&mstap_rt.skip_reported, 0, 1) != 0)
		return;
	mstap_commit(MSTAP_STREAM_STDERR, message, sizeof(message) - 1);
	mstap_request_stop(true);
}

/* `locks` is the script's lock array (mstap_rt.script->locks). */
static __always_inline void mstap_release_locks(const struct mstap_probe *probe,
						struct mstap_rwlock *locks,
						u32 count)
{
	while (count > 0) {
		const struct mstap_lock_use *use = &probe->locks[--count];

		if (use->write)
			mstap_rwlock_write_unlock(&locks[use->global]);
		else
			mstap_rwlock_read_unlock(&locks[use->global]);
	}
}

/*
 * Takes the probe's locks in array order; all or none. `locks` holds
 * `lock_count` locks: the script's (constants in a generated pre-handler).
 */
static __always_inline bool mstap_take_locks(const struct mstap_probe *probe,
					     struct mstap_rwlock *locks,
					     u32 lock_count)
{
	u32 i;

	for (i = 0; i < probe->lock_count; i++) {
		const struct mstap_lock_use *use = &probe->locks[i];
		bool taken;

		if (unlikely(use->global >= lock_count))
			taken = false;
		else if (use->write)
			taken = mstap_rwlock_try_write(&locks[use->global]);
		else
			taken = mstap_rwlock_try_read(&locks[use->global]);
		if (!taken) {
			mstap_release_locks(probe, locks, i);
			return false;
		}
	}
	return true;
}

/* `ERROR: MESSAGE near LOCATION in probe POINT` for the hit's error. */
void mstap_report_error(struct mstap_context *c);

/*
 * Runs one hit of `probe` on this CPU's context: the whole of section 4.
 * `handler` is the probe's handler, or its entry handler (which takes no
 * locks: it only reads registers and kernel memory into `entry_data`).
 * `args` (`arg_count` of them) are a tracepoint's arguments, else NULL.
 * Callable from any context; preemption is disabled around it. True when
 * the handler ran to its end without an error.
 *
 * Always inlined: a generated kprobe pre-handler (MODULE.md section 4)
 * calls it with its own descriptor and handler, both constants, so the
 * compiler folds the lock list and the kind checks and calls the handler
 * directly, or inlines it; the runtime's hooks call it through
 * mstap_run_hit() below. `kprobe_hit` (a constant) drops what a kprobe's
 * pre-handler does not need: kprobes call it with preemption already
 * disabled (Documentation/trace/kprobes.rst; each of the int3, ftrace and
 * optimized paths does), and its handler reads neither tracepoint
 * arguments nor entry values, so those fields are left as the last hit
 * on this CPU left them: NULL (the generic path clears them at its end).
 */
static __always_inline bool
mstap_run_hit_inline(const struct mstap_probe *probe,
		     void (*handler)(struct mstap_context *c),
		     struct pt_regs *regs, const u64 *args, u32 arg_count,
		     enum mstap_run_kind kind, void *entry_data, bool kprobe_hit,
		     struct mstap_rwlock *locks, u32 lock_count)
{
	struct mstap_context *c;
	int phase = atomic_read(&mstap_rt.phase);
	bool locked = handler == probe->handler;
	bool ok;

	if (kind == MSTAP_RUN_EVENT) {
		if (phase != MSTAP_PHASE_RUNNING ||
		    atomic_read(&mstap_rt.stop_requested))
			return false;
	} else if (kind == MSTAP_RUN_BEGIN) {
		if (phase != MSTAP_PHASE_STARTING ||
		    atomic_read(&mstap_rt.stop_requested))
			return false;
	} else if (phase != MSTAP_PHASE_STOPPING ||
		   atomic_read(&mstap_rt.end_aborted)) {
		return false;
	}

	/*
	 * Claims this CPU's context with a plain read and write: only this CPU
	 * touches it, with preemption off, and a hit that interrupts this one
	 * (an interrupt, an NMI) runs to its end before this one goes on. So a
	 * nested hit either sees busy set and is skipped, or comes before the
	 * write and has released the context when we take it. No atomic
	 * instruction is needed, which keeps the cost of a hit down.
	 */
	if (!kprobe_hit)
		preempt_disable();
	c = this_cpu_read(mstap_cpu_context);
	if (unlikely(!c || READ_ONCE(c->busy))) {
		if (!kprobe_hit)
			preempt_enable();
		mstap_count_skip();
		return false;
	}
	WRITE_ONCE(c->busy, 1);
	barrier();
	if (locked && unlikely(!mstap_take_locks(probe, locks, lock_count))) {
		barrier();
		WRITE_ONCE(c->busy, 0);
		if (!kprobe_hit)
			preempt_enable();
		mstap_count_skip();
		return false;
	}
	mstap_error_clear(&c->error);
	c->error_location = NULL;
	c->probe = probe;
	c->regs = regs;
	if (!kprobe_hit) {
		c->entry_data = entry_data;
		c->trace_args = args;
		c->trace_arg_count = arg_count;
	}
	c->actions = 0;
	c->nesting = 0;
	c->frame_top = 0;
	c->exit_called = 0;
	/* The print buffer's place and flush hook are set once (session.h). */
	c->out.used = 0;
	c->out.truncated = 0;

	handler(c);

	if (locked)
		mstap_release_locks(probe, locks, probe->lock_count);
	mstap_out_commit_all(&c->out);
	ok = !c->error.message;
	if (!ok)
		mstap_report_error(c);
	if (c->exit_called)
		mstap_request_stop(true);
	/*
	 * The other fields of this hit stay: the next hit sets them first.
	 * These two are left NULL, because a kprobe's generated pre-handler
	 * does not set them, and its handler must not find a tracepoint's
	 * arguments (on a stack that is gone) or another call's entry values.
	 */
	if (!kprobe_hit) {
		c->trace_args = NULL;
		c->trace_arg_count = 0;
		c->entry_data = NULL;
	}
	barrier();
	WRITE_ONCE(c->busy, 0);
	if (!kprobe_hit)
		preempt_enable();
	return ok;
}

/*
 * mstap_run_hit_inline for the runtime's own hooks (mstap_probes.c): one
 * copy, with the script's locks.
 */
bool mstap_run_hit(const struct mstap_probe *probe,
		   void (*handler)(struct mstap_context *c),
		   struct pt_regs *regs, const u64 *args, u32 arg_count,
		   enum mstap_run_kind kind, void *entry_data);

/*
 * The body of a generated kprobe pre-handler: one hit of the probe
 * `probe` (a constant: &mstap_probes[N]) with its handler, and the
 * script's locks (mstap_locks and its length, constants too).
 */
static __always_inline void mstap_kprobe_hit(const struct mstap_probe *probe,
					     void (*handler)(struct mstap_context *c),
					     struct pt_regs *regs,
					     struct mstap_rwlock *locks,
					     u32 lock_count)
{
	mstap_run_hit_inline(probe, handler, regs, NULL, 0, MSTAP_RUN_EVENT,
			     NULL, true, locks, lock_count);
}

static inline void mstap_run_probe(const struct mstap_probe *probe,
				   struct pt_regs *regs,
				   enum mstap_run_kind kind)
{
	mstap_run_hit(probe, probe->handler, regs, NULL, 0, kind, NULL);
}

/*
 * A hit of a tracepoint probe with the tracepoint's arguments, from the
 * generated hook (mstap_probe.tracepoint_hook) that received them.
 */
static inline void mstap_run_tracepoint(const struct mstap_probe *probe,
					const u64 *args, u32 arg_count)
{
	mstap_run_hit(probe, probe->handler, NULL, args, arg_count, MSTAP_RUN_EVENT,
		      NULL);
}

struct mstap_registration;

/* Registers one probe (process context); 0 or a negative errno. */
int mstap_register_probe(struct mstap_registration *r);

/*
 * Unregisters everything registered and waits until no handler runs
 * (process context). Kprobe and kretprobe misses become skips.
 */
void mstap_unregister_all(void);

#endif /* MSTAP_PROBES_H */
