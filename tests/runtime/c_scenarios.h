/*
 * Scenarios run by the runtime compiled as C (c_scenarios.c, gnu11 with
 * kernel-like warnings), so that the tests check the C build's behaviour
 * too, not only the C++ build the test files include.
 */
#ifndef MSTAP_C_SCENARIOS_H
#define MSTAP_C_SCENARIOS_H

#include "mstap_format.h"
#include "mstap_stat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sprintf into a MSTAP_MAXSTRINGLEN buffer; the error message, or NULL. */
const char *mstap_c_sprintf(char *destination, const char *format,
			    const struct mstap_arg *args, u32 arg_count);

/* text_str into a MSTAP_MAXSTRINGLEN buffer. */
void mstap_c_text_str(char *destination, const char *source);

/* <<< each value into a per-CPU statistic (CPUs in turn), then prints its
 * histogram into out (NUL-terminated); the error message, or NULL. */
const char *mstap_c_hist_print(char *out, u32 size,
			       const struct mstap_stat_layout *layout,
			       const s64 *values, u32 value_count);

/* Fills a long-keyed long array, sorts it by `column` (0 value, 1 key) in
 * `direction` with an optional limit, and writes the keys in visit order;
 * returns how many. */
u32 mstap_c_sorted_keys(s64 *keys_out, const s64 *keys, const s64 *values,
			u32 count, s32 direction, u32 column, s64 limit);

#ifdef __cplusplus
}
#endif

#endif /* MSTAP_C_SCENARIOS_H */
