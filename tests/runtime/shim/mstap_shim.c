/* The user-space shim behind runtime/mstap_compat.h (see mstap_shim.h). */
#include "mstap_shim.h"

u32 mstap_shim_cpu_count = 4;
u32 mstap_shim_current_cpu;

static u64 fault_low;
static u64 fault_high;

void mstap_shim_set_fault_range(u64 low, u64 high)
{
	fault_low = low;
	fault_high = high;
}

int mstap_shim_read_memory(void *destination, u64 address, size_t size)
{
	if (size == 0)
		return 0;
	if (address < fault_high && address + size > fault_low)
		return -EFAULT;
	memcpy(destination, (const void *)(uintptr_t)address, size);
	return 0;
}
