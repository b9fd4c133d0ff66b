/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_session.h - the session (MODULE.md section 5): the module's entry
 * points. Init, exit, start, stop and the /proc files are in
 * mstap_session.c; MSTAP_MODULE_MAIN expands in the script's own file.
 */
#ifndef MSTAP_SESSION_H
#define MSTAP_SESSION_H

#include "mstap_context.h"

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/init.h>

/*
 * Module init for `script`: allocates everything, initialises the globals
 * and creates /proc/MODULE_NAME/. 0, or a negative errno (nothing is left
 * allocated). `module_name` is the name the module was loaded under
 * (THIS_MODULE->name): mstap-runner -R renames a module per run, in its
 * struct module, so that two runs of one cached module can be loaded.
 */
int mstap_module_init_script(const struct mstap_script *script,
			     const char *module_name);

/* Module exit: stops the run if needed, removes the files, frees all. */
void mstap_module_exit_script(void);


/*
 * The module's entry points for the script `script` (a struct
 * mstap_script): init, exit, the license and the `mstap_target` parameter.
 * Written as MODULE.md shows it, without a semicolon; one after it is an
 * empty declaration, which gnu11 accepts too.
 */
#define MSTAP_MODULE_MAIN(script)                                         \
	static int __init mstap_module_init(void)                         \
	{                                                                 \
		return mstap_module_init_script(&(script), THIS_MODULE->name); \
	}                                                                 \
	static void __exit mstap_module_exit(void)                        \
	{                                                                 \
		mstap_module_exit_script();                               \
	}                                                                 \
	module_init(mstap_module_init);                                   \
	module_exit(mstap_module_exit);                                   \
	module_param(mstap_target, long, 0444);                           \
	MODULE_PARM_DESC(mstap_target, "the script's target() value");    \
	MODULE_LICENSE("GPL");                                            \
	MODULE_DESCRIPTION("mstap script module");

#endif /* MSTAP_SESSION_H */
