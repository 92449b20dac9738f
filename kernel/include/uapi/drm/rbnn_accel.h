/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR MIT */
/*
 * Userspace interface of the rbnn DRM accel driver (RRAM binarized neural
 * network accelerator). Documentation/rbnn-uapi.rst describes how to use it.
 *
 * Conventions shared by every ioctl:
 *
 * - Every pad, reserved and flags field that the kernel does not know must be
 *   zero, else -EINVAL. Every struct only grows at its end.
 * - User pointers are __u64. Arrays passed by pointer come with a count and a
 *   stride (the size of one element as userspace knows it). A stride smaller
 *   than the element the kernel knows, or larger than DRM_RBNN_MAX_STRIDE, is
 *   -EINVAL; bytes of a larger element that the kernel does not know must be
 *   zero (-E2BIG otherwise).
 * - Errors: -EINVAL bad argument, -ENOENT unknown handle (BO, syncobj, job),
 *   -EFAULT bad user pointer, -ENOSPC no free tiles, -EACCES tile or rows not
 *   owned / not programmed by this file, -ECANCELED the context is banned
 *   after one of its jobs hung, -ENODEV the card was unplugged, -EBUSY too
 *   many jobs in flight in this file, -ETIMEDOUT a wait timed out,
 *   -ERANGE an offset/size overflows or leaves a buffer object.
 */
#ifndef _UAPI_RBNN_ACCEL_H_
#define _UAPI_RBNN_ACCEL_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_RBNN_QUERY			0x00
#define DRM_RBNN_BO_CREATE		0x01
#define DRM_RBNN_BO_INFO		0x02
#define DRM_RBNN_BO_WAIT		0x03
#define DRM_RBNN_TILE_ALLOC		0x04
#define DRM_RBNN_TILE_FREE		0x05
#define DRM_RBNN_PROGRAM		0x06
#define DRM_RBNN_EXEC			0x07
#define DRM_RBNN_READBACK		0x08
#define DRM_RBNN_JOB_INFO		0x09
#define DRM_RBNN_ADMIN			0x0a

#define DRM_IOCTL_RBNN_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_QUERY, struct drm_rbnn_query)
#define DRM_IOCTL_RBNN_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_BO_CREATE, struct drm_rbnn_bo_create)
#define DRM_IOCTL_RBNN_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_BO_INFO, struct drm_rbnn_bo_info)
#define DRM_IOCTL_RBNN_BO_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_RBNN_BO_WAIT, struct drm_rbnn_bo_wait)
#define DRM_IOCTL_RBNN_TILE_ALLOC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_TILE_ALLOC, struct drm_rbnn_tile_alloc)
#define DRM_IOCTL_RBNN_TILE_FREE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_RBNN_TILE_FREE, struct drm_rbnn_tile_free)
#define DRM_IOCTL_RBNN_PROGRAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_PROGRAM, struct drm_rbnn_program)
#define DRM_IOCTL_RBNN_EXEC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_EXEC, struct drm_rbnn_exec)
#define DRM_IOCTL_RBNN_READBACK \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_READBACK, struct drm_rbnn_readback)
#define DRM_IOCTL_RBNN_JOB_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_JOB_INFO, struct drm_rbnn_job_info)
#define DRM_IOCTL_RBNN_ADMIN \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_ADMIN, struct drm_rbnn_admin)

/* Fixed limits of this interface (the card's own limits are in QUERY). */
#define DRM_RBNN_MAX_IN_SYNCS		64	/* in-fences per job */
#define DRM_RBNN_MAX_SEGMENTS		32768	/* segments per EXEC */
#define DRM_RBNN_JOB_HISTORY		4096	/* job results kept per file */
#define DRM_RBNN_MAX_STRIDE		4096	/* bytes per array element */

/* ---- QUERY ------------------------------------------------------------- */

/**
 * enum drm_rbnn_query_type - what DRM_IOCTL_RBNN_QUERY returns
 * @DRM_RBNN_QUERY_DEVICE: &struct drm_rbnn_query_device
 * @DRM_RBNN_QUERY_MODEL: &struct drm_rbnn_query_model
 * @DRM_RBNN_QUERY_COUNTERS: &struct drm_rbnn_query_counters
 * @DRM_RBNN_QUERY_TILES: &struct drm_rbnn_query_tiles followed by one
 *	&struct drm_rbnn_tile_info per tile
 */
enum drm_rbnn_query_type {
	DRM_RBNN_QUERY_DEVICE = 0,
	DRM_RBNN_QUERY_MODEL = 1,
	DRM_RBNN_QUERY_COUNTERS = 2,
	DRM_RBNN_QUERY_TILES = 3,
};

/**
 * struct drm_rbnn_query - argument of DRM_IOCTL_RBNN_QUERY
 * @type: enum drm_rbnn_query_type; unknown types are -EINVAL
 * @size: in: size of the buffer at @ptr in bytes; 0 asks for the size only.
 *	out: with @size 0 on input, the size of the kernel's answer; otherwise
 *	the number of bytes written, min(size in, kernel's size). A smaller
 *	buffer receives the first @size bytes of the answer (a truncated copy);
 *	bytes of a larger buffer past the answer are left untouched.
 * @ptr: user pointer to the buffer (ignored when @size is 0)
 */
struct drm_rbnn_query {
	__u32 type;
	__u32 size;
	__u64 ptr;
};

/**
 * struct drm_rbnn_query_device - DRM_RBNN_QUERY_DEVICE: card identity and
 * geometry
 * @vendor_id: PCI vendor ID
 * @device_id: PCI device ID
 * @subsystem_vendor_id: PCI subsystem vendor ID
 * @subsystem_id: PCI subsystem ID
 * @revision_id: PCI revision ID
 * @pad: zero
 * @hw_version: VERSION register, major << 16 | minor
 * @caps: CAPS register (RBNN_CAP_* of the card's specification)
 * @tiles: number of tiles
 * @rows: rows per tile
 * @cols: columns (weight bits) per row, a multiple of 64
 * @row_bytes: bytes of one row of weights in a buffer object (@cols / 8)
 * @act_buf_size: activation buffer bytes (an input item and every layer
 *	output item must fit in half of it)
 * @max_layers: layers per EXEC
 * @max_batch: items per EXEC
 * @max_sgl: scatter-gather entries per buffer (internal, informative)
 * @cell_mode: 0 2T2R, 1 1T1R
 * @max_in_syncs: DRM_RBNN_MAX_IN_SYNCS
 * @max_segments: DRM_RBNN_MAX_SEGMENTS
 * @job_history: DRM_RBNN_JOB_HISTORY
 * @max_jobs: jobs a file may have in flight (submissions beyond get
 *	-EBUSY), at most @job_history; 0 from drivers 1.0, whose limit is
 *	@job_history
 */
struct drm_rbnn_query_device {
	__u16 vendor_id;
	__u16 device_id;
	__u16 subsystem_vendor_id;
	__u16 subsystem_id;
	__u8 revision_id;
	__u8 pad[3];
	__u32 hw_version;
	__u32 caps;
	__u32 tiles;
	__u32 rows;
	__u32 cols;
	__u32 row_bytes;
	__u32 act_buf_size;
	__u32 max_layers;
	__u32 max_batch;
	__u32 max_sgl;
	__u32 cell_mode;
	__u32 max_in_syncs;
	__u32 max_segments;
	__u32 job_history;
	__u32 max_jobs;
};

/**
 * struct drm_rbnn_query_model - DRM_RBNN_QUERY_MODEL: the device-model
 * parameters the card reports in its PARAM window
 *
 * Each field is the value of the parameter of the same name, an unsigned
 * integer in the unit in its name; ~0 when the card does not report it.
 * The energy and time coefficients (@e_read_fj, @e_popcount_fj, @e_dma_fj,
 * @t_read_ns) are those of the card's energy and time model: the figures
 * derived from them (JOB_INFO's time_ns and energy_pj, QUERY_COUNTERS'
 * energy_pj and busy_ns, fdinfo's engine time) are modeled estimates, not
 * measurements.
 *
 * @error_model: 0 off (cells read what was programmed), 1 on
 * @reserved0: zero. Drivers before 1.2 reported the emulator's random
 *	number generator seed here; it is a simulation knob, not a property of
 *	the card, and is now only in debugfs (sim/seed).
 * @reserved1: zero. Drivers before 1.2 reported the emulator's timing
 *	switch here (0 instant, 1 modeled completion times); now in debugfs
 *	(sim/timing) and in CAPS (RBNN_CAP_TIMING_MODELED of the card's
 *	specification).
 * @prog_current_na: default programming current, nA
 * @pulse_ns: default programming pulse width, ns
 * @verify_max: default program-and-verify re-pulses
 * @read_ber_ppb: transient read bit error rate, parts per 10^9
 * @expected_ber_ppb: expected programming bit error rate, parts per 10^9
 * @endurance: median program cycles to cell failure
 * @wear_accel: cycles counted per programming of a row
 * @drift_nu_ppm: mean drift coefficient, parts per 10^6
 * @e_read_fj: modeled energy per cell read, fJ
 * @e_popcount_fj: modeled energy per row popcount, fJ
 * @e_dma_fj: modeled energy per DMA byte, fJ
 * @t_read_ns: modeled time per row activation, ns
 */
struct drm_rbnn_query_model {
	__u64 error_model;
	__u64 reserved0;
	__u64 reserved1;
	__u64 prog_current_na;
	__u64 pulse_ns;
	__u64 verify_max;
	__u64 read_ber_ppb;
	__u64 expected_ber_ppb;
	__u64 endurance;
	__u64 wear_accel;
	__u64 drift_nu_ppm;
	__u64 e_read_fj;
	__u64 e_popcount_fj;
	__u64 e_dma_fj;
	__u64 t_read_ns;
};

/**
 * struct drm_rbnn_query_counters - DRM_RBNN_QUERY_COUNTERS: lifetime
 * counters of the card and of the driver
 * @energy_pj: modeled energy of all completed commands, pJ
 * @busy_ns: modeled busy time of all completed commands, ns
 * @commands: commands completed by the card
 * @program_pulses: device programming pulses
 * @cell_reads: cells sensed
 * @progress: the card's PROGRESS register (work units, wraps at 2^32)
 * @resets: CONTROL.RESET writes since the card's power-on
 * @age_s: array age, seconds
 * @jobs_submitted: jobs submitted to this card (all files) since probe
 * @jobs_completed: jobs that completed with status 0
 * @jobs_failed: jobs that completed with an error
 * @recoveries: resets done by the driver to recover the card (counted
 *	when the recovery starts, before the jobs it fails are signalled)
 * @scrub_weak_cells: cells found weak by the card's scrubs (REFRESH, run by
 *	DRM_RBNN_READBACK_SCRUB and by the administrator's scrub) since the
 *	card's power-on: cells that read wrong or nearly (their margin in the
 *	direction of the bit they read is below the card's verify margin),
 *	each re-programmed by its scrub; ~0 when the card does not count them
 *	(no RBNN_CAP_SCRUB_COUNT). Absent from answers of older kernels: check
 *	the size QUERY returns.
 */
struct drm_rbnn_query_counters {
	__u64 energy_pj;
	__u64 busy_ns;
	__u64 commands;
	__u64 program_pulses;
	__u64 cell_reads;
	__u64 progress;
	__u64 resets;
	__u64 age_s;
	__u64 jobs_submitted;
	__u64 jobs_completed;
	__u64 jobs_failed;
	__u64 recoveries;
	__u64 scrub_weak_cells;
};

/**
 * enum drm_rbnn_tile_state - owner of a tile, seen from the calling file
 * @DRM_RBNN_TILE_STATE_FREE: not allocated
 * @DRM_RBNN_TILE_STATE_MINE: allocated by the calling file
 * @DRM_RBNN_TILE_STATE_OTHER: allocated by another file, or being released (jobs
 *	that use it are still in flight)
 */
enum drm_rbnn_tile_state {
	DRM_RBNN_TILE_STATE_FREE = 0,
	DRM_RBNN_TILE_STATE_MINE = 1,
	DRM_RBNN_TILE_STATE_OTHER = 2,
};

/**
 * struct drm_rbnn_tile_info - one tile in the DRM_RBNN_QUERY_TILES answer
 * @state: enum drm_rbnn_tile_state
 * @rows_programmed: with @state MINE, rows programmed by the calling file
 *	since it allocated the tile; 0 otherwise
 * @cycles_max: largest program-cycle count of a row of the tile
 * @stuck: stuck cells in the tile
 * @cycles_sum: sum of the program-cycle counts of the tile's rows (wear)
 * @verify_fails: cells left unverified by the last program-and-verify of
 *	their row
 * @reserved: zero
 * @scrub_weak_cells: weak cells the card's scrubs found in the tile since
 *	the card's power-on (as &drm_rbnn_query_counters.scrub_weak_cells;
 *	saturates at 2^32 - 1), ~0 when the card does not count them; present
 *	when &drm_rbnn_query_tiles.stride covers it
 */
struct drm_rbnn_tile_info {
	__u32 state;
	__u32 rows_programmed;
	__u32 cycles_max;
	__u32 stuck;
	__u64 cycles_sum;
	__u32 verify_fails;
	__u32 reserved;
	__u64 scrub_weak_cells;
};

/**
 * struct drm_rbnn_query_tiles - DRM_RBNN_QUERY_TILES header
 * @count: number of tile records that follow (the card's number of tiles)
 * @stride: size of one record as the kernel writes it; record i is at
 *	byte sizeof(struct drm_rbnn_query_tiles) + i * @stride of the answer
 * @reserved: zero
 */
struct drm_rbnn_query_tiles {
	__u32 count;
	__u32 stride;
	__u64 reserved;
};

/* ---- Buffer objects ---------------------------------------------------- */

/**
 * struct drm_rbnn_bo_create - argument of DRM_IOCTL_RBNN_BO_CREATE
 * @size: in: requested size in bytes, 1..4 GiB; the object's size is
 *	rounded up to a multiple of the page size (BO_INFO reports it)
 * @flags: must be 0
 * @handle: out: GEM handle of the new object
 *
 * Buffer objects are shmem-backed, mapped cached by mmap() (through the
 * offset of BO_INFO) and handed to the card through scatter-gather lists
 * built by the kernel. They hold weights, thresholds, inputs, outputs and
 * read-back rows.
 *
 * The (rounded) sizes of the objects a file created and that are not yet
 * freed count against a per-file and a per-card cap (module parameters
 * file_bo_mem_kib and dev_bo_mem_kib, by default a quarter and half of the
 * RAM; since driver 1.2): an object beyond either is -EDQUOT. An object
 * stays charged to the file that created it until its last handle,
 * mapping and dma-buf are gone, after that file's close too.
 */
struct drm_rbnn_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
};

/**
 * struct drm_rbnn_bo_info - argument of DRM_IOCTL_RBNN_BO_INFO
 * @handle: in: GEM handle (-ENOENT if unknown)
 * @flags: must be 0
 * @size: out: size of the object in bytes
 * @mmap_offset: out: offset to pass to mmap() on the device file
 */
struct drm_rbnn_bo_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u64 mmap_offset;
};

/**
 * struct drm_rbnn_bo_wait - argument of DRM_IOCTL_RBNN_BO_WAIT
 * @handle: GEM handle
 * @flags: must be 0
 * @timeout_ns: absolute CLOCK_MONOTONIC deadline in ns; a deadline in the
 *	past polls
 *
 * Waits until every job that reads or writes the object has finished.
 * Returns 0 when idle, -ETIMEDOUT at the deadline, -EINTR on a signal.
 */
struct drm_rbnn_bo_wait {
	__u32 handle;
	__u32 flags;
	__s64 timeout_ns;
};

/* ---- Tiles ------------------------------------------------------------- */

/**
 * struct drm_rbnn_tile_alloc - argument of DRM_IOCTL_RBNN_TILE_ALLOC
 * @count: number of tiles wanted, 1..tiles
 * @flags: must be 0
 * @tiles_ptr: user pointer to an array of @count __u32 that receives the
 *	indices of the tiles allocated
 *
 * All or nothing: -ENOSPC when fewer than @count tiles are free. Among the
 * free tiles the least worn ones (smallest sum of row program cycles) are
 * given first. A newly allocated tile has no row programmed by its owner:
 * rows must be programmed with DRM_IOCTL_RBNN_PROGRAM before EXEC or
 * READBACK use them. Tiles are released by TILE_FREE or when the file is
 * closed.
 */
struct drm_rbnn_tile_alloc {
	__u32 count;
	__u32 flags;
	__u64 tiles_ptr;
};

/**
 * struct drm_rbnn_tile_free - argument of DRM_IOCTL_RBNN_TILE_FREE
 * @tile: index of a tile owned by the calling file (-EACCES otherwise,
 *	-EINVAL if out of range)
 * @flags: must be 0
 *
 * The tile becomes free once the jobs already submitted that use it have
 * finished. Its contents are not erased (no wear): the next owner cannot
 * read rows it has not programmed itself.
 */
struct drm_rbnn_tile_free {
	__u32 tile;
	__u32 flags;
};

/* ---- Jobs ----------------------------------------------------------------- */

/**
 * struct drm_rbnn_sync - a syncobj and a point on it
 * @handle: syncobj handle
 * @flags: must be 0
 * @point: timeline point; 0 for a binary syncobj
 */
struct drm_rbnn_sync {
	__u32 handle;
	__u32 flags;
	__u64 point;
};

/**
 * struct drm_rbnn_syncs - dependencies and completion of a job
 * @in_syncs: user pointer to @in_count struct drm_rbnn_sync: the job starts
 *	after all of them signalled (an unknown syncobj is -ENOENT, one with
 *	no fence at that point -EINVAL); if the fence of one of them
 *	signalled with an error, the job does not run and ends with that
 *	error
 * @in_count: number of in-syncs, at most DRM_RBNN_MAX_IN_SYNCS
 * @in_stride: size of one element of @in_syncs (0 when @in_count is 0)
 * @out: syncobj to signal when the job finishes (@out.handle 0 = none); with
 *	@out.point != 0 the point is added to a timeline syncobj, else the
 *	syncobj's fence is replaced
 *
 * Jobs of one file also run in submission order, and a job always waits for
 * the earlier jobs of any file that write the buffer objects it uses
 * (implicit synchronisation). These orderings pass no errors on: only an
 * in-sync does. A job that reads rows whose PROGRAM failed ends with
 * -ECANCELED (with the PROGRAM's error if it also waits for the PROGRAM
 * through an in-sync: in-syncs are checked first).
 */
struct drm_rbnn_syncs {
	__u64 in_syncs;
	__u32 in_count;
	__u32 in_stride;
	struct drm_rbnn_sync out;
};

/* drm_rbnn_program.flags */
#define DRM_RBNN_PROGRAM_VERIFY		0x1u /* program-and-verify */

/**
 * struct drm_rbnn_program - argument of DRM_IOCTL_RBNN_PROGRAM
 * @tile: tile owned by the calling file
 * @row: first row
 * @nrows: number of rows, >= 1, @row + @nrows <= rows
 * @flags: DRM_RBNN_PROGRAM_*
 * @current_na: programming current in nA: 0 (card default) or 1000..1000000
 * @pulse_ns: pulse width in ns: 0 (card default) or 10..10000
 * @verify_max: re-pulses per cell with DRM_RBNN_PROGRAM_VERIFY: 0 (card
 *	default) or 1..64; must be 0 without it
 * @weights_handle: BO holding @nrows rows of row_bytes bytes each (bit c of
 *	a row is bit c % 8 of byte c / 8; 1 = +1, 0 = -1)
 * @weights_offset: byte offset of the first row in that BO
 * @thresh_handle: BO holding @nrows signed 32-bit little-endian thresholds,
 *	or 0 to leave the thresholds of these rows as they are
 * @pad: zero
 * @thresh_offset: byte offset of the first threshold (0 without thresholds)
 * @syncs: dependencies and completion
 * @seqno: out: the job's sequence number in this file (for JOB_INFO)
 *
 * Submits a job that programs the rows (and loads their thresholds).
 * Programming wears the cells out, so on a shared card it is bounded: a
 * @current_na above the rbnn.user_max_current_ua module parameter needs
 * CAP_SYS_ADMIN (-EPERM), and the rows a file programs over its life
 * (PROGRAM, READBACK with DRM_RBNN_READBACK_SCRUB) are limited by
 * rbnn.wear_budget_rows (-EDQUOT beyond; CAP_SYS_ADMIN is exempt). The
 * rows count as programmed by this file when the job succeeds; if it fails,
 * they do not (and must be programmed again). With thresholds, the rows'
 * thresholds count as loaded by this file likewise. Device completion
 * VERIFY (some cells unverified) is a success with hw_status VERIFY.
 */
struct drm_rbnn_program {
	__u32 tile;
	__u32 row;
	__u32 nrows;
	__u32 flags;
	__u32 current_na;
	__u32 pulse_ns;
	__u32 verify_max;
	__u32 weights_handle;
	__u64 weights_offset;
	__u32 thresh_handle;
	__u32 pad;
	__u64 thresh_offset;
	struct drm_rbnn_syncs syncs;
	__u64 seqno;
};

/* drm_rbnn_layer.op: the card's layer operations */
#define DRM_RBNN_LAYER_FC		1
#define DRM_RBNN_LAYER_CONV1D		2
#define DRM_RBNN_LAYER_MAXPOOL1D	3

/* drm_rbnn_layer.out_mode */
#define DRM_RBNN_OUT_BITS		0	/* bit = (sum >= threshold) */
#define DRM_RBNN_OUT_SCORES		1	/* __s32 sums, last layer only */

/**
 * struct drm_rbnn_layer - one layer of an EXEC
 * @op: DRM_RBNN_LAYER_*
 * @out_mode: DRM_RBNN_OUT_*
 * @in_channels: input channels; must equal the previous layer's
 *	@out_channels (layer 0: &drm_rbnn_exec.in_channels)
 * @in_length: input positions; must equal the previous layer's @out_length
 *	(layer 0: &drm_rbnn_exec.in_length)
 * @out_channels: output channels (MAXPOOL1D: = @in_channels)
 * @out_length: output positions: FC 1; CONV1D (L + 2 * pad - kernel) /
 *	stride + 1; MAXPOOL1D (L - kernel) / stride + 1
 * @kernel: window (CONV1D, MAXPOOL1D), 0 for FC
 * @stride: window step (CONV1D, MAXPOOL1D), 0 for FC
 * @pad: CONV1D zero padding at both ends (< @kernel), else 0
 * @seg_count: number of segments of this layer (0 for MAXPOOL1D, >= 1
 *	otherwise); the segments of layer i follow those of layer i - 1 in
 *	the EXEC's segment array
 * @reserved: zero
 * @reserved2: zero
 *
 * The rules are those of the card's layer programs
 * (Documentation/rbnn-device.rst, "Layer programs"); the kernel checks them
 * all and returns -EINVAL for any violation.
 */
struct drm_rbnn_layer {
	__u32 op;
	__u32 out_mode;
	__u32 in_channels;
	__u32 in_length;
	__u32 out_channels;
	__u32 out_length;
	__u32 kernel;
	__u32 stride;
	__u32 pad;
	__u32 seg_count;
	__u32 reserved;
	__u32 reserved2;
};

/**
 * struct drm_rbnn_segment - where some of a layer's weights are
 * @tile: tile owned by the calling file
 * @row: row of output channel @out_first
 * @out_first: first output channel
 * @out_count: number of output channels (>= 1), on consecutive rows
 * @block: column block: fan-in bits [block * cols, (block + 1) * cols)
 * @reserved: zero
 *
 * Every (output channel, block) pair of a layer must be covered exactly
 * once. All rows used must have been programmed by the calling file since
 * it allocated the tile (-EACCES otherwise); for a layer with
 * DRM_RBNN_OUT_BITS the rows of block 0 must also have had their thresholds
 * loaded by it.
 */
struct drm_rbnn_segment {
	__u32 tile;
	__u32 row;
	__u32 out_first;
	__u32 out_count;
	__u32 block;
	__u32 reserved;
};

/**
 * struct drm_rbnn_exec - argument of DRM_IOCTL_RBNN_EXEC
 * @layers: user pointer to @layer_count struct drm_rbnn_layer
 * @layer_count: 1..max_layers
 * @layer_stride: size of one element of @layers
 * @segments: user pointer to @seg_count struct drm_rbnn_segment
 * @seg_count: total number of segments, at most DRM_RBNN_MAX_SEGMENTS; the
 *	sum of the layers' seg_count
 * @seg_stride: size of one element of @segments
 * @in_channels: channels of an input item
 * @in_length: positions of an input item
 * @in_bits: 1: bit-packed inputs; 2..8: one byte per element, its low
 *	@in_bits bits applied bit-serially
 * @batch: number of items, 1..max_batch
 * @in_handle: BO holding @batch input items
 * @out_handle: BO receiving @batch output items
 * @in_offset: byte offset of item 0 in the input BO
 * @out_offset: byte offset of item 0 in the output BO
 * @flags: must be 0
 * @pad: zero
 * @syncs: dependencies and completion
 * @seqno: out: the job's sequence number in this file
 *
 * Item sizes (items are position-major, element e = pos * channels + ch):
 * a 1-bit item is ALIGN(ceil(C * L / 8), 8) bytes, an @in_bits > 1 item
 * ALIGN(C * L, 8), a SCORES output ALIGN(4 * O * L', 8). One input item and
 * every layer's output item must fit in @act_buf_size / 2 of the card
 * (-EINVAL). The input and output ranges must lie inside their BOs (-ERANGE
 * otherwise) and must not overlap if they are in the same BO (-EINVAL).
 */
struct drm_rbnn_exec {
	__u64 layers;
	__u32 layer_count;
	__u32 layer_stride;
	__u64 segments;
	__u32 seg_count;
	__u32 seg_stride;
	__u32 in_channels;
	__u32 in_length;
	__u32 in_bits;
	__u32 batch;
	__u32 in_handle;
	__u32 out_handle;
	__u64 in_offset;
	__u64 out_offset;
	__u32 flags;
	__u32 pad;
	struct drm_rbnn_syncs syncs;
	__u64 seqno;
};

/* drm_rbnn_readback.flags */
#define DRM_RBNN_READBACK_SCRUB		0x1u /* refresh the rows first */

/**
 * struct drm_rbnn_readback - argument of DRM_IOCTL_RBNN_READBACK
 * @tile: tile owned by the calling file
 * @row: first row
 * @nrows: number of rows, all programmed by the calling file
 * @flags: DRM_RBNN_READBACK_*; with SCRUB the card first senses and
 *	reprograms the rows in place (restores margins lost to drift; one
 *	program cycle of wear per row) and counts the weak cells it found
 *	(&drm_rbnn_job_info.scrub_weak_cells of the job)
 * @handle: BO receiving @nrows * row_bytes bytes
 * @pad: zero
 * @offset: byte offset in that BO
 * @syncs: dependencies and completion
 * @seqno: out: the job's sequence number in this file
 */
struct drm_rbnn_readback {
	__u32 tile;
	__u32 row;
	__u32 nrows;
	__u32 flags;
	__u32 handle;
	__u32 pad;
	__u64 offset;
	struct drm_rbnn_syncs syncs;
	__u64 seqno;
};

/* drm_rbnn_job_info.state */
#define DRM_RBNN_JOB_PENDING		0
#define DRM_RBNN_JOB_DONE		1

/**
 * struct drm_rbnn_job_info - argument of DRM_IOCTL_RBNN_JOB_INFO
 * @seqno: in: sequence number returned by a submission of this file;
 *	-EINVAL if never returned, -ENOENT if older than the last
 *	DRM_RBNN_JOB_HISTORY jobs
 * @timeout_ns: in: absolute CLOCK_MONOTONIC deadline to wait for the job, in
 *	ns, as for DRM_IOCTL_RBNN_BO_WAIT: -ETIMEDOUT if the job is still
 *	pending at the deadline (a deadline in the past checks once), with
 *	@state PENDING filled in. 0 does not wait: the ioctl returns 0 and
 *	the job's current @state.
 * @flags: must be 0
 * @state: out: DRM_RBNN_JOB_PENDING or DRM_RBNN_JOB_DONE
 * @status: out, when done: 0 success; -EIO the card rejected or failed a
 *	command (see @hw_status); -ETIMEDOUT the job hung and the card was
 *	reset (the file is now banned); -ECANCELED the job was lost by a reset
 *	caused by another job, or not run (its file is banned, or rows it
 *	needs were invalidated by a failed PROGRAM); -ENODEV the card was
 *	unplugged; -ESRCH the job was killed when its file closed. A job
 *	that did not run because the fence of one of its in-syncs failed
 *	reports that fence's error, whatever it is (the first failed one in
 *	@in_syncs order), with @hw_status 0 and @time_ns 0
 * @hw_status: out: the card's completion status (enum rbnn_status of
 *	rbnn_regs.h: 0 OK, 5 VERIFY, ...) of the first command that did not
 *	complete OK, else 0
 * @hw_detail: out: the detail field of that completion (for PROGRAM success:
 *	device programming pulses)
 * @reserved: zero
 * @time_ns: out: modeled device time of the job's commands, ns
 * @energy_pj: out: modeled energy of the job's commands, pJ
 * @scrub_weak_cells: out: READBACK with DRM_RBNN_READBACK_SCRUB: weak cells
 *	its scrub found (see &drm_rbnn_query_counters.scrub_weak_cells), 0
 *	for other jobs and when the card does not count them; a caller with
 *	the older, shorter struct does not get it
 */
struct drm_rbnn_job_info {
	__u64 seqno;
	__s64 timeout_ns;
	__u32 flags;
	__u32 state;
	__s32 status;
	__u32 hw_status;
	__u32 hw_detail;
	__u32 reserved;
	__u64 time_ns;
	__u64 energy_pj;
	__u64 scrub_weak_cells;
};

/* ---- Administration ---------------------------------------------------- */

/* drm_rbnn_admin.op */
#define DRM_RBNN_ADMIN_RESET		1	/* reset the card now */
#define DRM_RBNN_ADMIN_SCRUB		2	/* refresh one tile and wait */

/**
 * struct drm_rbnn_admin - argument of DRM_IOCTL_RBNN_ADMIN
 * @op: DRM_RBNN_ADMIN_*
 * @flags: must be 0
 * @tile: SCRUB: the tile, whoever owns it; RESET: must be 0
 * @status: out, SCRUB: the scrub job's status, as JOB_INFO's
 * @hw_status: out, SCRUB: as JOB_INFO's
 * @hw_detail: out, SCRUB: as JOB_INFO's
 * @scrub_weak_cells: out, SCRUB: weak cells the scrub found (~0 on cards
 *	that do not count them)
 * @time_ns: out, SCRUB: modeled device time of the scrub
 * @energy_pj: out, SCRUB: modeled device energy of the scrub
 *
 * The administrator's operations on a shared card; the caller needs
 * CAP_SYS_ADMIN (else -EPERM). RESET resets the card as a watchdog recovery
 * does: jobs on the card fail with -ECANCELED, no file is banned, the array
 * keeps its contents, later jobs run afterwards. SCRUB re-programs every
 * row of @tile with its own contents (a REFRESH, one program cycle per
 * row) and returns when it is done.
 */
struct drm_rbnn_admin {
	__u32 op;
	__u32 flags;
	__u32 tile;
	__s32 status;
	__u32 hw_status;
	__u32 hw_detail;
	__u64 scrub_weak_cells;
	__u64 time_ns;
	__u64 energy_pj;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_RBNN_ACCEL_H_ */
