/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: the card as the host sees it, BAR0 registers,
 * command rings, interrupts with moderation, fault injection, timing.
 * Hardware-independent: the embedding (QEMU device, tests) supplies DMA,
 * interrupts, a clock and timers through struct rbnn_host.
 */
#ifndef RBNN_DEV_H
#define RBNN_DEV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "rbnn_array.h"

struct rbnn_dev;

struct rbnn_host {
	void *opaque;
	/* DMA; return 0 on success, nonzero if the access failed. */
	int (*dma_read)(void *opaque, uint64_t addr, void *buf, size_t len);
	int (*dma_write)(void *opaque, uint64_t addr, const void *buf,
			 size_t len);
	/* Raise MSI-X vector @vec (RBNN_MSIX_VEC_*). */
	void (*irq)(void *opaque, unsigned int vec);
	/* Call rbnn_dev_work() soon, outside the MMIO handler. */
	void (*kick)(void *opaque);
	/* Call rbnn_dev_timer() at virtual time @when_ns (replaces any
	 * earlier request); UINT64_MAX cancels. */
	void (*timer_mod)(void *opaque, uint64_t when_ns);
	/* Current virtual time in ns. */
	uint64_t (*now_ns)(void *opaque);
	/* Report a guest programming error (never fatal). */
	void (*guest_error)(void *opaque, const char *fmt, va_list ap);
	/* Optional (may be NULL), for tracing: a command was fetched ... */
	void (*cmd_fetched)(void *opaque, uint32_t tag, uint8_t opcode);
	/* ... and its completion written (status: enum rbnn_status). */
	void (*cmd_posted)(void *opaque, uint32_t tag, uint16_t status,
			   uint64_t time_ns);
};

/* NULL with a reason in @err if the parameters are invalid or no memory. */
struct rbnn_dev *rbnn_dev_new(const struct rbnn_params *p,
			      const struct rbnn_host *host,
			      char *err, size_t errlen);
void rbnn_dev_free(struct rbnn_dev *d);
struct rbnn_array *rbnn_dev_array(struct rbnn_dev *d);

/* 32-bit register access at @off in BAR0 (other sizes: caller logs). */
uint32_t rbnn_dev_read(struct rbnn_dev *d, uint32_t off);
void rbnn_dev_write(struct rbnn_dev *d, uint32_t off, uint32_t val);

/* Process queued commands (after a kick), each to its end. */
void rbnn_dev_work(struct rbnn_dev *d);

/*
 * The same in a bounded slice: complete due work, then compute and fetch
 * for about @budget units (one unit per cell sensed or programming pulse,
 * and per byte of an EXEC item's input and output; see rbnn_prog_step()
 * for the indivisible pieces of an EXEC; row commands go row by row). An
 * EXEC or a PROGRAM_ROWS, READ_ROWS, REFRESH or ERASE_TILE is computed
 * over as many slices as it needs, STATUS.BUSY set; registers and
 * CONTROL.RESET (which abandons it) work between slices. Returns true if work is left: call again soon
 * (no kick is sent for it). Results, costs and random draws do not depend
 * on the budgets.
 */
bool rbnn_dev_work_slice(struct rbnn_dev *d, uint64_t budget);

/*
 * A command is being computed (between slices). Its state is not part of
 * rbnn_dev_save() (a state saved then does not load): an embedding must
 * not save the device then.
 */
bool rbnn_dev_computing(const struct rbnn_dev *d);
/*
 * A timer requested through timer_mod expired: post due completions and
 * fetch what follows at this exact time; a long command fetched then is
 * computed for a bounded budget here and goes on after a kick.
 */
void rbnn_dev_timer(struct rbnn_dev *d);

/*
 * The host can send messages again (MSI-X was enabled): one message per
 * vector whose INT_STATUS sources are pending and unmasked, so that no
 * event raised while messages could not be sent is lost.
 */
void rbnn_dev_int_replay(struct rbnn_dev *d);

/*
 * Reset. power_on also clears the lifetime counters; RRAM contents,
 * thresholds and wear always survive.
 */
void rbnn_dev_reset(struct rbnn_dev *d, bool power_on);

/*
 * Serialised state (registers, properties, array), for migration.
 * rbnn_dev_load() refuses a state saved by a card with other properties
 * (geometry, physics, seed...) or a malformed one: -1 with the reason in
 * @err, and the device is left as it was.
 */
size_t rbnn_dev_state_size(const struct rbnn_dev *d);
void rbnn_dev_save(const struct rbnn_dev *d, void *buf);
int rbnn_dev_load(struct rbnn_dev *d, const void *buf, size_t len,
		  char *err, size_t errlen);

/*
 * The same without the array ("regs" form: registers and properties),
 * for an embedding that migrates the array row by row while the card
 * runs (rbnn_array_save_row(), rbnn_array_dirty_next()). Loading it
 * leaves the array as it is.
 */
size_t rbnn_dev_regs_state_size(const struct rbnn_dev *d);
void rbnn_dev_save_regs(const struct rbnn_dev *d, void *buf);
int rbnn_dev_load_regs(struct rbnn_dev *d, const void *buf, size_t len,
		       char *err, size_t errlen);

#endif /* RBNN_DEV_H */
