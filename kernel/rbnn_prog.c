// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: EXEC. Validation of the user's layers and segments and their
 * translation into the card's layer program.
 *
 * The user's arrays are copied into the kernel once; every rule of the
 * card's layer programs (Documentation/rbnn-device.rst, "Layer programs") is
 * checked on the copies, plus tile ownership and programmed rows; the
 * program is then written into a kernel-owned DMA buffer. The card never
 * sees memory the user can change after the checks.
 */

#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <drm/drm_drv.h>

#include "rbnn_drv.h"

#define RBNN_HW_PROG_HDR	sizeof(struct rbnn_hw_prog)
#define RBNN_HW_LAYER		sizeof(struct rbnn_hw_layer)
#define RBNN_HW_SEG		sizeof(struct rbnn_hw_seg)
#define RBNN_MAX_BLOCKS		65536

static_assert(sizeof(struct rbnn_hw_prog) == 32);
static_assert(sizeof(struct rbnn_hw_layer) == 64);
static_assert(sizeof(struct rbnn_hw_seg) == 16);
static_assert(sizeof(struct rbnn_hw_cmd) == 64);
static_assert(sizeof(struct rbnn_hw_cqe) == 32);

struct rbnn_cover {
	u32 block;
	u32 first;
	u32 count;
};

static int rbnn_cover_cmp(const void *a, const void *b)
{
	const struct rbnn_cover *x = a, *y = b;

	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return 0;
}

/* Bytes of an item of @elems elements: bits, or one byte / __le32 each. */
static u64 rbnn_item_bytes(u64 elems, u32 bytes_per_elem)
{
	if (!bytes_per_elem)
		return ALIGN(DIV_ROUND_UP_ULL(elems, 8), 8);
	return ALIGN(elems * bytes_per_elem, 8);
}

/**
 * struct rbnn_exec_plan - what the checks computed
 * @in_bytes: bytes of an input item
 * @out_bytes: bytes of an output item
 * @prog_len: bytes of the layer program
 */
struct rbnn_exec_plan {
	u64 in_bytes;
	u64 out_bytes;
	size_t prog_len;
};

/* Segments of one FC/CONV1D layer: bounds and exact coverage. */
static int rbnn_check_segs(struct rbnn_device *rdev,
			   const struct drm_rbnn_segment *segs, u32 nsegs,
			   u32 out_channels, u64 nblocks,
			   struct rbnn_cover *cover)
{
	u64 total = 0;
	u32 j;

	for (j = 0; j < nsegs; j++) {
		const struct drm_rbnn_segment *s = &segs[j];

		if (s->reserved || s->tile >= rdev->ntiles || !s->out_count ||
		    s->out_count > U16_MAX || s->out_first > U16_MAX ||
		    s->block > U16_MAX || s->block >= nblocks ||
		    (u64)s->out_first + s->out_count > out_channels ||
		    s->row >= rdev->rows || s->out_count > rdev->rows - s->row)
			return -EINVAL;
		cover[j].block = s->block;
		cover[j].first = s->out_first;
		cover[j].count = s->out_count;
		total += s->out_count;
	}
	/* Exactly once: no overlap and the right total. */
	if (total != (u64)out_channels * nblocks)
		return -EINVAL;
	sort(cover, nsegs, sizeof(*cover), rbnn_cover_cmp, NULL);
	for (j = 1; j < nsegs; j++)
		if (cover[j].block == cover[j - 1].block &&
		    cover[j - 1].first + cover[j - 1].count > cover[j].first)
			return -EINVAL;
	return 0;
}

static int rbnn_exec_check(struct rbnn_device *rdev,
			   const struct drm_rbnn_exec *args,
			   const struct drm_rbnn_layer *layers,
			   const struct drm_rbnn_segment *segs,
			   struct rbnn_exec_plan *plan)
{
	struct rbnn_cover *cover = NULL;
	u32 c = args->in_channels, len = args->in_length;
	u32 i, segbase = 0;
	u64 elems = 0;
	int ret = 0;

	if (args->seg_count) {
		cover = kvcalloc(args->seg_count, sizeof(*cover), GFP_KERNEL);
		if (!cover)
			return -ENOMEM;
	}

	for (i = 0; i < args->layer_count; i++) {
		const struct drm_rbnn_layer *l = &layers[i];
		bool last = i == args->layer_count - 1;
		u32 k = l->kernel, s = l->stride, p = l->pad;
		u64 fanin = 0, out_len;
		u32 out_elem_bytes;

		ret = -EINVAL;
		if (l->reserved || l->reserved2 || l->in_channels != c ||
		    l->in_length != len || l->out_mode > DRM_RBNN_OUT_SCORES ||
		    (l->out_mode == DRM_RBNN_OUT_SCORES && !last) ||
		    k > U16_MAX || s > U16_MAX || p > U16_MAX ||
		    !l->out_channels)
			goto out;

		switch (l->op) {
		case DRM_RBNN_LAYER_FC:
			if (k || s || p || l->out_length != 1 || !l->seg_count)
				goto out;
			fanin = (u64)c * len;
			break;
		case DRM_RBNN_LAYER_CONV1D:
			if (!k || !s || p >= k || (u64)len + 2 * p < k ||
			    !l->seg_count)
				goto out;
			out_len = ((u64)len + 2 * p - k) / s + 1;
			if (l->out_length != out_len)
				goto out;
			fanin = (u64)c * k;
			break;
		case DRM_RBNN_LAYER_MAXPOOL1D:
			if (!k || !s || p || k > len ||
			    l->out_length != (len - k) / s + 1 ||
			    l->out_channels != c ||
			    l->out_mode != DRM_RBNN_OUT_BITS || l->seg_count ||
			    (i == 0 && args->in_bits > 1))
				goto out;
			break;
		default:
			goto out;
		}

		/* The output item must fit in half of the activation buffer. */
		elems = (u64)l->out_channels * l->out_length;
		out_elem_bytes = l->out_mode == DRM_RBNN_OUT_SCORES ? 4 : 0;
		if (elems > 8ull * rdev->act_buf_size ||
		    rbnn_item_bytes(elems, out_elem_bytes) >
		    rdev->act_buf_size / 2)
			goto out;

		if (l->op != DRM_RBNN_LAYER_MAXPOOL1D) {
			u64 nblocks = DIV_ROUND_UP_ULL(fanin, rdev->cols);

			if (nblocks > RBNN_MAX_BLOCKS ||
			    l->seg_count > args->seg_count - segbase)
				goto out;
			ret = rbnn_check_segs(rdev, &segs[segbase], l->seg_count,
					      l->out_channels, nblocks,
					      &cover[segbase]);
			if (ret)
				goto out;
			segbase += l->seg_count;
		}
		plan->out_bytes = rbnn_item_bytes(elems, out_elem_bytes);
		c = l->out_channels;
		len = l->out_length;
	}
	ret = -EINVAL;
	if (segbase != args->seg_count)
		goto out;
	/*
	 * The card stages each input item in the activation buffer, like a
	 * layer output: it must fit in half of it too.
	 */
	plan->in_bytes = rbnn_item_bytes((u64)args->in_channels * args->in_length,
					 args->in_bits > 1 ? 1 : 0);
	if (plan->in_bytes > rdev->act_buf_size / 2)
		goto out;
	plan->prog_len = RBNN_HW_PROG_HDR +
			 (size_t)args->layer_count * RBNN_HW_LAYER +
			 (size_t)args->seg_count * RBNN_HW_SEG;
	if (plan->prog_len > RBNN_PROG_MAX_LEN)
		goto out;
	ret = 0;
out:
	kvfree(cover);
	return ret;
}

static void rbnn_exec_write(void *dst, const struct drm_rbnn_exec *args,
			    const struct drm_rbnn_layer *layers,
			    const struct drm_rbnn_segment *segs)
{
	struct rbnn_hw_prog *hdr = dst;
	struct rbnn_hw_layer *hl = dst + RBNN_HW_PROG_HDR;
	size_t seg_start = RBNN_HW_PROG_HDR +
			   (size_t)args->layer_count * RBNN_HW_LAYER;
	struct rbnn_hw_seg *hs = dst + seg_start;
	u32 i, segbase = 0;

	memset(dst, 0, seg_start + (size_t)args->seg_count * RBNN_HW_SEG);
	hdr->magic = cpu_to_le32(RBNN_PROG_MAGIC);
	hdr->version = cpu_to_le16(RBNN_PROG_VERSION);
	hdr->nlayers = cpu_to_le16(args->layer_count);
	hdr->in_channels = cpu_to_le32(args->in_channels);
	hdr->in_length = cpu_to_le32(args->in_length);
	hdr->in_bits = args->in_bits;

	for (i = 0; i < args->layer_count; i++) {
		const struct drm_rbnn_layer *l = &layers[i];

		hl[i].op = l->op;
		hl[i].out_mode = l->out_mode;
		hl[i].in_channels = cpu_to_le32(l->in_channels);
		hl[i].out_channels = cpu_to_le32(l->out_channels);
		hl[i].in_length = cpu_to_le32(l->in_length);
		hl[i].out_length = cpu_to_le32(l->out_length);
		hl[i].kernel = cpu_to_le16(l->kernel);
		hl[i].stride = cpu_to_le16(l->stride);
		hl[i].pad = cpu_to_le16(l->pad);
		hl[i].nsegs = cpu_to_le32(l->seg_count);
		if (l->seg_count)
			hl[i].seg_offset = cpu_to_le32(seg_start +
						       segbase * RBNN_HW_SEG);
		segbase += l->seg_count;
	}
	for (i = 0; i < args->seg_count; i++) {
		hs[i].tile = cpu_to_le32(segs[i].tile);
		hs[i].row = cpu_to_le32(segs[i].row);
		hs[i].out_first = cpu_to_le16(segs[i].out_first);
		hs[i].out_count = cpu_to_le16(segs[i].out_count);
		hs[i].block = cpu_to_le16(segs[i].block);
	}
}

static int rbnn_exec_copy(const struct drm_rbnn_exec *args,
			  struct drm_rbnn_layer **layers,
			  struct drm_rbnn_segment **segs)
{
	u32 i;
	int ret;

	*layers = kvcalloc(args->layer_count, sizeof(**layers),
			   GFP_KERNEL_ACCOUNT);
	*segs = kvcalloc(max(args->seg_count, 1u), sizeof(**segs),
			 GFP_KERNEL_ACCOUNT);
	if (!*layers || !*segs)
		return -ENOMEM;
	/* Tens of thousands of elements of up to DRM_RBNN_MAX_STRIDE bytes. */
	for (i = 0; i < args->layer_count; i++) {
		ret = rbnn_copy_array(&(*layers)[i], sizeof(**layers),
				      args->layers, i, args->layer_stride);
		if (ret)
			return ret;
		if (!(i % 1024))
			cond_resched();
	}
	for (i = 0; i < args->seg_count; i++) {
		ret = rbnn_copy_array(&(*segs)[i], sizeof(**segs),
				      args->segments, i, args->seg_stride);
		if (ret)
			return ret;
		if (!(i % 1024))
			cond_resched();
	}
	return 0;
}

int rbnn_ioctl_exec(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_exec *args = data;
	struct rbnn_ctx *ctx = file->driver_priv;
	struct drm_rbnn_segment *segs = NULL;
	struct drm_rbnn_layer *layers = NULL;
	struct rbnn_exec_plan plan = {};
	struct rbnn_job *job = NULL;
	struct rbnn_hw_cmd *cmd;
	u64 in_len, out_len;
	u32 i, segbase;
	int ret, idx;

	if (args->flags || args->pad || !args->layer_count ||
	    args->layer_count > rdev->max_layers ||
	    args->seg_count > DRM_RBNN_MAX_SEGMENTS ||
	    !rbnn_stride_ok(args->layer_stride, sizeof(struct drm_rbnn_layer)) ||
	    (args->seg_count &&
	     !rbnn_stride_ok(args->seg_stride,
			     sizeof(struct drm_rbnn_segment))) ||
	    !args->in_channels || !args->in_length || !args->in_bits ||
	    args->in_bits > 8 || !args->batch || args->batch > rdev->max_batch)
		return -EINVAL;

	ret = rbnn_exec_copy(args, &layers, &segs);
	if (ret)
		goto out_free;
	ret = rbnn_exec_check(rdev, args, layers, segs, &plan);
	if (ret)
		goto out_free;

	ret = -EINVAL;
	if (check_mul_overflow(plan.in_bytes, (u64)args->batch, &in_len) ||
	    check_mul_overflow(plan.out_bytes, (u64)args->batch, &out_len) ||
	    in_len > U32_MAX || out_len > U32_MAX)
		goto out_free;

	ret = -ENODEV;
	if (!drm_dev_enter(drm, &idx))
		goto out_free;
	ret = -ENOMEM;
	job = rbnn_job_alloc(ctx, RBNN_JOB_EXEC, max(args->seg_count, 1u));
	if (!job)
		goto out_exit;
	/* Up to 512 KiB of row ranges, held until the job ends. */
	ret = rbnn_job_charge(job, (size_t)max(args->seg_count, 1u) *
				   sizeof(*job->ranges));
	if (ret)
		goto out_job;
	job->reads_rows = true;
	for (i = 0, segbase = 0; i < args->layer_count; i++) {
		const struct drm_rbnn_layer *l = &layers[i];
		u32 j;

		for (j = 0; j < l->seg_count; j++) {
			const struct drm_rbnn_segment *s = &segs[segbase + j];

			rbnn_job_add_range(job, s->tile, s->row, s->out_count,
					   l->out_mode == DRM_RBNN_OUT_BITS &&
					   s->block == 0);
		}
		segbase += l->seg_count;
	}
	ret = rbnn_job_add_bo(job, file, args->in_handle, args->in_offset,
			      in_len, false);
	if (!ret)
		ret = rbnn_job_add_bo(job, file, args->out_handle,
				      args->out_offset, out_len, true);
	/* In and out in one BO (both ranges checked inside it) must not overlap. */
	if (!ret && job->bufs[0].obj == job->bufs[1].obj &&
	    args->in_offset < args->out_offset + out_len &&
	    args->out_offset < args->in_offset + in_len)
		ret = -EINVAL;
	if (ret)
		goto out_job;
	job->prog_len = plan.prog_len;
	ret = rbnn_job_map_bufs(job);
	if (ret)
		goto out_job;
	rbnn_exec_write(job->dma_cpu, args, layers, segs);

	cmd = &job->cmds[job->ncmds++];
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RBNN_OP_EXEC;
	cmd->exec.prog.addr = cpu_to_le64(job->dma_addr);
	cmd->exec.prog.len = cpu_to_le32(plan.prog_len);
	cmd->exec.in = job->bufs[0].hw;
	cmd->exec.out = job->bufs[1].hw;
	cmd->exec.batch = cpu_to_le32(args->batch);

	ret = rbnn_job_submit(job, file, &args->syncs, &args->seqno);
out_job:
	if (ret)
		rbnn_job_free(job);
out_exit:
	drm_dev_exit(idx);
out_free:
	kvfree(segs);
	kvfree(layers);
	return ret;
}
