// SPDX-License-Identifier: GPL-2.0
/*
 * mstap_probes.c - the runtime's probe hooks and their registration
 * (MODULE.md sections 4 and 5), compiled once per kernel build tree and
 * set of -D limits, and linked into every script's module (pass 4).
 *
 * Here: the error report of a hit, the generic hit (mstap_run_hit) and
 * the functions the kernel calls through pointers (kprobe, kretprobe,
 * uprobe and uretprobe handlers, hrtimer callbacks, the tracepoint
 * handler), the uretprobe entry table, and registering and unregistering
 * probes. None of it was ever inlined into generated code: the kernel
 * reaches the hooks through pointers, and they reach the handler through
 * probe->handler. What a generated kprobe pre-handler inlines
 * (mstap_run_hit_inline, mstap_kprobe_hit) stays in mstap_probes.h.
 */
#include "mstap_module.h"
#include "mstap_registration.h"

#include <linux/cpu.h>
#include <linux/random.h>
#include <linux/version.h>
#include <linux/hash.h>
#include <linux/spinlock.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <asm/irq_regs.h>

/*
 * One object serves every module: it must not know the module's name (a
 * use of KBUILD_MODNAME here would be the first module's).
 */
#undef KBUILD_MODNAME

/* `ERROR: MESSAGE near LOCATION in probe POINT` for the hit's error. */
noinline void mstap_report_error(struct mstap_context *c)
{
	const struct mstap_probe *probe = c->probe;
	const char *location = c->error_location ? c->error_location :
						   probe->location;
	u32 size = sizeof(c->line) - 1; /* room for the newline */
	u32 used;

	used = mstap_line_add(c->line, 0, size, "ERROR: ");
	used = mstap_line_add(c->line, used, size, c->error.message);
	used = mstap_line_add(c->line, used, size, " near ");
	used = mstap_line_add(c->line, used, size, location ? location : "");
	used = mstap_line_add(c->line, used, size, " in probe ");
	used = mstap_line_add(c->line, used, size, probe->point ? probe->point : "");
	c->line[used++] = '\n';
	mstap_commit(MSTAP_STREAM_STDERR, c->line, used);
	if (atomic_inc_return(&mstap_rt.errors) > MSTAP_MAXERRORS) {
		if (atomic_read(&mstap_rt.phase) == MSTAP_PHASE_STOPPING)
			atomic_set(&mstap_rt.end_aborted, 1);
		mstap_request_stop(true);
	}
}

noinline bool mstap_run_hit(const struct mstap_probe *probe,
			    void (*handler)(struct mstap_context *c),
			    struct pt_regs *regs, const u64 *args,
			    u32 arg_count, enum mstap_run_kind kind,
			    void *entry_data)
{
	return mstap_run_hit_inline(probe, handler, regs, args, arg_count,
				    kind, entry_data, false,
				    mstap_rt.script->locks,
				    mstap_rt.script->lock_count);
}

/* ------------------------------------------------------- kernel hooks */

static int mstap_kprobe_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct mstap_registration *r =
		container_of(kp, struct mstap_registration, kprobe);

	mstap_run_probe(r->probe, regs, MSTAP_RUN_EVENT);
	return 0;
}
NOKPROBE_SYMBOL(mstap_kprobe_handler);

/* The registration of an instance's kretprobe; NULL once it is going away. */
static nokprobe_inline struct mstap_registration *
mstap_kretprobe_registration(struct kretprobe_instance *ri)
{
	struct kretprobe *rp = get_kretprobe(ri);

	return rp ? container_of(rp, struct mstap_registration, kretprobe) :
		    NULL;
}

static int mstap_kretprobe_handler(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct mstap_registration *r = mstap_kretprobe_registration(ri);

	if (unlikely(!r))
		return 0;
	mstap_run_hit(r->probe, r->probe->handler, regs, NULL, 0,
		      MSTAP_RUN_EVENT,
		      r->probe->entry_handler ? (void *)ri->data : NULL);
	return 0;
}
NOKPROBE_SYMBOL(mstap_kretprobe_handler);

/*
 * Saves the entry values of one call. A non-zero return tells kprobes not
 * to call the return handler for this instance: it would read values that
 * were never saved (the hit was skipped or failed).
 */
static int mstap_kretprobe_entry_handler(struct kretprobe_instance *ri,
					 struct pt_regs *regs)
{
	struct mstap_registration *r = mstap_kretprobe_registration(ri);

	if (unlikely(!r))
		return 1;
	return mstap_run_hit(r->probe, r->probe->entry_handler, regs, NULL, 0,
			     MSTAP_RUN_EVENT, ri->data) ? 0 : 1;
}
NOKPROBE_SYMBOL(mstap_kretprobe_entry_handler);

/*
 * uprobe handlers run in the probed task's context, at its breakpoint, with
 * its user registers: mstap_run_probe disables preemption around the
 * handler as for any other probe, and target variables read user memory
 * with the non-faulting copies only.
 */
static int mstap_uprobe_handler(struct uprobe_consumer *uc,
				struct pt_regs *regs)
{
	struct mstap_registration *r =
		container_of(uc, struct mstap_registration, uprobe.consumer);

	mstap_run_probe(r->probe, regs, MSTAP_RUN_EVENT);
	return 0;
}

/*
 * Entry values of process(...).return probes. A kretprobe instance carries
 * its own data; a uretprobe has none. So an entry uprobe (the consumer's
 * `handler`) saves them in a table of the registration, keyed by the task
 * and its stack pointer at the call's entry, and the return handler finds
 * them there: on x86-64 the entry sees %rsp at the return address, and
 * after `ret` popped it the return sees %rsp one word higher. Recursion
 * gives each call its own key.
 *
 * Bounded: MSTAP_URETPROBE_SLOTS slots. A task's slots lie in one window
 * of MSTAP_UENTRY_WINDOW (64: the kernel's own limit of nested uretprobe
 * returns per task) starting where its task pointer hashes, and a hit
 * looks at no more than that window, under a spinlock.
 *
 * Calls that never return through the uretprobe (longjmp, exit() inside
 * the function) leave their slot behind. As the kernel does with its own
 * return instances, a slot is known dead when its task is exiting, or when
 * it is its own task's at or below the stack pointer of a new entry (that
 * frame is gone: the new one sits there) or below a returning frame; the
 * task's own dead slots are freed as its entries and returns meet them.
 * An entry takes a free or dead slot, and only then the oldest saved one,
 * counted as a skipped probe since its return, if it comes, will not run.
 * A slot being filled or read belongs to its task until released.
 *
 * A child forked inside a probed call returns through the uretprobe too,
 * but as another task: it finds no slot, and its return does not run.
 */
#define MSTAP_UENTRY_WINDOW \
	(MSTAP_URETPROBE_SLOTS < 64 ? MSTAP_URETPROBE_SLOTS : 64)

enum mstap_uentry_state {
	MSTAP_UENTRY_FREE,
	MSTAP_UENTRY_FILLING, /* the entry handler writes its data */
	MSTAP_UENTRY_SAVED,
	MSTAP_UENTRY_READING, /* the return handler reads it */
};

/* Kept apart from the data so that a window's scan reads 2 KB. */
struct mstap_uentry_slot {
	struct task_struct *task; /* a reference while not FREE */
	unsigned long sp;  /* the user stack pointer at the call's entry */
	u64 stamp;         /* when saved: the oldest goes first */
	u32 state;
	u32 pad;
};

struct mstap_uentry_table {
	raw_spinlock_t lock;
	u64 next_stamp;
	u32 data_bytes;    /* each slot's, a multiple of 8 */
	char *data;        /* MSTAP_URETPROBE_SLOTS of data_bytes */
	struct mstap_uentry_slot slots[MSTAP_URETPROBE_SLOTS];
};

static inline void *mstap_uentry_data(struct mstap_uentry_table *t,
				      const struct mstap_uentry_slot *s)
{
	return t->data + (size_t)(s - t->slots) * t->data_bytes;
}

/* Process context; NULL when out of memory. */
static struct mstap_uentry_table *mstap_uentry_alloc(u32 data_size)
{
	struct mstap_uentry_table *t = kvzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	t->data_bytes = ALIGN(max_t(u32, data_size, 1), 8);
	t->data = kvzalloc((size_t)t->data_bytes * MSTAP_URETPROBE_SLOTS,
			   GFP_KERNEL);
	if (!t->data) {
		kvfree(t);
		return NULL;
	}
	raw_spin_lock_init(&t->lock);
	return t;
}

/* Process context, once no handler runs: drops the tasks and the table. */
static void mstap_uentry_free(struct mstap_uentry_table *t)
{
	u32 i;

	if (!t)
		return;
	for (i = 0; i < MSTAP_URETPROBE_SLOTS; i++)
		if (t->slots[i].task)
			put_task_struct(t->slots[i].task);
	kvfree(t->data);
	kvfree(t);
}

static inline bool mstap_uentry_task_dead(const struct task_struct *task)
{
	return (READ_ONCE(task->flags) & PF_EXITING) ||
	       READ_ONCE(task->exit_state);
}

/* Slot `i` of the current task's window. */
static inline struct mstap_uentry_slot *
mstap_uentry_window_slot(struct mstap_uentry_table *t, u32 i)
{
	u32 start = hash_ptr(current, 32) % MSTAP_URETPROBE_SLOTS;

	return &t->slots[(start + i) % MSTAP_URETPROBE_SLOTS];
}

/*
 * Claims a slot for this task's call at `sp` (state FILLING). First every
 * slot of this task at or below `sp` in the window is freed (those frames
 * are gone, and a stale one with this very key must not be found by this
 * call's return should its entry fail); then the first free slot is
 * taken, else one of an exiting task, else the oldest saved one (counted
 * as a skipped probe). NULL when every slot of the window is being filled
 * or read. Task context (uprobe handlers run there), so a task reference
 * it drops may be the last.
 */
static struct mstap_uentry_slot *
mstap_uentry_claim(struct mstap_uentry_table *t, unsigned long sp)
{
	struct mstap_uentry_slot *pick = NULL, *dead = NULL, *oldest = NULL;
	struct mstap_uentry_slot *s;
	struct task_struct *dropped = NULL;
	int own_dropped = 0;
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&t->lock, flags);
	for (i = 0; i < MSTAP_UENTRY_WINDOW; i++) {
		s = mstap_uentry_window_slot(t, i);
		if (s->state == MSTAP_UENTRY_SAVED && s->task == current &&
		    s->sp <= sp) {
			s->state = MSTAP_UENTRY_FREE;
			s->task = NULL;
			own_dropped++;
		}
		if (s->state == MSTAP_UENTRY_FREE) {
			if (!pick)
				pick = s;
		} else if (s->state == MSTAP_UENTRY_SAVED) {
			if (mstap_uentry_task_dead(s->task)) {
				if (!dead)
					dead = s;
			} else if (!oldest || s->stamp < oldest->stamp) {
				oldest = s;
			}
		}
	}
	if (!pick)
		pick = dead;
	if (!pick) {
		pick = oldest;
		mstap_count_skip(); /* an eviction, or no slot at all */
	}
	if (pick) {
		dropped = pick->task;
		pick->state = MSTAP_UENTRY_FILLING;
		pick->task = current;
		pick->sp = sp;
		get_task_struct(current);
	}
	raw_spin_unlock_irqrestore(&t->lock, flags);
	/* References to current: never the last. */
	if (own_dropped)
		put_task_struct_many(current, own_dropped);
	if (dropped)
		put_task_struct(dropped);
	return pick;
}

/* Ends a claim: the data is kept (SAVED) or the slot let go (FREE). */
static void mstap_uentry_settle(struct mstap_uentry_table *t,
				struct mstap_uentry_slot *s, bool keep)
{
	struct task_struct *dropped = NULL;
	unsigned long flags;

	raw_spin_lock_irqsave(&t->lock, flags);
	if (keep) {
		s->state = MSTAP_UENTRY_SAVED;
		s->stamp = t->next_stamp++;
	} else {
		s->state = MSTAP_UENTRY_FREE;
		dropped = s->task;
		s->task = NULL;
	}
	raw_spin_unlock_irqrestore(&t->lock, flags);
	if (dropped)
		put_task_struct(dropped);
}

/*
 * The saved slot of this task's call whose entry had %rsp `sp`, to read.
 * This task's slots below `sp` are frames the returning one called and
 * that never returned through the uretprobe (a longjmp): freed.
 */
static struct mstap_uentry_slot *
mstap_uentry_take(struct mstap_uentry_table *t, unsigned long sp)
{
	struct mstap_uentry_slot *found = NULL, *s;
	int own_dropped = 0;
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&t->lock, flags);
	for (i = 0; i < MSTAP_UENTRY_WINDOW; i++) {
		s = mstap_uentry_window_slot(t, i);
		if (s->state != MSTAP_UENTRY_SAVED || s->task != current)
			continue;
		if (s->sp == sp && !found) {
			s->state = MSTAP_UENTRY_READING;
			found = s;
		} else if (s->sp < sp) {
			s->state = MSTAP_UENTRY_FREE;
			s->task = NULL;
			own_dropped++;
		}
	}
	raw_spin_unlock_irqrestore(&t->lock, flags);
	if (own_dropped)
		put_task_struct_many(current, own_dropped);
	return found;
}

static int mstap_uretprobe_entry_handler(struct uprobe_consumer *uc,
					 struct pt_regs *regs)
{
	struct mstap_registration *r =
		container_of(uc, struct mstap_registration, uprobe.consumer);
	struct mstap_uentry_slot *s;
	bool saved;

	if (atomic_read(&mstap_rt.phase) != MSTAP_PHASE_RUNNING)
		return 0;
	/*
	 * Past MAX_URETPROBE_DEPTH nested returns the kernel does not set this
	 * call's return up (it runs this handler first): nothing to save for.
	 */
	if (current->utask && current->utask->depth >= MAX_URETPROBE_DEPTH)
		return 0;
	s = mstap_uentry_claim(r->uentries, user_stack_pointer(regs));
	if (!s)
		return 0;
	saved = mstap_run_hit(r->probe, r->probe->entry_handler, regs, NULL, 0,
			      MSTAP_RUN_EVENT, mstap_uentry_data(r->uentries, s));
	mstap_uentry_settle(r->uentries, s, saved);
	/* Never UPROBE_HANDLER_REMOVE: that would drop the breakpoint. */
	return 0;
}

static int mstap_uretprobe_handler(struct uprobe_consumer *uc,
				   unsigned long func, struct pt_regs *regs)
{
	struct mstap_registration *r =
		container_of(uc, struct mstap_registration, uprobe.consumer);
	struct mstap_uentry_slot *s;

	(void)func;
	if (!r->uentries) {
		mstap_run_probe(r->probe, regs, MSTAP_RUN_EVENT);
		return 0;
	}
	/* No saved values (the entry was skipped or failed): no run. */
	s = mstap_uentry_take(r->uentries,
			      user_stack_pointer(regs) - sizeof(unsigned long));
	if (!s)
		return 0;
	mstap_run_hit(r->probe, r->probe->handler, regs, NULL, 0,
		      MSTAP_RUN_EVENT, mstap_uentry_data(r->uentries, s));
	mstap_uentry_settle(r->uentries, s, false);
	return 0;
}

/*
 * Tracepoints call their probes as probe(data, args...). This handler, for
 * probes that read no arguments, takes only `data` and ignores the rest: on x86-64 (System V ABI) the
 * caller passes `data` in %rdi and the arguments in the following
 * registers (or on its own stack, which the caller also pops), so a callee
 * that declares fewer parameters simply never reads them; the return type
 * is void on both sides. This holds for every caller-cleans-up ABI the
 * kernel uses, but not under clang's kCFI, which checks the pointer type
 * at the call: Debian's kernels are built with gcc and have no kCFI.
 */
static void mstap_tracepoint_handler(void *data)
{
	mstap_run_probe((const struct mstap_probe *)data, NULL, MSTAP_RUN_EVENT);
}

/* The function a tracepoint probe registers: its generated hook, if any. */
static inline void *mstap_tracepoint_hook(const struct mstap_probe *probe)
{
	return probe->tracepoint_hook ? probe->tracepoint_hook
				      : (void *)mstap_tracepoint_handler;
}

/* A period, moved by up to ±randomize_ns, at least MSTAP_TIMER_MIN_NS. */
#define MSTAP_TIMER_MIN_NS 10000ull

static inline u64 mstap_timer_period(struct mstap_timer *t)
{
	const struct mstap_probe *probe = t->probe;
	u64 period = probe->interval_ns;

	if (probe->randomize_ns) {
		u64 x = t->random_state;
		u64 span = 2 * probe->randomize_ns + 1;
		u64 offset;

		/* xorshift64: a few instructions, no shared state. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t->random_state = x;
		div64_u64_rem(x, span, &offset);
		period = period + offset - probe->randomize_ns;
		if ((s64)period < (s64)MSTAP_TIMER_MIN_NS)
			period = MSTAP_TIMER_MIN_NS;
	}
	return period < MSTAP_TIMER_MIN_NS ? MSTAP_TIMER_MIN_NS : period;
}

static enum hrtimer_restart mstap_timer_handler(struct hrtimer *timer)
{
	struct mstap_timer *t = container_of(timer, struct mstap_timer, timer);

	mstap_run_probe(t->probe, NULL, MSTAP_RUN_EVENT);
	hrtimer_forward_now(timer, ns_to_ktime(mstap_timer_period(t)));
	return HRTIMER_RESTART;
}

/* timer.profile: the probe's interval when given, else one tick (1/HZ). */
static inline u64 mstap_profile_period(const struct mstap_probe *probe)
{
	u64 period = probe->interval_ns ? probe->interval_ns : TICK_NSEC;

	return period < MSTAP_TIMER_MIN_NS ? MSTAP_TIMER_MIN_NS : period;
}

static enum hrtimer_restart mstap_profile_handler(struct hrtimer *timer)
{
	struct mstap_timer *t = container_of(timer, struct mstap_timer, timer);

	/* The interrupted code's registers, as the tick interrupt saved them. */
	mstap_run_probe(t->probe, get_irq_regs(), MSTAP_RUN_EVENT);
	hrtimer_forward_now(timer, ns_to_ktime(mstap_profile_period(t->probe)));
	return HRTIMER_RESTART;
}

static void mstap_timer_setup(struct mstap_timer *t,
			      const struct mstap_probe *probe,
			      enum hrtimer_restart (*function)(struct hrtimer *),
			      enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(&t->timer, function, CLOCK_MONOTONIC, mode);
#else
	hrtimer_init(&t->timer, CLOCK_MONOTONIC, mode);
	t->timer.function = function;
#endif
	t->probe = probe;
	t->random_state = get_random_u64() | 1;
	t->started = 0;
}

/* Runs on the CPU whose profile timer it starts (an IPI, or that CPU). */
static void mstap_profile_start_here(void *info)
{
	struct mstap_timer *t = (struct mstap_timer *)info;

	hrtimer_start(&t->timer, ns_to_ktime(mstap_profile_period(t->probe)),
		      HRTIMER_MODE_REL_PINNED_HARD);
	t->started = 1;
}

struct mstap_tracepoint_search {
	const char *name;
	struct tracepoint *found;
};

static void mstap_tracepoint_match(struct tracepoint *tp, void *priv)
{
	struct mstap_tracepoint_search *search =
		(struct mstap_tracepoint_search *)priv;

	if (!search->found && strcmp(tp->name, search->name) == 0)
		search->found = tp;
}

/* Registers one probe (process context); 0 or a negative errno. */
int mstap_register_probe(struct mstap_registration *r)
{
	const struct mstap_probe *probe = r->probe;
	int status;
	int cpu;

	switch (probe->kind) {
	case MSTAP_PROBE_KPROBE:
		if (!probe->symbol || !probe->symbol[0])
			return -EINVAL;
		memset(&r->kprobe, 0, sizeof(r->kprobe));
		r->kprobe.symbol_name = probe->symbol;
		r->kprobe.pre_handler = probe->kprobe_handler ?
			probe->kprobe_handler : mstap_kprobe_handler;
		return register_kprobe(&r->kprobe);
	case MSTAP_PROBE_KRETPROBE:
		if (!probe->symbol || !probe->symbol[0])
			return -EINVAL;
		memset(&r->kretprobe, 0, sizeof(r->kretprobe));
		r->kretprobe.kp.symbol_name = probe->symbol;
		r->kretprobe.handler = mstap_kretprobe_handler;
		if (probe->entry_handler) {
			r->kretprobe.entry_handler = mstap_kretprobe_entry_handler;
			r->kretprobe.data_size = probe->entry_data_size;
		}
		r->kretprobe.maxactive = max_t(int, 20, 2 * num_possible_cpus());
		return register_kretprobe(&r->kretprobe);
	case MSTAP_PROBE_TIMER:
		if (probe->interval_ns == 0)
			return -EINVAL;
		mstap_timer_setup(&r->timer, probe, mstap_timer_handler,
				  HRTIMER_MODE_REL_HARD);
		hrtimer_start(&r->timer.timer,
			      ns_to_ktime(mstap_timer_period(&r->timer)),
			      HRTIMER_MODE_REL_HARD);
		r->timer.started = 1;
		return 0;
	case MSTAP_PROBE_PROFILE:
		if (!r->profile)
			return -EINVAL;
		for_each_possible_cpu(cpu)
			mstap_timer_setup(&r->profile[cpu], probe,
					  mstap_profile_handler,
					  HRTIMER_MODE_REL_PINNED_HARD);
		cpus_read_lock();
		status = 0;
		for_each_online_cpu(cpu) {
			status = smp_call_function_single(cpu, mstap_profile_start_here,
							  &r->profile[cpu], 1);
			if (status)
				break;
		}
		cpus_read_unlock();
		if (status) {
			for_each_possible_cpu(cpu)
				hrtimer_cancel(&r->profile[cpu].timer);
		}
		return status;
	case MSTAP_PROBE_UPROBE:
	case MSTAP_PROBE_URETPROBE:
		if (!probe->path || probe->path[0] != '/')
			return -EINVAL;
		memset(&r->uprobe, 0, sizeof(r->uprobe));
		if (probe->kind == MSTAP_PROBE_UPROBE) {
			r->uprobe.consumer.handler = mstap_uprobe_handler;
		} else {
			r->uprobe.consumer.ret_handler = mstap_uretprobe_handler;
			if (probe->entry_handler) {
				r->uentries = mstap_uentry_alloc(probe->entry_data_size);
				if (!r->uentries)
					return -ENOMEM;
				r->uprobe.consumer.handler =
					mstap_uretprobe_entry_handler;
			}
		}
		status = mstap_uprobe_register(&r->uprobe, probe->path,
					       probe->offset);
		if (status) {
			mstap_uentry_free(r->uentries);
			r->uentries = NULL;
		}
		return status;
	case MSTAP_PROBE_TRACEPOINT: {
		struct mstap_tracepoint_search search = { probe->symbol, NULL };

		if (!probe->symbol)
			return -EINVAL;
		for_each_kernel_tracepoint(mstap_tracepoint_match, &search);
		if (!search.found)
			return -ENOENT;
		status = tracepoint_probe_register(search.found,
						   mstap_tracepoint_hook(probe),
						   (void *)probe);
		if (status == 0)
			r->tracepoint = search.found;
		return status;
	}
	default:
		return -EINVAL;
	}
}

/*
 * Unregisters everything registered and waits until no handler runs
 * (process context). Kprobe and kretprobe misses become skips.
 */
void mstap_unregister_all(void)
{
	const struct mstap_script *script = mstap_rt.script;
	u32 kprobes = 0, kretprobes = 0, tracepoints = 0, uprobes = 0, i;
	int cpu;

	for (i = 0; i < script->probe_count; i++) {
		struct mstap_registration *r = &mstap_rt.registrations[i];

		if (!r->registered)
			continue;
		switch (r->probe->kind) {
		case MSTAP_PROBE_KPROBE:
			mstap_rt.kprobe_list[kprobes++] = &r->kprobe;
			break;
		case MSTAP_PROBE_KRETPROBE:
			mstap_rt.kretprobe_list[kretprobes++] = &r->kretprobe;
			break;
		case MSTAP_PROBE_TIMER:
			hrtimer_cancel(&r->timer.timer);
			r->registered = 0;
			break;
		case MSTAP_PROBE_PROFILE:
			for_each_possible_cpu(cpu)
				hrtimer_cancel(&r->profile[cpu].timer);
			r->registered = 0;
			break;
		case MSTAP_PROBE_TRACEPOINT:
			tracepoint_probe_unregister(r->tracepoint,
						    mstap_tracepoint_hook(r->probe),
						    (void *)r->probe);
			tracepoints++;
			r->registered = 0;
			break;
		case MSTAP_PROBE_UPROBE:
		case MSTAP_PROBE_URETPROBE:
			mstap_uprobe_unregister(&r->uprobe);
			uprobes++;
			break;
		default:
			break;
		}
	}
	/* One grace period for all of them. */
	if (kprobes)
		unregister_kprobes(mstap_rt.kprobe_list, kprobes);
	if (kretprobes)
		unregister_kretprobes(mstap_rt.kretprobe_list, kretprobes);
	if (tracepoints)
		tracepoint_synchronize_unregister();
	if (uprobes)
		mstap_uprobe_sync();
	for (i = 0; i < script->probe_count; i++) {
		struct mstap_registration *r = &mstap_rt.registrations[i];

		if (!r->registered)
			continue;
		if (r->probe->kind == MSTAP_PROBE_KPROBE)
			atomic_add((int)r->kprobe.nmissed, &mstap_rt.skipped);
		else if (r->probe->kind == MSTAP_PROBE_KRETPROBE)
			atomic_add(r->kretprobe.nmissed + (int)r->kretprobe.kp.nmissed,
				   &mstap_rt.skipped);
		else if (r->probe->kind == MSTAP_PROBE_UPROBE ||
			 r->probe->kind == MSTAP_PROBE_URETPROBE) {
			mstap_uprobe_release(&r->uprobe);
			mstap_uentry_free(r->uentries);
			r->uentries = NULL;
		}
		r->registered = 0;
	}
}
