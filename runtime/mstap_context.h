/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_context.h - the types of MODULE.md section 2 (probes, scripts, the
 * per-CPU context), the limits of section 4, the runtime's reader/writer
 * lock, and the one runtime-wide state record every other module-core
 * header shares.
 *
 * Kernel only (gnu11): included by mstap_module.h, never by the user-space
 * tests.
 */
#ifndef MSTAP_CONTEXT_H
#define MSTAP_CONTEXT_H

#ifndef __KERNEL__
#error "mstap_context.h is kernel code: include mstap_module.h from a module"
#endif

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/percpu.h>
#include <linux/irq_work.h>
#include <linux/preempt.h>
#include <linux/processor.h>

#include "mstap_compat.h"
#include "mstap_string.h"
#include "mstap_format.h"
#include "mstap_stat.h"
#include "mstap_map.h"

/* ------------------------------------------------------------- limits */

/* Each limit is also accepted under stap's name, which users pass to -D. */
#if !defined(MSTAP_MAXACTION) && defined(MAXACTION)
#define MSTAP_MAXACTION MAXACTION
#endif
#ifndef MSTAP_MAXACTION
#define MSTAP_MAXACTION 1000
#endif
#if !defined(MSTAP_MAXNESTING) && defined(MAXNESTING)
#define MSTAP_MAXNESTING MAXNESTING
#endif
#ifndef MSTAP_MAXNESTING
#define MSTAP_MAXNESTING 10
#endif
#if !defined(MSTAP_MAXERRORS) && defined(MAXERRORS)
#define MSTAP_MAXERRORS MAXERRORS
#endif
#ifndef MSTAP_MAXERRORS
#define MSTAP_MAXERRORS 0
#endif
#if !defined(MSTAP_MAXSKIPPED) && defined(MAXSKIPPED)
#define MSTAP_MAXSKIPPED MAXSKIPPED
#endif
#ifndef MSTAP_MAXSKIPPED
#define MSTAP_MAXSKIPPED 100
#endif
#if !defined(MSTAP_MAXTRYLOCK) && defined(MAXTRYLOCK)
#define MSTAP_MAXTRYLOCK MAXTRYLOCK
#endif
#ifndef MSTAP_MAXTRYLOCK
#define MSTAP_MAXTRYLOCK 1000
#endif
#ifndef MSTAP_BUFFER_BYTES
#define MSTAP_BUFFER_BYTES (1024 * 1024)
#endif
#ifndef MSTAP_OUT_BYTES
#define MSTAP_OUT_BYTES 8192
#endif

#if (MSTAP_BUFFER_BYTES & (MSTAP_BUFFER_BYTES - 1)) != 0 || MSTAP_BUFFER_BYTES < 16384
#error "MSTAP_BUFFER_BYTES must be a power of two of at least 16384"
#endif
#if MSTAP_OUT_BYTES < 256 || MSTAP_OUT_BYTES > 65535 || MSTAP_OUT_BYTES * 2 > MSTAP_BUFFER_BYTES
#error "MSTAP_OUT_BYTES must lie in 256..65535 and be at most half of MSTAP_BUFFER_BYTES"
#endif
/* Calls in flight whose entry values a process(...).return probe keeps. */
#ifndef MSTAP_URETPROBE_SLOTS
#define MSTAP_URETPROBE_SLOTS 1024
#endif
#if MSTAP_URETPROBE_SLOTS < 16 || MSTAP_URETPROBE_SLOTS > 65536
#error "MSTAP_URETPROBE_SLOTS must lie in 16..65536"
#endif
#if MSTAP_MAXTRYLOCK < 1 || MSTAP_MAXNESTING < 1 || MSTAP_MAXACTION < 1
#error "MSTAP_MAXTRYLOCK, MSTAP_MAXNESTING and MSTAP_MAXACTION must be positive"
#endif

/* A read of `output` needs room for the largest record: header + 65535. */
#define MSTAP_RECORD_HEADER 4
#define MSTAP_RECORD_MAX_DATA 65535u
#define MSTAP_READ_MIN (MSTAP_RECORD_HEADER + MSTAP_RECORD_MAX_DATA)
/* Room in a context for one ERROR/WARNING line built on the probe path. */
#define MSTAP_LINE_BYTES (MSTAP_MAXSTRINGLEN + 512)
/* sprint_symbol()'s buffer: KSYM_SYMBOL_LEN (checked where it is used) */
#define MSTAP_SYMBOL_BYTES 768

#define MSTAP_STREAM_STDOUT 1
#define MSTAP_STREAM_STDERR 2
#define MSTAP_STREAM_COMMAND 3 /* system(): a command the runner runs */

/* ------------------------------------------------------------- types */

enum mstap_probe_kind {
	MSTAP_PROBE_BEGIN,
	MSTAP_PROBE_END,
	MSTAP_PROBE_ERROR,
	MSTAP_PROBE_TIMER,
	MSTAP_PROBE_PROFILE,
	MSTAP_PROBE_KPROBE,
	MSTAP_PROBE_KRETPROBE,
	MSTAP_PROBE_TRACEPOINT,
	MSTAP_PROBE_UPROBE,    /* process("PATH").function: the entry of a user function */
	MSTAP_PROBE_URETPROBE, /* the same with .return */
};

struct mstap_lock_use {
	u16 global;
	u16 write;
};

struct mstap_context;
/*
 * Known here by name only: the kernel's headers for them (kprobes.h pulls
 * in ftrace and ptrace, some 20,000 lines) are parsed by the runtime's .c
 * files alone, not by every script's file (mstap_registration.h).
 */
struct kprobe;
struct kretprobe;
struct pt_regs;
struct proc_dir_entry;
struct mstap_registration;

struct mstap_probe {
	enum mstap_probe_kind kind;
	const char *point;
	const char *function;
	const char *location;
	void (*handler)(struct mstap_context *c);
	s64 priority;
	const char *symbol;
	u64 interval_ns;
	u64 randomize_ns;
	u8 optional;
	u16 lock_count;
	const struct mstap_lock_use *locks;
	/*
	 * Kretprobes and uretprobes whose handler reads values saved at entry
	 * (@entry, and parameters in .return probes): run at function entry
	 * with no locks, it fills entry_data_size bytes that the return handler
	 * then reads through c->entry_data.
	 */
	void (*entry_handler)(struct mstap_context *c);
	u32 entry_data_size;
	/*
	 * Tracepoints whose handler reads the arguments: the function registered
	 * with the tracepoint, generated with exactly the tracepoint's arity
	 * (void *data, u64 ...), which passes them on with
	 * mstap_run_tracepoint(); NULL: the runtime's own, which ignores them.
	 */
	void *tracepoint_hook;
	const char *path; /* uprobes: the program's absolute path */
	u64 offset;       /* uprobes: the probed instruction's offset in that file */
	/*
	 * Kprobes, optional: a generated pre-handler that runs this probe's
	 * hit with the handler called directly (mstap_kprobe_hit); NULL: the
	 * runtime's own, which finds the probe through its registration.
	 */
	int (*kprobe_handler)(struct kprobe *kp, struct pt_regs *regs);
};

/*
 * The runtime's reader/writer lock: `state` is 0 when free, the number of
 * readers when positive, -1 while a writer holds it. Only ever tried a
 * bounded number of times (MSTAP_MAXTRYLOCK, cpu_relax() between), so it
 * never sleeps and never spins for long. Zero-initialised storage is an
 * unlocked lock.
 *
 * Why not the kernel's rwlock_t: probes run in every context (kprobes in
 * any, hard hrtimers and timer.profile in hard interrupt context, a kprobe
 * may fire in NMI). On PREEMPT_RT (one of the trees pass 4 builds for)
 * rwlock_t is rwbase_rt on an rt_mutex, a sleeping lock that hard
 * interrupt and NMI code may not take nor even try, and there is no raw
 * rwlock type to fall back on. Without PREEMPT_RT, read_trylock() and
 * write_trylock() (qrwlock) are the same few atomic operations as these and
 * would do; but one type must serve both, and lockdep's tracking behind
 * them (debug kernels) is not NMI-safe. Like qrwlock's trylocks, this lock
 * has no writer preference: a writer fails while readers keep it held,
 * and its hit is skipped and counted (MODULE.md section 4).
 */
struct mstap_rwlock {
	atomic_t state;
};

struct mstap_script {
	const char *name;
	const struct mstap_probe *probes;
	u32 probe_count;
	struct mstap_rwlock *locks;
	u32 lock_count;
	int (*init_globals)(struct mstap_error *error);
	void (*free_globals)(void);
	u32 frame_bytes;
};

struct mstap_context {
	/* Used by generated code (MODULE.md section 2), in this order. */
	struct mstap_error error;
	const char *error_location;
	const struct mstap_probe *probe;
	struct pt_regs *regs;
	u64 actions;
	u32 nesting;
	u32 frame_top;
	char *frames;
	struct mstap_out out;
	void *entry_data;          /* .return probes: the call's saved values */
	/* Private to the runtime. */
	u32 busy;                  /* 1 while a probe runs; only this CPU touches it */
	u32 frame_bytes;           /* the length of `frames` */
	u32 exit_called;           /* exit() ran in this hit */
	u32 locks_held;            /* how many of probe->locks are taken */
	char *out_data;            /* MSTAP_OUT_BYTES: the print buffer */
	const u64 *trace_args;     /* a tracepoint's arguments in this hit, else NULL */
	u32 trace_arg_count;
	char error_text[MSTAP_MAXSTRINGLEN]; /* error()'s message, kept */
	char line[MSTAP_LINE_BYTES];         /* an ERROR or WARNING line */
	/* tokenize(): the string being split on this CPU, as stap keeps it */
	char token_text[MSTAP_MAXSTRINGLEN];
	u32 token_length;
	u32 token_next;            /* where the next token starts */
	u32 token_left;            /* 0 once the string is used up */
	u64 random_state;          /* randint(): xorshift64*, 0 until seeded */
	char symbol_text[MSTAP_SYMBOL_BYTES]; /* sprint_symbol()'s output */
};

/* ---------------------------------------------------- runtime's state */

/* Session phases. STARTING shows as "running" in `control`. */
enum mstap_phase {
	MSTAP_PHASE_LOADED,
	MSTAP_PHASE_STARTING, /* begin probes run, then registration */
	MSTAP_PHASE_RUNNING,
	MSTAP_PHASE_STOPPING, /* unregistered; error and end probes run */
	MSTAP_PHASE_STOPPED,
};

/* The output ring: MSTAP_BUFFER_BYTES of records (see mstap_transport.h). */
struct mstap_ring {
	char *data;
	u64 head;        /* bytes ever written; under `lock` */
	u64 tail;        /* bytes ever consumed; under `lock` */
	atomic_t lock;   /* 0 free, 1 held: bounded trylock on the probe path */
	atomic64_t overruns;   /* records dropped */
	atomic64_t lost_bytes; /* their bytes */
};

struct mstap_runtime {
	const struct mstap_script *script;
	atomic_t phase;
	atomic_t stop_requested; /* exit(), too many errors or skips: stop soon */
	atomic_t exit_flag;      /* `exit=1` in control */
	atomic_t errors;
	atomic_t skipped;
	atomic_t skip_reported;  /* "Skipped too many probes" said once */
	atomic_t end_aborted;    /* an end/error probe's error stops the others */
	struct mstap_context **contexts; /* [nr_cpu_ids], possible CPUs only */
	struct mstap_ring ring;
	struct mutex session_lock; /* phase changes: start, stop, exit */
	struct mutex read_lock;    /* one reader of `output` at a time */
	wait_queue_head_t wait;    /* readers and pollers of `output` */
	struct delayed_work waker; /* wakes pollers every few ms while running */
	struct irq_work output_kick; /* wakes the reader when the ring is half full */
	u32 waker_live;
	u32 waker_delay_ms;        /* the waker's next delay: short while output flows */
	struct proc_dir_entry *dir;
	char *read_bounce;         /* MSTAP_READ_BYTES, under read_lock */
	struct mstap_registration *registrations; /* [probe_count] */
	struct kprobe **kprobe_list;              /* for unregister_kprobes */
	struct kretprobe **kretprobe_list;
	char *message;             /* MSTAP_LINE_BYTES for process-context lines */
};

/*
 * The runtime's state, defined in mstap_session.c. Each CPU's context is
 * also a per-CPU pointer: a hit finds its own with one %gs-relative load
 * instead of reading the CPU number and indexing `contexts`. Set and
 * cleared with `contexts`.
 */
extern struct mstap_runtime mstap_rt;
DECLARE_PER_CPU(struct mstap_context *, mstap_cpu_context);

/* The `mstap_target` module parameter (registered by MSTAP_MODULE_MAIN). */
extern long mstap_target;

/* --------------------------------------------------------------- locks */

static inline bool mstap_rwlock_try_read(struct mstap_rwlock *lock)
{
	u32 attempt;

	for (attempt = 0; attempt < MSTAP_MAXTRYLOCK; attempt++) {
		int state = atomic_read(&lock->state);

		if (state >= 0 &&
		    atomic_cmpxchg_acquire(&lock->state, state, state + 1) == state)
			return true;
		cpu_relax();
	}
	return false;
}

static inline bool mstap_rwlock_try_write(struct mstap_rwlock *lock)
{
	u32 attempt;

	for (attempt = 0; attempt < MSTAP_MAXTRYLOCK; attempt++) {
		if (atomic_read(&lock->state) == 0 &&
		    atomic_cmpxchg_acquire(&lock->state, 0, -1) == 0)
			return true;
		cpu_relax();
	}
	return false;
}

static inline void mstap_rwlock_read_unlock(struct mstap_rwlock *lock)
{
	atomic_dec_return_release(&lock->state);
}

static inline void mstap_rwlock_write_unlock(struct mstap_rwlock *lock)
{
	atomic_set_release(&lock->state, 0);
}

#endif /* MSTAP_CONTEXT_H */
