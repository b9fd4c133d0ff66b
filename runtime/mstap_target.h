/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_target.h - target variables: a probed function's arguments and
 * return value from the registers of the hit, and the faulting-safe reads
 * that follow struct members from them (MODULE.md, "Target variables").
 *
 * Pass 2 resolves every $name from the kernel's BTF to an argument
 * position and a chain of (offset, size) reads; generated code calls these
 * helpers with constants only, and converts the result to the declared
 * width and signedness itself.
 */
#ifndef MSTAP_TARGET_H
#define MSTAP_TARGET_H

#include "mstap_compat.h"
#include "mstap_context.h"

#include <asm/ptrace.h>

/*
 * Argument `n` (0 = first) of the probed function, at its first
 * instruction: x86-64 passes the first six in di, si, dx, cx, r8, r9 and
 * the rest on the stack, where sp points at the return address, so
 * argument n (n >= 6) is at sp + 8 * (n - 5). In a tracepoint probe,
 * argument n of the tracepoint, as its hook received it.
 */
static inline u64 mstap_reg_arg(struct mstap_context *c, unsigned int n)
{
	struct pt_regs *regs = c->regs;
	u64 value = 0, address;

	if (c->trace_args) {
		if (likely(n < c->trace_arg_count))
			return c->trace_args[n];
		mstap_raise(&c->error, -EINVAL,
			    "no such tracepoint argument");
		return 0;
	}
	if (unlikely(!regs)) {
		mstap_raise(&c->error, -EINVAL,
			    "target variables need the registers of a function probe");
		return 0;
	}
#ifdef CONFIG_X86_64
	switch (n) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->cx;
	case 4: return regs->r8;
	case 5: return regs->r9;
	default: break;
	}
	address = (u64)regs->sp + 8 * (u64)(n - 5);
	/* A uprobe's registers are the program's: its stack is user memory. */
	if (user_mode(regs)) {
		if (mstap_read_user_memory(&value, address, sizeof(value)))
			mstap_raise_address(&c->error, -EFAULT,
					    "user read fault at ", address);
		return value;
	}
	if (mstap_read_kernel_memory(&value, address, sizeof(value)))
		mstap_raise_address(&c->error, -EFAULT, "kernel read fault at ",
				    address);
	return value;
#else
	(void)address;
	(void)n;
	mstap_raise(&c->error, -EINVAL,
		    "target variables are read on x86-64 kernels only");
	return value;
#endif
}

/* The probed function's return value, in a return probe. */
static inline u64 mstap_reg_return(struct mstap_context *c)
{
	if (unlikely(!c->regs)) {
		mstap_raise(&c->error, -EINVAL,
			    "$return needs the registers of a return probe");
		return 0;
	}
	return (u64)regs_return_value(c->regs);
}

/*
 * `size` (1..8) bytes at `address` in kernel memory, or in the probed
 * program's memory for process probes (`user`), little-endian, zero- or
 * sign-extended to 64 bits. A fault is the error "kernel read fault at
 * 0x..." (or "user read fault at 0x...").
 */
static inline s64 mstap_target_read_from(struct mstap_context *c, u64 address,
					 unsigned int size, int is_signed,
					 bool user)
{
	u64 value = 0;
	unsigned int bits = size * 8;
	int failed;

	if (size == 0 || size > sizeof(value)) {
		mstap_raise(&c->error, -EINVAL, "target variable of an unreadable size");
		return 0;
	}
	failed = user ? mstap_read_user_memory(&value, address, size) :
			mstap_read_kernel_memory(&value, address, size);
	if (failed) {
		mstap_raise_address(&c->error, -EFAULT,
				    user ? "user read fault at " :
					   "kernel read fault at ",
				    address);
		return 0;
	}
	if (is_signed && bits < 64)
		return (s64)(value << (64 - bits)) >> (64 - bits);
	return (s64)value;
}

static inline s64 mstap_target_read(struct mstap_context *c, u64 address,
				    unsigned int size, int is_signed)
{
	return mstap_target_read_from(c, address, size, is_signed, false);
}

static inline s64 mstap_target_read_user(struct mstap_context *c, u64 address,
					 unsigned int size, int is_signed)
{
	return mstap_target_read_from(c, address, size, is_signed, true);
}

/*
 * The address of element `index` of an array or pointer at `base`, each
 * element `stride` bytes: an index known only at run time. An array's index
 * must be below `bound` (its length); a pointer's (bound 0) is C's p[i],
 * and reading there is checked by mstap_target_read.
 */
static inline u64 mstap_target_index(struct mstap_context *c, u64 base,
				     s64 index, u64 stride, u64 bound)
{
	if (bound && (index < 0 || (u64)index >= bound)) {
		mstap_raise(&c->error, -ERANGE,
			    "target array index out of bounds");
		return 0;
	}
	return base + (u64)index * stride;
}

/*
 * Guru mode (-g): writes to target variables. An argument's register at a
 * function's entry changes what the function receives; $return's register
 * in a return probe changes what the caller gets; in a process probe, the
 * program's stack and memory can be written too. Kernel memory never is
 * (pass 3 refuses it). User writes never fault: a bad address is the error
 * "user write fault at 0x...". Values are stored little-endian, their low
 * `size` bytes.
 */
static inline void mstap_reg_set_arg(struct mstap_context *c, unsigned int n,
				     s64 value)
{
	struct pt_regs *regs = c->regs;
	u64 address;

	if (c->trace_args || unlikely(!regs)) {
		mstap_raise(&c->error, -EINVAL,
			    "only a function probe's arguments can be written");
		return;
	}
#ifdef CONFIG_X86_64
	switch (n) {
	case 0: regs->di = (unsigned long)value; return;
	case 1: regs->si = (unsigned long)value; return;
	case 2: regs->dx = (unsigned long)value; return;
	case 3: regs->cx = (unsigned long)value; return;
	case 4: regs->r8 = (unsigned long)value; return;
	case 5: regs->r9 = (unsigned long)value; return;
	default: break;
	}
	address = (u64)regs->sp + 8 * (u64)(n - 5);
	if (!user_mode(regs)) {
		mstap_raise(&c->error, -EINVAL,
			    "a kernel function's stack arguments cannot be written");
		return;
	}
	if (mstap_write_user_memory(address, &value, sizeof(value)))
		mstap_raise_address(&c->error, -EFAULT, "user write fault at ",
				    address);
#else
	(void)address;
	(void)n;
	(void)value;
	mstap_raise(&c->error, -EINVAL,
		    "target variables are written on x86-64 kernels only");
#endif
}

static inline void mstap_reg_set_return(struct mstap_context *c, s64 value)
{
	if (unlikely(!c->regs || c->trace_args)) {
		mstap_raise(&c->error, -EINVAL,
			    "$return can only be written in a return probe");
		return;
	}
	regs_set_return_value(c->regs, (unsigned long)value);
}

static inline void mstap_target_write_user(struct mstap_context *c,
					   u64 address, unsigned int size,
					   s64 value)
{
	if (size == 0 || size > sizeof(value)) {
		mstap_raise(&c->error, -EINVAL, "target variable of an unwritable size");
		return;
	}
	if (mstap_write_user_memory(address, &value, size))
		mstap_raise_address(&c->error, -EFAULT, "user write fault at ",
				    address);
}

/* Bits [shift, shift + bits) of `value`, zero- or sign-extended. */
static inline s64 mstap_target_bits(s64 value, unsigned int shift,
				    unsigned int bits, int is_signed)
{
	u64 v = (u64)value >> shift;

	if (bits == 0 || bits >= 64)
		return (s64)v;
	v <<= 64 - bits;
	return is_signed ? (s64)v >> (64 - bits) : (s64)(v >> (64 - bits));
}

#endif /* MSTAP_TARGET_H */
