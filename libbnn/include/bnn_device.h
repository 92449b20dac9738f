/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn_device.h - libbnn: RBNN cards driven by the rbnn kernel driver
 * (/dev/accel/accelN): discovery, identity and geometry, health and
 * usage, reset.  The management tool (bnn-smi) is written on this; tools
 * never issue ioctls themselves.
 *
 *   bnn_card *cards;  size_t n;  bnn_error e;
 *   bnn_card_list(&cards, &n, &e);           every card bound to rbnn
 *   bnn_card_health_get(&cards[0], &h, &e);    tiles, wear, errors, counters
 *   bnn_card_processes(&cards[0], &p, &np, &e);   who has the card open
 *   bnn_card_scrub(&cards[0], &st, &nst, &e);   scrub it (root)
 *   bnn_card_list_free(cards);
 *
 * Cards are found with libudev (subsystem "accel", the parent PCI device
 * bound to the driver "rbnn"); without udev, /sys/class/accel is read.
 * No udev daemon is needed.  A card is named ("spec") by its node
 * ("/dev/accel/accel1"), its accel name ("accel1"), its PCI address
 * ("0000:00:03.0", or "00:03.0" in domain 0) or its index in the list
 * ("1").
 *
 * Permissions: listing and the sysfs part of health need nothing.  The
 * driver's queries (geometry, per-tile wear, counters, model parameters)
 * need the device node, which belongs to group "render" (mode 0660 with
 * kernel/70-rbnn.rules); without access the functions fall back to sysfs
 * and say so (bnn_card.queried, bnn_card_health.source).  Processes of
 * other users are only visible to root.  A reset and a scrub need root.
 *
 * Errors and thread safety as in bnn.h: every call returns BNN_OK or a
 * negative BNN_E_* code with a one-line message in `err`; the functions
 * keep no global state and may be called from any thread.
 */
#ifndef BNN_DEVICE_H
#define BNN_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BNN_CARD_DRIVER "rbnn"

/* One card, as listed. */
typedef struct bnn_card {
	char node[64];		/* "/dev/accel/accel0" */
	char name[32];		/* "accel0" */
	char pci[32];		/* PCI address "0000:00:03.0" */
	char driver[32];	/* "rbnn" */
	char syspath[256];	/* sysfs directory of the accel device */
	uint32_t minor;		/* accel minor number */
	uint32_t index;		/* position in bnn_card_list() (by minor) */

	/* Identity and geometry.  queried = 1: from the driver's QUERY
	 * (every field valid); 0: the node could not be opened (open_status
	 * says why, e.g. BNN_E_PERM) and only the fields sysfs has are set
	 * (IDs, tiles, rows, cols, cell_mode; the others 0). */
	int queried;
	int open_status;
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint32_t revision;
	uint32_t hw_version;	/* major << 16 | minor */
	uint32_t caps;		/* the card's CAPS register (rbnn_regs.h) */
	uint32_t tiles;		/* tiles of rows x cols RRAM cells */
	uint32_t rows;
	uint32_t cols;		/* weight bits per row */
	uint32_t cell_mode;	/* 0 2T2R, 1 1T1R */
	uint32_t row_bytes;
	uint32_t act_buf_size;	/* activation buffer, bytes */
	uint32_t max_layers;	/* layers per EXEC */
	uint32_t max_batch;	/* items per EXEC */
	uint32_t max_segments;
	uint32_t max_in_syncs;
	uint32_t job_history;
	uint32_t max_jobs;	/* jobs a file may have in flight */
	uint32_t reserved32;
	uint64_t reserved[7];
} bnn_card;

/*
 * Every card bound to the rbnn driver, sorted by minor.  *cards is an
 * array of *n entries (NULL when *n is 0, which is not an error); free it
 * with bnn_card_list_free().  Each card's node is opened briefly for its
 * geometry (see bnn_card.queried).
 */
int bnn_card_list(bnn_card **cards, size_t *n, bnn_error *err);
void bnn_card_list_free(bnn_card *cards);

/*
 * The card named by spec (see the top; NULL or "" = the first card).
 * BNN_E_NODEV when there is no card at all, BNN_E_NOTFOUND when spec
 * names none of them (the message lists the cards there are).
 */
int bnn_card_find(const char *spec, bnn_card *out, bnn_error *err);

/* Static name of a cell mode: "2T2R", "1T1R", "?". */
const char *bnn_cell_mode_name(uint32_t mode);

/* The card's CAPS bits as words separated by spaces ("2T2R 1T1R FC CONV1D
 * MAXPOOL1D BITSERIAL VERIFY REFRESH TIMING DEBUG ERROR_MODEL
 * SCRUB_COUNT", unknown bits as "bitN") into buf (cap bytes, cut if too
 * small).  Returns buf. */
const char *bnn_card_caps_str(uint32_t caps, char *buf, size_t cap);

/* ---- health and usage ------------------------------------------------ */

/* Wear histogram: tiles counted by the program-cycle count of their most
 * worn row: bucket 0 = never programmed, bucket k (1..32) = [2^(k-1),
 * 2^k) cycles. */
#define BNN_WEAR_BUCKETS 33

/* Where bnn_card_health_get() got its numbers. */
typedef enum bnn_health_source {
	BNN_HEALTH_SYSFS = 0,	/* node not accessible: sysfs + hwmon only */
	BNN_HEALTH_DRIVER = 1,	/* the driver's queries (and sysfs) */
} bnn_health_source;

/* Bits of bnn_card_health.have: which groups of fields are valid. */
#define BNN_HAVE_TILES		0x01u	/* tiles, tiles_free, tiles_used */
#define BNN_HAVE_WEAR		0x02u	/* cycles max/mean, stuck, verify */
#define BNN_HAVE_WEAR_HIST	0x04u	/* wear_hist, worn tile (driver) */
#define BNN_HAVE_RECOVERY	0x08u	/* recoveries, card_resets */
#define BNN_HAVE_ENERGY		0x10u	/* energy_pj */
#define BNN_HAVE_COUNTERS	0x20u	/* busy, commands, ... jobs (driver) */
#define BNN_HAVE_MODEL		0x40u	/* the model parameters (driver) */
#define BNN_HAVE_SCRUB		0x80u	/* scrub_bit_errors (cards whose
					 * scrubs count weak cells) */

/* A value the card does not report (model parameters). */
#define BNN_UNKNOWN UINT64_MAX

typedef struct bnn_card_health {
	int source;		/* bnn_health_source */
	int open_status;	/* source SYSFS: why the node could not be
				 * used (BNN_E_PERM ...) */
	char open_msg[BNN_ERRMSG_MAX];	/* and the message */
	uint32_t have;		/* BNN_HAVE_* */

	/* tiles */
	uint32_t tiles, tiles_free, tiles_used;
	/* wear (row program cycles) */
	uint64_t wear_cycles_max;	/* most worn row of the card */
	double wear_cycles_mean;	/* mean over all rows */
	uint64_t wear_hist[BNN_WEAR_BUCKETS];
	uint32_t most_worn_tile;	/* tile holding wear_cycles_max */
	double wear_life_used;	/* wear_cycles_max / endurance (0..),
				 * -1 when the card reports no endurance */
	uint64_t stuck_cells;	/* cells stuck at 0 or 1 (worn out) */
	uint64_t verify_fails;	/* cells left unverified by the last
				 * program-and-verify of their row */
	uint64_t scrub_bit_errors;	/* BNN_HAVE_SCRUB only: bit errors the
					 * card's scrubs saw since its
					 * power-on: weak cells (read wrong,
					 * or right with less than the verify
					 * margin), which each scrub
					 * re-programmed; see bnn_card_scrub() */
	/* errors and recovery */
	uint64_t recoveries;	/* resets done by the driver (hangs, fatal
				 * errors, forced resets) */
	uint64_t card_resets;	/* CONTROL.RESET writes since power-on */
	/* modeled energy and time, lifetime */
	uint64_t energy_pj;
	uint64_t busy_ns;
	uint64_t commands;	/* card commands completed */
	uint64_t program_pulses;
	uint64_t cell_reads;
	uint64_t age_s;		/* array age, seconds */
	uint64_t jobs_submitted, jobs_completed, jobs_failed;	/* driver,
								 * since probe */
	/* device-model parameters (BNN_UNKNOWN when not reported) */
	uint64_t error_model;	/* 0 off, 1 on */
	uint64_t seed;
	uint64_t timing;	/* 0 instant, 1 modeled */
	uint64_t prog_current_na, pulse_ns, verify_max;
	uint64_t read_ber_ppb, expected_ber_ppb;
	uint64_t endurance;	/* median program cycles to failure */
	uint64_t wear_accel;
	uint64_t drift_nu_ppm;
	uint64_t e_read_fj, e_popcount_fj, e_dma_fj, t_read_ns;
	uint64_t reserved[16];
} bnn_card_health;

/*
 * A snapshot of the card's health.  Opens the node when it can (source
 * DRIVER); otherwise reads sysfs and hwmon (source SYSFS) and still
 * returns BNN_OK.  Errors: BNN_E_NODEV (the card is gone), BNN_E_IO.
 */
int bnn_card_health_get(const bnn_card *card, bnn_card_health *out,
		    bnn_error *err);

/* One tile, as the driver reports it (state seen from a new file). */
typedef struct bnn_tile {
	uint32_t index;
	int used;		/* allocated by some process */
	uint32_t cycles_max;	/* most worn row */
	uint64_t cycles_sum;	/* sum over the tile's rows */
	uint32_t stuck;		/* stuck cells */
	uint32_t verify_fails;
	int owner_pid;		/* root only (debugfs): owner's pid, 0 =
				 * unknown / free */
	char owner_comm[32];
	uint64_t scrub_bit_errors;	/* weak cells the card's scrubs found
					 * in the tile since its power-on;
					 * BNN_UNKNOWN when not reported */
} bnn_tile;

/* Per-tile wear and state; needs the node (BNN_E_PERM otherwise).  Free
 * *tiles with free(). */
int bnn_card_tiles(const bnn_card *card, bnn_tile **tiles, size_t *n,
		   bnn_error *err);

/* A process with the card open (from /proc/PID/fdinfo). */
typedef struct bnn_card_proc {
	int pid;
	char comm[32];		/* /proc/PID/comm */
	uint32_t files;		/* open files (DRM clients) on the card */
	uint32_t tiles;		/* tiles it owns (root: debugfs), else 0 */
	uint64_t engine_ns;	/* modeled device time of its finished jobs */
	uint64_t memory_bytes;	/* buffer objects (drm-total-memory) */
} bnn_card_proc;

/*
 * Processes that have the card open: /proc/PID/fdinfo entries with
 * "drm-driver: rbnn" and the card's "drm-pdev".  A file shared by several
 * processes (fork, fd passing) is counted in each.  Without root only the
 * caller's own processes are visible.  *procs: *n entries sorted by pid,
 * free with free() (NULL when none).
 */
int bnn_card_processes(const bnn_card *card, bnn_card_proc **procs,
		       size_t *n, bnn_error *err);

/* One tile of a scrub (bnn_card_scrub()). */
typedef struct bnn_scrub_tile {
	uint32_t index;
	int status;		/* BNN_OK, or BNN_E_DEVICE: the tile's scrub
				 * job failed (the scrub stopped there) */
	uint64_t weak_cells;	/* bit errors the scrub saw: cells whose
				 * margin read failed, all re-programmed */
	uint64_t unverified;	/* cells left below the margin by the
				 * re-programming (the card's VERIFY) */
	uint64_t pulses;	/* device programming pulses (0 when
				 * unverified cells were reported instead) */
	uint64_t device_ns;	/* modeled device time */
	uint64_t device_energy_pj;	/* modeled energy */
} bnn_scrub_tile;

/*
 * Scrub the whole card: every row of every tile, whoever owns it, is
 * sensed, checked with a margin read against what was sensed, and
 * re-programmed in place with program-and-verify (the card's REFRESH,
 * queued behind the jobs already on the card).  There is no ECC and no copy of the
 * weights on the card, so a scrub cannot correct a bit that reads wrong:
 * it rewrites what it sensed.  What it can see, and reports per tile, are
 * the weak cells: those that read wrong, or right with less than the
 * verify margin (2T2R: the two devices too close to each other; 1T1R: the
 * device too close to the reference).  It restores the margins of the
 * cells that still read right; the weights of a bit that read wrong must
 * be re-programmed from the host's copy.  Each row costs one program cycle
 * of wear.  Processes using the card keep their weights.
 *
 * *tiles: *n entries (one per tile), free with free().  Root only
 * (CAP_SYS_ADMIN: the driver's DRM_IOCTL_RBNN_ADMIN, or its debugfs file
 * "scrub" with driver 1.0): BNN_E_PERM otherwise; BNN_E_UNSUPPORTED when
 * a driver 1.0 has no debugfs mounted; BNN_E_NODEV (gone); BNN_E_DEVICE when a tile's scrub failed (a
 * reset aborted it; the message names the tile: the rows of that tile
 * must be re-programmed by their owner, which the driver tells it).
 */
int bnn_card_scrub(const bnn_card *card, bnn_scrub_tile **tiles, size_t *n,
		   bnn_error *err);

/*
 * Reset the card as the driver's hang recovery does (DRM_IOCTL_RBNN_ADMIN;
 * debugfs force_reset with driver 1.0): jobs on the card end with
 * -ECANCELED (their owners see BNN_E_DEVICE "lost in a card reset"),
 * queued jobs then run; weights and thresholds are non-volatile and
 * survive.  Root only: BNN_E_PERM otherwise; BNN_E_UNSUPPORTED when a
 * driver 1.0 has no debugfs mounted (the message says how to mount it).
 * Returns when the recovery has finished.
 */
int bnn_card_reset(const bnn_card *card, bnn_error *err);

#ifdef __cplusplus
}
#endif

#endif /* BNN_DEVICE_H */
