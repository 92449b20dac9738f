/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: layer programs (struct rbnn_hw_prog in
 * kernel/rbnn_regs.h) checked and executed on an array.
 */
#ifndef RBNN_EXEC_H
#define RBNN_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include "rbnn_array.h"

/*
 * A checked program in host byte order, ready to run. It owns the scratch
 * memory its runs use, so rbnn_prog_run() never allocates or fails; run
 * one item at a time per program (like the array, not thread-safe).
 */
struct rbnn_prog;

/*
 * Check the program image @img of @len bytes against the array's geometry
 * and limits. Returns NULL with a reason in @err (and the offending byte
 * offset in *@err_off) if the program is malformed.
 */
struct rbnn_prog *rbnn_prog_parse(const struct rbnn_array *a, const void *img,
				  size_t len, char *err, size_t errlen,
				  uint32_t *err_off);
void rbnn_prog_free(struct rbnn_prog *prog);

/* Bytes of one input / output item, padded to a multiple of 8. */
size_t rbnn_prog_in_bytes(const struct rbnn_prog *prog);
size_t rbnn_prog_out_bytes(const struct rbnn_prog *prog);

/*
 * Run the program on one item: @in holds rbnn_prog_in_bytes(), @out
 * receives rbnn_prog_out_bytes() (padding zeroed). Both 8-byte aligned.
 */
void rbnn_prog_run(struct rbnn_array *a, const struct rbnn_prog *prog,
		   const void *in, void *out, struct rbnn_cost *cost);

/*
 * The same run in bounded steps, for an embedding that must not compute
 * for long at a time. rbnn_prog_begin() starts an item (it reads @in at
 * once; @out must stay valid until the item is done). Each
 * rbnn_prog_step() continues it and spends at most about *@budget units
 * (one unit = one cell sensed; bookkeeping of an output position counts
 * its channels), decreasing *@budget by what it spent; it returns true
 * when the item is done and @out complete. The indivisible pieces are one
 * row read and one output position's bookkeeping, so a step overshoots
 * its budget by at most max(cols, channels) units. Results, costs,
 * random draws and array state are bit-identical to rbnn_prog_run()
 * whatever the budgets. Abandoning an item (never finishing it) is fine;
 * the next rbnn_prog_begin() starts afresh.
 */
void rbnn_prog_begin(const struct rbnn_prog *prog, const void *in, void *out);
bool rbnn_prog_step(struct rbnn_array *a, const struct rbnn_prog *prog,
		    struct rbnn_cost *cost, uint64_t *budget);

#endif /* RBNN_EXEC_H */
