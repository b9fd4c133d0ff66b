/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_builtins.h - the inline helpers generated code calls from a probe
 * handler (MODULE.md section 3): action counting, the frame stack of
 * script functions, error locations, division, and the builtin functions.
 *
 * Everything here runs in probe context: bounded work, no sleeping, no
 * locks, no allocation; memory of unknown validity is read only through
 * the kernel's *_nofault copies.
 */
#ifndef MSTAP_BUILTINS_H
#define MSTAP_BUILTINS_H

#include "mstap_context.h"
#include "mstap_transport.h"

#include <linux/sched.h>
#include <linux/cred.h>
#include <linux/uidgid.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include <linux/rcupdate.h>

static inline bool mstap_actions(struct mstap_context *c, u32 n)
{
	c->actions += n;
	if (unlikely(c->actions > MSTAP_MAXACTION)) {
		mstap_raise(&c->error, -E2BIG, "MAXACTION exceeded");
		return false;
	}
	return true;
}

static inline void *mstap_frame_push(struct mstap_context *c, u32 bytes)
{
	u32 size = ALIGN(bytes, 8);
	char *frame;

	if (unlikely(c->nesting >= MSTAP_MAXNESTING ||
		     size > c->frame_bytes - c->frame_top)) {
		mstap_raise(&c->error, -E2BIG, "MAXNESTING exceeded");
		return NULL;
	}
	frame = c->frames + c->frame_top;
	memset(frame, 0, size);
	c->frame_top += size;
	c->nesting++;
	return frame;
}

static inline void mstap_frame_pop(struct mstap_context *c, u32 bytes)
{
	u32 size = ALIGN(bytes, 8);

	c->frame_top = size <= c->frame_top ? c->frame_top - size : 0;
	if (c->nesting > 0)
		c->nesting--;
}

static inline void mstap_locate(struct mstap_context *c, const char *loc)
{
	if (c->error.message && !c->error_location)
		c->error_location = loc;
}

/*
 * A script value as a truth value, and its negation. Functions rather than
 * "(v) != 0" so that the compiler judges no expression pass 3 wrote as a
 * condition: after constant folding, "(1LL | x) != 0" or "a * b" in a
 * condition draw -Wtautological-compare and -Wint-in-bool-context, errors
 * under -Werror.
 */
static inline s64 mstap_bool(s64 v)
{
	return v != 0;
}

static inline s64 mstap_not(s64 v)
{
	return v == 0;
}

/* The comparisons, for the same reason ("i == i" is a script's right). */
static inline s64 mstap_eq(s64 a, s64 b) { return a == b; }
static inline s64 mstap_ne(s64 a, s64 b) { return a != b; }
static inline s64 mstap_lt(s64 a, s64 b) { return a < b; }
static inline s64 mstap_le(s64 a, s64 b) { return a <= b; }
static inline s64 mstap_gt(s64 a, s64 b) { return a > b; }
static inline s64 mstap_ge(s64 a, s64 b) { return a >= b; }

static inline s64 mstap_divide(struct mstap_context *c, s64 a, s64 b)
{
	if (unlikely(b == 0)) {
		mstap_raise(&c->error, -EDOM, "division by 0");
		return 0;
	}
	if (unlikely(b == -1))
		return (s64)(0 - (u64)a); /* S64_MIN / -1 is S64_MIN */
	return mstap_div_s64(a, b);
}

static inline s64 mstap_modulo(struct mstap_context *c, s64 a, s64 b)
{
	if (unlikely(b == 0)) {
		mstap_raise(&c->error, -EDOM, "division by 0");
		return 0;
	}
	if (unlikely(b == -1))
		return 0;
	return a - mstap_div_s64(a, b) * b;
}

/* ------------------------------------------------------------- control */

static inline void mstap_fn_exit(struct mstap_context *c)
{
	c->exit_called = 1;
}

/* error(): the message is copied, the caller's string may be a local. */
static inline void mstap_fn_error(struct mstap_context *c, const char *msg)
{
	if (c->error.message)
		return;
	mstap_string_copy(c->error_text, msg);
	c->error.message = c->error_text;
}

/*
 * STAP_ERROR(fmt, ...) in embedded C (runtime/MODULE.md §7): the script's
 * error, formatted by the kernel's vsnprintf and cut at MSTAP_MAXSTRINGLEN.
 */
static __printf(2, 3) __maybe_unused void
mstap_embedded_error(struct mstap_context *c, const char *fmt, ...)
{
	va_list args;

	if (c->error.message)
		return;
	va_start(args, fmt);
	vsnprintf(c->error_text, sizeof(c->error_text), fmt, args);
	va_end(args);
	c->error.message = c->error_text;
}

/*
 * STAP_PRINTF(fmt, ...) in embedded C: formatted straight into the probe's
 * output buffer (no stack copy, so MAXSTRINGLEN does not grow the frame);
 * what does not fit in the room left after a flush is cut and counted as
 * truncated output, as any other print.
 */
static __printf(2, 3) __maybe_unused void
mstap_embedded_printf(struct mstap_context *c, const char *fmt, ...)
{
	struct mstap_out *out = &c->out;
	va_list args;
	u32 room;
	int length;

	va_start(args, fmt);
	length = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	if (length <= 0)
		return;
	room = mstap_out_room(out, (u32)length + 1);
	if (room == 0) {
		out->truncated = 1;
		return;
	}
	va_start(args, fmt);
	vsnprintf(out->data + out->used, room, fmt, args);
	va_end(args);
	if ((u32)length >= room) {
		out->truncated = 1;
		length = room - 1;
	}
	out->used += length;
}

/* Appends `text` to the line being built in `line` (cut at `size` - 1). */
static inline u32 mstap_line_add(char *line, u32 used, u32 size,
				 const char *text)
{
	while (*text && used + 1 < size)
		line[used++] = *text++;
	line[used] = '\0';
	return used;
}

static inline void mstap_fn_warn(struct mstap_context *c, const char *msg)
{
	u32 used;

	/* What the hit printed so far goes first. */
	mstap_out_commit_all(&c->out);
	used = mstap_line_add(c->line, 0, sizeof(c->line), "WARNING: ");
	used = mstap_line_add(c->line, used, sizeof(c->line) - 1, msg);
	c->line[used++] = '\n';
	mstap_commit(MSTAP_STREAM_STDERR, c->line, used);
}

static inline void mstap_fn_log(struct mstap_context *c, const char *msg)
{
	mstap_out_string(&c->out, msg);
	mstap_out_char(&c->out, '\n');
}

/* ------------------------------------------------------------- process */

static inline void mstap_fn_execname(struct mstap_context *c, char *dst)
{
	/*
	 * Not get_task_comm(): it takes task_lock, a sleeping lock on RT. A
	 * concurrent rename can at worst mix two names; the copy is bounded
	 * and terminated.
	 */
	u32 i;

	for (i = 0; i < TASK_COMM_LEN - 1 && i < MSTAP_STRING_LIMIT; i++) {
		char byte = READ_ONCE(current->comm[i]);

		if (!byte)
			break;
		dst[i] = byte;
	}
	dst[i] = '\0';
}

static inline s64 mstap_fn_pid(struct mstap_context *c)
{
	return task_tgid_nr(current);
}

static inline s64 mstap_fn_tid(struct mstap_context *c)
{
	return task_pid_nr(current);
}

static inline s64 mstap_fn_ppid(struct mstap_context *c)
{
	s64 ppid;

	rcu_read_lock();
	ppid = task_tgid_nr(rcu_dereference(current->real_parent));
	rcu_read_unlock();
	return ppid;
}

static inline s64 mstap_fn_uid(struct mstap_context *c)
{
	return from_kuid_munged(current_user_ns(), current_uid());
}

static inline s64 mstap_fn_euid(struct mstap_context *c)
{
	return from_kuid_munged(current_user_ns(), current_euid());
}

static inline s64 mstap_fn_gid(struct mstap_context *c)
{
	return from_kgid_munged(current_user_ns(), current_gid());
}

static inline s64 mstap_fn_cpu(struct mstap_context *c)
{
	return smp_processor_id();
}

/* --------------------------------------------------------------- clocks */

/* ktime_get_real_fast_ns: lock-free, safe in NMI and with timekeeping locked. */
static inline s64 mstap_fn_gettimeofday_ns(struct mstap_context *c)
{
	return (s64)ktime_get_real_fast_ns();
}

static inline s64 mstap_fn_gettimeofday_us(struct mstap_context *c)
{
	return (s64)div_u64(ktime_get_real_fast_ns(), NSEC_PER_USEC);
}

static inline s64 mstap_fn_gettimeofday_ms(struct mstap_context *c)
{
	return (s64)div_u64(ktime_get_real_fast_ns(), NSEC_PER_MSEC);
}

static inline s64 mstap_fn_gettimeofday_s(struct mstap_context *c)
{
	return (s64)div_u64(ktime_get_real_fast_ns(), NSEC_PER_SEC);
}

static inline s64 mstap_fn_jiffies(struct mstap_context *c)
{
	return (s64)jiffies;
}

/* --------------------------------------------------------------- probe */

static inline void mstap_fn_probefunc(struct mstap_context *c, char *dst)
{
	mstap_string_copy(dst, c->probe && c->probe->function ?
				       c->probe->function : "");
}

static inline void mstap_fn_pp(struct mstap_context *c, char *dst)
{
	mstap_string_copy(dst, c->probe && c->probe->point ? c->probe->point : "");
}

static inline s64 mstap_fn_target(struct mstap_context *c)
{
	return (s64)READ_ONCE(mstap_target);
}

/* -------------------------------------------------------------- memory */

/*
 * Copies a NUL-terminated string of at most `limit` (<= MSTAP_STRING_LIMIT)
 * bytes from kernel (`user` false) or user memory with the *_nofault
 * copies (the strncpy_*_nofault variants are not exported to modules).
 * Reads go in pieces that never cross a page boundary, so a string that
 * ends just before an unmapped page is read whole, and nothing past
 * `limit` bytes is touched. 0, or -EFAULT with `dst` empty.
 */
static inline int mstap_copy_string_n_nofault(char *dst, u64 addr, u32 limit,
					      bool user)
{
	u32 copied = 0;

	while (copied < limit) {
		u64 at = addr + copied;
		u32 piece = (u32)(PAGE_SIZE - (at & (PAGE_SIZE - 1)));
		long failed;
		u32 i;

		if (piece > 64)
			piece = 64;
		if (piece > limit - copied)
			piece = limit - copied;
		if (user)
			failed = copy_from_user_nofault(dst + copied,
							(const void __user *)(uintptr_t)at,
							piece);
		else
			failed = copy_from_kernel_nofault(dst + copied,
							  (const void *)(uintptr_t)at,
							  piece);
		if (failed) {
			dst[0] = '\0';
			return -EFAULT;
		}
		for (i = 0; i < piece; i++)
			if (dst[copied + i] == '\0')
				return 0;
		copied += piece;
	}
	dst[limit] = '\0';
	return 0;
}

static inline int mstap_copy_string_nofault(char *dst, u64 addr, bool user)
{
	return mstap_copy_string_n_nofault(dst, addr, MSTAP_STRING_LIMIT, user);
}

static inline void mstap_fn_kernel_string(struct mstap_context *c, char *dst,
					  s64 addr)
{
	if (mstap_copy_string_nofault(dst, (u64)addr, false))
		mstap_raise_address(&c->error, -EFAULT,
				    "kernel string copy fault at ", (u64)addr);
}

static inline s64 mstap_fn_kernel_long(struct mstap_context *c, s64 addr)
{
	long value = 0;

	if (copy_from_kernel_nofault(&value, (const void *)(uintptr_t)addr,
				     sizeof(value))) {
		mstap_raise_address(&c->error, -EFAULT, "kernel read fault at ",
				    (u64)addr);
		return 0;
	}
	return value;
}

static inline void mstap_fn_user_string(struct mstap_context *c, char *dst,
					s64 addr)
{
	if (mstap_copy_string_nofault(dst, (u64)addr, true))
		mstap_raise_address(&c->error, -EFAULT,
				    "user string copy fault at ", (u64)addr);
}

#endif /* MSTAP_BUILTINS_H */
