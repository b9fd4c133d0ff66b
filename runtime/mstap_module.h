/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_module.h - the runtime's module core: the one header a generated
 * module includes (MODULE.md). It pulls in every other runtime header:
 *
 *   mstap_compat.h ... mstap_map.h  strings, printf, statistics, arrays
 *   mstap_context.h    probe, script and context types, limits, rwlock
 *   mstap_transport.h  the output ring and its records
 *   mstap_builtins.h   mstap_actions, frames, division, mstap_fn_*
 *   mstap_target.h     target variables: arguments, $return, member reads
 *   mstap_library.h    built-ins the tapset library is written on
 *   mstap_probes.h     running a handler; kprobes, timers, tracepoints
 *   mstap_session.h    start/stop, /proc/MODULE/{output,control},
 *                      MSTAP_MODULE_MAIN
 *
 * Kernel only (gnu11, kbuild's flags with -Werror).
 */
#ifndef MSTAP_MODULE_H
#define MSTAP_MODULE_H

#include "mstap_compat.h"
#include "mstap_string.h"
#include "mstap_format.h"
#include "mstap_stat.h"
#include "mstap_map.h"
#include "mstap_context.h"
#include "mstap_transport.h"
#include "mstap_builtins.h"
#include "mstap_target.h"
#include "mstap_library.h"
#include "mstap_probes.h"
#include "mstap_session.h"

#endif /* MSTAP_MODULE_H */
