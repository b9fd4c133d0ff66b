/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_library.h - the built-ins the tapset library (the scripts of
 * tapset/) is written on (MODULE.md section 3): string scanning, errno
 * names, sized memory reads, a task's fields, clocks and random numbers. The library's
 * functions are script on top of these; each one here is something a
 * script cannot do with the language alone.
 *
 * Probe context, as mstap_builtins.h: bounded work, no locks, no sleeping;
 * memory of unknown validity (a task address a script passes, user
 * memory) is read only with the *_nofault copies, so a wrong address is a
 * script error, never an oops.
 */
#ifndef MSTAP_LIBRARY_H
#define MSTAP_LIBRARY_H

#include "mstap_builtins.h"
#include "mstap_target.h"

#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/stacktrace.h>
#include <linux/timex.h>
#include <linux/version.h>

/* -------------------------------------------------------------- strings */

/* stringat(): the byte at `pos`, 0..255; outside the string an error. */
static inline s64 mstap_fn_stringat(struct mstap_context *c, const char *text,
				    s64 pos)
{
	if (pos < 0 || pos >= (s64)mstap_string_length(text)) {
		mstap_raise(&c->error, -ERANGE, "Position out of bounds");
		return 0;
	}
	return (u8)text[pos];
}

/*
 * text_strn(): text_str() of at most `len` output bytes (0 or past the
 * string limit: the limit). Quoted, the result is between double quotes
 * inside those `len` bytes, and a cut input ends in `"...` as in stap;
 * an escape that does not fit whole is left out.
 */
static inline void mstap_fn_text_strn(char *dst, const char *src, s64 len,
				      s64 quoted)
{
	u32 limit = (len <= 0 || len > MSTAP_STRING_LIMIT) ?
			    MSTAP_STRING_LIMIT : (u32)len;
	u32 length = mstap_string_length(src);
	u32 written = 0;
	u32 dots_cut = 1; /* quoted and cut: where the content must end */
	u32 i;

	if (quoted) {
		if (limit < 5)
			limit = 5;
		dst[written++] = '"';
		limit--; /* the closing quote */
	}
	for (i = 0; i < length; i++) {
		char escape[5];
		u32 size = mstap_escape_byte(escape, (u8)src[i], '"');

		if (size > limit - written)
			break;
		memcpy(dst + written, escape, size);
		written += size;
		if (written + 3 <= limit)
			dots_cut = written;
	}
	if (quoted && i < length) {
		/* `"...` after the last whole escape that leaves it room. */
		memcpy(dst + dots_cut, "\"...", 4);
		written = dots_cut + 4;
	} else if (quoted) {
		dst[written++] = '"';
	}
	dst[written] = '\0';
}

/*
 * tokenize(): stap's strsep() loop. A non-empty `input` is copied into the
 * context and scanning starts over; "" goes on with the string kept from
 * the last call on this CPU. Each call returns the next non-empty token,
 * the delimiters being every byte of `delim`; "" once none is left.
 */
static inline void mstap_fn_tokenize(struct mstap_context *c, char *dst,
				     const char *input, const char *delim)
{
	if (input[0]) {
		mstap_string_copy(c->token_text, input);
		c->token_length = mstap_string_length(c->token_text);
		c->token_next = 0;
		c->token_left = 1;
	}
	dst[0] = '\0';
	while (c->token_left) {
		u32 start = c->token_next;
		u32 end = start;

		while (end < c->token_length &&
		       !strchr(delim, c->token_text[end]))
			end++;
		if (end >= c->token_length)
			c->token_left = 0;
		else
			c->token_next = end + 1;
		if (end > start) {
			memcpy(dst, c->token_text + start, end - start);
			dst[end - start] = '\0';
			return;
		}
	}
}

/* ---------------------------------------------------------------- errno */

#define MSTAP_ERRNO_NAME(name) [name] = #name

/* The kernel's own numbers, so the table is right for the target's arch. */
static const char *const mstap_errno_names[] = {
	MSTAP_ERRNO_NAME(EPERM), MSTAP_ERRNO_NAME(ENOENT),
	MSTAP_ERRNO_NAME(ESRCH), MSTAP_ERRNO_NAME(EINTR),
	MSTAP_ERRNO_NAME(EIO), MSTAP_ERRNO_NAME(ENXIO),
	MSTAP_ERRNO_NAME(E2BIG), MSTAP_ERRNO_NAME(ENOEXEC),
	MSTAP_ERRNO_NAME(EBADF), MSTAP_ERRNO_NAME(ECHILD),
	MSTAP_ERRNO_NAME(EAGAIN), MSTAP_ERRNO_NAME(ENOMEM),
	MSTAP_ERRNO_NAME(EACCES), MSTAP_ERRNO_NAME(EFAULT),
	MSTAP_ERRNO_NAME(ENOTBLK), MSTAP_ERRNO_NAME(EBUSY),
	MSTAP_ERRNO_NAME(EEXIST), MSTAP_ERRNO_NAME(EXDEV),
	MSTAP_ERRNO_NAME(ENODEV), MSTAP_ERRNO_NAME(ENOTDIR),
	MSTAP_ERRNO_NAME(EISDIR), MSTAP_ERRNO_NAME(EINVAL),
	MSTAP_ERRNO_NAME(ENFILE), MSTAP_ERRNO_NAME(EMFILE),
	MSTAP_ERRNO_NAME(ENOTTY), MSTAP_ERRNO_NAME(ETXTBSY),
	MSTAP_ERRNO_NAME(EFBIG), MSTAP_ERRNO_NAME(ENOSPC),
	MSTAP_ERRNO_NAME(ESPIPE), MSTAP_ERRNO_NAME(EROFS),
	MSTAP_ERRNO_NAME(EMLINK), MSTAP_ERRNO_NAME(EPIPE),
	MSTAP_ERRNO_NAME(EDOM), MSTAP_ERRNO_NAME(ERANGE),
	MSTAP_ERRNO_NAME(EDEADLK), MSTAP_ERRNO_NAME(ENAMETOOLONG),
	MSTAP_ERRNO_NAME(ENOLCK), MSTAP_ERRNO_NAME(ENOSYS),
	MSTAP_ERRNO_NAME(ENOTEMPTY), MSTAP_ERRNO_NAME(ELOOP),
	MSTAP_ERRNO_NAME(ENOMSG), MSTAP_ERRNO_NAME(EIDRM),
	MSTAP_ERRNO_NAME(ECHRNG), MSTAP_ERRNO_NAME(EL2NSYNC),
	MSTAP_ERRNO_NAME(EL3HLT), MSTAP_ERRNO_NAME(EL3RST),
	MSTAP_ERRNO_NAME(ELNRNG), MSTAP_ERRNO_NAME(EUNATCH),
	MSTAP_ERRNO_NAME(ENOCSI), MSTAP_ERRNO_NAME(EL2HLT),
	MSTAP_ERRNO_NAME(EBADE), MSTAP_ERRNO_NAME(EBADR),
	MSTAP_ERRNO_NAME(EXFULL), MSTAP_ERRNO_NAME(ENOANO),
	MSTAP_ERRNO_NAME(EBADRQC), MSTAP_ERRNO_NAME(EBADSLT),
	MSTAP_ERRNO_NAME(EBFONT), MSTAP_ERRNO_NAME(ENOSTR),
	MSTAP_ERRNO_NAME(ENODATA), MSTAP_ERRNO_NAME(ETIME),
	MSTAP_ERRNO_NAME(ENOSR), MSTAP_ERRNO_NAME(ENONET),
	MSTAP_ERRNO_NAME(ENOPKG), MSTAP_ERRNO_NAME(EREMOTE),
	MSTAP_ERRNO_NAME(ENOLINK), MSTAP_ERRNO_NAME(EADV),
	MSTAP_ERRNO_NAME(ESRMNT), MSTAP_ERRNO_NAME(ECOMM),
	MSTAP_ERRNO_NAME(EPROTO), MSTAP_ERRNO_NAME(EMULTIHOP),
	MSTAP_ERRNO_NAME(EDOTDOT), MSTAP_ERRNO_NAME(EBADMSG),
	MSTAP_ERRNO_NAME(EOVERFLOW), MSTAP_ERRNO_NAME(ENOTUNIQ),
	MSTAP_ERRNO_NAME(EBADFD), MSTAP_ERRNO_NAME(EREMCHG),
	MSTAP_ERRNO_NAME(ELIBACC), MSTAP_ERRNO_NAME(ELIBBAD),
	MSTAP_ERRNO_NAME(ELIBSCN), MSTAP_ERRNO_NAME(ELIBMAX),
	MSTAP_ERRNO_NAME(ELIBEXEC), MSTAP_ERRNO_NAME(EILSEQ),
	MSTAP_ERRNO_NAME(ERESTART), MSTAP_ERRNO_NAME(ESTRPIPE),
	MSTAP_ERRNO_NAME(EUSERS), MSTAP_ERRNO_NAME(ENOTSOCK),
	MSTAP_ERRNO_NAME(EDESTADDRREQ), MSTAP_ERRNO_NAME(EMSGSIZE),
	MSTAP_ERRNO_NAME(EPROTOTYPE), MSTAP_ERRNO_NAME(ENOPROTOOPT),
	MSTAP_ERRNO_NAME(EPROTONOSUPPORT), MSTAP_ERRNO_NAME(ESOCKTNOSUPPORT),
	MSTAP_ERRNO_NAME(EOPNOTSUPP), MSTAP_ERRNO_NAME(EPFNOSUPPORT),
	MSTAP_ERRNO_NAME(EAFNOSUPPORT), MSTAP_ERRNO_NAME(EADDRINUSE),
	MSTAP_ERRNO_NAME(EADDRNOTAVAIL), MSTAP_ERRNO_NAME(ENETDOWN),
	MSTAP_ERRNO_NAME(ENETUNREACH), MSTAP_ERRNO_NAME(ENETRESET),
	MSTAP_ERRNO_NAME(ECONNABORTED), MSTAP_ERRNO_NAME(ECONNRESET),
	MSTAP_ERRNO_NAME(ENOBUFS), MSTAP_ERRNO_NAME(EISCONN),
	MSTAP_ERRNO_NAME(ENOTCONN), MSTAP_ERRNO_NAME(ESHUTDOWN),
	MSTAP_ERRNO_NAME(ETOOMANYREFS), MSTAP_ERRNO_NAME(ETIMEDOUT),
	MSTAP_ERRNO_NAME(ECONNREFUSED), MSTAP_ERRNO_NAME(EHOSTDOWN),
	MSTAP_ERRNO_NAME(EHOSTUNREACH), MSTAP_ERRNO_NAME(EALREADY),
	MSTAP_ERRNO_NAME(EINPROGRESS), MSTAP_ERRNO_NAME(ESTALE),
	MSTAP_ERRNO_NAME(EUCLEAN), MSTAP_ERRNO_NAME(ENOTNAM),
	MSTAP_ERRNO_NAME(ENAVAIL), MSTAP_ERRNO_NAME(EISNAM),
	MSTAP_ERRNO_NAME(EREMOTEIO), MSTAP_ERRNO_NAME(EDQUOT),
	MSTAP_ERRNO_NAME(ENOMEDIUM), MSTAP_ERRNO_NAME(EMEDIUMTYPE),
	MSTAP_ERRNO_NAME(ECANCELED), MSTAP_ERRNO_NAME(ENOKEY),
	MSTAP_ERRNO_NAME(EKEYEXPIRED), MSTAP_ERRNO_NAME(EKEYREVOKED),
	MSTAP_ERRNO_NAME(EKEYREJECTED), MSTAP_ERRNO_NAME(EOWNERDEAD),
	MSTAP_ERRNO_NAME(ENOTRECOVERABLE), MSTAP_ERRNO_NAME(ERFKILL),
	MSTAP_ERRNO_NAME(EHWPOISON),
};

#undef MSTAP_ERRNO_NAME

/* errno_str(): the name of errno |err|, "" for a number without one. */
static inline void mstap_fn_errno_str(char *dst, s64 err)
{
	u64 number = err < 0 ? 0 - (u64)err : (u64)err;
	const char *name = NULL;

	if (number < ARRAY_SIZE(mstap_errno_names))
		name = mstap_errno_names[number];
	mstap_string_copy(dst, name ? name : "");
}

/* --------------------------------------------------------------- memory */

/*
 * kernel_string_n(), user_string_n(): at most `n` bytes (and the string
 * limit) of the string at `addr`; bytes past those `n` are not touched.
 */
static inline void mstap_fn_string_n(struct mstap_context *c, char *dst,
				     s64 addr, s64 n, bool user)
{
	u32 limit = n <= 0 ? 0 :
		    n > MSTAP_STRING_LIMIT ? MSTAP_STRING_LIMIT : (u32)n;

	if (mstap_copy_string_n_nofault(dst, (u64)addr, limit, user))
		mstap_raise_address(&c->error, -EFAULT,
				    user ? "user string copy fault at " :
					   "kernel string copy fault at ",
				    (u64)addr);
}

/*
 * __kernel_read(), __user_read(): `size` bytes (1, 2, 4 or 8) at `addr`,
 * sign- or zero-extended: what kernel_int(), user_short() and their kin
 * are written with.
 */
static inline s64 mstap_fn_read_memory(struct mstap_context *c, s64 addr,
				       s64 size, s64 is_signed, bool user)
{
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		mstap_raise(&c->error, -EINVAL,
			    "memory read size must be 1, 2, 4 or 8");
		return 0;
	}
	return mstap_target_read_from(c, (u64)addr, (unsigned int)size,
				      is_signed != 0, user);
}

/* ---------------------------------------------------------------- tasks */

/*
 * A task is a task_struct address as a long, as in stap: task_current(),
 * task_parent() or a target variable. Its fields are read at their
 * offsets with copy_from_kernel_nofault, so that an address that is not a
 * task gives "kernel read fault at 0x..." instead of an oops. A task that
 * exits while it is read (one not current) can give stale values, as in
 * stap.
 */
static inline s64 mstap_fn_task_current(struct mstap_context *c)
{
	return (s64)(uintptr_t)current;
}

static inline bool mstap_task_read(struct mstap_context *c, s64 task,
				   size_t offset, void *value, size_t size)
{
	u64 address = (u64)task + offset;

	if (copy_from_kernel_nofault(value, (const void *)(uintptr_t)address,
				     size)) {
		mstap_raise_address(&c->error, -EFAULT, "kernel read fault at ",
				    address);
		return false;
	}
	return true;
}

#define MSTAP_TASK_FIELD(c, task, field, value)                          \
	mstap_task_read(c, task, offsetof(struct task_struct, field),    \
			&(value), sizeof(value))

/* task_pid(): the process (thread group) id, as pid() for current. */
static inline s64 mstap_fn_task_pid(struct mstap_context *c, s64 task)
{
	pid_t tgid = 0;

	MSTAP_TASK_FIELD(c, task, tgid, tgid);
	return tgid;
}

/* task_tid(): the thread id, as tid() for current. */
static inline s64 mstap_fn_task_tid(struct mstap_context *c, s64 task)
{
	pid_t pid = 0;

	MSTAP_TASK_FIELD(c, task, pid, pid);
	return pid;
}

/* task_parent(): the task's real parent, a task. */
static inline s64 mstap_fn_task_parent(struct mstap_context *c, s64 task)
{
	struct task_struct *parent = NULL;

	MSTAP_TASK_FIELD(c, task, real_parent, parent);
	return (s64)(uintptr_t)parent;
}

/* task_state(): the scheduler state word (0 running, 1 interruptible, ...). */
static inline s64 mstap_fn_task_state(struct mstap_context *c, s64 task)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 14, 0)
	unsigned int state = 0;

	MSTAP_TASK_FIELD(c, task, __state, state);
#else
	long state = 0;

	MSTAP_TASK_FIELD(c, task, state, state);
#endif
	return state;
}

/* task_execname(): the task's comm, as execname() for current. */
static inline void mstap_fn_task_execname(struct mstap_context *c, char *dst,
					  s64 task)
{
	char comm[TASK_COMM_LEN];

	dst[0] = '\0';
	if (!MSTAP_TASK_FIELD(c, task, comm, comm))
		return;
	comm[TASK_COMM_LEN - 1] = '\0';
	mstap_string_copy(dst, comm);
}

#undef MSTAP_TASK_FIELD

/*
 * pid2task(): the task of a process id in the current pid namespace, 0
 * when there is none. The task is not pinned (stap does the same): reads
 * of it are fault-safe, and its fields may be stale once it exits.
 */
static inline s64 mstap_fn_pid2task(struct mstap_context *c, s64 pid)
{
	struct task_struct *task;

	if (pid <= 0 || pid > PID_MAX_LIMIT)
		return 0;
	rcu_read_lock();
	task = pid_task(find_vpid((pid_t)pid), PIDTYPE_PID);
	rcu_read_unlock();
	return (s64)(uintptr_t)task;
}

/*
 * __current_args(): where the current process's argument strings lie in
 * its memory: their start (`end` 0) or end (`end` 1); 0 without an mm (a
 * kernel thread, or a task past exit_mm()). cmdline_str() reads them.
 */
static inline s64 mstap_fn_current_args(struct mstap_context *c, s64 end)
{
	struct mm_struct *mm = READ_ONCE(current->mm);
	unsigned long value = 0;
	size_t offset = end ? offsetof(struct mm_struct, arg_end) :
			      offsetof(struct mm_struct, arg_start);

	if (!mm || (current->flags & PF_KTHREAD))
		return 0;
	if (copy_from_kernel_nofault(&value, (const char *)mm + offset,
				     sizeof(value)))
		return 0;
	return (s64)value;
}

/* --------------------------------------------------------------- clocks */

/* get_cycles(): the CPU's cycle counter (the TSC on x86). */
static inline s64 mstap_fn_get_cycles(struct mstap_context *c)
{
	return (s64)get_cycles();
}

/* local_clock_ns(): this CPU's sched clock; fast, not synchronised across CPUs. */
static inline s64 mstap_fn_local_clock_ns(struct mstap_context *c)
{
	return (s64)local_clock();
}

/* cpu_clock_ns(): the sched clock of a given CPU; a CPU that is not possible is an error. */
static inline s64 mstap_fn_cpu_clock_ns(struct mstap_context *c, s64 cpu)
{
	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_possible((int)cpu)) {
		mstap_raise(&c->error, -EINVAL, "cpu_clock: no such cpu");
		return 0;
	}
	return (s64)cpu_clock((int)cpu);
}

/* --------------------------------------------------------------- random */

/*
 * randint(): a pseudo-random number in [0, n). A per-CPU xorshift64*
 * generator, seeded from the clock on first use: get_random_u32() takes a
 * local lock, which sleeps on PREEMPT_RT. Not for cryptography (nor is
 * stap's).
 */
static inline s64 mstap_fn_randint(struct mstap_context *c, s64 n)
{
	u64 x = c->random_state;

	if (n < 0 || n > ((s64)1 << 32)) {
		mstap_raise(&c->error, -ERANGE, "range too wide");
		return 0;
	}
	if (!x)
		x = ktime_get_mono_fast_ns() ^ ((u64)smp_processor_id() << 48) ^
		    0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->random_state = x;
	return (s64)((((x * 0x2545f4914f6cdd1dULL) >> 32) * (u64)n) >> 32);
}

/* --------------------------------------------------------------- system */

/*
 * system(): the command goes to the runner as a record of its own
 * (MSTAP_STREAM_COMMAND), after what this hit printed so far; the runner
 * starts it with /bin/sh -c when it reads the record, in the background.
 * A command that finds the output ring full is lost, as output is.
 */
static inline void mstap_fn_system(struct mstap_context *c,
				   const char *command)
{
	mstap_out_commit_all(&c->out);
	mstap_commit(MSTAP_STREAM_COMMAND, command,
		     mstap_string_length(command));
}

/* ------------------------------------------------------------- symbols */

#define MSTAP_BACKTRACE_DEPTH 20

/*
 * The kernel stack at the probe, innermost first, at most
 * MSTAP_BACKTRACE_DEPTH addresses. stack_trace_save() runs here, so its
 * trace starts inside this module. With kernel registers (kprobes,
 * kretprobes, timer.profile) the result starts at the probed address and
 * goes on after the first saved frame within 16 bytes of it (the unwinder
 * reports an int3 frame's exact address, an ftrace-based kprobe's return
 * from the __fentry__ call a few bytes on); without registers, or when no
 * such frame is found, from the first frame outside this module (then the
 * kprobe machinery's frames come first).
 */
static inline u32 mstap_kernel_stack(struct mstap_context *c,
				     unsigned long *entries)
{
	unsigned long raw[MSTAP_BACKTRACE_DEPTH + 24];
	u32 count = stack_trace_save(raw, ARRAY_SIZE(raw), 0);
	u32 next = count;
	u32 n = 0;
	u32 i;

	if (c->regs && !user_mode(c->regs)) {
		unsigned long ip = instruction_pointer(c->regs);

		entries[n++] = ip;
		for (i = 0; i < count; i++) {
			if (raw[i] - ip + 16 <= 32) {
				next = i + 1;
				break;
			}
		}
	}
	if (next == count) {
		next = 0;
		while (next < count && within_module(raw[next], THIS_MODULE))
			next++;
	}
	while (next < count && n < MSTAP_BACKTRACE_DEPTH)
		entries[n++] = raw[next++];
	return n;
}

/* Appends `length` bytes of `text` to `dst` (`size` bytes, `used` in use). */
static inline u32 mstap_append(char *dst, u32 used, u32 size, const char *text,
			       u32 length)
{
	while (length-- && *text && used + 1 < size)
		dst[used++] = *text++;
	dst[used] = '\0';
	return used;
}

enum mstap_symbol_form {
	MSTAP_SYMBOL_NAME,   /* vfs_read */
	MSTAP_SYMBOL_SIMPLE, /* vfs_read+0x5 [kernel] */
	MSTAP_SYMBOL_DATA,   /* vfs_read+0x5/0x1a0 [kernel] */
};

/*
 * An address's symbol, appended to `dst` in one of stap's forms, from
 * sprint_symbol()'s "name+0xoff/0xsize [module]" (no module: the kernel
 * itself, which stap calls "kernel"). An address without a symbol is
 * written in hex, as stap. kallsyms lookups take no lock.
 */
static inline u32 mstap_symbol_append(struct mstap_context *c, char *dst,
				      u32 used, u32 size, unsigned long addr,
				      enum mstap_symbol_form form)
{
	char *text = c->symbol_text;
	char *plus, *slash, *module;

	BUILD_BUG_ON(KSYM_SYMBOL_LEN > MSTAP_SYMBOL_BYTES);
	sprint_symbol(text, addr);
	plus = strchr(text, '+');
	slash = plus ? strchr(plus, '/') : NULL;
	if (!plus || !slash)
		return mstap_append(dst, used, size, text, MSTAP_SYMBOL_BYTES);
	module = strstr(slash, " [");
	used = mstap_append(dst, used, size, text, plus - text);
	if (form == MSTAP_SYMBOL_NAME)
		return used;
	used = mstap_append(dst, used, size, plus,
			    (form == MSTAP_SYMBOL_SIMPLE ? slash :
			     module ? module : slash + strlen(slash)) - plus);
	if (module)
		return mstap_append(dst, used, size, module, MSTAP_SYMBOL_BYTES);
	return mstap_append(dst, used, size, " [kernel]", 9);
}

/* symname(): the symbol at or before `addr`, or `addr` in hex. */
static inline void mstap_fn_symname(struct mstap_context *c, char *dst,
				    s64 addr)
{
	mstap_symbol_append(c, dst, 0, MSTAP_MAXSTRINGLEN, (unsigned long)addr,
			    MSTAP_SYMBOL_NAME);
}

/* symdata(): "name+0xoff/0xsize [module]", or `addr` in hex. */
static inline void mstap_fn_symdata(struct mstap_context *c, char *dst,
				    s64 addr)
{
	mstap_symbol_append(c, dst, 0, MSTAP_MAXSTRINGLEN, (unsigned long)addr,
			    MSTAP_SYMBOL_DATA);
}

/* backtrace(): the kernel stack as hex addresses separated by spaces. */
static inline void mstap_fn_backtrace(struct mstap_context *c, char *dst)
{
	unsigned long entries[MSTAP_BACKTRACE_DEPTH];
	u32 count = mstap_kernel_stack(c, entries);
	u32 used = 0;
	u32 i;

	dst[0] = '\0';
	for (i = 0; i < count; i++) {
		char hex[24];

		snprintf(hex, sizeof(hex), "%s0x%lx", i ? " " : "", entries[i]);
		used = mstap_append(dst, used, MSTAP_MAXSTRINGLEN, hex,
				    sizeof(hex));
	}
}

/* sprint_backtrace(): "name+0xoff [module]" a line, cut at MAXSTRINGLEN. */
static inline void mstap_fn_sprint_backtrace(struct mstap_context *c,
					     char *dst)
{
	unsigned long entries[MSTAP_BACKTRACE_DEPTH];
	u32 count = mstap_kernel_stack(c, entries);
	u32 used = 0;
	u32 i;

	dst[0] = '\0';
	for (i = 0; i < count; i++) {
		used = mstap_symbol_append(c, dst, used, MSTAP_MAXSTRINGLEN,
					   entries[i], MSTAP_SYMBOL_SIMPLE);
		used = mstap_append(dst, used, MSTAP_MAXSTRINGLEN, "\n", 1);
	}
}

/*
 * print_backtrace(): " 0xADDRESS : name+0xoff/0xsize [module]" a line on
 * standard output, not bounded by MAXSTRINGLEN.
 */
static inline void mstap_fn_print_backtrace(struct mstap_context *c)
{
	unsigned long entries[MSTAP_BACKTRACE_DEPTH];
	u32 count = mstap_kernel_stack(c, entries);
	u32 i;

	for (i = 0; i < count; i++) {
		u32 used;

		used = snprintf(c->line, sizeof(c->line), " 0x%016lx : ",
				entries[i]);
		mstap_symbol_append(c, c->line, used, sizeof(c->line),
				    entries[i], MSTAP_SYMBOL_DATA);
		mstap_out_string(&c->out, c->line);
		mstap_out_char(&c->out, '\n');
	}
}

#endif /* MSTAP_LIBRARY_H */
