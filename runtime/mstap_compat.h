/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_compat.h - the one header that knows whether the runtime is built
 * into a kernel module or into a user-space test.
 *
 * Everything else in runtime/ is written once, against the names defined
 * here: the fixed-width integer types, the few string and memory functions
 * the kernel also has, the CPU count and the current CPU, init-time
 * allocation, 64-bit division, the safe read of kernel memory behind %m and
 * %M, and the error record that probe handlers check.
 *
 * The headers compile as C (gnu11, kbuild's warnings) and also as C++, so
 * that the GoogleTest suite can include them directly; hence the explicit
 * casts from void pointers and the absence of designated initializers.
 */
#ifndef MSTAP_COMPAT_H
#define MSTAP_COMPAT_H

/*
 * Around the declarations of functions defined in the runtime's .c files
 * (compiled as C, in the kernel and in the tests), so that C++ tests can
 * call them too.
 */
#ifdef __cplusplus
#define MSTAP_EXTERN_C_BEGIN extern "C" {
#define MSTAP_EXTERN_C_END }
#else
#define MSTAP_EXTERN_C_BEGIN
#define MSTAP_EXTERN_C_END
#endif

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/smp.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#define mstap_likely(x) likely(x)
#define mstap_unlikely(x) unlikely(x)

/* Only called from module init and exit, never from a probe. */
static inline void *mstap_alloc_zeroed(size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static inline void mstap_free(void *memory)
{
	kvfree(memory);
}

/* Per-CPU data is an array indexed by CPU id: ids run below nr_cpu_ids. */
static inline u32 mstap_cpu_count(void)
{
	return nr_cpu_ids;
}

/* Probe handlers run with preemption disabled, so the id stays valid. */
static inline u32 mstap_current_cpu(void)
{
	return smp_processor_id();
}

/* 0, or -EFAULT when the address cannot be read; never faults itself. */
static inline int mstap_read_kernel_memory(void *destination, u64 address,
					   size_t size)
{
	if (copy_from_kernel_nofault(destination,
				     (const void *)(uintptr_t)address, size))
		return -EFAULT;
	return 0;
}

/*
 * 0, or -EFAULT when the user-space address cannot be read without
 * sleeping (not mapped, paged out, or not a user address): never faults.
 */
static inline int mstap_read_user_memory(void *destination, u64 address,
					 size_t size)
{
	if (copy_from_user_nofault(destination,
				   (const void __user *)(uintptr_t)address, size))
		return -EFAULT;
	return 0;
}

/*
 * Guru mode's writes into a probed program: 0, or -EFAULT when the address
 * cannot be written without sleeping (with preemption off a page that is
 * not present or still copy-on-write cannot be faulted in). Kernel memory
 * is never written: Linux exports no faulting-safe kernel write to modules.
 */
static inline int mstap_write_user_memory(u64 address, const void *source,
					  size_t size)
{
	if (copy_to_user_nofault((void __user *)(uintptr_t)address, source,
				 size))
		return -EFAULT;
	return 0;
}

/* 32-bit kernels have no 64-bit division instruction: use the helpers. */
static inline s64 mstap_div_s64(s64 dividend, s64 divisor)
{
	return div64_s64(dividend, divisor);
}

static inline u64 mstap_div_u64(u64 dividend, u64 divisor)
{
	return div64_u64(dividend, divisor);
}

#else /* user space: the GoogleTest suite and the benchmarks */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define mstap_likely(x) __builtin_expect(!!(x), 1)
#define mstap_unlikely(x) __builtin_expect(!!(x), 0)

#ifdef __cplusplus
extern "C" {
#endif
/*
 * The shim (tests/runtime/shim/mstap_shim.c) models the CPUs as plain
 * numbers a test can set, and the kernel's memory as the process's own,
 * with a hook that makes chosen addresses fault.
 */
extern u32 mstap_shim_cpu_count;
extern u32 mstap_shim_current_cpu;
int mstap_shim_read_memory(void *destination, u64 address, size_t size);
#ifdef __cplusplus
}
#endif

static inline void *mstap_alloc_zeroed(size_t size)
{
	return calloc(1, size ? size : 1);
}

static inline void mstap_free(void *memory)
{
	free(memory);
}

static inline u32 mstap_cpu_count(void)
{
	return mstap_shim_cpu_count;
}

static inline u32 mstap_current_cpu(void)
{
	return mstap_shim_current_cpu;
}

static inline int mstap_read_kernel_memory(void *destination, u64 address,
					   size_t size)
{
	return mstap_shim_read_memory(destination, address, size);
}

static inline s64 mstap_div_s64(s64 dividend, s64 divisor)
{
	return dividend / divisor;
}

static inline u64 mstap_div_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

#endif /* __KERNEL__ */

/*
 * stap's tuning macros are accepted under their stap names too, since that
 * is what users pass with -D.
 */
#if !defined(MSTAP_MAXSTRINGLEN) && defined(MAXSTRINGLEN)
#define MSTAP_MAXSTRINGLEN MAXSTRINGLEN
#endif
#ifndef MSTAP_MAXSTRINGLEN
#define MSTAP_MAXSTRINGLEN 512
#endif
#if MSTAP_MAXSTRINGLEN < 16
#error "MSTAP_MAXSTRINGLEN must be at least 16"
#endif

/*
 * The error record of one probe run. A runtime function that fails stores
 * its message here (the first error wins: later ones are consequences) and
 * returns a negative errno; the generated code checks `message` after each
 * call that can fail and unwinds to the end of the probe, where the error
 * is reported with the script location and the script is stopped. Messages
 * are static strings, except those built in `detail`.
 */
struct mstap_error {
	const char *message;
	char detail[80];
};

static inline void mstap_error_clear(struct mstap_error *error)
{
	error->message = NULL;
	error->detail[0] = '\0';
}

static inline int mstap_raise(struct mstap_error *error, int code,
			      const char *message)
{
	if (error && !error->message)
		error->message = message;
	return code;
}

/*
 * A message that ends in a 64-bit address, such as "kernel read fault at
 * 0x0000000000001000", built without any formatting library.
 */
static inline int mstap_raise_address(struct mstap_error *error, int code,
				      const char *prefix, u64 address)
{
	static const char hex_digits[] = "0123456789abcdef";
	size_t length;
	int shift;

	if (!error || error->message)
		return code;
	length = strlen(prefix);
	if (length > sizeof(error->detail) - 19)
		length = sizeof(error->detail) - 19;
	memcpy(error->detail, prefix, length);
	error->detail[length++] = '0';
	error->detail[length++] = 'x';
	for (shift = 60; shift >= 0; shift -= 4)
		error->detail[length++] = hex_digits[(address >> shift) & 0xf];
	error->detail[length] = '\0';
	error->message = error->detail;
	return code;
}

/* Arithmetic that wraps as the script language says, without C's UB. */
static inline s64 mstap_wrapping_add(s64 a, s64 b)
{
	return (s64)((u64)a + (u64)b);
}

/* The number of significant bits: 0 for 0, 64 for values with bit 63 set. */
static inline u32 mstap_bit_width(u64 value)
{
	return value ? 64u - (u32)__builtin_clzll(value) : 0u;
}

#endif /* MSTAP_COMPAT_H */
