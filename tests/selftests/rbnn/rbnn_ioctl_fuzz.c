// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn_ioctl_fuzz: a structure-aware random ioctl fuzzer of the rbnn uAPI.
 *
 * P worker processes (--procs) with F open files of the card each (--fds;
 * with --shared-fd, the default, one more file is shared by all workers, so
 * that several processes race on one context) make N calls in all
 * (--calls): every rbnn ioctl (QUERY of each type, BO_CREATE, BO_INFO,
 * BO_WAIT, TILE_ALLOC, TILE_FREE, PROGRAM, READBACK, EXEC, JOB_INFO,
 * ADMIN), the
 * DRM core ioctls a client uses (GEM_CLOSE, SYNCOBJ_CREATE/DESTROY/WAIT/
 * TIMELINE_WAIT/RESET/SIGNAL, syncobj and sync file export/import, PRIME
 * handle<->fd, VERSION), mmap and munmap of buffer objects, close and reopen
 * of files, and card resets through debugfs force_reset (--reset-every K).
 * Arguments are built from what the worker owns (handles it created, tiles
 * it holds, rows it programmed, a small network it loaded for EXEC,
 * syncobjs that have fences, jobs held behind a vgem fence) and, for about
 * half of the calls (--mutate), then mutated: a field set to 0, 1, max or
 * -1, a bit flipped, a handle of another file or a closed one, huge counts
 * and strides, bad user pointers (NULL, unmapped, read-only, straddling an
 * unmapped page, kernel addresses), array elements with bad fields or
 * non-zero bytes past the kernel's element, a truncated or enlarged size in
 * the ioctl number, the argument itself unmapped or read-only. --unplug ID
 * asks the host (tests/vm/host-agent.py) to unplug the card with QEMU id ID
 * once every worker made a third of its calls; the workers go on while
 * pciehp removes it, make a sixth of their calls on the dead files, and,
 * with --replug SPEC, the host plugs it back for the last sixth.
 *
 * What it leaves out on purpose, because it is no bug of the driver or
 * because no fix could make it pass: waits that may block by design (a
 * syncobj wait for a fence nobody submits with a far deadline, a long wait
 * while the worker itself holds the vgem gate) are clamped to 50 ms; a BO
 * larger than 1 MiB exists only on the worker's own file, with a handle it
 * knows, until the next call closes it (a job pins its whole BO; since
 * driver 1.2 the BO memory caps refuse a 4 GiB BO with -EDQUOT on a guest
 * with less than 16 GiB, before that one ran the guest out of memory); the
 * DRM core's syncobj arrays
 * stay under 4096 handles (more makes 6.12's drm_syncobj_array_find()
 * WARN in the page allocator).
 *
 * Workers with an odd number drop CAP_SYS_ADMIN at their start (they stay
 * uid 0: the device node and debugfs remain open to them): their ADMIN
 * calls must fail with -EPERM whatever the arguments, and their PROGRAM
 * and READBACK calls meet the wear policy (-EPERM for a high current,
 * -EDQUOT past the budget). The others keep it and reset the card (rarely)
 * and scrub tiles through ADMIN; a worker scrubs only while it holds no
 * vgem gate (the scrub waits for its job, which may queue behind gated
 * ones).
 *
 * Everything is drawn from --seed: worker w has its own stream, so a run
 * with --procs 1 repeats its decisions (the kernel's answers may still vary
 * with timing). Errors from the kernel are expected. A KTAP line each:
 *
 *   workers_exited        no worker killed by a signal or failing to start
 *   no_hung_call          every call returned within --hang-ms (default
 *                         30 s); a hung one is printed with its arguments
 *                         and the worker's kernel stack, then killed
 *   all_calls_made        N calls were made
 *   results_documented    every errno is one the uAPI documents for that
 *                         call; answers make sense (tile indices in range,
 *                         job states, the tile map a file sees matches the
 *                         tiles it was given)
 *   past_deadline_waits_poll  BO_WAIT, JOB_INFO and syncobj waits with a
 *                         deadline in the past return at once (< 2 s)
 *   job_status_documented every job seen done ended with 0, -ECANCELED
 *                         (resets, invalidated rows), -ESRCH (in-sync of a
 *                         killed job) or, after an unplug, -ENODEV
 *   no_tile_owned_after_close  once every file is closed, a fresh file
 *                         sees every tile free
 *   counters_consistent   jobs submitted = completed + failed, the driver
 *                         counted the fuzzer's successful submissions, no
 *                         job is left alive, no recovery nobody asked for
 *   unplug_replug         (with --unplug; before the three below) the card
 *                         left and came back
 *   fresh_fd_exec_exact   a fresh file runs random networks end to end with
 *                         the reference answer (needs error-model=off)
 *   admin_needs_cap       ADMIN was called with and without CAP_SYS_ADMIN
 *                         (with --procs 2 or more); without it every call
 *                         failed with -EPERM (or -EFAULT, -ENODEV before
 *                         the driver sees it), with it some succeeded
 *
 * --max-seconds S stops the workers after S seconds (all_calls_made then
 * fails): a kernel too slow for N still reports what it saw before the VM
 * tier's limit.
 * Kernel reports (Oops, KASAN, lockdep, WARN) are the VM tier's to catch.
 * The last diagnostics are the calls made per ioctl with their errno
 * histograms and a summary line: seed, calls, duration, calls/s.
 *
 * Environment: RBNN_DEVICE (default: the first rbnn card).
 */
#include "rbnn_sel.h"

#include <execinfo.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#define PAGE		4096u
#define SCRATCH_PAGES	16u		/* arrays, buffers, moved arguments */
#define MAXFD		8
#define MAXBO		12
#define MAXSO		8
#define MAXT		6
#define MAXPEND		24
#define MAXXFD		12
#define MAXORPH		16
#define MAXSEG		32
#define RING		8		/* last calls kept per worker */
#define NERR		134		/* errnos counted one by one */
#define ARGMAX		192		/* argument bytes kept per call */
#define KADDR		0xffff888000000000ull
#define BIG_BO		(1u << 20)	/* larger BOs are closed at once */
#define POLL_MAX_NS	2000000000ull	/* a poll that takes longer is a bug */
#define NS		1000000000ull

/* ---- options --------------------------------------------------------- */

struct opts {
	uint64_t seed, calls, reset_every;
	unsigned int procs, fds, hang_ms, mut_pct, max_s;
	const char *node, *unplug_id, *replug_spec;
	bool shared_fd, gates, verbose;
};

static struct opts opt = {
	.seed = 1, .calls = 20000, .procs = 3, .fds = 3, .hang_ms = 30000,
	.mut_pct = 50, .shared_fd = true, .gates = true,
};

/* ---- random numbers (splitmix64: one stream per worker) -------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd64(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd64(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

/* ---- what is called ------------------------------------------------------ */

#define OPS(X)								\
	X(QUERY) X(BO_CREATE) X(BO_INFO) X(BO_WAIT) X(TILE_ALLOC)	\
	X(TILE_FREE) X(PROGRAM) X(EXEC) X(READBACK) X(JOB_INFO)		\
	X(GEM_CLOSE) X(SYNCOBJ_CREATE) X(SYNCOBJ_DESTROY)		\
	X(SYNCOBJ_WAIT) X(SYNCOBJ_TIMELINE_WAIT) X(SYNCOBJ_RESET)	\
	X(SYNCOBJ_SIGNAL) X(SYNCOBJ_HANDLE_TO_FD)			\
	X(SYNCOBJ_FD_TO_HANDLE) X(PRIME_HANDLE_TO_FD)			\
	X(PRIME_FD_TO_HANDLE) X(VERSION) X(MMAP) X(MUNMAP) X(OPEN)	\
	X(CLOSE) X(FORCE_RESET) X(GATE) X(ADMIN)

enum op {
#define X(n) OP_##n,
	OPS(X)
#undef X
	NOPS
};

static const char *const op_name[NOPS] = {
#define X(n) #n,
	OPS(X)
#undef X
};

/* What a field holds: how to make a plausible wrong value of it. */
enum kind {
	K_INT, K_ENUM, K_SIZE, K_PTR_IN, K_PTR_OUT, K_BO, K_SYNC, K_TILE,
	K_ROW, K_NROWS, K_COUNT, K_STRIDE, K_FLAGS, K_ZERO, K_SEQ, K_TIME,
	K_OFF, K_FD, K_POINT, K_OUT,
};

struct field {
	const char *name;
	uint16_t off;
	uint8_t size;
	uint8_t kind;
};

#define FLD(T, m, k) { #m, offsetof(T, m), sizeof(((T *)0)->m), k }
#define NF(a) ((uint32_t)SEL_ARRAY_SIZE(a))

static const struct field f_query[] = {
	FLD(struct drm_rbnn_query, type, K_ENUM),
	FLD(struct drm_rbnn_query, size, K_SIZE),
	FLD(struct drm_rbnn_query, ptr, K_PTR_OUT),
};

static const struct field f_bo_create[] = {
	FLD(struct drm_rbnn_bo_create, size, K_SIZE),
	FLD(struct drm_rbnn_bo_create, flags, K_FLAGS),
	FLD(struct drm_rbnn_bo_create, handle, K_OUT),
};

static const struct field f_bo_info[] = {
	FLD(struct drm_rbnn_bo_info, handle, K_BO),
	FLD(struct drm_rbnn_bo_info, flags, K_FLAGS),
	FLD(struct drm_rbnn_bo_info, size, K_OUT),
	FLD(struct drm_rbnn_bo_info, mmap_offset, K_OUT),
};

static const struct field f_bo_wait[] = {
	FLD(struct drm_rbnn_bo_wait, handle, K_BO),
	FLD(struct drm_rbnn_bo_wait, flags, K_FLAGS),
	FLD(struct drm_rbnn_bo_wait, timeout_ns, K_TIME),
};

static const struct field f_tile_alloc[] = {
	FLD(struct drm_rbnn_tile_alloc, count, K_COUNT),
	FLD(struct drm_rbnn_tile_alloc, flags, K_FLAGS),
	FLD(struct drm_rbnn_tile_alloc, tiles_ptr, K_PTR_OUT),
};

static const struct field f_tile_free[] = {
	FLD(struct drm_rbnn_tile_free, tile, K_TILE),
	FLD(struct drm_rbnn_tile_free, flags, K_FLAGS),
};

#define SYNCS(T)							\
	FLD(T, syncs.in_syncs, K_PTR_IN), FLD(T, syncs.in_count, K_COUNT), \
	FLD(T, syncs.in_stride, K_STRIDE), FLD(T, syncs.out.handle, K_SYNC), \
	FLD(T, syncs.out.flags, K_ZERO), FLD(T, syncs.out.point, K_POINT)

static const struct field f_program[] = {
	FLD(struct drm_rbnn_program, tile, K_TILE),
	FLD(struct drm_rbnn_program, row, K_ROW),
	FLD(struct drm_rbnn_program, nrows, K_NROWS),
	FLD(struct drm_rbnn_program, flags, K_FLAGS),
	FLD(struct drm_rbnn_program, current_na, K_INT),
	FLD(struct drm_rbnn_program, pulse_ns, K_INT),
	FLD(struct drm_rbnn_program, verify_max, K_INT),
	FLD(struct drm_rbnn_program, weights_handle, K_BO),
	FLD(struct drm_rbnn_program, weights_offset, K_OFF),
	FLD(struct drm_rbnn_program, thresh_handle, K_BO),
	FLD(struct drm_rbnn_program, pad, K_ZERO),
	FLD(struct drm_rbnn_program, thresh_offset, K_OFF),
	SYNCS(struct drm_rbnn_program),
	FLD(struct drm_rbnn_program, seqno, K_OUT),
};

static const struct field f_exec[] = {
	FLD(struct drm_rbnn_exec, layers, K_PTR_IN),
	FLD(struct drm_rbnn_exec, layer_count, K_COUNT),
	FLD(struct drm_rbnn_exec, layer_stride, K_STRIDE),
	FLD(struct drm_rbnn_exec, segments, K_PTR_IN),
	FLD(struct drm_rbnn_exec, seg_count, K_COUNT),
	FLD(struct drm_rbnn_exec, seg_stride, K_STRIDE),
	FLD(struct drm_rbnn_exec, in_channels, K_INT),
	FLD(struct drm_rbnn_exec, in_length, K_INT),
	FLD(struct drm_rbnn_exec, in_bits, K_INT),
	FLD(struct drm_rbnn_exec, batch, K_COUNT),
	FLD(struct drm_rbnn_exec, in_handle, K_BO),
	FLD(struct drm_rbnn_exec, out_handle, K_BO),
	FLD(struct drm_rbnn_exec, in_offset, K_OFF),
	FLD(struct drm_rbnn_exec, out_offset, K_OFF),
	FLD(struct drm_rbnn_exec, flags, K_FLAGS),
	FLD(struct drm_rbnn_exec, pad, K_ZERO),
	SYNCS(struct drm_rbnn_exec),
	FLD(struct drm_rbnn_exec, seqno, K_OUT),
};

static const struct field f_readback[] = {
	FLD(struct drm_rbnn_readback, tile, K_TILE),
	FLD(struct drm_rbnn_readback, row, K_ROW),
	FLD(struct drm_rbnn_readback, nrows, K_NROWS),
	FLD(struct drm_rbnn_readback, flags, K_FLAGS),
	FLD(struct drm_rbnn_readback, handle, K_BO),
	FLD(struct drm_rbnn_readback, pad, K_ZERO),
	FLD(struct drm_rbnn_readback, offset, K_OFF),
	SYNCS(struct drm_rbnn_readback),
	FLD(struct drm_rbnn_readback, seqno, K_OUT),
};

static const struct field f_job_info[] = {
	FLD(struct drm_rbnn_job_info, seqno, K_SEQ),
	FLD(struct drm_rbnn_job_info, timeout_ns, K_TIME),
	FLD(struct drm_rbnn_job_info, flags, K_FLAGS),
	FLD(struct drm_rbnn_job_info, state, K_OUT),
	FLD(struct drm_rbnn_job_info, status, K_OUT),
	FLD(struct drm_rbnn_job_info, hw_status, K_OUT),
	FLD(struct drm_rbnn_job_info, hw_detail, K_OUT),
	FLD(struct drm_rbnn_job_info, reserved, K_ZERO),
	FLD(struct drm_rbnn_job_info, time_ns, K_OUT),
	FLD(struct drm_rbnn_job_info, energy_pj, K_OUT),
	FLD(struct drm_rbnn_job_info, scrub_weak_cells, K_OUT),
};

static const struct field f_layer[] = {
	FLD(struct drm_rbnn_layer, op, K_ENUM),
	FLD(struct drm_rbnn_layer, out_mode, K_ENUM),
	FLD(struct drm_rbnn_layer, in_channels, K_INT),
	FLD(struct drm_rbnn_layer, in_length, K_INT),
	FLD(struct drm_rbnn_layer, out_channels, K_INT),
	FLD(struct drm_rbnn_layer, out_length, K_INT),
	FLD(struct drm_rbnn_layer, kernel, K_INT),
	FLD(struct drm_rbnn_layer, stride, K_INT),
	FLD(struct drm_rbnn_layer, pad, K_INT),
	FLD(struct drm_rbnn_layer, seg_count, K_COUNT),
	FLD(struct drm_rbnn_layer, reserved, K_ZERO),
	FLD(struct drm_rbnn_layer, reserved2, K_ZERO),
};

static const struct field f_segment[] = {
	FLD(struct drm_rbnn_segment, tile, K_TILE),
	FLD(struct drm_rbnn_segment, row, K_ROW),
	FLD(struct drm_rbnn_segment, out_first, K_INT),
	FLD(struct drm_rbnn_segment, out_count, K_NROWS),
	FLD(struct drm_rbnn_segment, block, K_INT),
	FLD(struct drm_rbnn_segment, reserved, K_ZERO),
};

static const struct field f_sync[] = {
	FLD(struct drm_rbnn_sync, handle, K_SYNC),
	FLD(struct drm_rbnn_sync, flags, K_ZERO),
	FLD(struct drm_rbnn_sync, point, K_POINT),
};

static const struct field f_gem_close[] = {
	FLD(struct drm_gem_close, handle, K_BO),
	FLD(struct drm_gem_close, pad, K_ZERO),
};

static const struct field f_so_create[] = {
	FLD(struct drm_syncobj_create, handle, K_OUT),
	FLD(struct drm_syncobj_create, flags, K_FLAGS),
};

static const struct field f_so_destroy[] = {
	FLD(struct drm_syncobj_destroy, handle, K_SYNC),
	FLD(struct drm_syncobj_destroy, pad, K_ZERO),
};

static const struct field f_so_wait[] = {
	FLD(struct drm_syncobj_wait, handles, K_PTR_IN),
	FLD(struct drm_syncobj_wait, timeout_nsec, K_TIME),
	FLD(struct drm_syncobj_wait, count_handles, K_COUNT),
	FLD(struct drm_syncobj_wait, flags, K_FLAGS),
	FLD(struct drm_syncobj_wait, first_signaled, K_OUT),
	FLD(struct drm_syncobj_wait, pad, K_ZERO),
	FLD(struct drm_syncobj_wait, deadline_nsec, K_INT),
};

static const struct field f_so_twait[] = {
	FLD(struct drm_syncobj_timeline_wait, handles, K_PTR_IN),
	FLD(struct drm_syncobj_timeline_wait, points, K_PTR_IN),
	FLD(struct drm_syncobj_timeline_wait, timeout_nsec, K_TIME),
	FLD(struct drm_syncobj_timeline_wait, count_handles, K_COUNT),
	FLD(struct drm_syncobj_timeline_wait, flags, K_FLAGS),
	FLD(struct drm_syncobj_timeline_wait, first_signaled, K_OUT),
	FLD(struct drm_syncobj_timeline_wait, pad, K_ZERO),
	FLD(struct drm_syncobj_timeline_wait, deadline_nsec, K_INT),
};

static const struct field f_so_array[] = {
	FLD(struct drm_syncobj_array, handles, K_PTR_IN),
	FLD(struct drm_syncobj_array, count_handles, K_COUNT),
	FLD(struct drm_syncobj_array, pad, K_ZERO),
};

static const struct field f_so_handle[] = {
	FLD(struct drm_syncobj_handle, handle, K_SYNC),
	FLD(struct drm_syncobj_handle, flags, K_FLAGS),
	FLD(struct drm_syncobj_handle, fd, K_FD),
	FLD(struct drm_syncobj_handle, pad, K_ZERO),
};

static const struct field f_prime[] = {
	FLD(struct drm_prime_handle, handle, K_BO),
	FLD(struct drm_prime_handle, flags, K_FLAGS),
	FLD(struct drm_prime_handle, fd, K_FD),
};

static const struct field f_version[] = {
	FLD(struct drm_version, version_major, K_OUT),
	FLD(struct drm_version, name_len, K_SIZE),
	FLD(struct drm_version, name, K_PTR_OUT),
	FLD(struct drm_version, date_len, K_SIZE),
	FLD(struct drm_version, date, K_PTR_OUT),
	FLD(struct drm_version, desc_len, K_SIZE),
	FLD(struct drm_version, desc, K_PTR_OUT),
};

/* Elements of the syncobj handle and point arrays. */
static const struct field f_admin[] = {
	FLD(struct drm_rbnn_admin, op, K_ENUM),
	FLD(struct drm_rbnn_admin, flags, K_FLAGS),
	FLD(struct drm_rbnn_admin, tile, K_TILE),
	FLD(struct drm_rbnn_admin, status, K_OUT),
	FLD(struct drm_rbnn_admin, hw_status, K_OUT),
	FLD(struct drm_rbnn_admin, hw_detail, K_OUT),
	FLD(struct drm_rbnn_admin, scrub_weak_cells, K_OUT),
	FLD(struct drm_rbnn_admin, time_ns, K_OUT),
	FLD(struct drm_rbnn_admin, energy_pj, K_OUT),
};

static const struct field f_handle32[] = { { "h", 0, 4, K_SYNC } };
static const struct field f_point64[] = { { "p", 0, 8, K_POINT } };

struct op_desc {
	const struct field *f;
	uint32_t nf;
};

static const struct op_desc op_desc[NOPS] = {
	[OP_QUERY] = { f_query, NF(f_query) },
	[OP_BO_CREATE] = { f_bo_create, NF(f_bo_create) },
	[OP_BO_INFO] = { f_bo_info, NF(f_bo_info) },
	[OP_BO_WAIT] = { f_bo_wait, NF(f_bo_wait) },
	[OP_TILE_ALLOC] = { f_tile_alloc, NF(f_tile_alloc) },
	[OP_TILE_FREE] = { f_tile_free, NF(f_tile_free) },
	[OP_PROGRAM] = { f_program, NF(f_program) },
	[OP_EXEC] = { f_exec, NF(f_exec) },
	[OP_READBACK] = { f_readback, NF(f_readback) },
	[OP_JOB_INFO] = { f_job_info, NF(f_job_info) },
	[OP_GEM_CLOSE] = { f_gem_close, NF(f_gem_close) },
	[OP_SYNCOBJ_CREATE] = { f_so_create, NF(f_so_create) },
	[OP_SYNCOBJ_DESTROY] = { f_so_destroy, NF(f_so_destroy) },
	[OP_SYNCOBJ_WAIT] = { f_so_wait, NF(f_so_wait) },
	[OP_SYNCOBJ_TIMELINE_WAIT] = { f_so_twait, NF(f_so_twait) },
	[OP_SYNCOBJ_RESET] = { f_so_array, NF(f_so_array) },
	[OP_SYNCOBJ_SIGNAL] = { f_so_array, NF(f_so_array) },
	[OP_SYNCOBJ_HANDLE_TO_FD] = { f_so_handle, NF(f_so_handle) },
	[OP_SYNCOBJ_FD_TO_HANDLE] = { f_so_handle, NF(f_so_handle) },
	[OP_PRIME_HANDLE_TO_FD] = { f_prime, NF(f_prime) },
	[OP_PRIME_FD_TO_HANDLE] = { f_prime, NF(f_prime) },
	[OP_VERSION] = { f_version, NF(f_version) },
	[OP_ADMIN] = { f_admin, NF(f_admin) },
};

/* ---- the errnos the uAPI documents for each call ------------------------ */

static bool errok[NOPS][NERR];

static void allow(int op, const int *e)
{
	for (; *e; e++)
		errok[op][*e] = true;
}

/*
 * rbnn_accel.h and Documentation/rbnn-uapi.rst for the driver's ioctls,
 * the DRM core's own for the others. Every ioctl may say -EFAULT (a bad
 * argument pointer) and -ENOMEM; -ENODEV only once the card was unplugged.
 */
static void contract_init(bool unplug)
{
	static const int inval[] = { EINVAL, 0 };
	static const int lookup[] = { EINVAL, ENOENT, 0 };
	/* BO_CREATE: -EDQUOT over the BO memory caps (driver 1.2) */
	static const int bo_create[] = { EINVAL, EDQUOT, 0 };
	static const int bo_wait[] = { EINVAL, ENOENT, ETIMEDOUT, EINTR, 0 };
	static const int alloc[] = { EINVAL, ENOSPC, 0 };
	static const int tfree[] = { EINVAL, EACCES, 0 };
	static const int submit[] = { EINVAL, E2BIG, ENOENT, ERANGE, EACCES,
				      ECANCELED, EBUSY, EINTR, 0 };
	/* JOB_INFO: -ETIMEDOUT at a deadline since driver 1.1, as BO_WAIT */
	static const int job_info[] = { EINVAL, ENOENT, ETIMEDOUT, EINTR, 0 };
	static const int so_wait[] = { EINVAL, ENOENT, ETIME, EINTR, 0 };
	static const int to_fd[] = { EINVAL, ENOENT, EMFILE, 0 };
	static const int from_fd[] = { EINVAL, ENOENT, EBADF, 0 };
	static const int mmap_e[] = { EINVAL, EACCES, 0 };
	static const int gone[] = { ENOENT, ENODEV, ENXIO, 0 };
	/* ADMIN with CAP_SYS_ADMIN: a scrub is a submission and a wait */
	static const int admin[] = { EINVAL, EBUSY, EINTR, 0 };
	int op;

	memset(errok, 0, sizeof(errok));
	for (op = 0; op < NOPS; op++) {
		errok[op][0] = true;
		if (op_desc[op].f || op == OP_MMAP) {
			errok[op][EFAULT] = op != OP_MMAP;
			errok[op][ENOMEM] = true;
			errok[op][ENODEV] = unplug;
		}
	}
	allow(OP_QUERY, inval);
	allow(OP_BO_CREATE, bo_create);
	allow(OP_BO_INFO, lookup);
	allow(OP_BO_WAIT, bo_wait);
	allow(OP_TILE_ALLOC, alloc);
	allow(OP_TILE_FREE, tfree);
	allow(OP_PROGRAM, submit);
	allow(OP_EXEC, submit);
	allow(OP_READBACK, submit);
	allow(OP_JOB_INFO, job_info);
	allow(OP_GEM_CLOSE, lookup);
	allow(OP_SYNCOBJ_CREATE, inval);
	allow(OP_SYNCOBJ_DESTROY, lookup);
	allow(OP_SYNCOBJ_WAIT, so_wait);
	allow(OP_SYNCOBJ_TIMELINE_WAIT, so_wait);
	allow(OP_SYNCOBJ_RESET, lookup);
	allow(OP_SYNCOBJ_SIGNAL, lookup);
	allow(OP_SYNCOBJ_HANDLE_TO_FD, to_fd);
	allow(OP_SYNCOBJ_FD_TO_HANDLE, from_fd);
	allow(OP_PRIME_HANDLE_TO_FD, to_fd);
	allow(OP_PRIME_FD_TO_HANDLE, from_fd);
	allow(OP_VERSION, inval);
	allow(OP_MMAP, mmap_e);
	allow(OP_ADMIN, admin);
	if (unplug) {
		allow(OP_OPEN, gone);
		allow(OP_FORCE_RESET, gone);
	}
	/* The gate's vgem calls are the test's plumbing, not under test. */
	for (op = 0; op < NERR; op++)
		errok[OP_GATE][op] = true;
}

/*
 * A worker without CAP_SYS_ADMIN: ADMIN is -EPERM (-EFAULT and, after an
 * unplug, -ENODEV come from the DRM core before the driver's handler;
 * -ENOMEM from its copy of an enlarged argument), never a success; the
 * wear policy applies to its submissions.
 */
static void contract_unprivileged(void)
{
	static const int wear[] = { EPERM, EDQUOT, 0 };
	bool nodev = errok[OP_ADMIN][ENODEV];
	int e;

	for (e = 0; e < NERR; e++)
		errok[OP_ADMIN][e] = false;
	errok[OP_ADMIN][EPERM] = true;
	errok[OP_ADMIN][EFAULT] = true;
	errok[OP_ADMIN][ENOMEM] = true;
	errok[OP_ADMIN][ENODEV] = nodev;
	allow(OP_PROGRAM, wear);
	allow(OP_READBACK, wear);
}

/* ---- what the workers share with the parent ------------------------------ */

struct call_rec {
	uint64_t start_ns;	/* 0: not in a call (written last) */
	uint64_t dur_ns;
	uint32_t op;
	int32_t fd;
	uint64_t req;
	int32_t ret;		/* 0 or -errno */
	uint32_t len;		/* argument bytes in @arg */
	uint8_t arg[ARGMAX];
	char note[112];		/* mutations, file, nested arrays */
};

struct finding {
	uint32_t count;
	struct call_rec first;
	char why[160];
};

struct wshared {
	pid_t pid;
	int started, finished;
	uint64_t budget, ncalls, cleanup_calls, last_end_ns;
	struct call_rec cur;
	struct call_rec ring[RING];
	uint32_t ring_pos;
	uint64_t calls[NOPS];
	uint32_t err[NOPS][NERR + 1];	/* [NERR]: any other errno */
	uint64_t submits_ok, submits_uncertain, resets_ok;
	int unprivileged;		/* dropped CAP_SYS_ADMIN */
	uint64_t admin_calls, admin_ok, admin_eperm;
	uint64_t jobs_seen[4];		/* 0, -ECANCELED, -ESRCH, -ENODEV */
	uint64_t polls, max_poll_ns, mutated, gates;
	struct finding bad_result, slow_poll, bad_status;
	char why[160];			/* the worker's own error */
	/* a fault in the worker: where, and the return addresses */
	int sig, si_code;
	uint64_t fault_addr;
	int nframes;
	void *frames[24];
};

/* --unplug: how far the host got (the parent moves it on). */
enum uphase { U_NONE, U_DEL_ASKED, U_GONE, U_ADD_ASKED, U_BACK };

struct shared {
	uint64_t t0_ns;
	int stop;
	int phase;		/* enum uphase */
	struct wshared w[];
};

static struct shared *sh;

/* ---- a worker's view of its files -------------------------------------------- */

struct bo {
	uint32_t h;
	uint64_t size;		/* 0: not known yet */
	uint64_t offset;	/* mmap offset, 0: not known */
	uint8_t *map;
	size_t maplen;
};

struct so {
	uint32_t h;
	bool timeline;
	bool fence;		/* binary: has a fence */
	uint64_t point;		/* timeline: last point added */
};

struct net {
	struct sel_net n;
	struct drm_rbnn_layer L[SEL_MAX_LAYERS];
	struct drm_rbnn_segment S[MAXSEG];
	uint32_t nseg;
	bool ok;
};

struct ctx {
	int fd;			/* -1: closed */
	int gen;		/* --unplug: opened before (0) or after (1) */
	bool shared;		/* the file shared by every worker */
	bool exact;		/* the tile table is the file's tile map */
	bool dead;		/* an ioctl said -ENODEV */
	struct bo bo[MAXBO];
	uint32_t nbo;
	struct bo stage;	/* the weights of the loaded network */
	uint32_t tile[MAXT];
	uint32_t rows_used[MAXT];
	uint32_t ntile;
	struct so so[MAXSO];
	uint32_t nso;
	uint32_t dead_bo, dead_so;	/* handles closed lately */
	uint64_t seq_max;
	uint64_t pend[MAXPEND];
	uint32_t npend;
	struct net net;
};

enum xkind { X_DMABUF, X_SYNCOBJ_FD, X_SYNC_FILE };

struct xfd {
	int fd;
	enum xkind kind;
	uint64_t size;		/* dma-buf: the BO's size */
};

struct worker {
	int id;
	struct rng r;
	struct wshared *ws;
	struct drm_rbnn_query_device dev;
	char node[64];
	struct ctx c[MAXFD];
	uint32_t nctx;
	struct xfd x[MAXXFD];
	uint32_t nx;
	struct { uint8_t *p; size_t len; } orph[MAXORPH];
	uint32_t norph;
	uint8_t *scratch;	/* SCRATCH_PAGES read-write */
	uint8_t *hole;		/* an unmapped page right after it */
	uint8_t *ro;		/* a read-only page, ... */
	uint8_t *ro_rw;		/* ... written through this alias */
	uint32_t scratch_off;	/* bump allocator of a call's buffers */
	struct sel_gate gate;
	int gate_ctx;		/* -1: no gate */
	uint64_t gate_until;	/* release after this many calls */
	uint64_t next_reset;	/* --reset-every: at this many calls */
	bool unplug_done;	/* dropped the files of the unplugged card */
	bool cleanup;
	bool unplugged;		/* an ioctl said -ENODEV */
};

/* ---- one call ------------------------------------------------------------------- */

struct sub {
	int field;		/* index of its pointer in the top struct */
	uint8_t *base;
	uint32_t stride, count, elem;
	const struct field *f;
	uint32_t nf;
	const char *name;
	bool moved;		/* copied against the hole or read-only */
};

struct call {
	int op, fd, ci;		/* ci: the ctx, -1 for none */
	unsigned long req;
	uint8_t *arg;
	uint32_t len;
	const struct field *f;
	uint32_t nf;
	struct sub sub[3];
	uint32_t nsub;
	char note[112];
	uint32_t nlen;
	bool mutated;
	bool out_lost;		/* the kernel's answer did not reach @arg */
	bool ro_arg;		/* the argument was read-only */
	enum { P_HERE, P_NULL, P_HOLE, P_RO, P_BIG } place;
	uint32_t place_n;	/* P_HOLE: bytes before the hole; P_BIG: size */
	uint8_t *moved;		/* where @arg was copied, if it was */
};

static void note(struct call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct call *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->nlen >= sizeof(c->note) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->note + c->nlen, sizeof(c->note) - c->nlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->nlen = c->nlen + n < sizeof(c->note) ? c->nlen + n :
			  sizeof(c->note) - 1;
}

static uint64_t get_field(const uint8_t *base, const struct field *f)
{
	uint64_t v = 0;

	memcpy(&v, base + f->off, f->size);
	return v;
}

static void set_field(uint8_t *base, const struct field *f, uint64_t v)
{
	memcpy(base + f->off, &v, f->size);
}

/* A buffer of @len bytes in the scratch area for this call, or NULL. */
static uint8_t *scratch_get(struct worker *w, uint32_t len)
{
	uint32_t off = (w->scratch_off + 15) & ~15u;

	if (off + len > SCRATCH_PAGES * PAGE - PAGE)
		return NULL;
	w->scratch_off = off + len;
	return w->scratch + off;
}

static uint64_t now_ns(void)
{
	return sel_now_ns();
}

/* ---- choices from the worker's state ------------------------------------------ */

static struct ctx *ctx_of(struct worker *w, int ci)
{
	return ci >= 0 ? &w->c[ci] : NULL;
}

/* A random other open file of the worker, or @ci itself. */
static int other_ctx(struct worker *w, int ci)
{
	uint32_t k, i = rnd(&w->r, w->nctx);

	for (k = 0; k < w->nctx; k++, i = (i + 1) % w->nctx)
		if ((int)i != ci && w->c[i].fd >= 0)
			return (int)i;
	return ci;
}

static struct bo *pick_bo(struct worker *w, struct ctx *c, uint64_t min_size)
{
	uint32_t k, i;

	if (!c->nbo)
		return NULL;
	i = rnd(&w->r, c->nbo);
	for (k = 0; k < c->nbo; k++, i = (i + 1) % c->nbo)
		if (c->bo[i].size >= min_size)
			return &c->bo[i];
	return NULL;
}

static uint32_t bo_handle(struct worker *w, struct ctx *c)
{
	struct bo *b = pick_bo(w, c, 0);

	return b ? b->h : 1 + rnd(&w->r, 16);
}

static struct so *pick_so(struct worker *w, struct ctx *c)
{
	return c->nso ? &c->so[rnd(&w->r, c->nso)] : NULL;
}

static uint32_t so_handle(struct worker *w, struct ctx *c)
{
	struct so *s = pick_so(w, c);

	return s ? s->h : 1 + rnd(&w->r, 16);
}

static uint32_t own_tile(struct worker *w, struct ctx *c)
{
	return c->ntile ? c->tile[rnd(&w->r, c->ntile)] :
			  rnd(&w->r, w->dev.tiles);
}

/* A deadline: mostly short or in the past; never long while a gate is held
 * (the worker itself is what releases it). */
static int64_t pick_deadline(struct worker *w, bool may_block)
{
	uint64_t t = now_ns();

	switch (rnd(&w->r, 10)) {
	case 0:
		return 0;
	case 1:
		return (int64_t)t - 1000000;
	case 2:
		return chance(&w->r, 50) ? INT64_MIN : -1;
	case 3:
		return (int64_t)t;
	case 4:
		if (may_block && w->gate_ctx < 0)
			return chance(&w->r, 50) ? INT64_MAX :
						   (int64_t)(t + 5 * NS);
		/* fall through */
	default:
		return (int64_t)(t + rnd(&w->r, 20000000));
	}
}

/* ---- mutations ------------------------------------------------------------------- */

static uint64_t interesting(struct worker *w)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 65, 127, 128, 255, 256,
		257, 4095, 4096, 4097, 0x7fff, 0x8000, 0xffff, 0x10000,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
		0x100000000ull, 0x100000001ull, 0x7fffffffffffffffull,
		0x8000000000000000ull, ~0ull,
	};
	uint64_t x = v[rnd(&w->r, SEL_ARRAY_SIZE(v))];

	return chance(&w->r, 15) ? -x : x;
}

static uint64_t generic_value(struct worker *w, uint64_t cur)
{
	switch (rnd(&w->r, 6)) {
	case 0:
		return cur ^ (1ull << rnd(&w->r, 64));
	case 1:
		return cur + 1;
	case 2:
		return cur - 1;
	case 3:
		return rnd64(&w->r);
	default:
		return interesting(w);
	}
}

/* A pointer the kernel must refuse (or, read-only, may only read). */
static uint64_t bad_ptr(struct worker *w, uint64_t cur)
{
	switch (rnd(&w->r, 9)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)w->hole + rnd(&w->r, PAGE);
	case 2:
		return (uintptr_t)w->hole - 1 - rnd(&w->r, 64);
	case 3:
		return (uintptr_t)w->ro;
	case 4:
		return KADDR + rnd(&w->r, 1u << 20) * 8;
	case 5:
		return cur + 1 + rnd(&w->r, 7);	/* misaligned, scratch */
	case 6:
		return ~0ull - rnd(&w->r, PAGE);
	case 7:
		return PAGE * (1 + rnd(&w->r, 15));
	default:
		return 0x8000000000000000ull;
	}
}

static uint64_t kind_value(struct worker *w, struct call *c,
			   const struct field *f, uint64_t cur)
{
	struct ctx *x = ctx_of(w, c->ci);
	int oc = x ? other_ctx(w, c->ci) : -1;

	switch (f->kind) {
	case K_BO:
		switch (rnd(&w->r, 5)) {
		case 0:
			return oc >= 0 ? bo_handle(w, &w->c[oc]) : 0;
		case 1:
			return x && x->dead_bo ? x->dead_bo : cur + 1;
		case 2:
			return x ? so_handle(w, x) : 0;	/* a syncobj's number */
		case 3:
			return 0;
		default:
			return cur + 1 + rnd(&w->r, 4);
		}
	case K_SYNC:
		switch (rnd(&w->r, 4)) {
		case 0:
			return oc >= 0 ? so_handle(w, &w->c[oc]) : 0;
		case 1:
			return x && x->dead_so ? x->dead_so : cur + 1;
		case 2:
			return x ? bo_handle(w, x) : 0;
		default:
			return 0;
		}
	case K_TILE:
		switch (rnd(&w->r, 3)) {
		case 0:
			return rnd(&w->r, w->dev.tiles);	/* maybe another's */
		case 1:
			return w->dev.tiles + rnd(&w->r, 2);
		default:
			return interesting(w);
		}
	case K_ROW:
	case K_NROWS:
		switch (rnd(&w->r, 4)) {
		case 0:
			return w->dev.rows - rnd(&w->r, 2);
		case 1:
			return w->dev.rows + 1;
		case 2:
			return 0;
		default:
			return cur + w->dev.rows / 2;
		}
	case K_COUNT:
		switch (rnd(&w->r, 5)) {
		case 0:
			return 0;
		case 1:
			return cur + 1;
		case 2:
			return cur * 2 + 1;
		case 3:
			return (uint64_t[]){ 65, 4096, 32768, 32769, 65536,
					     65537 }[rnd(&w->r, 6)];
		default:
			return interesting(w);
		}
	case K_STRIDE:
		switch (rnd(&w->r, 4)) {
		case 0:
			return 0;
		case 1:
			return cur - 1 - rnd(&w->r, 4);
		case 2:
			return cur + 4 * (1 + rnd(&w->r, 8));
		default:
			return interesting(w);
		}
	case K_PTR_IN:
	case K_PTR_OUT:
		return bad_ptr(w, cur);
	case K_FLAGS:
		return chance(&w->r, 70) ? cur ^ (1ull << rnd(&w->r, 32)) : ~0ull;
	case K_ZERO:
		return chance(&w->r, 50) ? 1ull << rnd(&w->r, f->size * 8) :
					   rnd64(&w->r);
	case K_SEQ:
		switch (rnd(&w->r, 5)) {
		case 0:
			return 0;
		case 1:
			return x ? x->seq_max + 1 : 1;
		case 2:
			return x && x->seq_max > DRM_RBNN_JOB_HISTORY ?
			       x->seq_max - DRM_RBNN_JOB_HISTORY : 1;
		case 3:
			return ~0ull;
		default:
			return interesting(w);
		}
	case K_TIME:
		/* long waits are bounded by the sanitiser below */
		return (uint64_t)pick_deadline(w, true);
	case K_OFF:
	case K_SIZE:
		switch (rnd(&w->r, 4)) {
		case 0:
			return cur + PAGE;
		case 1:
			return cur + 1;
		case 2:
			return 1ull << (32 + rnd(&w->r, 32));
		default:
			return interesting(w);
		}
	case K_FD:
		switch (rnd(&w->r, 4)) {
		case 0:
			return (uint64_t)-1;
		case 1:
			return w->nx ? (uint64_t)w->x[rnd(&w->r, w->nx)].fd : 0;
		case 2:
			return x ? (uint64_t)x->fd : 0;
		default:
			return 900 + rnd(&w->r, 100);	/* not open */
		}
	case K_POINT:
		switch (rnd(&w->r, 3)) {
		case 0:
			return cur + 1 + rnd(&w->r, 1000);
		case 1:
			return ~0ull;
		default:
			return 0;
		}
	case K_ENUM:
		return chance(&w->r, 70) ? rnd(&w->r, 8) : interesting(w);
	default:
		return generic_value(w, cur);
	}
}

/* Move the array of @s to a read-only page (fine to read) or against the
 * unmapped page (the kernel faults part way through). */
static void move_sub(struct worker *w, struct call *c, struct sub *s)
{
	const struct field *pf = &c->f[s->field];
	uint32_t bytes = s->stride * s->count;
	uint8_t *dst;

	if (!bytes || bytes > PAGE)
		return;
	if (chance(&w->r, 50)) {
		memcpy(w->ro_rw, s->base, bytes);
		dst = w->ro;
		note(c, "%s@ro ", s->name);
	} else {
		uint32_t cut = 1 + rnd(&w->r, bytes);

		dst = w->hole - (bytes - cut + 1);
		if (dst < w->scratch)
			return;
		memcpy(dst, s->base, bytes - cut + 1);
		note(c, "%s@hole-%u ", s->name, bytes - cut + 1);
	}
	set_field(c->arg, pf, (uintptr_t)dst);
	s->base = dst;
	s->moved = true;
}

static void mutate_top(struct worker *w, struct call *c)
{
	const struct field *f;
	uint32_t i, tries = 0;
	uint64_t v;

	do {
		i = rnd(&w->r, c->nf);
		f = &c->f[i];
	} while (f->kind == K_OUT && tries++ < 3);
	for (uint32_t k = 0; k < c->nsub; k++) {
		if (c->sub[k].field == (int)i && !c->sub[k].moved &&
		    chance(&w->r, 40)) {
			move_sub(w, c, &c->sub[k]);
			return;
		}
	}
	v = kind_value(w, c, f, get_field(c->arg, f));
	/* Never a random pointer: one with a bit flipped can land in the
	 * worker's own memory, which the kernel would then write. */
	if (chance(&w->r, 25) && f->kind != K_PTR_IN && f->kind != K_PTR_OUT)
		v = generic_value(w, get_field(c->arg, f));
	set_field(c->arg, f, v);
	note(c, "%s=%#llx ", f->name, (unsigned long long)get_field(c->arg, f));
}

/* A field of one element of a nested array, or a byte past the kernel's
 * element when the stride leaves room (-E2BIG). */
static void mutate_sub(struct worker *w, struct call *c)
{
	struct sub *s = &c->sub[rnd(&w->r, c->nsub)];
	const struct field *f;
	uint32_t e;
	uint8_t *el;
	uint64_t v;

	if (!s->count || s->moved)
		return;
	e = rnd(&w->r, s->count);
	el = s->base + (size_t)e * s->stride;
	if (s->stride > s->elem && chance(&w->r, 30)) {
		el[s->elem + rnd(&w->r, s->stride - s->elem)] |= 0x80;
		note(c, "%s[%u].tail ", s->name, e);
		return;
	}
	f = &s->f[rnd(&w->r, s->nf)];
	v = kind_value(w, c, f, get_field(el, f));
	set_field(el, f, v);
	note(c, "%s[%u].%s=%#llx ", s->name, e, f->name,
	     (unsigned long long)get_field(el, f));
}

/* The argument itself: moved, read-only, or a different size or direction
 * in the ioctl number. Where it goes is applied by do_ioctl(). */
static void mutate_arg(struct worker *w, struct call *c)
{
	uint32_t n;

	switch (rnd(&w->r, 6)) {
	case 0:
		c->place = P_NULL;
		note(c, "arg=NULL ");
		break;
	case 1:
		c->place = P_HOLE;
		c->place_n = 1 + rnd(&w->r, c->len);
		note(c, "arg@hole-%u ", c->place_n);
		break;
	case 2:
		c->place = P_RO;
		c->ro_arg = true;
		note(c, "arg@ro ");
		break;
	case 3:
		n = rnd(&w->r, c->len);
		c->req = (c->req & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			 ((unsigned long)n << _IOC_SIZESHIFT);
		note(c, "size=%u ", n);
		break;
	case 4:
		c->place = P_BIG;
		c->place_n = c->len + 8 * (1 + rnd(&w->r, 16));
		c->req = (c->req & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			 ((unsigned long)c->place_n << _IOC_SIZESHIFT);
		note(c, "size=%u ", c->place_n);
		return;		/* the answer comes back */
	default:
		c->req ^= (unsigned long)(chance(&w->r, 50) ? _IOC_WRITE : _IOC_READ)
			  << _IOC_DIRSHIFT;
		note(c, "dir=%lu ", (c->req >> _IOC_DIRSHIFT) & _IOC_DIRMASK);
		break;
	}
	c->out_lost = true;
}

/* Where the argument is when the kernel gets it. */
static uint8_t *place_arg(struct worker *w, struct call *c)
{
	switch (c->place) {
	case P_NULL:
		return NULL;
	case P_HOLE:
		c->moved = w->hole - c->place_n;
		memcpy(c->moved, c->arg, c->place_n);
		return c->moved;
	case P_RO:
		memcpy(w->ro_rw, c->arg, c->len);
		return w->ro;
	case P_BIG:
		c->moved = scratch_get(w, c->place_n);
		if (!c->moved)
			return c->arg;
		memset(c->moved, 0, c->place_n);
		memcpy(c->moved, c->arg, c->len);
		return c->moved;
	default:
		return c->arg;
	}
}

static void mutate(struct worker *w, struct call *c)
{
	uint32_t n = 1 + chance(&w->r, 30) + chance(&w->r, 10), i;

	c->mutated = true;
	w->ws->mutated++;
	for (i = 0; i < n; i++) {
		uint32_t p = rnd(&w->r, 100);

		if (p < 8 && c->place == P_HERE && c->len)
			mutate_arg(w, c);
		/* the *_TO_FD ioctls install an fd before the answer is
		 * copied back: with it lost, the worker would leak fds */
		if (c->place == P_RO && (c->op == OP_PRIME_HANDLE_TO_FD ||
					 c->op == OP_SYNCOBJ_HANDLE_TO_FD)) {
			c->place = P_NULL;
			note(c, "(not ro: arg=NULL) ");
		}
		else if (p < 40 && c->nsub)
			mutate_sub(w, c);
		else
			mutate_top(w, c);
	}
}

/*
 * The DRM core's syncobj ioctls allocate count_handles entries with
 * kmalloc_array() before looking at them (drm_syncobj_array_find(), 6.12):
 * 2^20 handles or more make the page allocator WARN (order > MAX_ORDER),
 * and a few MiB may fail with an allocation-failure splat. That is the
 * core's, not rbnn's: keep those counts to what the core can allocate.
 */
#define CORE_MAX_HANDLES 4096u

static void cap_core_count(struct call *c, uint32_t *count)
{
	if (*count > CORE_MAX_HANDLES) {
		*count %= CORE_MAX_HANDLES + 1;
		note(c, "(count capped %u) ", *count);
	}
}

/*
 * Waits the fuzzer must not ask for: a syncobj wait for a fence that may
 * never be submitted (WAIT_FOR_SUBMIT, WAIT_AVAILABLE) with a far deadline,
 * or any long wait while the worker holds a gate, which only it releases.
 * Those block until their deadline by design, not by a bug.
 */
static void sanitize_wait(struct worker *w, struct call *c, uint64_t *deadline,
			  uint32_t flags)
{
	int64_t limit = (int64_t)(now_ns() + 50000000ull);
	bool submit_wait = flags & (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
				    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE);

	if ((int64_t)*deadline <= limit)
		return;
	if (w->gate_ctx >= 0 || (c->op != OP_BO_WAIT && c->op != OP_JOB_INFO &&
				 submit_wait)) {
		*deadline = (uint64_t)limit;
		note(c, "(wait clamped) ");
	}
}

/* ---- making a call -------------------------------------------------------------- */

static void finding(struct finding *f, const struct call_rec *r,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void finding(struct finding *f, const struct call_rec *r,
		    const char *fmt, ...)
{
	va_list ap;

	if (!f->count++) {
		if (r)
			f->first = *r;
		va_start(ap, fmt);
		vsnprintf(f->why, sizeof(f->why), fmt, ap);
		va_end(ap);
	}
}

static void rec_begin(struct worker *w, struct call *c)
{
	struct call_rec *r = &w->ws->cur;

	r->op = c->op;
	r->fd = c->fd;
	r->req = c->req;
	r->ret = 0;
	r->dur_ns = 0;
	r->len = c->len < ARGMAX ? c->len : ARGMAX;
	if (c->arg)
		memcpy(r->arg, c->arg, r->len);
	memcpy(r->note, c->note, sizeof(r->note));
	__atomic_store_n(&r->start_ns, now_ns(), __ATOMIC_RELEASE);
}

static void rec_end(struct worker *w, int ret)
{
	struct wshared *ws = w->ws;
	struct call_rec *r = &ws->cur;
	uint64_t t = now_ns();
	int e = -ret;

	r->ret = ret;
	r->dur_ns = t - r->start_ns;
	ws->ring[ws->ring_pos++ % RING] = *r;
	__atomic_store_n(&r->start_ns, 0, __ATOMIC_RELEASE);
	ws->last_end_ns = t;
	ws->calls[r->op]++;
	ws->err[r->op][e >= 0 && e < NERR ? e : NERR]++;
	if (w->cleanup)
		ws->cleanup_calls++;
	else
		ws->ncalls++;
	if (e == ENODEV)
		w->unplugged = true;
	if (e < 0 || e >= NERR || !errok[r->op][e])
		finding(&ws->bad_result, r, "%s returned %d (%s), not documented",
			op_name[r->op], ret, strerrorname_np(e) ?: "?");
}

static bool budget_left(struct worker *w)
{
	return w->cleanup || (w->ws->ncalls < w->ws->budget &&
			      !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED));
}

/*
 * After a call with a truncated size or a cleared direction in the ioctl
 * number, make @c->arg what the kernel read: it zero-fills what it was not
 * given. Calls whose inputs change the worker's state (GEM_CLOSE, TILE_FREE,
 * SYNCOBJ_DESTROY) then know what the kernel did. A NULL or half-unmapped
 * argument that succeeded was not read where it faults: the call copied
 * nothing in (size 0, no write direction), or, before the hole, no more
 * than lies there.
 */
static void kernel_view(struct call *c, int ret)
{
	uint32_t n = _IOC_SIZE(c->req);

	if (!c->arg || c->req == 0)
		return;
	if ((c->place == P_NULL || c->place == P_HOLE) && ret)
		return;		/* the kernel may have read nothing */
	if (!(_IOC_DIR(c->req) & _IOC_WRITE) || c->place == P_NULL)
		n = 0;		/* nothing copied in */
	if (n < c->len)
		memset(c->arg + n, 0, c->len - n);
}

/*
 * Make the ioctl of @c. Returns 0 or -errno, or 1 when the worker's budget
 * is spent (nothing called). A poll (deadline in the past) that takes long
 * is recorded.
 */
static int do_ioctl(struct worker *w, struct call *c, int64_t deadline,
		    bool has_deadline)
{
	uint8_t *argp;
	uint64_t t0;
	int ret;

	if (!budget_left(w))
		return 1;
	argp = place_arg(w, c);
	rec_begin(w, c);
	t0 = w->ws->cur.start_ns;
	ret = ioctl(c->fd, c->req, argp) ? -errno : 0;
	rec_end(w, ret);
	if (has_deadline && deadline <= (int64_t)t0) {
		uint64_t d = w->ws->ring[(w->ws->ring_pos - 1) % RING].dur_ns;

		w->ws->polls++;
		if (d > w->ws->max_poll_ns)
			w->ws->max_poll_ns = d;
		if (d > POLL_MAX_NS)
			finding(&w->ws->slow_poll,
				&w->ws->ring[(w->ws->ring_pos - 1) % RING],
				"%s with a deadline in the past took %.1f s",
				op_name[c->op], d / 1e9);
	}
	if (c->place == P_BIG && c->moved && !c->out_lost)
		memcpy(c->arg, c->moved, c->len);
	kernel_view(c, ret);
	return ret;
}

/* A syscall that is not an ioctl (mmap, close...), watched the same way. */
static bool sys_begin(struct worker *w, int op, int fd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool sys_begin(struct worker *w, int op, int fd, const char *fmt, ...)
{
	struct call c = { .op = op, .fd = fd };
	va_list ap;

	if (!budget_left(w))
		return false;
	va_start(ap, fmt);
	vsnprintf(c.note, sizeof(c.note), fmt, ap);
	va_end(ap);
	rec_begin(w, &c);
	return true;
}

static void call_init(struct worker *w, struct call *c, int op, int ci,
		      unsigned long req, void *arg, uint32_t len)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->ci = ci;
	c->fd = ci >= 0 ? w->c[ci].fd : -1;
	c->req = req;
	c->arg = arg;
	c->len = len;
	c->f = op_desc[op].f;
	c->nf = op_desc[op].nf;
	w->scratch_off = 0;
	if (ci >= 0)
		note(c, "f%d ", ci);
}

static void add_sub(struct call *c, int field, void *base, uint32_t stride,
		    uint32_t count, uint32_t elem, const struct field *f,
		    uint32_t nf, const char *name)
{
	struct sub *s = &c->sub[c->nsub++];

	s->field = field;
	s->base = base;
	s->stride = stride;
	s->count = count;
	s->elem = elem;
	s->f = f;
	s->nf = nf;
	s->name = name;
}

static int field_index(const struct call *c, const char *name)
{
	uint32_t i;

	for (i = 0; i < c->nf; i++)
		if (!strcmp(c->f[i].name, name))
			return (int)i;
	return -1;
}

static void maybe_mutate(struct worker *w, struct call *c)
{
	if (chance(&w->r, opt.mut_pct))
		mutate(w, c);
}

/* ---- bookkeeping of what a file owns ------------------------------------------ */

static void orphan_map(struct worker *w, uint8_t *p, size_t len)
{
	if (!p)
		return;
	if (w->norph == MAXORPH) {
		if (sys_begin(w, OP_MUNMAP, -1, "orphan %p", (void *)w->orph[0].p)) {
			rec_end(w, munmap(w->orph[0].p, w->orph[0].len) ? -errno : 0);
		} else {
			munmap(w->orph[0].p, w->orph[0].len);
		}
		memmove(&w->orph[0], &w->orph[1], (MAXORPH - 1) * sizeof(w->orph[0]));
		w->norph--;
	}
	w->orph[w->norph].p = p;
	w->orph[w->norph].len = len;
	w->norph++;
}

static void bo_forget(struct worker *w, struct ctx *c, uint32_t i)
{
	orphan_map(w, c->bo[i].map, c->bo[i].maplen);
	c->dead_bo = c->bo[i].h;
	c->bo[i] = c->bo[--c->nbo];
}

static struct bo *bo_find(struct ctx *c, uint32_t h)
{
	uint32_t i;

	for (i = 0; i < c->nbo; i++)
		if (c->bo[i].h == h)
			return &c->bo[i];
	return NULL;
}

static void so_forget(struct ctx *c, uint32_t i)
{
	c->dead_so = c->so[i].h;
	c->so[i] = c->so[--c->nso];
}

static void pend_add(struct ctx *c, uint64_t seq)
{
	if (seq > c->seq_max)
		c->seq_max = seq;
	if (c->npend < MAXPEND)
		c->pend[c->npend++] = seq;
}

static void pend_del(struct ctx *c, uint64_t seq)
{
	uint32_t i;

	for (i = 0; i < c->npend; i++) {
		if (c->pend[i] == seq) {
			memmove(&c->pend[i], &c->pend[i + 1],
				(c->npend - i - 1) * sizeof(c->pend[0]));
			c->npend--;
			return;
		}
	}
}

static void tile_forget(struct ctx *c, uint32_t t)
{
	uint32_t i;

	for (i = 0; i < c->ntile; i++) {
		if (c->tile[i] == t) {
			c->tile[i] = c->tile[--c->ntile];
			c->rows_used[i] = c->rows_used[c->ntile];
			c->net.ok = false;
			return;
		}
	}
}

static void xfd_add(struct worker *w, int fd, enum xkind k, uint64_t size)
{
	if (fd < 0)
		return;
	if (w->nx == MAXXFD) {
		if (sys_begin(w, OP_CLOSE, w->x[0].fd, "xfd"))
			rec_end(w, close(w->x[0].fd) ? -errno : 0);
		else
			close(w->x[0].fd);
		w->x[0] = w->x[--w->nx];
	}
	w->x[w->nx].fd = fd;
	w->x[w->nx].kind = k;
	w->x[w->nx].size = size;
	w->nx++;
}

static void gate_end(struct worker *w);

/* ---- files ------------------------------------------------------------------------- */

/* The card's node now (after a replug it may have another minor). */
static void find_node(char *node, size_t len)
{
	char cards[8][64];

	if (opt.node) {
		snprintf(node, len, "%s", opt.node);
		return;
	}
	if (sel_list_cards(cards, 8) > 0)
		snprintf(node, len, "%s", cards[0]);
}

static int ctx_open(struct worker *w, int ci)
{
	struct ctx *c = &w->c[ci];
	int fd, flags = O_RDWR | O_CLOEXEC;

	if (w->unplugged)
		find_node(w->node, sizeof(w->node));
	if (chance(&w->r, 3))
		flags = O_RDONLY | O_CLOEXEC;	/* mmap for writing refused */
	if (!sys_begin(w, OP_OPEN, -1, "f%d %s", ci, w->node))
		return 1;
	fd = open(w->node, flags);
	rec_end(w, fd < 0 ? -errno : 0);
	if (fd < 0)
		return -1;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->exact = true;
	c->gen = __atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) >= U_BACK;
	return 0;
}

static void ctx_close(struct worker *w, int ci)
{
	struct ctx *c = &w->c[ci];
	uint32_t i;

	if (c->fd < 0)
		return;
	/* Mostly release the gate first: a close with jobs held waits 1 s
	 * for them, then kills them (-ESRCH). */
	if (w->gate_ctx == ci && (w->cleanup || chance(&w->r, 90)))
		gate_end(w);
	for (i = 0; i < c->nbo; i++)
		orphan_map(w, c->bo[i].map, c->bo[i].maplen);
	orphan_map(w, c->stage.map, c->stage.maplen);
	sel_net_free(&c->net.n);
	if (sys_begin(w, OP_CLOSE, c->fd, "f%d%s", ci, c->shared ? " shared" : ""))
		rec_end(w, close(c->fd) ? -errno : 0);
	else
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (w->gate_ctx == ci) {
		sel_gate_fini(&w->gate);
		w->gate_ctx = -1;
	}
}

/* A file to call on: a random slot, reopened if closed (now and then:
 * while the card is unplugged opens fail), else any open one. */
static int pick_ctx(struct worker *w)
{
	uint32_t i = rnd(&w->r, w->nctx), k;

	if (w->c[i].fd < 0 && (chance(&w->r, 30) || !w->unplugged))
		ctx_open(w, (int)i);
	for (k = 0; k < w->nctx; k++, i = (i + 1) % w->nctx)
		if (w->c[i].fd >= 0)
			return (int)i;
	return ctx_open(w, (int)i) == 0 ? (int)i : -1;
}

/* ---- syncs of a submission ------------------------------------------------------ */

/* In-syncs from the file's syncobjs that have a fence (and the gate). */
static void build_syncs(struct worker *w, struct call *c, int ci,
			struct drm_rbnn_syncs *s, int fidx)
{
	struct ctx *x = &w->c[ci];
	struct drm_rbnn_sync cand[MAXSO + 1], *in;
	uint32_t n = 0, want, stride = sizeof(*in), i;
	bool gate = w->gate_ctx == ci && w->gate.syncobj;
	uint8_t *buf;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < x->nso; i++) {
		const struct so *so = &x->so[i];

		if (so->timeline && so->point)
			cand[n++] = (struct drm_rbnn_sync){ .handle = so->h,
				.point = 1 + rnd(&w->r, (uint32_t)so->point) };
		else if (!so->timeline && so->fence)
			cand[n++] = (struct drm_rbnn_sync){ .handle = so->h };
	}
	if (gate)
		cand[n++] = (struct drm_rbnn_sync){ .handle = w->gate.syncobj };
	want = chance(&w->r, 70) ? 0 : chance(&w->r, 95) ? 1 + rnd(&w->r, 3) :
	       DRM_RBNN_MAX_IN_SYNCS;
	if (gate && !want && chance(&w->r, 40))
		want = 1;
	if (chance(&w->r, 10))
		stride += 8 * (1 + rnd(&w->r, 4));	/* a newer userspace */
	buf = n && want ? scratch_get(w, want * stride) : NULL;
	if (buf) {
		memset(buf, 0, want * stride);
		for (i = 0; i < want; i++) {
			in = (struct drm_rbnn_sync *)(buf + (size_t)i * stride);
			*in = gate && i == 0 ? cand[n - 1] : cand[rnd(&w->r, n)];
		}
		s->in_syncs = (uintptr_t)buf;
		s->in_count = want;
		s->in_stride = stride;
		add_sub(c, fidx, buf, stride, want, sizeof(*in), f_sync,
			NF(f_sync), "in");
	}
	if (chance(&w->r, 50) && x->nso) {
		struct so *so = pick_so(w, x);

		s->out.handle = so->h;
		s->out.point = so->timeline ? so->point + 1 : 0;
	}
}

/* After a successful submission: the out-sync has a fence (or a point). */
static void syncs_done(struct ctx *x, const struct drm_rbnn_syncs *s)
{
	uint32_t i;

	for (i = 0; i < x->nso && s->out.handle; i++) {
		if (x->so[i].h != s->out.handle)
			continue;
		if (s->out.point && s->out.point > x->so[i].point)
			x->so[i].point = s->out.point;
		if (!s->out.point)
			x->so[i].fence = true;
	}
}

static void submitted(struct worker *w, struct call *c, int ret,
		      uint64_t seqno, const struct drm_rbnn_syncs *s)
{
	struct ctx *x = &w->c[c->ci];

	if (ret == 0) {
		w->ws->submits_ok++;
		if (!c->out_lost && !c->mutated) {
			pend_add(x, seqno);
			syncs_done(x, s);
		} else if (!c->out_lost) {
			pend_add(x, seqno);
		}
	} else if (ret == -EFAULT && c->ro_arg) {
		/* ran, but its answer could not be copied back */
		w->ws->submits_uncertain++;
	}
}

/* ---- the ioctls ------------------------------------------------------------------- */

static const uint32_t query_len[] = {
	[DRM_RBNN_QUERY_DEVICE] = sizeof(struct drm_rbnn_query_device),
	[DRM_RBNN_QUERY_MODEL] = sizeof(struct drm_rbnn_query_model),
	[DRM_RBNN_QUERY_COUNTERS] = sizeof(struct drm_rbnn_query_counters),
	[DRM_RBNN_QUERY_TILES] = sizeof(struct drm_rbnn_query_tiles) +
				 SEL_MAX_TILES * sizeof(struct drm_rbnn_tile_info),
};

/* The tile map a file sees must be the tiles the fuzzer holds in it. */
static void check_tile_map(struct worker *w, struct ctx *x, const uint8_t *buf,
			   uint32_t size)
{
	const struct drm_rbnn_query_tiles *h = (const void *)buf;
	uint32_t t, i;

	if (size < sizeof(*h) || h->count != w->dev.tiles ||
	    h->stride < 32 || size < sizeof(*h) + (uint64_t)h->count * h->stride) {
		finding(&w->ws->bad_result, &w->ws->ring[(w->ws->ring_pos - 1) % RING],
			"QUERY_TILES answer: count %u stride %u size %u", h->count,
			h->stride, size);
		return;
	}
	for (t = 0; t < h->count; t++) {
		const struct drm_rbnn_tile_info *ti =
			(const void *)(buf + sizeof(*h) + (size_t)t * h->stride);
		bool held = false;

		if (ti->state > DRM_RBNN_TILE_STATE_OTHER)
			finding(&w->ws->bad_result, NULL, "tile %u state %u", t,
				ti->state);
		for (i = 0; i < x->ntile; i++)
			held |= x->tile[i] == t;
		if (x->exact && held != (ti->state == DRM_RBNN_TILE_STATE_MINE))
			finding(&w->ws->bad_result,
				&w->ws->ring[(w->ws->ring_pos - 1) % RING],
				"tile %u: state %u, but the file %s it", t,
				ti->state, held ? "holds" : "does not hold");
	}
}

static void op_query(struct worker *w, int ci)
{
	struct drm_rbnn_query q = {};
	struct call c;
	uint8_t *buf;
	uint32_t full, size;
	int ret;

	call_init(w, &c, OP_QUERY, ci, DRM_IOCTL_RBNN_QUERY, &q, sizeof(q));
	q.type = chance(&w->r, 95) ? rnd(&w->r, 4) : 4 + rnd(&w->r, 100);
	full = q.type < 4 ? query_len[q.type] : 64;
	if (q.type == DRM_RBNN_QUERY_TILES)
		full = sizeof(struct drm_rbnn_query_tiles) +
		       w->dev.tiles * sizeof(struct drm_rbnn_tile_info);
	switch (rnd(&w->r, 5)) {
	case 0:
		q.size = 0;
		break;
	case 1:
		q.size = 1 + rnd(&w->r, full);		/* truncated copy */
		break;
	case 2:
		q.size = full + rnd(&w->r, 256);	/* a newer userspace */
		break;
	default:
		q.size = full;
	}
	buf = scratch_get(w, q.size + 8);
	if (!buf)
		return;
	memset(buf, 0, q.size + 8);
	q.ptr = (uintptr_t)buf;
	size = q.size;
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret || c.out_lost || c.mutated || q.type != DRM_RBNN_QUERY_TILES ||
	    size < full)
		return;
	if (q.size != full)
		finding(&w->ws->bad_result, &w->ws->ring[(w->ws->ring_pos - 1) % RING],
			"QUERY_TILES wrote %u bytes of a %u-byte answer", q.size, full);
	check_tile_map(w, &w->c[ci], buf, q.size);
}

static int bo_close_handle(struct worker *w, int ci, uint32_t h)
{
	struct drm_gem_close g = { .handle = h };
	struct call c;

	call_init(w, &c, OP_GEM_CLOSE, ci, DRM_IOCTL_GEM_CLOSE, &g, sizeof(g));
	return do_ioctl(w, &c, 0, false);
}

static void op_bo_create(struct worker *w, int ci)
{
	struct drm_rbnn_bo_create a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	int ret;

	if (x->nbo == MAXBO) {
		uint32_t i = rnd(&w->r, x->nbo);

		if (bo_close_handle(w, ci, x->bo[i].h) == 0)
			bo_forget(w, x, i);
		return;
	}
	call_init(w, &c, OP_BO_CREATE, ci, DRM_IOCTL_RBNN_BO_CREATE, &a, sizeof(a));
	switch (rnd(&w->r, 10)) {
	case 0:
		a.size = 1 + rnd(&w->r, 65536);
		break;
	case 1:
		a.size = (uint64_t[]){ 0, 1, 4095, 1u << 20, 1ull << 32,
				       (1ull << 32) + 1, ~0ull,
				       1ull << 63 }[rnd(&w->r, 8)];
		break;
	case 2:
		a.size = 256 * 1024;
		break;
	default:
		a.size = PAGE * (1 + rnd(&w->r, 16));
	}
	maybe_mutate(w, &c);
	/*
	 * A job pins its whole BO: one on a 4 GiB object pins 4 GiB, which
	 * ran the guest out of memory before driver 1.2 capped BO memory (a
	 * quarter of the RAM per file by default). Huge objects exist
	 * only with a handle the worker knows, on its own file, and only until
	 * the next call closes them.
	 */
	if (a.size > BIG_BO && (x->shared || c.place != P_HERE ||
				c.req != DRM_IOCTL_RBNN_BO_CREATE)) {
		a.size = PAGE;
		note(&c, "(size %u: no huge object whose handle may be lost) ", PAGE);
	}
	ret = do_ioctl(w, &c, 0, false);
	if (ret || c.out_lost || !a.handle)
		return;
	if (a.size > BIG_BO || c.mutated) {
		/* huge objects only exist briefly: jobs pin whole objects */
		bo_close_handle(w, ci, a.handle);
		return;
	}
	x->bo[x->nbo++] = (struct bo){ .h = a.handle,
				       .size = (a.size + PAGE - 1) & ~(uint64_t)(PAGE - 1) };
}

static void bo_map(struct worker *w, int ci, struct bo *b)
{
	struct ctx *x = &w->c[ci];
	int fd = x->fd, prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	size_t len = b->size;
	uint64_t off = b->offset;
	bool exact = true;
	void *p;
	int ret;

	if (!b->size || b->size > BIG_BO)
		return;
	if (chance(&w->r, opt.mut_pct / 2)) {
		exact = false;
		switch (rnd(&w->r, 5)) {
		case 0:
			len += PAGE;		/* longer than the object */
			break;
		case 1:
			off += PAGE * (1 + rnd(&w->r, 4));
			break;
		case 2:
			flags = MAP_PRIVATE;
			break;
		case 3:
			fd = w->c[other_ctx(w, ci)].fd;	/* not this file's */
			break;
		default:
			prot = PROT_READ;
			exact = !b->map;
		}
	}
	if (!sys_begin(w, OP_MMAP, fd, "f%d len %zu off %#llx prot %d flags %#x",
		       ci, len, (unsigned long long)off, prot, flags))
		return;
	p = mmap(NULL, len, prot, flags, fd, (off_t)off);
	ret = p == MAP_FAILED ? -errno : 0;
	rec_end(w, ret);
	if (ret)
		return;
	if (exact && !b->map && prot == (PROT_READ | PROT_WRITE) &&
	    fd == x->fd && len == b->size) {
		b->map = p;
		b->maplen = len;
	} else if (exact && !b->map && prot == PROT_READ) {
		orphan_map(w, p, len);	/* readable: touched at cleanup */
	} else if (sys_begin(w, OP_MUNMAP, -1, "%p", p)) {
		rec_end(w, munmap(p, len) ? -errno : 0);
	} else {
		munmap(p, len);
	}
}

static void op_bo_info(struct worker *w, int ci)
{
	struct drm_rbnn_bo_info a = {};
	struct ctx *x = &w->c[ci];
	struct bo *b;
	struct call c;
	int ret;

	call_init(w, &c, OP_BO_INFO, ci, DRM_IOCTL_RBNN_BO_INFO, &a, sizeof(a));
	a.handle = bo_handle(w, x);
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret || c.out_lost)
		return;
	b = bo_find(x, a.handle);
	if (!b)
		return;
	/* other workers close and reuse handles of the shared file */
	if (b->size && b->size != a.size && !x->shared)
		finding(&w->ws->bad_result, &w->ws->ring[(w->ws->ring_pos - 1) % RING],
			"BO_INFO size %llu, created with %llu",
			(unsigned long long)a.size, (unsigned long long)b->size);
	b->size = a.size;
	b->offset = a.mmap_offset;
	if (chance(&w->r, 50))
		bo_map(w, ci, b);
}

static void op_munmap(struct worker *w, int ci)
{
	struct ctx *x = &w->c[ci];
	struct bo *b = pick_bo(w, x, 0);
	uint8_t *p;
	size_t len;

	if (w->norph && chance(&w->r, 50)) {
		p = w->orph[w->norph - 1].p;
		len = w->orph[w->norph - 1].len;
		w->norph--;
	} else if (b && b->map) {
		p = b->map;
		len = b->maplen;
		b->map = NULL;
	} else {
		return;
	}
	/* read it once: a mapping stays valid until it is unmapped */
	if (sys_begin(w, OP_MUNMAP, -1, "%p len %zu (read first)", (void *)p, len)) {
		volatile uint8_t s = p[0] + p[len - 1];

		(void)s;
		rec_end(w, munmap(p, len) ? -errno : 0);
	} else {
		munmap(p, len);
	}
}

static void op_bo_wait(struct worker *w, int ci)
{
	struct drm_rbnn_bo_wait a = {};
	struct call c;
	uint64_t d;

	call_init(w, &c, OP_BO_WAIT, ci, DRM_IOCTL_RBNN_BO_WAIT, &a, sizeof(a));
	a.handle = bo_handle(w, &w->c[ci]);
	a.timeout_ns = pick_deadline(w, true);
	maybe_mutate(w, &c);
	d = (uint64_t)a.timeout_ns;
	sanitize_wait(w, &c, &d, 0);
	a.timeout_ns = (int64_t)d;
	do_ioctl(w, &c, a.timeout_ns, true);
}

static void op_tile_alloc(struct worker *w, int ci)
{
	struct drm_rbnn_tile_alloc a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	uint32_t *out, i, k;
	int ret;

	call_init(w, &c, OP_TILE_ALLOC, ci, DRM_IOCTL_RBNN_TILE_ALLOC, &a, sizeof(a));
	a.count = chance(&w->r, 75) ? 1 : chance(&w->r, 80) ? 2 :
		  1 + rnd(&w->r, w->dev.tiles);
	out = (uint32_t *)scratch_get(w, 4 * (w->dev.tiles + 2));
	if (!out)
		return;
	memset(out, 0xff, 4 * (w->dev.tiles + 2));
	a.tiles_ptr = (uintptr_t)out;
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret == -EFAULT && c.ro_arg)
		x->exact = false;	/* allocated, only the answer was lost */
	if (ret)
		return;
	if (c.out_lost || a.tiles_ptr != (uintptr_t)out || a.count > w->dev.tiles) {
		x->exact = false;	/* holds tiles it does not know */
		return;
	}
	for (i = 0; i < a.count; i++) {
		bool dup = false;

		if (out[i] >= w->dev.tiles) {
			finding(&w->ws->bad_result,
				&w->ws->ring[(w->ws->ring_pos - 1) % RING],
				"TILE_ALLOC gave tile %u of %u", out[i], w->dev.tiles);
			continue;
		}
		for (k = 0; k < x->ntile; k++)
			dup |= x->tile[k] == out[i];
		if (dup && x->exact)
			finding(&w->ws->bad_result,
				&w->ws->ring[(w->ws->ring_pos - 1) % RING],
				"TILE_ALLOC gave tile %u, held already", out[i]);
		else if (!dup && x->ntile < MAXT)
			x->rows_used[x->ntile] = 0, x->tile[x->ntile++] = out[i];
		else
			x->exact = false;
	}
}

static void op_tile_free(struct worker *w, int ci)
{
	struct drm_rbnn_tile_free a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	int ret;

	call_init(w, &c, OP_TILE_FREE, ci, DRM_IOCTL_RBNN_TILE_FREE, &a, sizeof(a));
	a.tile = own_tile(w, x);
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (!ret)
		tile_forget(x, a.tile);	/* a is what the kernel read */
}

static void op_program(struct worker *w, int ci)
{
	struct drm_rbnn_program a = {};
	struct ctx *x = &w->c[ci];
	uint32_t rb = w->dev.row_bytes;
	struct bo *wb, *tb;
	struct call c;
	int ret;

	call_init(w, &c, OP_PROGRAM, ci, DRM_IOCTL_RBNN_PROGRAM, &a, sizeof(a));
	a.tile = own_tile(w, x);
	a.row = rnd(&w->r, w->dev.rows);
	a.nrows = 1 + rnd(&w->r, w->dev.rows - a.row < 8 ? w->dev.rows - a.row : 8);
	if (chance(&w->r, 30)) {
		a.flags = DRM_RBNN_PROGRAM_VERIFY;
		a.verify_max = chance(&w->r, 50) ? 0 : 1 + rnd(&w->r, 64);
	}
	if (chance(&w->r, 30))
		a.current_na = 1000 + rnd(&w->r, 999001);
	if (chance(&w->r, 30))
		a.pulse_ns = 10 + rnd(&w->r, 9991);
	wb = pick_bo(w, x, (uint64_t)a.nrows * rb);
	a.weights_handle = wb ? wb->h : bo_handle(w, x);
	if (wb)
		a.weights_offset = 8 * rnd(&w->r, (uint32_t)((wb->size -
					(uint64_t)a.nrows * rb) / 8 + 1));
	if (chance(&w->r, 50)) {
		tb = pick_bo(w, x, 4ull * a.nrows);
		a.thresh_handle = tb ? tb->h : 0;
		if (tb)
			a.thresh_offset = 4 * rnd(&w->r, (uint32_t)((tb->size -
						4ull * a.nrows) / 4 + 1));
	}
	build_syncs(w, &c, ci, &a.syncs, field_index(&c, "syncs.in_syncs"));
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret != 1)
		submitted(w, &c, ret, a.seqno, &a.syncs);
}

static void op_readback(struct worker *w, int ci)
{
	struct drm_rbnn_readback a = {};
	struct ctx *x = &w->c[ci];
	uint32_t rb = w->dev.row_bytes;
	struct bo *b;
	struct call c;
	int ret;

	call_init(w, &c, OP_READBACK, ci, DRM_IOCTL_RBNN_READBACK, &a, sizeof(a));
	if (x->net.ok && x->net.nseg && chance(&w->r, 70)) {
		/* rows this file programmed */
		const struct drm_rbnn_segment *s = &x->net.S[rnd(&w->r, x->net.nseg)];

		a.tile = s->tile;
		a.row = s->row;
		a.nrows = 1 + rnd(&w->r, s->out_count);
	} else {
		a.tile = own_tile(w, x);
		a.row = rnd(&w->r, w->dev.rows);
		a.nrows = 1 + rnd(&w->r, w->dev.rows - a.row < 8 ?
				  w->dev.rows - a.row : 8);
	}
	if (chance(&w->r, 10))
		a.flags = DRM_RBNN_READBACK_SCRUB;
	b = pick_bo(w, x, (uint64_t)a.nrows * rb);
	a.handle = b ? b->h : bo_handle(w, x);
	if (b)
		a.offset = rnd(&w->r, (uint32_t)(b->size - (uint64_t)a.nrows * rb + 1));
	build_syncs(w, &c, ci, &a.syncs, field_index(&c, "syncs.in_syncs"));
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret != 1)
		submitted(w, &c, ret, a.seqno, &a.syncs);
}

static void op_job_info(struct worker *w, int ci)
{
	struct drm_rbnn_job_info a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	int ret;

	if (!x->seq_max && chance(&w->r, 80))
		return;		/* no job yet: mostly -EINVAL */
	call_init(w, &c, OP_JOB_INFO, ci, DRM_IOCTL_RBNN_JOB_INFO, &a, sizeof(a));
	if (x->npend && chance(&w->r, 75))
		a.seqno = x->pend[chance(&w->r, 50) ? 0 : rnd(&w->r, x->npend)];
	else if (x->seq_max)
		a.seqno = 1 + rnd64(&w->r) % x->seq_max;
	else
		a.seqno = 1;
	a.timeout_ns = pick_deadline(w, true);
	maybe_mutate(w, &c);
	{
		uint64_t d = (uint64_t)a.timeout_ns;

		sanitize_wait(w, &c, &d, 0);
		a.timeout_ns = (int64_t)d;
	}
	ret = do_ioctl(w, &c, a.timeout_ns ? a.timeout_ns : INT64_MIN, true);
	if (ret || c.out_lost)
		return;
	if (a.state > DRM_RBNN_JOB_DONE) {
		finding(&w->ws->bad_result, &w->ws->ring[(w->ws->ring_pos - 1) % RING],
			"JOB_INFO state %u", a.state);
		return;
	}
	if (a.state != DRM_RBNN_JOB_DONE)
		return;
	pend_del(x, a.seqno);
	switch (a.status) {
	case 0:
		w->ws->jobs_seen[0]++;
		break;
	case -ECANCELED:
		w->ws->jobs_seen[1]++;
		break;
	case -ESRCH:
		w->ws->jobs_seen[2]++;
		break;
	case -ENODEV:
		if (opt.unplug_id) {
			w->ws->jobs_seen[3]++;
			break;
		}
		/* fall through */
	default:
		finding(&w->ws->bad_status, &w->ws->ring[(w->ws->ring_pos - 1) % RING],
			"job %llu of f%d ended %d (%s), hw_status %u detail %u",
			(unsigned long long)a.seqno, ci, a.status,
			strerrorname_np(-a.status) ?: "?", a.hw_status, a.hw_detail);
	}
}

/* Wait for the oldest job of the file (too many in flight). */
static void drain_one(struct worker *w, int ci)
{
	struct drm_rbnn_job_info a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	int ret;

	if (!x->npend)
		return;
	if (w->gate_ctx >= 0)
		sel_gate_release(&w->gate);
	call_init(w, &c, OP_JOB_INFO, ci, DRM_IOCTL_RBNN_JOB_INFO, &a, sizeof(a));
	note(&c, "drain");
	a.seqno = x->pend[0];
	a.timeout_ns = (int64_t)(now_ns() + 20 * NS);
	ret = do_ioctl(w, &c, a.timeout_ns, true);
	if (ret == 1)
		return;
	/* done, forgotten, or (reported by the watchdog) stuck */
	pend_del(x, a.seqno);
}

static void op_gem_close(struct worker *w, int ci)
{
	struct drm_gem_close a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	struct bo *b;
	int ret;

	call_init(w, &c, OP_GEM_CLOSE, ci, DRM_IOCTL_GEM_CLOSE, &a, sizeof(a));
	a.handle = bo_handle(w, x);
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret)
		return;
	b = bo_find(x, a.handle);	/* a is what the kernel read */
	if (b)
		bo_forget(w, x, (uint32_t)(b - x->bo));
	if (x->stage.h == a.handle) {
		orphan_map(w, x->stage.map, x->stage.maplen);
		memset(&x->stage, 0, sizeof(x->stage));
	}
}

static void op_so_create(struct worker *w, int ci)
{
	struct drm_syncobj_create a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	int ret;

	if (x->nso == MAXSO) {
		struct drm_syncobj_destroy d = { .handle = x->so[0].h };

		call_init(w, &c, OP_SYNCOBJ_DESTROY, ci, DRM_IOCTL_SYNCOBJ_DESTROY,
			  &d, sizeof(d));
		if (do_ioctl(w, &c, 0, false) == 0)
			so_forget(x, 0);
		return;
	}
	call_init(w, &c, OP_SYNCOBJ_CREATE, ci, DRM_IOCTL_SYNCOBJ_CREATE, &a, sizeof(a));
	a.flags = chance(&w->r, 50) ? DRM_SYNCOBJ_CREATE_SIGNALED : 0;
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret || c.out_lost || c.mutated)
		return;
	x->so[x->nso++] = (struct so){
		.h = a.handle, .timeline = chance(&w->r, 30),
		.fence = a.flags & DRM_SYNCOBJ_CREATE_SIGNALED,
	};
}

static void op_so_destroy(struct worker *w, int ci)
{
	struct drm_syncobj_destroy a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	uint32_t i;

	call_init(w, &c, OP_SYNCOBJ_DESTROY, ci, DRM_IOCTL_SYNCOBJ_DESTROY, &a, sizeof(a));
	a.handle = so_handle(w, x);
	maybe_mutate(w, &c);
	if (do_ioctl(w, &c, 0, false))
		return;
	for (i = 0; i < x->nso; i++)	/* a is what the kernel read */
		if (x->so[i].h == a.handle)
			so_forget(x, i--);
	if (w->gate_ctx == ci && a.handle == w->gate.syncobj)
		w->gate.syncobj = 0;
}

/* An array of @n syncobj handles of the file (and their points). */
static uint32_t *so_array(struct worker *w, struct ctx *x, uint32_t n,
			  uint64_t **points)
{
	uint32_t *h = (uint32_t *)scratch_get(w, 4 * n), i;
	uint64_t *p = points ? (uint64_t *)scratch_get(w, 8 * n) : NULL;

	if (!h || (points && !p))
		return NULL;
	for (i = 0; i < n; i++) {
		struct so *s = pick_so(w, x);

		h[i] = s ? s->h : 1 + rnd(&w->r, 8);
		if (p)
			p[i] = s && s->timeline ? rnd(&w->r, (uint32_t)s->point + 2) : 0;
	}
	if (points)
		*points = p;
	return h;
}

static uint32_t wait_flags(struct worker *w)
{
	uint32_t f = 0;

	if (chance(&w->r, 50))
		f |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	if (chance(&w->r, 30))
		f |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	if (chance(&w->r, 5))
		f |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	return f;
}

static void op_so_wait(struct worker *w, int ci)
{
	struct drm_syncobj_wait a = {};
	struct call c;
	uint32_t n = 1 + rnd(&w->r, 3);
	uint64_t d;

	call_init(w, &c, OP_SYNCOBJ_WAIT, ci, DRM_IOCTL_SYNCOBJ_WAIT, &a, sizeof(a));
	a.handles = (uintptr_t)so_array(w, &w->c[ci], n, NULL);
	if (!a.handles)
		return;
	a.count_handles = n;
	a.flags = wait_flags(w) & ~DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	a.timeout_nsec = pick_deadline(w, true);
	add_sub(&c, 0, (uint8_t *)(uintptr_t)a.handles, 4, n, 4, f_handle32,
		NF(f_handle32), "h");
	maybe_mutate(w, &c);
	cap_core_count(&c, &a.count_handles);
	d = (uint64_t)a.timeout_nsec;
	sanitize_wait(w, &c, &d, a.flags);
	a.timeout_nsec = (int64_t)d;
	do_ioctl(w, &c, a.timeout_nsec, true);
}

static void op_so_twait(struct worker *w, int ci)
{
	struct drm_syncobj_timeline_wait a = {};
	struct call c;
	uint32_t n = 1 + rnd(&w->r, 3);
	uint64_t *pts, d;

	call_init(w, &c, OP_SYNCOBJ_TIMELINE_WAIT, ci, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		  &a, sizeof(a));
	a.handles = (uintptr_t)so_array(w, &w->c[ci], n, &pts);
	if (!a.handles)
		return;
	a.points = (uintptr_t)pts;
	a.count_handles = n;
	a.flags = wait_flags(w);
	a.timeout_nsec = pick_deadline(w, true);
	add_sub(&c, 0, (uint8_t *)(uintptr_t)a.handles, 4, n, 4, f_handle32,
		NF(f_handle32), "h");
	add_sub(&c, 1, (uint8_t *)pts, 8, n, 8, f_point64, NF(f_point64), "p");
	maybe_mutate(w, &c);
	cap_core_count(&c, &a.count_handles);
	d = (uint64_t)a.timeout_nsec;
	sanitize_wait(w, &c, &d, a.flags);
	a.timeout_nsec = (int64_t)d;
	do_ioctl(w, &c, a.timeout_nsec, true);
}

static void op_so_reset_signal(struct worker *w, int ci, bool signal)
{
	struct drm_syncobj_array a = {};
	struct ctx *x = &w->c[ci];
	struct call c;
	uint32_t n = 1 + rnd(&w->r, 2), i, k;
	uint32_t *h;

	call_init(w, &c, signal ? OP_SYNCOBJ_SIGNAL : OP_SYNCOBJ_RESET, ci,
		  signal ? DRM_IOCTL_SYNCOBJ_SIGNAL : DRM_IOCTL_SYNCOBJ_RESET,
		  &a, sizeof(a));
	h = so_array(w, x, n, NULL);
	if (!h)
		return;
	a.handles = (uintptr_t)h;
	a.count_handles = n;
	add_sub(&c, 0, (uint8_t *)h, 4, n, 4, f_handle32, NF(f_handle32), "h");
	maybe_mutate(w, &c);
	cap_core_count(&c, &a.count_handles);
	if (do_ioctl(w, &c, 0, false) || c.mutated)
		return;
	for (i = 0; i < n; i++)
		for (k = 0; k < x->nso; k++)
			if (x->so[k].h == h[i] && !x->so[k].timeline)
				x->so[k].fence = signal;
}

static void op_so_to_fd(struct worker *w, int ci)
{
	struct drm_syncobj_handle a = { .fd = -1 };
	struct call c;
	bool file = chance(&w->r, 60);

	call_init(w, &c, OP_SYNCOBJ_HANDLE_TO_FD, ci, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		  &a, sizeof(a));
	a.handle = so_handle(w, &w->c[ci]);
	a.flags = file ? DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE : 0;
	maybe_mutate(w, &c);
	if (do_ioctl(w, &c, 0, false) || c.out_lost)
		return;
	xfd_add(w, a.fd, a.flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE ?
		X_SYNC_FILE : X_SYNCOBJ_FD, 0);
}

static void op_so_from_fd(struct worker *w, int ci)
{
	struct drm_syncobj_handle a = {};
	struct ctx *x = &w->c[ci];
	struct xfd *xf = w->nx ? &w->x[rnd(&w->r, w->nx)] : NULL;
	struct call c;
	bool file;

	call_init(w, &c, OP_SYNCOBJ_FD_TO_HANDLE, ci, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		  &a, sizeof(a));
	a.fd = xf ? xf->fd : -1;
	file = xf && xf->kind == X_SYNC_FILE;
	if (file) {
		struct so *s = pick_so(w, x);

		a.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
		a.handle = s && !s->timeline ? s->h : 0;
	}
	maybe_mutate(w, &c);
	if (do_ioctl(w, &c, 0, false) || c.out_lost || c.mutated)
		return;
	if (file) {
		struct so *s;

		for (s = x->so; s < x->so + x->nso; s++)
			if (s->h == a.handle)
				s->fence = true;
	} else if (x->nso < MAXSO) {
		x->so[x->nso++] = (struct so){ .h = a.handle };
	}
}

static void op_prime_to_fd(struct worker *w, int ci)
{
	struct drm_prime_handle a = { .fd = -1 };
	struct ctx *x = &w->c[ci];
	struct bo *b = pick_bo(w, x, 0);
	struct call c;

	call_init(w, &c, OP_PRIME_HANDLE_TO_FD, ci, DRM_IOCTL_PRIME_HANDLE_TO_FD,
		  &a, sizeof(a));
	a.handle = b ? b->h : bo_handle(w, x);
	a.flags = DRM_CLOEXEC | (chance(&w->r, 70) ? DRM_RDWR : 0);
	maybe_mutate(w, &c);
	if (do_ioctl(w, &c, 0, false) || c.out_lost)
		return;
	/* the shared file's table may be stale: no size, the import is
	 * then not tracked */
	xfd_add(w, a.fd, X_DMABUF, b && !c.mutated && !x->shared ? b->size : 0);
}

static void op_prime_from_fd(struct worker *w, int ci)
{
	struct drm_prime_handle a = {};
	struct ctx *x = &w->c[ci];
	struct xfd *xf = w->nx ? &w->x[rnd(&w->r, w->nx)] : NULL;
	struct call c;

	call_init(w, &c, OP_PRIME_FD_TO_HANDLE, ci, DRM_IOCTL_PRIME_FD_TO_HANDLE,
		  &a, sizeof(a));
	a.fd = xf ? xf->fd : -1;
	maybe_mutate(w, &c);
	if (do_ioctl(w, &c, 0, false) || c.out_lost || c.mutated || !xf)
		return;
	if (!bo_find(x, a.handle) && x->nbo < MAXBO && xf->kind == X_DMABUF &&
	    xf->size && xf->size <= BIG_BO)
		x->bo[x->nbo++] = (struct bo){ .h = a.handle, .size = xf->size };
}

static void op_version(struct worker *w, int ci)
{
	struct drm_version a = {};
	struct call c;
	char *buf;

	call_init(w, &c, OP_VERSION, ci, DRM_IOCTL_VERSION, &a, sizeof(a));
	buf = (char *)scratch_get(w, 3 * 64);
	if (!buf)
		return;
	a.name = buf;
	a.name_len = rnd(&w->r, 64);
	a.date = buf + 64;
	a.date_len = rnd(&w->r, 64);
	a.desc = buf + 128;
	a.desc_len = rnd(&w->r, 64);
	maybe_mutate(w, &c);
	do_ioctl(w, &c, 0, false);
}

/*
 * DRM_IOCTL_RBNN_ADMIN: a scrub of a random tile (anyone's), now and then
 * a card reset, a bad op, flags or tile. Without CAP_SYS_ADMIN, the same
 * calls, which must all fail with -EPERM (contract_unprivileged()).
 */
static void op_admin(struct worker *w, int ci)
{
	struct drm_rbnn_admin a = {};
	struct call c;
	uint32_t p = rnd(&w->r, 100);
	int ret;

	call_init(w, &c, OP_ADMIN, ci, DRM_IOCTL_RBNN_ADMIN, &a, sizeof(a));
	a.op = DRM_RBNN_ADMIN_SCRUB;
	a.tile = rnd(&w->r, w->dev.tiles);
	if (p < 2) {
		a.op = DRM_RBNN_ADMIN_RESET;
		a.tile = 0;
	} else if (p < 6) {
		a.op = (uint32_t[]){ 0, 3, 0xffffffffu }[rnd(&w->r, 3)];
	} else if (p < 9) {
		a.tile = w->dev.tiles + rnd(&w->r, 2) * 1000;
	} else if (p < 11) {
		a.flags = 1u << rnd(&w->r, 32);
	}
	maybe_mutate(w, &c);
	/*
	 * A scrub waits for its job, which may queue behind jobs gated by
	 * this worker's own vgem fence: the gate holder does not scrub.
	 */
	if (w->gate_ctx >= 0 && a.op == DRM_RBNN_ADMIN_SCRUB &&
	    !w->ws->unprivileged) {
		a.op = 0;
		note(&c, "(no scrub while holding a gate) ");
	}
	ret = do_ioctl(w, &c, 0, false);
	if (ret == 1)
		return;
	w->ws->admin_calls++;
	if (!ret)
		w->ws->admin_ok++;
	if (ret == -EPERM)
		w->ws->admin_eperm++;
	if (w->ws->unprivileged)
		return;
	/* What the kernel read (kernel_view()): did it reset or submit? */
	if (a.op == DRM_RBNN_ADMIN_RESET && !a.tile && !a.flags &&
	    (!ret || (ret == -EFAULT && c.place == P_RO)))
		w->ws->resets_ok++;	/* an upper bound, as the check needs */
	if (a.op == DRM_RBNN_ADMIN_SCRUB && !a.flags && a.tile < w->dev.tiles) {
		if (!ret)
			w->ws->submits_ok++;
		else if (ret == -EINTR || ret == -EFAULT || ret == -ENOMEM ||
			 ret == -EBUSY)
			w->ws->submits_uncertain++;
	}
}

/* Drop CAP_SYS_ADMIN from every set of this process; uid stays 0. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
	unsigned int i = CAP_SYS_ADMIN / 32;
	uint32_t bit = 1u << (CAP_SYS_ADMIN % 32);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[i].effective &= ~bit;
	d[i].permitted &= ~bit;
	d[i].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) && errno != EINVAL)
		return -errno;
	return 0;
}

/* ---- a small network for EXEC -------------------------------------------------- */

/* The file's staging BO (weights and thresholds), mapped. */
static struct bo *stage_bo(struct worker *w, int ci)
{
	struct ctx *x = &w->c[ci];
	struct drm_rbnn_bo_create a = { .size = 65536 };
	struct drm_rbnn_bo_info i = {};
	struct call c;
	void *p;
	int ret;

	if (x->stage.map)
		return &x->stage;
	call_init(w, &c, OP_BO_CREATE, ci, DRM_IOCTL_RBNN_BO_CREATE, &a, sizeof(a));
	note(&c, "stage");
	if (do_ioctl(w, &c, 0, false))
		return NULL;
	call_init(w, &c, OP_BO_INFO, ci, DRM_IOCTL_RBNN_BO_INFO, &i, sizeof(i));
	i.handle = a.handle;
	if (do_ioctl(w, &c, 0, false) ||
	    !sys_begin(w, OP_MMAP, x->fd, "f%d stage", ci)) {
		bo_close_handle(w, ci, a.handle);
		return NULL;
	}
	p = mmap(NULL, i.size, PROT_READ | PROT_WRITE, MAP_SHARED, x->fd,
		 (off_t)i.mmap_offset);
	ret = p == MAP_FAILED ? -errno : 0;
	rec_end(w, ret);
	if (ret) {
		bo_close_handle(w, ci, a.handle);
		return NULL;
	}
	x->stage = (struct bo){ .h = a.handle, .size = i.size,
				.offset = i.mmap_offset, .map = p, .maplen = i.size };
	return &x->stage;
}

/* Consecutive free rows for @n outputs on a tile of the file. */
static bool place_rows(struct ctx *x, uint32_t rows, uint32_t n, uint32_t *tile,
		       uint32_t *row)
{
	uint32_t i;

	for (i = 0; i < x->ntile; i++) {
		if (x->rows_used[i] + n <= rows) {
			*tile = x->tile[i];
			*row = x->rows_used[i];
			x->rows_used[i] += n;
			return true;
		}
	}
	return false;
}

/* PROGRAM one segment's rows from the staging BO (no mutation). */
static int program_seg(struct worker *w, int ci, const struct drm_rbnn_segment *s,
		       uint32_t ridx, bool thr)
{
	struct drm_rbnn_program a = {};
	struct ctx *x = &w->c[ci];
	uint32_t rb = w->dev.row_bytes;
	struct call c;
	int ret;

	call_init(w, &c, OP_PROGRAM, ci, DRM_IOCTL_RBNN_PROGRAM, &a, sizeof(a));
	note(&c, "net");
	a.tile = s->tile;
	a.row = s->row;
	a.nrows = s->out_count;
	a.weights_handle = x->stage.h;
	a.weights_offset = (uint64_t)ridx * rb;
	if (thr) {
		a.thresh_handle = x->stage.h;
		a.thresh_offset = 32768 + 4ull * ridx;
	}
	if (chance(&w->r, 20))
		a.flags = DRM_RBNN_PROGRAM_VERIFY;
	ret = do_ioctl(w, &c, 0, false);
	if (ret == 1)
		return ret;
	submitted(w, &c, ret, a.seqno, &a.syncs);
	if (ret == -ENOENT) {
		/* the staging BO was closed under us (a mutated GEM_CLOSE) */
		orphan_map(w, x->stage.map, x->stage.maplen);
		memset(&x->stage, 0, sizeof(x->stage));
	}
	return ret;
}

/* Write the rows of one (layer, block, outputs) segment into the stage. */
static void stage_seg(struct worker *w, struct ctx *x, const struct sel_layer *sl,
		      uint32_t first, uint32_t cnt, uint32_t b, uint32_t ridx)
{
	uint32_t rb = w->dev.row_bytes, r;

	for (r = 0; r < cnt; r++) {
		sel_weight_row(sl, first + r, b, w->dev.cols,
			       x->stage.map + (size_t)(ridx + r) * rb);
		memcpy(x->stage.map + 32768 + 4 * (ridx + r), &sl->thr[first + r], 4);
	}
}

/*
 * Load a random small network on the file's tiles: one PROGRAM per
 * segment (a (layer, block) pair, sometimes cut in two). Its EXEC arrays
 * are kept for op_exec.
 */
static void net_load(struct worker *w, int ci)
{
	struct ctx *x = &w->c[ci];
	struct net *nt = &x->net;
	uint32_t i, b, ridx = 0, rows = w->dev.rows;

	if (!x->ntile || !stage_bo(w, ci))
		return;
	sel_net_free(&nt->n);
	nt->ok = false;
	nt->nseg = 0;
	sel_rng_state = rnd64(&w->r) | 1;	/* the net is the seed's too */
	sel_net_random(&nt->n, 12);
	if (sel_net_rows(&nt->n, w->dev.cols) * (w->dev.row_bytes + 4) > 32768)
		return;
	for (i = 0; i < x->ntile; i++)
		x->rows_used[i] = 0;
	for (i = 0; i < nt->n.nlayers; i++) {
		const struct sel_layer *sl = &nt->n.layers[i];
		uint32_t O = sl->l.out_channels;
		uint32_t nb = sl->fanin ? SEL_DIV_UP(sl->fanin, w->dev.cols) : 0;

		nt->L[i] = sl->l;
		nt->L[i].seg_count = 0;
		for (b = 0; b < nb; b++) {
			uint32_t first = 0;

			while (first < O) {
				uint32_t cnt = O - first;
				struct drm_rbnn_segment *s = &nt->S[nt->nseg];
				bool thr = b == 0 && sl->l.out_mode == DRM_RBNN_OUT_BITS;

				if (cnt > 1 && chance(&w->r, 20))
					cnt = 1 + rnd(&w->r, cnt - 1);
				if (nt->nseg == MAXSEG ||
				    !place_rows(x, rows, cnt, &s->tile, &s->row))
					return;
				s->out_first = first;
				s->out_count = cnt;
				s->block = b;
				s->reserved = 0;
				stage_seg(w, x, sl, first, cnt, b, ridx);
				if (program_seg(w, ci, s, ridx, thr))
					return;
				nt->nseg++;
				nt->L[i].seg_count++;
				ridx += cnt;
				first += cnt;
			}
		}
	}
	nt->ok = true;
}

/*
 * A one-layer FC network whose rows were never programmed (on a live card
 * the EXEC gets -EACCES; on an unplugged one -ENODEV): so EXEC is called
 * even when no network could be loaded.
 */
static void unloaded_net(struct worker *w, struct ctx *x)
{
	struct net *nt = &x->net;
	uint32_t o = 1 + rnd(&w->r, 8);

	sel_net_free(&nt->n);
	sel_rng_state = rnd64(&w->r) | 1;
	sel_net_init(&nt->n, 1 + rnd(&w->r, 8), 1 + rnd(&w->r, 16), 1);
	sel_net_add(&nt->n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, o, 0, 0, 0);
	nt->L[0] = nt->n.layers[0].l;
	nt->L[0].seg_count = 1;
	nt->S[0] = (struct drm_rbnn_segment){ .tile = own_tile(w, x),
		.row = rnd(&w->r, w->dev.rows - o), .out_count = o };
	nt->nseg = 1;
}

/* An object of the file for @bytes of EXEC input or output. */
static struct bo *io_bo(struct worker *w, int ci, uint64_t bytes)
{
	struct ctx *x = &w->c[ci];
	struct bo *b = pick_bo(w, x, bytes);

	if (!b && x->nbo < MAXBO) {
		op_bo_create(w, ci);
		b = pick_bo(w, x, bytes);
	}
	return b;
}

static void op_exec(struct worker *w, int ci)
{
	struct drm_rbnn_exec a = {};
	struct ctx *x = &w->c[ci];
	struct net *nt = &x->net;
	uint32_t ls = sizeof(struct drm_rbnn_layer), ss = sizeof(struct drm_rbnn_segment);
	uint32_t i, batch = 1 + rnd(&w->r, 4);
	uint8_t *L, *S;
	struct bo *in, *out;
	struct call c;
	int ret;

	if (!nt->ok && chance(&w->r, 80))
		net_load(w, ci);
	if (!nt->ok) {
		if (chance(&w->r, 60))
			return;
		unloaded_net(w, x);
	}
	if (chance(&w->r, 10))
		ls += 4 * (1 + rnd(&w->r, 4));	/* larger elements, zero tails */
	if (chance(&w->r, 10))
		ss += 4 * (1 + rnd(&w->r, 4));
	in = io_bo(w, ci, batch * nt->n.in_bytes);
	out = io_bo(w, ci, batch * nt->n.out_bytes);
	call_init(w, &c, OP_EXEC, ci, DRM_IOCTL_RBNN_EXEC, &a, sizeof(a));
	L = scratch_get(w, ls * nt->n.nlayers);
	S = scratch_get(w, ss * (nt->nseg ? nt->nseg : 1));
	if (!L || !S || !in || !out)
		return;
	memset(L, 0, ls * nt->n.nlayers);
	memset(S, 0, ss * (nt->nseg ? nt->nseg : 1));
	for (i = 0; i < nt->n.nlayers; i++)
		memcpy(L + i * ls, &nt->L[i], sizeof(nt->L[i]));
	for (i = 0; i < nt->nseg; i++)
		memcpy(S + i * ss, &nt->S[i], sizeof(nt->S[i]));
	a.layers = (uintptr_t)L;
	a.layer_count = nt->n.nlayers;
	a.layer_stride = ls;
	a.segments = (uintptr_t)S;
	a.seg_count = nt->nseg;
	a.seg_stride = ss;
	a.in_channels = nt->n.in_channels;
	a.in_length = nt->n.in_length;
	a.in_bits = nt->n.in_bits;
	a.batch = batch;
	a.in_handle = in->h;
	a.out_handle = out->h;
	if (in == out)
		a.out_offset = (batch * nt->n.in_bytes + 7) & ~7ull;
	if (in->map && in->maplen >= batch * nt->n.in_bytes)
		sel_fill_random(in->map, batch * nt->n.in_bytes);
	add_sub(&c, 0, L, ls, a.layer_count, sizeof(struct drm_rbnn_layer),
		f_layer, NF(f_layer), "L");
	add_sub(&c, 3, S, ss, a.seg_count, sizeof(struct drm_rbnn_segment),
		f_segment, NF(f_segment), "S");
	build_syncs(w, &c, ci, &a.syncs, field_index(&c, "syncs.in_syncs"));
	maybe_mutate(w, &c);
	ret = do_ioctl(w, &c, 0, false);
	if (ret != 1)
		submitted(w, &c, ret, a.seqno, &a.syncs);
}

/* ---- the gate, resets ------------------------------------------------------------- */

/* Signal the gate and drop it (its syncobj too, if the file is open). */
static void gate_end(struct worker *w)
{
	struct drm_syncobj_destroy d = { .handle = w->gate.syncobj };
	int ci = w->gate_ctx;
	struct call c;

	if (ci < 0)
		return;
	sel_gate_release(&w->gate);
	if (w->c[ci].fd >= 0 && d.handle) {
		call_init(w, &c, OP_SYNCOBJ_DESTROY, ci, DRM_IOCTL_SYNCOBJ_DESTROY,
			  &d, sizeof(d));
		note(&c, "gate");
		do_ioctl(w, &c, 0, false);
	}
	sel_gate_fini(&w->gate);
	w->gate_ctx = -1;
}

/* Hold some jobs of one file behind a vgem fence for a while. */
static void gate_step(struct worker *w)
{
	struct call c;
	int ci, ret;

	if (w->gate_ctx >= 0) {
		if (w->ws->ncalls >= w->gate_until)
			gate_end(w);
		return;
	}
	if (!opt.gates || !chance(&w->r, 1))
		return;
	ci = pick_ctx(w);
	if (ci < 0)
		return;
	call_init(w, &c, OP_GATE, ci, 0, NULL, 0);
	if (!budget_left(w))
		return;
	rec_begin(w, &c);
	ret = sel_gate_init(w->c[ci].fd, &w->gate);
	rec_end(w, ret);
	if (ret) {
		if (ret == -ENODEV)
			opt.gates = false;	/* no vgem */
		return;
	}
	w->ws->gates++;
	w->gate_ctx = ci;
	w->gate_until = w->ws->ncalls + 20 + rnd(&w->r, 300);
}

/* One card reset every K calls of all workers together: each worker resets
 * every K of its own calls, the workers staggered. */
static void reset_step(struct worker *w)
{
	uint64_t k = opt.reset_every;
	int ret;

	if (!k || w->ws->ncalls < w->next_reset)
		return;
	w->next_reset += k;
	if (w->unplugged)
		find_node(w->node, sizeof(w->node));
	if (!sys_begin(w, OP_FORCE_RESET, -1, "%s", w->node))
		return;
	ret = sel_debugfs_write(w->node, "force_reset", "1");
	rec_end(w, ret);
	if (!ret)
		w->ws->resets_ok++;
}

/*
 * --unplug: a worker waits at a third of its calls until the host was
 * asked to unplug the card, at two thirds until the card is gone (the
 * calls in between race with the removal), and at five sixths until it is
 * back (the calls in between hit dead files); then it drops the dead files
 * and goes on with new ones on the card that came back.
 */
static void unplug_sync(struct worker *w)
{
	uint64_t n = w->ws->ncalls, b = w->ws->budget;
	int want = n >= b * 5 / 6 ? U_BACK : n >= b * 2 / 3 ? U_GONE :
		   n >= b / 3 ? U_DEL_ASKED : U_NONE;
	uint32_t i;

	if (!opt.unplug_id)
		return;
	while (__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) < want &&
	       !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		w->ws->last_end_ns = now_ns();	/* waiting, not stuck */
		usleep(10000);
	}
	if (want < U_BACK || w->unplug_done)
		return;
	w->unplug_done = true;
	w->unplugged = true;
	gate_end(w);
	for (i = 0; i < w->nctx; i++)
		if (w->c[i].fd >= 0 && !w->c[i].gen)
			ctx_close(w, (int)i);
}

/* ---- the worker ------------------------------------------------------------------ */

enum { W_QUERY, W_BO_CREATE, W_BO_INFO, W_MUNMAP, W_BO_WAIT, W_GEM_CLOSE,
	W_TILE_ALLOC, W_TILE_FREE, W_PROGRAM, W_READBACK, W_EXEC, W_NET,
	W_JOB_INFO, W_SO_CREATE, W_SO_DESTROY, W_SO_WAIT, W_SO_TWAIT,
	W_SO_RESET, W_SO_SIGNAL, W_SO_TO_FD, W_SO_FROM_FD, W_PRIME_TO_FD,
	W_PRIME_FROM_FD, W_VERSION, W_CLOSE, W_XCLOSE, W_ADMIN, NW };

/* How often each is chosen (per mille, roughly). */
static const uint16_t weight[NW] = {
	[W_QUERY] = 50, [W_BO_CREATE] = 45, [W_BO_INFO] = 50, [W_MUNMAP] = 15,
	[W_BO_WAIT] = 35, [W_GEM_CLOSE] = 30, [W_TILE_ALLOC] = 35,
	[W_TILE_FREE] = 20, [W_PROGRAM] = 60, [W_READBACK] = 45,
	[W_EXEC] = 140, [W_NET] = 15, [W_JOB_INFO] = 90, [W_SO_CREATE] = 30,
	[W_SO_DESTROY] = 15, [W_SO_WAIT] = 25, [W_SO_TWAIT] = 25,
	[W_SO_RESET] = 8, [W_SO_SIGNAL] = 8, [W_SO_TO_FD] = 15,
	[W_SO_FROM_FD] = 15, [W_PRIME_TO_FD] = 15, [W_PRIME_FROM_FD] = 15,
	[W_VERSION] = 8, [W_CLOSE] = 6, [W_XCLOSE] = 10, [W_ADMIN] = 5,
};

static int pick_weighted(struct worker *w)
{
	static uint32_t total;
	uint32_t v, i;

	if (!total)
		for (i = 0; i < NW; i++)
			total += weight[i];
	v = rnd(&w->r, total);
	for (i = 0; i < NW; i++) {
		if (v < weight[i])
			return (int)i;
		v -= weight[i];
	}
	return W_QUERY;
}

static void op_xclose(struct worker *w)
{
	uint32_t i;

	if (!w->nx)
		return;
	i = rnd(&w->r, w->nx);
	if (sys_begin(w, OP_CLOSE, w->x[i].fd, "xfd kind %d", w->x[i].kind))
		rec_end(w, close(w->x[i].fd) ? -errno : 0);
	w->x[i] = w->x[--w->nx];
}

static void step(struct worker *w)
{
	int ci = pick_ctx(w), what = pick_weighted(w);
	struct ctx *x;

	if (ci < 0)
		return;
	x = &w->c[ci];
	if (x->npend >= MAXPEND - 2) {
		drain_one(w, ci);
		return;
	}
	switch (what) {
	case W_QUERY: op_query(w, ci); break;
	case W_BO_CREATE: op_bo_create(w, ci); break;
	case W_BO_INFO: op_bo_info(w, ci); break;
	case W_MUNMAP: op_munmap(w, ci); break;
	case W_BO_WAIT: op_bo_wait(w, ci); break;
	case W_GEM_CLOSE: op_gem_close(w, ci); break;
	case W_TILE_ALLOC:
		/* 16 tiles among a dozen files: hold few, free some */
		if (x->ntile >= 2 && chance(&w->r, 60))
			op_tile_free(w, ci);
		else
			op_tile_alloc(w, ci);
		break;
	case W_TILE_FREE: op_tile_free(w, ci); break;
	case W_PROGRAM: op_program(w, ci); break;
	case W_READBACK: op_readback(w, ci); break;
	case W_EXEC: op_exec(w, ci); break;
	case W_NET: net_load(w, ci); break;
	case W_JOB_INFO: op_job_info(w, ci); break;
	case W_SO_CREATE: op_so_create(w, ci); break;
	case W_SO_DESTROY: op_so_destroy(w, ci); break;
	case W_SO_WAIT: op_so_wait(w, ci); break;
	case W_SO_TWAIT: op_so_twait(w, ci); break;
	case W_SO_RESET: op_so_reset_signal(w, ci, false); break;
	case W_SO_SIGNAL: op_so_reset_signal(w, ci, true); break;
	case W_SO_TO_FD: op_so_to_fd(w, ci); break;
	case W_SO_FROM_FD: op_so_from_fd(w, ci); break;
	case W_PRIME_TO_FD: op_prime_to_fd(w, ci); break;
	case W_PRIME_FROM_FD: op_prime_from_fd(w, ci); break;
	case W_VERSION: op_version(w, ci); break;
	case W_ADMIN: op_admin(w, ci); break;
	case W_CLOSE:
		/* while the card is away, keep calling on the dead files */
		if (!w->unplugged || w->unplug_done)
			ctx_close(w, ci);
		break;
	default: op_xclose(w); break;
	}
}

static int worker_setup(struct worker *w, int id, int shared_fd)
{
	uint8_t *region;
	int mfd;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->ws = &sh->w[id];
	w->r.s = opt.seed * 0x9e3779b97f4a7c15ull + (uint64_t)id * 0xd1b54a32d192ed03ull;
	w->gate_ctx = -1;
	w->gate.vgem = -1;
	w->next_reset = opt.reset_every * (id + 1) / opt.procs;
	find_node(w->node, sizeof(w->node));
	/* [scratch][hole][read-only][hole] */
	region = mmap(NULL, (SCRATCH_PAGES + 3) * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return -errno;
	w->scratch = region;
	w->hole = region + SCRATCH_PAGES * PAGE;
	w->ro = w->hole + PAGE;
	mfd = memfd_create("rbnn-fuzz-ro", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, PAGE))
		return -errno;
	w->ro_rw = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (w->ro_rw == MAP_FAILED ||
	    mmap(w->ro, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED)
		return -errno;
	close(mfd);
	if (mprotect(w->hole, PAGE, PROT_NONE) ||
	    mprotect(w->ro + PAGE, PAGE, PROT_NONE))
		return -errno;
	w->nctx = opt.fds + (shared_fd >= 0);
	for (uint32_t i = 0; i < MAXFD; i++)
		w->c[i].fd = -1;
	if (shared_fd >= 0) {
		w->c[opt.fds].fd = shared_fd;
		w->c[opt.fds].shared = true;
		w->c[opt.fds].exact = false;
	}
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	uint32_t i;

	w->cleanup = true;
	gate_end(w);
	for (i = 0; i < w->nctx; i++)
		ctx_close(w, (int)i);
	while (w->nx)
		op_xclose(w);
	for (i = 0; i < w->norph; i++) {
		if (sys_begin(w, OP_MUNMAP, -1, "orphan %p (read first)",
			      (void *)w->orph[i].p)) {
			volatile uint8_t s = w->orph[i].p[0] +
					     w->orph[i].p[w->orph[i].len - 1];

			(void)s;
			rec_end(w, munmap(w->orph[i].p, w->orph[i].len) ? -errno : 0);
		}
	}
	w->norph = 0;
}

static struct wshared *fault_ws;

/* A fault in a worker: keep where it was for the parent, then die of it. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (fault_ws) {
		fault_ws->sig = sig;
		fault_ws->si_code = si->si_code;
		fault_ws->fault_addr = (uintptr_t)si->si_addr;
		fault_ws->nframes = backtrace(fault_ws->frames, 24);
	}
	raise(sig);
}

static void catch_faults(struct wshared *ws)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO | SA_RESETHAND };
	void *warm[1];

	backtrace(warm, 1);	/* resolve it now, not in the handler */
	fault_ws = ws;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static int worker_main(int id, int shared_fd)
{
	static struct worker w;
	int ret, fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	catch_faults(&sh->w[id]);
	ret = worker_setup(&w, id, shared_fd);
	if (ret) {
		snprintf(w.ws->why, sizeof(w.ws->why), "setup: %s", strerror(-ret));
		return 2;
	}
	if (id % 2) {
		ret = drop_sys_admin();
		if (ret) {
			snprintf(w.ws->why, sizeof(w.ws->why),
				 "dropping CAP_SYS_ADMIN: %s", strerror(-ret));
			return 2;
		}
		w.ws->unprivileged = 1;
		contract_unprivileged();
	}
	fd = open(w.node, O_RDWR | O_CLOEXEC);
	if (fd < 0 || sel_query(fd, DRM_RBNN_QUERY_DEVICE, &w.dev, sizeof(w.dev))) {
		snprintf(w.ws->why, sizeof(w.ws->why), "cannot query %s", w.node);
		return 2;
	}
	close(fd);
	w.ws->started = 1;
	while (budget_left(&w)) {
		unplug_sync(&w);
		reset_step(&w);
		gate_step(&w);
		step(&w);
	}
	worker_cleanup(&w);
	w.ws->finished = 1;
	return 0;
}

/* ---- the parent: reports ----------------------------------------------------------- */

static void fmt_rec(const struct call_rec *r, char *buf, size_t len)
{
	const struct op_desc *d = r->op < NOPS ? &op_desc[r->op] : NULL;
	bool first = true;
	size_t n;
	uint32_t i;

	n = (size_t)snprintf(buf, len, "%s fd %d req %#llx -> %d (%s), %.3f s: %s",
			     r->op < NOPS ? op_name[r->op] : "?", r->fd,
			     (unsigned long long)r->req, r->ret,
			     r->ret ? strerrorname_np(-r->ret) ?: "?" : "ok",
			     r->dur_ns / 1e9, r->note);
	for (i = 0; d && d->f && i < d->nf && n < len; i++) {
		const struct field *f = &d->f[i];

		if (f->off + f->size > r->len || f->kind == K_OUT)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%#llx", first ? "{" : " ",
				      f->name, (unsigned long long)get_field(r->arg, f));
		first = false;
	}
	if (!first && n < len)
		snprintf(buf + n, len - n, "}");
}

static void print_rec(const char *what, const struct call_rec *r)
{
	char buf[1024];

	fmt_rec(r, buf, sizeof(buf));
	printf("# %s%s\n", what, buf);
}

static void print_finding(int wi, const char *what, const struct finding *f)
{
	if (!f->count)
		return;
	printf("# worker %d: %u %s; first: %s\n", wi, f->count, what, f->why);
	if (f->first.op || f->first.req)
		print_rec("  call: ", &f->first);
}

static void print_fault(const struct wshared *w)
{
	int i;

	printf("# fault: signal %d code %d at address %#llx; backtrace (addr2line -e rbnn_ioctl_fuzz):",
	       w->sig, w->si_code, (unsigned long long)w->fault_addr);
	for (i = 0; i < w->nframes && i < 24; i++)
		printf(" %p", w->frames[i]);
	printf("\n");
}

static void print_ring(int wi)
{
	struct wshared *ws = &sh->w[wi];
	uint32_t i, n = ws->ring_pos < RING ? ws->ring_pos : RING;

	printf("# worker %d: its last %u calls:\n", wi, n);
	for (i = ws->ring_pos - n; i != ws->ring_pos; i++)
		print_rec("  ", &ws->ring[i % RING]);
}

/* The worker's kernel stack, and every blocked task into the kernel log. */
static void dump_stuck(pid_t pid)
{
	char p[64], buf[4096], *s, *e;

	snprintf(p, sizeof(p), "/proc/%d/stack", pid);
	if (sel_read_file(p, buf, sizeof(buf)) > 0) {
		for (s = buf; *s; s = e + 1) {
			e = strchrnul(s, '\n');
			printf("#   %.*s\n", (int)(e - s), s);
			if (!*e)
				break;
		}
	}
	sel_write_file("/proc/sysrq-trigger", "w");
}

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "ok";

	return n ? n : "E?";
}

/* Per call: how many, and what came back. */
static void print_stats(void)
{
	uint32_t op, e, wi;

	for (op = 0; op < NOPS; op++) {
		uint64_t n = 0, cnt[NERR + 1] = {};
		char line[1024];
		size_t len;

		for (wi = 0; wi < opt.procs; wi++) {
			n += sh->w[wi].calls[op];
			for (e = 0; e <= NERR; e++)
				cnt[e] += sh->w[wi].err[op][e];
		}
		if (!n)
			continue;
		len = (size_t)snprintf(line, sizeof(line), "# %-22s %8llu:", op_name[op],
				       (unsigned long long)n);
		for (e = 0; e <= NERR && len < sizeof(line); e++)
			if (cnt[e])
				len += (size_t)snprintf(line + len, sizeof(line) - len,
							" %s %llu", e == NERR ? "other" : ename((int)e),
							(unsigned long long)cnt[e]);
		puts(line);
	}
}

/* ---- the parent: checks after the run ----------------------------------------------- */

static int ktap_n, ktap_fail, ktap_skip;

static void ktap(int ok, const char *name, const char *skip_why)
{
	ktap_n++;
	if (skip_why) {
		printf("ok %d %s # SKIP %s\n", ktap_n, name, skip_why);
		ktap_skip++;
	} else {
		printf("%s %d %s\n", ok ? "ok" : "not ok", ktap_n, name);
		ktap_fail += !ok;
	}
	fflush(stdout);
}

static int wait_card(char *node, size_t len, unsigned int ms)
{
	uint64_t t0 = now_ns();
	int fd;

	for (;;) {
		find_node(node, len);
		fd = node[0] ? open(node, O_RDWR | O_CLOEXEC) : -1;
		if (fd >= 0)
			return fd;
		if (now_ns() - t0 > ms * 1000000ull)
			return -1;
		usleep(50000);
	}
}

static bool tiles_all_free(int fd, unsigned int ms, struct sel_tiles *t)
{
	uint64_t t0 = now_ns();
	uint32_t i, busy;

	for (;;) {
		busy = 0;
		if (sel_query_tiles(fd, t))
			return false;
		for (i = 0; i < t->hdr.count; i++)
			busy += t->t[i].state != DRM_RBNN_TILE_STATE_FREE;
		if (!busy)
			return true;
		if (now_ns() - t0 > ms * 1000000ull)
			return false;
		usleep(20000);
	}
}

static void check_tiles(int fd, const char *node)
{
	static struct sel_tiles t;
	char p[PATH_MAX], d[PATH_MAX - 64], buf[8192];
	uint32_t i;
	bool ok = tiles_all_free(fd, 10000, &t);

	if (!ok) {
		for (i = 0; i < t.hdr.count && i < SEL_MAX_TILES; i++)
			if (t.t[i].state != DRM_RBNN_TILE_STATE_FREE)
				printf("# tile %u: state %u after every file closed\n", i,
				       t.t[i].state);
		sel_debugfs_dir(node, d, sizeof(d));
		snprintf(p, sizeof(p), "%s/tiles", d);
		if (sel_read_file(p, buf, sizeof(buf)) > 0)
			printf("# debugfs tiles:\n%s", buf);
	}
	ktap(ok, "no_tile_owned_after_close", NULL);
}

static void check_counters(int fd, const char *node,
			   const struct drm_rbnn_query_counters *c0, bool replugged)
{
	struct drm_rbnn_query_counters c1;
	uint64_t ok = 0, unc = 0, resets = 0, t0 = now_ns(), sub;
	long long alive = 0;
	uint32_t wi;
	bool good = true;

	for (wi = 0; wi < opt.procs; wi++) {
		ok += sh->w[wi].submits_ok;
		unc += sh->w[wi].submits_uncertain;
		resets += sh->w[wi].resets_ok;
	}
	do {
		if (sel_counters(fd, &c1))
			break;
		alive = sel_debugfs_field(node, "status", "jobs_alive");
		if (c1.jobs_submitted == c1.jobs_completed + c1.jobs_failed && alive <= 0)
			break;
		usleep(20000);
	} while (now_ns() - t0 < 10 * NS);
	if (replugged)
		printf("# jobs on the card that came back: submitted %llu, completed %llu, failed %llu, alive %lld (the fuzzer counted %llu on both)\n",
		       (unsigned long long)c1.jobs_submitted,
		       (unsigned long long)c1.jobs_completed,
		       (unsigned long long)c1.jobs_failed, alive,
		       (unsigned long long)ok);
	else
		printf("# jobs: submitted %llu (the fuzzer counted %llu, %llu more maybe), completed %llu, failed %llu, alive %lld; recoveries %llu (%llu resets asked)\n",
		       (unsigned long long)(c1.jobs_submitted - c0->jobs_submitted),
		       (unsigned long long)ok, (unsigned long long)unc,
		       (unsigned long long)(c1.jobs_completed - c0->jobs_completed),
		       (unsigned long long)(c1.jobs_failed - c0->jobs_failed), alive,
		       (unsigned long long)(c1.recoveries - c0->recoveries),
		       (unsigned long long)resets);
	if (c1.jobs_submitted != c1.jobs_completed + c1.jobs_failed) {
		printf("# %llu jobs neither completed nor failed\n",
		       (unsigned long long)(c1.jobs_submitted - c1.jobs_completed -
					    c1.jobs_failed));
		good = false;
	}
	if (alive > 0) {
		printf("# debugfs: %lld jobs still alive\n", alive);
		good = false;
	}
	if (!replugged) {
		sub = c1.jobs_submitted - c0->jobs_submitted;
		if (sub < ok || sub > ok + unc) {
			printf("# the driver counted %llu submissions, the fuzzer %llu..%llu\n",
			       (unsigned long long)sub, (unsigned long long)ok,
			       (unsigned long long)(ok + unc));
			good = false;
		}
		if (c1.recoveries - c0->recoveries > resets) {
			printf("# %llu recoveries nobody asked for (a job hung?)\n",
			       (unsigned long long)(c1.recoveries - c0->recoveries - resets));
			good = false;
		}
		if (resets && c1.recoveries == c0->recoveries) {
			printf("# %llu resets asked, no recovery\n", (unsigned long long)resets);
			good = false;
		}
	}
	ktap(good, "counters_consistent", NULL);
}

/* ADMIN: -EPERM without CAP_SYS_ADMIN, some successes with it. */
static void check_admin(void)
{
	uint64_t pc = 0, pok = 0, uc = 0, uok = 0, uperm = 0;
	uint32_t wi;

	for (wi = 0; wi < opt.procs; wi++) {
		const struct wshared *w = &sh->w[wi];

		if (w->unprivileged) {
			uc += w->admin_calls;
			uok += w->admin_ok;
			uperm += w->admin_eperm;
		} else {
			pc += w->admin_calls;
			pok += w->admin_ok;
		}
	}
	printf("# ADMIN: with CAP_SYS_ADMIN %llu calls, %llu ok; without %llu calls, %llu -EPERM, %llu ok\n",
	       (unsigned long long)pc, (unsigned long long)pok,
	       (unsigned long long)uc, (unsigned long long)uperm,
	       (unsigned long long)uok);
	if (opt.procs < 2) {
		ktap(1, "admin_needs_cap", "needs --procs 2 or more");
		return;
	}
	ktap(pok > 0 && uperm > 0 && uok == 0, "admin_needs_cap", NULL);
}

/* A fresh file: two random networks, results against the reference. */
static void check_exec(const char *node)
{
	struct drm_rbnn_query_device dev;
	struct drm_rbnn_query_model m = {};
	uint32_t tiles[4], k, bad = 0, ran = 0;
	int fd = sel_open(node), ret = 0;

	if (fd < 0 || sel_query(fd, DRM_RBNN_QUERY_DEVICE, &dev, sizeof(dev)) ||
	    sel_query(fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m))) {
		printf("# fresh file on %s: %d\n", node, fd);
		ktap(0, "fresh_fd_exec_exact", NULL);
		return;
	}
	if (m.error_model) {
		close(fd);
		ktap(1, "fresh_fd_exec_exact", "needs a card with error-model=off");
		return;
	}
	sel_seed(opt.seed);
	ret = sel_tile_alloc(fd, 4, tiles);
	for (k = 0; !ret && k < 2; k++) {
		struct sel_net n;
		struct sel_placed pl;
		struct sel_bo in, out;
		uint64_t s;

		for (;;) {
			sel_net_random(&n, 24);
			if (sel_net_rows(&n, dev.cols) <= 2 * dev.rows - 8)
				break;
			sel_net_free(&n);
		}
		ret = sel_net_load(fd, &dev, &n, tiles + 2 * k, 2, 0, 1 + k * 4, &pl);
		ret = ret ? ret : sel_bo_new(fd, 16 * n.in_bytes, &in);
		ret = ret ? ret : sel_bo_new(fd, 16 * n.out_bytes, &out);
		if (!ret) {
			sel_fill_random(in.map, in.size);
			ret = sel_net_exec(fd, &n, &pl, 16, &in, 0, &out, 0, &s);
			ret = ret ? ret : sel_job_status(fd, s, 20000);
			bad += ret ? 0 : sel_net_check(&n, 16, in.map, out.map);
			ran += !ret;
			sel_bo_del(fd, &in);
			sel_bo_del(fd, &out);
		}
		sel_placed_free(&pl);
		sel_net_free(&n);
	}
	close(fd);
	if (ret || bad)
		printf("# fresh file: %d, %u of %u items wrong\n", ret, bad, 16 * ran);
	ktap(!ret && !bad && ran == 2, "fresh_fd_exec_exact", NULL);
}

/* ---- the parent: running the workers ------------------------------------------------- */

struct unplug {
	char sysdir[PATH_MAX];
	uint64_t t0, gone_ms, back_ms;
	bool failed;
};

static void host_request(const char *cmd, const char *arg)
{
	fflush(stdout);
	printf("# RBNN-VM-HOST: %s %s\n", cmd, arg);
	fflush(stdout);
}

/* Have all workers made @num/@den of their calls (or stopped)? */
static bool workers_at(const bool *gone, uint64_t num, uint64_t den)
{
	uint32_t wi;

	for (wi = 0; wi < opt.procs; wi++)
		if (!gone[wi] && !sh->w[wi].finished &&
		    sh->w[wi].ncalls < sh->w[wi].budget * num / den)
			return false;
	return true;
}

static void set_phase(int p)
{
	__atomic_store_n(&sh->phase, p, __ATOMIC_RELEASE);
}

/* The host unplugs the card once every worker is a third of the way
 * through, and plugs it back once they made their calls on dead files. */
static void unplug_step(struct unplug *u, const bool *gone)
{
	char cards[8][64];
	uint64_t t = now_ns();

	switch (sh->phase) {
	case U_NONE:
		if (!workers_at(gone, 1, 3))
			return;
		host_request("device_del", opt.unplug_id);
		u->t0 = t;
		set_phase(U_DEL_ASKED);
		return;
	case U_DEL_ASKED:
		if (!access(u->sysdir, F_OK)) {
			if (t - u->t0 > 30 * NS) {
				printf("# the card did not leave within 30 s\n");
				u->failed = true;
				set_phase(U_BACK);
			}
			return;
		}
		u->gone_ms = (t - u->t0) / 1000000;
		set_phase(U_GONE);
		return;
	case U_GONE:
		if (!workers_at(gone, 5, 6))
			return;
		if (!opt.replug_spec) {
			set_phase(U_BACK);
			return;
		}
		host_request("device_add", opt.replug_spec);
		u->t0 = t;
		set_phase(U_ADD_ASKED);
		return;
	case U_ADD_ASKED:
		if (sel_list_cards(cards, 8) > 0) {
			u->back_ms = (t - u->t0) / 1000000;
			set_phase(U_BACK);
		} else if (t - u->t0 > 30 * NS) {
			printf("# the card did not come back within 30 s\n");
			u->failed = true;
			set_phase(U_BACK);
		}
		return;
	default:
		return;
	}
}

struct wstate {
	pid_t pid;
	int status;
	uint64_t hung_at;
	bool exited, hung;
};

static uint64_t total_calls(void)
{
	uint64_t n = 0;
	uint32_t wi;

	for (wi = 0; wi < opt.procs; wi++)
		n += __atomic_load_n(&sh->w[wi].ncalls, __ATOMIC_RELAXED);
	return n;
}

/* Watch the workers until they are all gone. */
static void supervise(struct wstate *ws, struct unplug *u)
{
	uint64_t hang = opt.hang_ms * 1000000ull, next = opt.calls / 10, t;
	uint32_t wi, left = opt.procs;

	while (left) {
		usleep(20000);
		t = now_ns();
		for (wi = 0; wi < opt.procs; wi++) {
			struct wshared *w = &sh->w[wi];
			uint64_t st = __atomic_load_n(&w->cur.start_ns, __ATOMIC_ACQUIRE);
			uint64_t last = w->last_end_ns;

			if (ws[wi].exited)
				continue;
			if (waitpid(ws[wi].pid, &ws[wi].status, WNOHANG) == ws[wi].pid) {
				ws[wi].exited = true;
				left--;
				continue;
			}
			if (ws[wi].hung)
				continue;
			/* @t was read before these: a younger call is not late */
			if ((st && st < t && t - st > hang) ||
			    (!st && w->started && last && last < t && t - last > hang)) {
				ws[wi].hung = true;
				ws[wi].hung_at = t;
				printf("# worker %u (pid %d): %s for %.1f s\n", wi,
				       ws[wi].pid, st ? "a call did not return" :
				       "no call", (t - (st ? st : last)) / 1e9);
				if (st)
					print_rec("  hung call: ", &w->cur);
				dump_stuck(ws[wi].pid);
				kill(ws[wi].pid, SIGKILL);
			}
		}
		if (opt.unplug_id) {
			bool gone[64];

			for (wi = 0; wi < opt.procs; wi++)
				gone[wi] = ws[wi].exited || ws[wi].hung;
			unplug_step(u, gone);
		}
		if (opt.max_s && t - sh->t0_ns > opt.max_s * NS &&
		    !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
			printf("# --max-seconds %u reached: stopping\n", opt.max_s);
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
		}
		if (total_calls() >= next && next) {
			printf("# progress: %llu calls, %.1f s\n",
			       (unsigned long long)total_calls(), (t - sh->t0_ns) / 1e9);
			fflush(stdout);
			next += opt.calls / 10;
		}
		/* a hung worker in D state cannot die: give up on it */
		for (wi = 0; wi < opt.procs; wi++)
			if (ws[wi].hung && !ws[wi].exited && t - ws[wi].hung_at > 20 * NS) {
				printf("# worker %u does not die: left behind\n", wi);
				ws[wi].exited = true;
				ws[wi].status = -1;
				left--;
			}
	}
	while (opt.unplug_id && sh->phase != U_BACK) {
		bool gone[64];

		for (wi = 0; wi < opt.procs; wi++)
			gone[wi] = true;
		unplug_step(u, gone);
		usleep(50000);
	}
}

static void report_workers(const struct wstate *ws)
{
	bool ok = true, hung = false;
	uint64_t n = 0, m = 0;
	uint32_t wi;

	for (wi = 0; wi < opt.procs; wi++) {
		struct wshared *w = &sh->w[wi];
		int st = ws[wi].status;

		hung |= ws[wi].hung;
		n += w->ncalls;
		m += w->cleanup_calls;
		if (ws[wi].hung)
			continue;
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) || !w->finished) {
			ok = false;
			if (st != -1 && WIFSIGNALED(st))
				printf("# worker %u killed by signal %d (%s)\n", wi,
				       WTERMSIG(st), strsignal(WTERMSIG(st)));
			if (w->sig)
				print_fault(w);
			else
				printf("# worker %u: exit status %#x, %s\n", wi, st,
				       w->why[0] ? w->why : "did not finish");
			print_ring((int)wi);
		}
	}
	ktap(ok, "workers_exited", NULL);
	for (wi = 0; wi < opt.procs; wi++)
		if (ws[wi].hung)
			print_ring((int)wi);
	ktap(!hung, "no_hung_call", NULL);
	if (n != opt.calls)
		printf("# %llu of %llu calls made\n", (unsigned long long)n,
		       (unsigned long long)opt.calls);
	ktap(n == opt.calls, "all_calls_made", NULL);
	printf("# %llu more calls closing everything at the end\n",
	       (unsigned long long)m);
}

static void report_findings(void)
{
	uint32_t wi, bad = 0, slow = 0, st = 0;
	uint64_t polls = 0, maxp = 0, seen[4] = {};

	for (wi = 0; wi < opt.procs; wi++) {
		struct wshared *w = &sh->w[wi];

		print_finding((int)wi, "undocumented results", &w->bad_result);
		print_finding((int)wi, "slow polls", &w->slow_poll);
		print_finding((int)wi, "jobs with an undocumented status", &w->bad_status);
		bad += w->bad_result.count;
		slow += w->slow_poll.count;
		st += w->bad_status.count;
		polls += w->polls;
		if (w->max_poll_ns > maxp)
			maxp = w->max_poll_ns;
		for (int k = 0; k < 4; k++)
			seen[k] += w->jobs_seen[k];
	}
	ktap(!bad, "results_documented", NULL);
	printf("# %llu waits with a past deadline, the longest %.3f s\n",
	       (unsigned long long)polls, maxp / 1e9);
	ktap(!slow, "past_deadline_waits_poll", NULL);
	printf("# jobs seen done: %llu ok, %llu -ECANCELED, %llu -ESRCH, %llu -ENODEV\n",
	       (unsigned long long)seen[0], (unsigned long long)seen[1],
	       (unsigned long long)seen[2], (unsigned long long)seen[3]);
	ktap(!st, "job_status_documented", NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rbnn_ioctl_fuzz [--seed S] [--calls N] [--procs P] [--fds F]\n"
		"         [--reset-every K] [--unplug ID [--replug SPEC]] [--hang-ms MS]\n"
		"         [--mutate PCT] [--no-shared-fd] [--no-gates] [--max-seconds S]\n"
		"         [--device PATH]\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "procs", required_argument, NULL, 'p' },
		{ "fds", required_argument, NULL, 'f' },
		{ "reset-every", required_argument, NULL, 'r' },
		{ "unplug", required_argument, NULL, 'u' },
		{ "replug", required_argument, NULL, 'U' },
		{ "hang-ms", required_argument, NULL, 'H' },
		{ "mutate", required_argument, NULL, 'm' },
		{ "no-shared-fd", no_argument, NULL, 'S' },
		{ "no-gates", no_argument, NULL, 'G' },
		{ "max-seconds", required_argument, NULL, 'T' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:n:p:f:r:u:U:H:m:SGT:d:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 'n': opt.calls = strtoull(optarg, NULL, 0); break;
		case 'p': opt.procs = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'f': opt.fds = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'r': opt.reset_every = strtoull(optarg, NULL, 0); break;
		case 'u': opt.unplug_id = optarg; break;
		case 'U': opt.replug_spec = optarg; break;
		case 'H': opt.hang_ms = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'm': opt.mut_pct = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'S': opt.shared_fd = false; break;
		case 'G': opt.gates = false; break;
		case 'T': opt.max_s = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'd': opt.node = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!opt.procs || opt.procs > 64 || !opt.fds ||
	    opt.fds + opt.shared_fd > MAXFD || opt.mut_pct > 100 || !opt.hang_ms) {
		usage(stderr);
		return -1;
	}
	if (!opt.node && getenv("RBNN_DEVICE") && *getenv("RBNN_DEVICE"))
		opt.node = getenv("RBNN_DEVICE");
	return 0;
}

int main(int argc, char **argv)
{
	struct drm_rbnn_query_counters c0 = {};
	struct unplug u = {};
	struct wstate *ws;
	char node[64] = "", bdf[64];
	uint64_t t1;
	int fd, shared_fd = -1, ntests;
	uint32_t wi;

	if (parse_args(argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	ntests = 10 + (opt.unplug_id != NULL);
	printf("TAP version 13\n1..%d\n", ntests);
	find_node(node, sizeof(node));
	fd = node[0] ? sel_open(node) : -ENODEV;
	if (fd < 0) {
		printf("# no rbnn card (%s)\n", node[0] ? node : "none found");
		for (int i = 1; i <= ntests; i++)
			printf("ok %d rbnn_ioctl_fuzz # SKIP no card\n", i);
		return 4;
	}
	sel_counters(fd, &c0);
	sel_bdf(node, bdf, sizeof(bdf));
	snprintf(u.sysdir, sizeof(u.sysdir), "/sys/bus/pci/devices/%s", bdf);
	if (opt.shared_fd)
		shared_fd = sel_open(node);
	contract_init(opt.unplug_id != NULL);
	printf("# rbnn_ioctl_fuzz --seed %#llx --calls %llu --procs %u --fds %u%s --reset-every %llu%s%s --mutate %u%s --max-seconds %u on %s (%s)\n",
	       (unsigned long long)opt.seed, (unsigned long long)opt.calls, opt.procs,
	       opt.fds, opt.shared_fd ? "" : " --no-shared-fd",
	       (unsigned long long)opt.reset_every, opt.unplug_id ? " --unplug " : "",
	       opt.unplug_id ? opt.unplug_id : "", opt.mut_pct,
	       opt.gates ? "" : " --no-gates", opt.max_s, node, bdf);
	sh = mmap(NULL, sizeof(*sh) + opt.procs * sizeof(sh->w[0]),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ws = calloc(opt.procs, sizeof(*ws));
	if (sh == MAP_FAILED || !ws)
		return 2;
	sh->t0_ns = now_ns();
	for (wi = 0; wi < opt.procs; wi++) {
		sh->w[wi].budget = opt.calls / opt.procs + (wi < opt.calls % opt.procs);
		fflush(stdout);
		ws[wi].pid = fork();
		if (ws[wi].pid < 0)
			return 2;
		if (!ws[wi].pid) {
			close(fd);
			_exit(worker_main((int)wi, shared_fd));
		}
		sh->w[wi].pid = ws[wi].pid;
	}
	if (shared_fd >= 0)
		close(shared_fd);	/* the workers hold it now */
	supervise(ws, &u);
	t1 = now_ns();
	close(fd);

	report_workers(ws);
	report_findings();
	if (opt.unplug_id) {
		printf("# unplug: card gone after %llu ms, back after %llu ms\n",
		       (unsigned long long)u.gone_ms, (unsigned long long)u.back_ms);
		ktap(!u.failed && sh->phase == U_BACK, "unplug_replug", NULL);
	}
	fd = wait_card(node, sizeof(node), opt.unplug_id ? 30000 : 1000);
	if (fd < 0) {
		printf("# no card to check after the run\n");
		ktap(0, "no_tile_owned_after_close", NULL);
		ktap(0, "counters_consistent", NULL);
		ktap(0, "fresh_fd_exec_exact", NULL);
	} else {
		check_tiles(fd, node);
		check_counters(fd, node, &c0, opt.unplug_id != NULL);
		close(fd);
		check_exec(node);
	}
	check_admin();
	print_stats();
	{
		uint64_t n = total_calls(), mut = 0, gates = 0, resets = 0;
		double s = (t1 - sh->t0_ns) / 1e9;

		for (wi = 0; wi < opt.procs; wi++) {
			mut += sh->w[wi].mutated;
			gates += sh->w[wi].gates;
			resets += sh->w[wi].resets_ok;
		}
		printf("# summary: seed %#llx, %llu calls (%llu mutated) by %u workers in %.1f s, %.0f calls/s, %llu resets, %llu gates\n",
		       (unsigned long long)opt.seed, (unsigned long long)n,
		       (unsigned long long)mut, opt.procs, s, s > 0 ? n / s : 0.0,
		       (unsigned long long)resets, (unsigned long long)gates);
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       ktap_n - ktap_fail - ktap_skip, ktap_fail, ktap_skip);
	return ktap_fail ? 1 : 0;
}
