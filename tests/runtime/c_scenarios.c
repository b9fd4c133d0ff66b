/* See c_scenarios.h. */
#include "c_scenarios.h"

#include "mstap_map.h"
#include "mstap_string.h"

const char *mstap_c_sprintf(char *destination, const char *format,
			    const struct mstap_arg *args, u32 arg_count)
{
	/* Static: a message may point into error.detail. */
	static struct mstap_error error;

	mstap_error_clear(&error);
	mstap_sprintf(destination, format, args, arg_count, &error);
	return error.message;
}

void mstap_c_text_str(char *destination, const char *source)
{
	mstap_string_text_str(destination, source);
}

const char *mstap_c_hist_print(char *out, u32 size,
			       const struct mstap_stat_layout *layout,
			       const s64 *values, u32 value_count)
{
	static struct mstap_error error;
	struct mstap_pstat pstat;
	struct mstap_out output;
	u32 i;

	mstap_error_clear(&error);
	if (mstap_pstat_create(&pstat, layout, &error))
		return error.message;
	for (i = 0; i < value_count; i++) {
		mstap_shim_current_cpu = i % mstap_shim_cpu_count;
		mstap_pstat_add(&pstat, values[i]);
	}
	mstap_shim_current_cpu = 0;
	mstap_out_init(&output, out, size - 1);
	mstap_hist_print(&output, mstap_pstat_read(&pstat), layout, &error);
	out[output.used] = '\0';
	mstap_pstat_destroy(&pstat);
	return error.message;
}

u32 mstap_c_sorted_keys(s64 *keys_out, const s64 *keys, const s64 *values,
			u32 count, s32 direction, u32 column, s64 limit)
{
	static const struct mstap_map_layout layout = {
		1, { MSTAP_TYPE_LONG }, MSTAP_TYPE_LONG, NULL, 0
	};
	struct mstap_map map;
	struct mstap_error error;
	struct mstap_map_order order;
	union mstap_key key;
	u32 *index;
	u32 visits = 0;
	u32 i;

	mstap_error_clear(&error);
	if (mstap_map_create(&map, &layout, count ? count : 1, &error))
		return 0;
	index = (u32 *)mstap_alloc_zeroed(sizeof(u32) * (count ? count : 1));
	if (!index) {
		mstap_map_destroy(&map);
		return 0;
	}
	for (i = 0; i < count; i++) {
		key.number = keys[i];
		mstap_map_set_long(&map, &key, values[i], &error);
	}
	order.direction = direction;
	order.column = column;
	order.stat_field = MSTAP_STAT_FIELD_COUNT;
	order.has_limit = limit >= 0;
	order.limit = limit;
	visits = mstap_map_sort(&map, index, &order);
	for (i = 0; i < visits; i++)
		keys_out[i] = mstap_map_entry_long_key(&map,
						       mstap_map_entry(&map, index[i]), 0);
	mstap_free(index);
	mstap_map_destroy(&map);
	return visits;
}
