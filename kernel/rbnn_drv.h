/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * rbnn: DRM accel driver for the RBNN RRAM binarized neural network card.
 */
#ifndef RBNN_DRV_H
#define RBNN_DRV_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/dma-fence.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/gpu_scheduler.h>
#include <drm/rbnn_accel.h>

#include "rbnn_regs.h"

#define RBNN_DRIVER_NAME	"rbnn"
#define RBNN_DRIVER_DESC	"RBNN RRAM binarized neural network accelerator"

#define RBNN_SQ_ENTRIES		256
#define RBNN_CQ_ENTRIES		256
#define RBNN_JOB_MAX_CMDS	2
#define RBNN_JOB_MAX_BUFS	3
#define RBNN_PROG_MAX_LEN	SZ_1M
#define RBNN_IRQ_COAL		(16u | (50u << RBNN_COAL_USEC_SHIFT))

/* Upper bounds on what the card reports (rbnn_hw_probe()). */
#define RBNN_DRV_MAX_LAYERS	65535u		/* __le16 in the program */
#define RBNN_DRV_MAX_SGL	65536u		/* 1 MiB of SG entries */
#define RBNN_DRV_MAX_BATCH	65536u
#define RBNN_DRV_MAX_ACT_BUF	(16u << 20)

/* CONTROL.RESET completion (rbnn_hw_reset()). */
#define RBNN_RESET_POLL_US	10
#define RBNN_RESET_TIMEOUT_US	100000

struct rbnn_ctx;
struct rbnn_job;

/**
 * struct rbnn_tile - driver state of one tile
 * @owner: context that allocated the tile, NULL when free
 * @releasing: freed by @owner while jobs that use it are in flight; the tile
 *	becomes free when @inflight drops to 0
 * @inflight: submitted jobs that use the tile and have not finished
 * @prog_pending: rows a PROGRAM of @owner was submitted for
 * @prog_valid: rows programmed successfully by @owner
 * @thr_pending: rows whose thresholds a PROGRAM of @owner loads
 * @thr_valid: rows whose thresholds @owner loaded successfully
 *
 * All fields are protected by &rbnn_device.tile_lock.
 */
struct rbnn_tile {
	struct rbnn_ctx *owner;
	bool releasing;
	u32 inflight;
	unsigned long *prog_pending;
	unsigned long *prog_valid;
	unsigned long *thr_pending;
	unsigned long *thr_valid;
};

/**
 * struct rbnn_wear - wear window of one tile
 * @cycles_max: largest row program-cycle count
 * @cycles_sum: sum of the rows' program-cycle counts
 * @stuck: stuck cells
 * @verify_fails: cells left unverified
 * @scrub_weak: weak cells found by REFRESH in the tile, U64_MAX when the
 *	card does not count them (no RBNN_CAP_SCRUB_COUNT)
 */
struct rbnn_wear {
	u32 cycles_max;
	u64 cycles_sum;
	u32 stuck;
	u32 verify_fails;
	u64 scrub_weak;
};

/**
 * struct rbnn_device - one card
 * @drm: DRM device (accel node)
 * @pdev: PCI function
 * @regs: BAR0
 * @hw_version: VERSION register
 * @caps: CAPS register
 * @ntiles: tiles
 * @rows: rows per tile
 * @cols: columns per row
 * @row_bytes: bytes per row of weights (@cols / 8)
 * @act_buf_size: activation buffer bytes
 * @max_layers: layers per program
 * @max_sgl: SG entries per buffer
 * @max_batch: items per EXEC
 * @cell_mode: RBNN_CELL_*
 * @ring_lock: protects the ring state below and the in-flight job list
 * @sq: submission queue (coherent DMA)
 * @sq_dma: bus address of @sq
 * @cq: completion queue (coherent DMA)
 * @cq_dma: bus address of @cq
 * @sq_tail: next SQ slot to fill
 * @cq_head: next CQ entry to consume
 * @cq_phase: expected phase bit
 * @outstanding: commands submitted and not completed
 * @hw_running: the rings are enabled and may be used
 * @removing: remove() has begun: jobs fail with -ENODEV, a recovery does
 *	not restart the card
 * @suspended: system sleep, a function reset or PCI error recovery is in
 *	progress (rbnn_pm.c): no watchdog or recovery touches the card
 * @slot_job: job of the command in each SQ slot
 * @hw_jobs: jobs with commands on the card, in submission order
 * @irq_cq: Linux IRQ of the completion vector
 * @irq_ev: Linux IRQ of the event vector
 * @sched: the DRM scheduler of the card's single queue
 * @reset_wq: ordered workqueue for timeouts and recovery
 * @reset_work: recovery after a fatal error interrupt
 * @wd_progress: PROGRESS at the last timeout check
 * @win_lock: serialises the TILE_SEL / PARAM_SEL windows and debug registers
 * @tile_lock: protects @tiles
 * @tiles: per-tile state
 * @rd64_lock: makes the _LO read and the _HI read of a 64-bit register pair
 *	one access (the card has one _HI latch per pair, see rbnn_rd64())
 * @irq_cq_name: name of the completion interrupt (rbnn-cq@<PCI name>)
 * @irq_ev_name: name of the event interrupt (rbnn-event@<PCI name>)
 * @fence_context: dma_fence context of the hardware fences
 * @fence_seqno: last hardware fence seqno
 * @bo_lock: protects @mapped_bos
 * @mapped_bos: BOs whose pages are mapped for the card (rbnn_gem.c)
 * @bo_mem: bytes of the BOs created through this card's files and not yet
 *	freed, capped by the dev_bo_mem_kib parameter
 * @jobs_alive: jobs allocated and not freed
 * @job_mem: bytes of job memory (DMA buffers, row ranges) held by the jobs
 *	of every file, capped by the dev_job_mem_kib parameter
 * @jobs_wq: woken when @jobs_alive drops to 0
 * @job_dma_lock: protects @job_dma
 * @job_dma: jobs holding a DMA buffer (rbnn_job_dma_alloc()); remove()
 *	frees the buffers of those that outlive the device
 * @jobs_submitted: jobs submitted
 * @jobs_completed: jobs completed with status 0
 * @jobs_failed: jobs completed with an error
 * @recoveries: resets done by the driver
 * @lost_irqs: completions found by polling after a timeout
 * @test_irqs: test interrupts received
 * @test_irq_done: completed by a test interrupt
 * @next_ctx_id: id of the next context
 */
struct rbnn_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;

	u32 hw_version;
	u32 caps;
	u32 ntiles;
	u32 rows;
	u32 cols;
	u32 row_bytes;
	u32 act_buf_size;
	u32 max_layers;
	u32 max_sgl;
	u32 max_batch;
	u32 cell_mode;

	spinlock_t ring_lock; /* rings, hw_jobs */
	struct rbnn_hw_cmd *sq;
	dma_addr_t sq_dma;
	struct rbnn_hw_cqe *cq;
	dma_addr_t cq_dma;
	u32 sq_tail;
	u32 cq_head;
	u16 cq_phase;
	u32 outstanding;
	bool hw_running;
	bool removing;
	bool suspended;
	struct rbnn_job *slot_job[RBNN_SQ_ENTRIES];
	struct list_head hw_jobs;

	int irq_cq;
	int irq_ev;

	struct drm_gpu_scheduler sched;
	struct workqueue_struct *reset_wq;
	struct work_struct reset_work;
	u32 wd_progress;

	struct mutex win_lock; /* TILE_SEL, PARAM_SEL, debug registers */

	spinlock_t tile_lock; /* tiles[] */
	spinlock_t rd64_lock; /* the _HI latches of 64-bit register pairs */
	char irq_cq_name[32];
	char irq_ev_name[32];
	struct rbnn_tile *tiles;

	u64 fence_context;
	atomic64_t fence_seqno;

	struct mutex bo_lock; /* protects mapped_bos */
	struct list_head mapped_bos;
	atomic64_t bo_mem;
	atomic_t jobs_alive;
	atomic64_t job_mem;
	wait_queue_head_t jobs_wq;
	struct mutex job_dma_lock; /* protects job_dma */
	struct list_head job_dma;
	atomic64_t jobs_submitted;
	atomic64_t jobs_completed;
	atomic64_t jobs_failed;
	atomic_t recoveries;
	atomic_t lost_irqs;
	atomic_t test_irqs;
	struct completion test_irq_done;
	atomic_t next_ctx_id;
};

#define to_rbnn_device(d) container_of(d, struct rbnn_device, drm)

/**
 * struct rbnn_result - what JOB_INFO reports about one job
 * @seqno: job sequence number, 0 for an unused slot
 * @fence: the job's finished fence (a reference)
 * @done: the job finished
 * @status: 0 or a negative errno
 * @hw_status: device status of the first command that was not OK
 * @hw_detail: detail of that completion, or of the first one
 * @time_ns: device time
 * @energy_pj: device energy
 * @scrub_weak: weak cells found by the job's REFRESH commands
 */
struct rbnn_result {
	u64 seqno;
	struct dma_fence *fence;
	bool done;
	int status;
	u32 hw_status;
	u32 hw_detail;
	u64 time_ns;
	u64 energy_pj;
	u64 scrub_weak;
};

/**
 * struct rbnn_bo_quota - the BO memory a file created
 * @ref: held by the file's context and by each BO charged to it
 * @bytes: bytes of the file's BOs not yet freed
 */
struct rbnn_bo_quota {
	struct kref ref;
	atomic64_t bytes;
};

/**
 * struct rbnn_ctx - per open file state
 * @ref: reference count (the file and each job hold one)
 * @rdev: the card
 * @entity: scheduler entity of the file's jobs
 * @submit_lock: serialises submissions (sequence numbers, push order)
 * @last_write: signals when the last job that changed rows finished (a
 *	fence array around its finished fence, in @write_context)
 * @write_context: fence context of @last_write
 * @banned: one of the file's jobs hung; further submissions are refused
 * @inflight: jobs submitted and not finished
 * @res_lock: protects @results and @last_seqno
 * @last_seqno: sequence number of the last submitted job
 * @results: the last DRM_RBNN_JOB_HISTORY job results
 * @busy_ns: device time of the file's finished jobs
 * @job_mem: bytes of job memory held by the file's jobs, capped by the
 *	file_job_mem_kib parameter
 * @bo_quota: bytes of the BOs the file created, capped by the
 *	file_bo_mem_kib parameter (the BOs may outlive the file: each holds a
 *	reference)
 * @wear_rows: rows the file programmed or asked to program without
 *	CAP_SYS_ADMIN (its wear budget, rbnn_admin.c)
 * @id: context id (debugfs)
 * @pid: process that opened the file
 * @comm: its name
 */
struct rbnn_ctx {
	struct kref ref;
	struct rbnn_device *rdev;
	struct drm_sched_entity entity;
	struct mutex submit_lock; /* submission order */
	struct dma_fence *last_write;
	u64 write_context;
	bool banned;
	atomic_t inflight;
	spinlock_t res_lock; /* results[], last_seqno */
	u64 last_seqno;
	struct rbnn_result *results;
	atomic64_t busy_ns;
	atomic64_t job_mem;
	struct rbnn_bo_quota *bo_quota;
	atomic64_t wear_rows;
	u32 id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

enum rbnn_job_type {
	RBNN_JOB_PROGRAM,
	RBNN_JOB_EXEC,
	RBNN_JOB_READBACK,
	RBNN_JOB_SCRUB,
};

/**
 * struct rbnn_range - rows a job uses
 * @tile: tile
 * @row: first row
 * @nrows: rows
 * @thresh: the rows' thresholds are used (EXEC) or loaded (PROGRAM)
 */
struct rbnn_range {
	u32 tile;
	u32 row;
	u32 nrows;
	bool thresh;
};

/**
 * struct rbnn_job_buf - a BO range a job gives to the card
 * @obj: the BO (a reference)
 * @sgt: its DMA-mapped pages
 * @offset: byte offset of the range
 * @len: byte length of the range
 * @nents: SG entries describing the range
 * @write: the card writes the range
 * @hw: the card's descriptor of the range
 */
struct rbnn_job_buf {
	struct drm_gem_object *obj;
	struct sg_table *sgt;
	u64 offset;
	u64 len;
	u32 nents;
	bool write;
	struct rbnn_hw_buf hw;
};

/**
 * struct rbnn_job - one submission
 * @base: scheduler job
 * @rdev: the card
 * @ctx: submitting context (a reference)
 * @type: enum rbnn_job_type
 * @seqno: sequence number in @ctx
 * @writes_rows: the job changes rows (PROGRAM, READBACK with SCRUB, the
 *	administrator's scrub)
 * @reads_rows: the job needs programmed rows (EXEC, READBACK)
 * @admin: the administrator's scrub (debugfs): runs on tiles whatever
 *	their owner, reads no data back
 * @pushed: handed to the scheduler
 * @sched_inited: drm_sched_job_init() succeeded
 * @cmds: the card commands (tags filled at submission to the ring)
 * @ncmds: number of commands
 * @cmds_done: completions received
 * @bufs: BO ranges
 * @nbufs: number of BO ranges
 * @bos: distinct BOs for reservation locking
 * @bo_write: whether the job writes each of @bos
 * @nbos: number of distinct BOs
 * @dma_cpu: kernel-owned DMA buffer: layer program, SG lists
 * @dma_addr: its bus address
 * @dma_size: its size
 * @dma_node: entry in &rbnn_device.job_dma while @dma_cpu is allocated
 * @mem_charged: job memory charged to the file and the card
 * @prog_len: bytes of layer program at the start of @dma_cpu
 * @ranges: rows the job uses
 * @nranges: number of ranges
 * @tiles: bitmap of the tiles in @ranges
 * @in_fences: the fences of the job's in-sync points (references),
 *	checked for errors when the job is about to run
 * @nin_fences: number of @in_fences
 * @hw_fence: signalled when the card finished the job (or it failed)
 * @hw_node: entry in &rbnn_device.hw_jobs
 * @wd_first: jiffies (| 1) when the watchdog first found the job at the
 *	head of the card's queue, 0 before; job_max_ms counts from there
 * @recorded: the job's end is accounted (result, tiles, counters): by
 *	rbnn_job_signal() before its hardware fence signals, or by free_job
 *	for a job the scheduler ended without running it
 * @status: 0 or a negative errno
 * @hw_status: first non-OK device status
 * @hw_detail: its detail, or the first completion's detail
 * @time_ns: device time
 * @energy_pj: device energy
 * @scrub_weak: weak cells reported by the job's REFRESH completions
 */
struct rbnn_job {
	struct drm_sched_job base;
	struct rbnn_device *rdev;
	struct rbnn_ctx *ctx;
	enum rbnn_job_type type;
	u64 seqno;
	bool writes_rows;
	bool reads_rows;
	bool admin;
	bool pushed;
	bool sched_inited;

	struct rbnn_hw_cmd cmds[RBNN_JOB_MAX_CMDS];
	u32 ncmds;
	u32 cmds_done;

	struct rbnn_job_buf bufs[RBNN_JOB_MAX_BUFS];
	u32 nbufs;
	struct drm_gem_object *bos[RBNN_JOB_MAX_BUFS];
	bool bo_write[RBNN_JOB_MAX_BUFS];
	u32 nbos;

	void *dma_cpu;
	dma_addr_t dma_addr;
	size_t dma_size;
	struct list_head dma_node;
	size_t mem_charged;
	size_t prog_len;

	struct rbnn_range *ranges;
	u32 nranges;
	unsigned long *tiles;

	struct dma_fence **in_fences;
	u32 nin_fences;
	struct dma_fence *hw_fence;
	struct list_head hw_node;

	unsigned long wd_first;

	bool recorded;
	int status;
	u32 hw_status;
	u32 hw_detail;
	u64 time_ns;
	u64 energy_pj;
	u64 scrub_weak;
};

#define to_rbnn_job(j) container_of(j, struct rbnn_job, base)

/* Register access: 32-bit only; 64-bit pairs read _LO first (latches _HI). */
static inline u32 rbnn_rd(struct rbnn_device *rdev, u32 reg)
{
	return readl(rdev->regs + reg);
}

static inline void rbnn_wr(struct rbnn_device *rdev, u32 reg, u32 val)
{
	writel(val, rdev->regs + reg);
}

/*
 * A 64-bit counter. Reading _LO latches the pair's _HI, and the card has
 * one latch per pair: two readers interleaved (LO, LO, HI, HI) would give
 * one of them the other's high half. The hi/lo/hi retry used for free-
 * running pairs does not apply (_HI is the latch, not the live count), so
 * the pair is read under a lock of its own, with interrupts off (any
 * context may read).
 */
static inline u64 rbnn_rd64(struct rbnn_device *rdev, u32 reg_lo)
{
	unsigned long flags;
	u64 lo, hi;

	spin_lock_irqsave(&rdev->rd64_lock, flags);
	lo = rbnn_rd(rdev, reg_lo);
	hi = rbnn_rd(rdev, reg_lo + 4);
	spin_unlock_irqrestore(&rdev->rd64_lock, flags);
	return lo | hi << 32;
}

/* rbnn_admin.c */
int rbnn_wear_charge(struct rbnn_ctx *ctx, u32 current_na, u32 nrows);
void rbnn_wear_refund(struct rbnn_ctx *ctx, u32 nrows);
int rbnn_ioctl_admin(struct drm_device *drm, void *data, struct drm_file *file);

/* rbnn_device.c */
int rbnn_hw_probe(struct rbnn_device *rdev);
int rbnn_hw_reset(struct rbnn_device *rdev);
int rbnn_hw_start(struct rbnn_device *rdev);
void rbnn_hw_fini(struct rbnn_device *rdev);
int rbnn_irq_init(struct rbnn_device *rdev);
void rbnn_irq_fini(struct rbnn_device *rdev);
int rbnn_ring_submit(struct rbnn_device *rdev, struct rbnn_job *job);
bool rbnn_cq_poll(struct rbnn_device *rdev);
void rbnn_recover(struct rbnn_device *rdev, struct rbnn_job *bad,
		  const char *why);
void rbnn_reset_work(struct work_struct *work);
void rbnn_fail_all_jobs(struct rbnn_device *rdev, int error);
int rbnn_hw_stop(struct rbnn_device *rdev, struct rbnn_job *bad, int error);
int rbnn_read_wear(struct rbnn_device *rdev, u32 tile, struct rbnn_wear *w);
u64 rbnn_read_param(struct rbnn_device *rdev, u32 id);

/* rbnn_pm.c */
extern const struct dev_pm_ops rbnn_pm_ops;
extern const struct pci_error_handlers rbnn_err_handlers;
void rbnn_pci_shutdown(struct pci_dev *pdev);

/* rbnn_gem.c */
int rbnn_ioctl_bo_create(struct drm_device *drm, void *data,
			 struct drm_file *file);
int rbnn_ioctl_bo_info(struct drm_device *drm, void *data,
		       struct drm_file *file);
int rbnn_ioctl_bo_wait(struct drm_device *drm, void *data,
		       struct drm_file *file);
struct drm_gem_object *rbnn_gem_create_object(struct drm_device *drm,
					      size_t size);
struct drm_gem_object *rbnn_gem_prime_import(struct drm_device *drm,
					     struct dma_buf *buf);
void rbnn_gem_unmap_all(struct rbnn_device *rdev);
struct rbnn_bo_quota *rbnn_bo_quota_create(void);
void rbnn_bo_quota_put(struct rbnn_bo_quota *q);
int rbnn_job_add_bo(struct rbnn_job *job, struct drm_file *file, u32 handle,
		    u64 offset, u64 len, bool write);
int rbnn_job_map_bufs(struct rbnn_job *job);
void rbnn_job_sync_bufs(struct rbnn_job *job, bool for_device);

/* rbnn_job.c */
u32 rbnn_max_jobs_per_file(void);
int rbnn_job_charge(struct rbnn_job *job, size_t bytes);
struct rbnn_ctx *rbnn_ctx_create(struct rbnn_device *rdev);
void rbnn_ctx_put(struct rbnn_ctx *ctx);
struct rbnn_job *rbnn_job_alloc(struct rbnn_ctx *ctx, enum rbnn_job_type type,
				u32 nranges);
void rbnn_job_free(struct rbnn_job *job);
int rbnn_job_dma_alloc(struct rbnn_job *job, size_t size);
void rbnn_jobs_dma_release(struct rbnn_device *rdev);
int rbnn_job_submit(struct rbnn_job *job, struct drm_file *file,
		    const struct drm_rbnn_syncs *syncs, u64 *seqno);
bool rbnn_job_cmd_done(struct rbnn_job *job, const struct rbnn_hw_cqe *cqe);
void rbnn_jobs_end(struct list_head *done);
int rbnn_sched_init(struct rbnn_device *rdev);
void rbnn_sched_restart(struct rbnn_device *rdev, struct rbnn_job *bad);
void rbnn_sched_fini(struct rbnn_device *rdev);
int rbnn_ioctl_job_info(struct drm_device *drm, void *data,
			struct drm_file *file);
int rbnn_job_wait_result(struct rbnn_ctx *ctx, u64 seqno,
			 struct rbnn_result *out);
/* A user array's stride: the kernel's element at least, at most the cap. */
static inline bool rbnn_stride_ok(u32 stride, size_t ksize)
{
	return stride >= ksize && stride <= DRM_RBNN_MAX_STRIDE;
}

int rbnn_copy_array(void *dst, size_t ksize, u64 uptr, u32 count, u32 stride);

/* rbnn_tiles.c */
int rbnn_tiles_init(struct rbnn_device *rdev);
void rbnn_tiles_release_ctx(struct rbnn_ctx *ctx);
void rbnn_job_add_range(struct rbnn_job *job, u32 tile, u32 row, u32 nrows,
			bool thresh);
int rbnn_tiles_commit(struct rbnn_job *job);
bool rbnn_tiles_check_run(struct rbnn_job *job);
void rbnn_tiles_job_done(struct rbnn_job *job, bool ok);
void rbnn_tiles_count(struct rbnn_device *rdev, u32 *nfree, u32 *nused);
int rbnn_ioctl_tile_alloc(struct drm_device *drm, void *data,
			  struct drm_file *file);
int rbnn_ioctl_tile_free(struct drm_device *drm, void *data,
			 struct drm_file *file);
int rbnn_ioctl_program(struct drm_device *drm, void *data,
		       struct drm_file *file);
int rbnn_ioctl_readback(struct drm_device *drm, void *data,
			struct drm_file *file);
int rbnn_query_tiles(struct rbnn_device *rdev, struct rbnn_ctx *ctx,
		     void **buf, size_t *len);
int rbnn_scrub_tile(struct rbnn_ctx *ctx, u32 tile, struct rbnn_result *res);

/* rbnn_prog.c */
int rbnn_ioctl_exec(struct drm_device *drm, void *data, struct drm_file *file);

/* rbnn_debugfs.c */
void rbnn_debugfs_init(struct rbnn_device *rdev);

/* rbnn_sysfs.c */
int rbnn_sysfs_init(struct rbnn_device *rdev);

/* rbnn_hwmon.c */
int rbnn_hwmon_init(struct rbnn_device *rdev);

#endif /* RBNN_DRV_H */
