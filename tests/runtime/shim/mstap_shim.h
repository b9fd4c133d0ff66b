/*
 * The user-space shim behind runtime/mstap_compat.h: what a test may set.
 * The CPUs are numbers (mstap_shim_cpu_count is read when a per-CPU object
 * is created; mstap_shim_current_cpu says which CPU is running), and the
 * kernel's memory is the process's own, except for a range a test makes
 * fault.
 */
#ifndef MSTAP_SHIM_H
#define MSTAP_SHIM_H

#include "mstap_compat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads of [low, high) fail as a kernel read fault would; 0, 0 for none. */
void mstap_shim_set_fault_range(u64 low, u64 high);

#ifdef __cplusplus
}
#endif

#endif /* MSTAP_SHIM_H */
