// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: buffer objects (shmem GEM) and how jobs hand them to the card.
 *
 * The card has no IOMMU: it only ever sees bus addresses of pages the
 * kernel pinned and mapped (drm_gem_shmem_get_pages_sgt()), described by
 * scatter-gather lists the kernel writes into its own DMA buffer.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_utils.h>

#include "rbnn_drv.h"

/*
 * Caps on the memory of buffer objects: each BO_CREATE charges the size of
 * the object to its file and to the card until the object is freed (its
 * last handle, mapping and dma-buf gone). A job pins the pages of every BO
 * it names, so without a cap one file could pin all of the RAM. Beyond a
 * cap BO_CREATE fails with -EDQUOT. 0 sizes the cap from the RAM at the
 * time of the call.
 */
static unsigned int rbnn_file_bo_mem_kib;
module_param_named(file_bo_mem_kib, rbnn_file_bo_mem_kib, uint, 0644);
MODULE_PARM_DESC(file_bo_mem_kib,
		 "KiB of buffer objects one file may have created and not freed; 0 = a quarter of the RAM (default 0)");

static unsigned int rbnn_dev_bo_mem_kib;
module_param_named(dev_bo_mem_kib, rbnn_dev_bo_mem_kib, uint, 0644);
MODULE_PARM_DESC(dev_bo_mem_kib,
		 "KiB of buffer objects the files of a card may have created and not freed; 0 = half of the RAM (default 0)");

static u64 rbnn_bo_cap(unsigned int kib, unsigned int ram_shift)
{
	if (kib)
		return (u64)kib << 10;
	return ((u64)totalram_pages() << PAGE_SHIFT) >> ram_shift;
}

/**
 * rbnn_bo_quota_create() - the BO memory account of a new file
 *
 * Return: the account with one reference, or NULL.
 */
struct rbnn_bo_quota *rbnn_bo_quota_create(void)
{
	struct rbnn_bo_quota *q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);

	if (q)
		kref_init(&q->ref);
	return q;
}

static void rbnn_bo_quota_release(struct kref *ref)
{
	kfree(container_of(ref, struct rbnn_bo_quota, ref));
}

/**
 * rbnn_bo_quota_put() - drop a reference to a BO memory account
 * @q: the account
 */
void rbnn_bo_quota_put(struct rbnn_bo_quota *q)
{
	kref_put(&q->ref, rbnn_bo_quota_release);
}

static int rbnn_bo_charge(struct rbnn_device *rdev, struct rbnn_bo_quota *q,
			  u64 bytes)
{
	if (atomic64_add_return(bytes, &q->bytes) >
	    rbnn_bo_cap(READ_ONCE(rbnn_file_bo_mem_kib), 2))
		goto undo_file;
	if (atomic64_add_return(bytes, &rdev->bo_mem) >
	    rbnn_bo_cap(READ_ONCE(rbnn_dev_bo_mem_kib), 1))
		goto undo_dev;
	return 0;

undo_dev:
	atomic64_sub(bytes, &rdev->bo_mem);
undo_file:
	atomic64_sub(bytes, &q->bytes);
	return -EDQUOT;
}

static void rbnn_bo_uncharge(struct rbnn_device *rdev, struct rbnn_bo_quota *q,
			     u64 bytes)
{
	atomic64_sub(bytes, &q->bytes);
	atomic64_sub(bytes, &rdev->bo_mem);
}

/*
 * A buffer object: a shmem GEM object the driver tracks while its pages are
 * mapped for the card, so that remove() can unmap them (the objects may
 * outlive the device: open files, mappings, dma-bufs).
 */
struct rbnn_bo {
	struct drm_gem_shmem_object base;
	struct list_head mapped_node; /* in &rbnn_device.mapped_bos */
	struct rbnn_bo_quota *quota; /* charged (BO_CREATE), or NULL */
	u64 charged;
	struct dma_buf *detached; /* an import detached by remove() */
};

static struct rbnn_bo *to_rbnn_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct rbnn_bo, base);
}

static void rbnn_bo_free(struct drm_gem_object *obj)
{
	struct rbnn_device *rdev = to_rbnn_device(obj->dev);
	struct rbnn_bo *bo = to_rbnn_bo(obj);
	struct dma_buf *detached = bo->detached;

	mutex_lock(&rdev->bo_lock);
	list_del(&bo->mapped_node);
	mutex_unlock(&rdev->bo_lock);
	if (bo->quota) {
		rbnn_bo_uncharge(rdev, bo->quota, bo->charged);
		rbnn_bo_quota_put(bo->quota);
	}
	drm_gem_shmem_object_free(obj);
	/* The import's reference, which drm_prime_gem_destroy() would drop. */
	if (detached)
		dma_buf_put(detached);
}

/* The shmem helpers' object functions, with our own free. */
static const struct drm_gem_object_funcs rbnn_bo_funcs = {
	.free = rbnn_bo_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * rbnn_gem_create_object() - &drm_driver.gem_create_object
 * @drm: the DRM device
 * @size: object size
 *
 * Return: the GEM object of a new &struct rbnn_bo, or an ERR_PTR().
 */
struct drm_gem_object *rbnn_gem_create_object(struct drm_device *drm,
					      size_t size)
{
	struct rbnn_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&bo->mapped_node);
	bo->base.base.funcs = &rbnn_bo_funcs;
	return &bo->base.base;
}

/**
 * rbnn_gem_prime_import() - &drm_driver.gem_prime_import
 * @drm: the DRM device
 * @buf: the dma-buf
 *
 * The core's import attaches the buffer and maps it for the card at once.
 * It runs inside drm_dev_enter(), so that remove() waits for it, and a
 * foreign buffer is listed, so that remove() can detach it: its exporter
 * may keep it long after the card is gone.
 *
 * Return: the GEM object or an ERR_PTR(); -ENODEV once remove() began.
 */
struct drm_gem_object *rbnn_gem_prime_import(struct drm_device *drm,
					     struct dma_buf *buf)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_gem_object *obj;
	int idx;

	if (READ_ONCE(rdev->removing) || !drm_dev_enter(drm, &idx))
		return ERR_PTR(-ENODEV);
	obj = drm_gem_prime_import(drm, buf);
	/* Not our own objects: drm_gem_prime_import() returns those as such. */
	if (!IS_ERR(obj) && obj->import_attach) {
		mutex_lock(&rdev->bo_lock);
		if (list_empty(&to_rbnn_bo(obj)->mapped_node))
			list_add(&to_rbnn_bo(obj)->mapped_node,
				 &rdev->mapped_bos);
		mutex_unlock(&rdev->bo_lock);
	}
	drm_dev_exit(idx);
	return obj;
}

/*
 * remove(): detach an imported buffer, which is what unmaps it for the card
 * (DRM exporters keep the mapping of an attachment until it is detached).
 * The object may live on (open handles) but never reaches the card again;
 * from here on it is a plain object without pages, and rbnn_bo_free()
 * drops the import's dma-buf reference. No ioctl runs (the card is
 * unplugged) and drm_gem_mmap() refuses new mappings.
 */
static void rbnn_bo_detach(struct rbnn_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct dma_buf_attachment *attach = obj->import_attach;
	struct sg_table *sgt;

	dma_resv_lock(obj->resv, NULL);
	sgt = bo->base.sgt;
	bo->base.sgt = NULL;
	obj->import_attach = NULL;
	dma_resv_unlock(obj->resv);
	bo->detached = attach->dmabuf;
	if (sgt)
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	dma_buf_detach(attach->dmabuf, attach);
}

/**
 * rbnn_gem_unmap_all() - the card is gone: unmap every BO mapped for it
 * @rdev: the card, unplugged, with no job left on it
 *
 * Objects that outlive the device keep their pages (for their mappings);
 * their DMA mappings for the removed device go now.
 */
void rbnn_gem_unmap_all(struct rbnn_device *rdev)
{
	struct rbnn_bo *bo, *tmp;

	mutex_lock(&rdev->bo_lock);
	list_for_each_entry_safe(bo, tmp, &rdev->mapped_bos, mapped_node) {
		struct drm_gem_shmem_object *shmem = &bo->base;

		if (shmem->base.import_attach) {
			rbnn_bo_detach(bo);
			list_del_init(&bo->mapped_node);
			continue;
		}
		dma_resv_lock(shmem->base.resv, NULL);
		if (shmem->sgt && !shmem->base.import_attach) {
			dma_unmap_sgtable(rdev->drm.dev, shmem->sgt,
					  DMA_BIDIRECTIONAL, 0);
			sg_free_table(shmem->sgt);
			kfree(shmem->sgt);
			shmem->sgt = NULL;
		}
		dma_resv_unlock(shmem->base.resv);
		list_del_init(&bo->mapped_node);
	}
	mutex_unlock(&rdev->bo_lock);
}

int rbnn_ioctl_bo_create(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct rbnn_ctx *ctx = file->driver_priv;
	struct drm_rbnn_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct rbnn_bo *bo;
	u64 size;
	int ret;

	if (args->flags || !args->size || args->size > SZ_4G)
		return -EINVAL;

	size = PAGE_ALIGN(args->size);
	ret = rbnn_bo_charge(rdev, ctx->bo_quota, size);
	if (ret)
		return ret;
	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem)) {
		rbnn_bo_uncharge(rdev, ctx->bo_quota, size);
		return PTR_ERR(shmem);
	}
	/* From here the object's free gives the charge back. */
	bo = to_rbnn_bo(&shmem->base);
	kref_get(&ctx->bo_quota->ref);
	bo->quota = ctx->bo_quota;
	bo->charged = size;
	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	drm_gem_object_put(&shmem->base);
	return ret;
}

int rbnn_ioctl_bo_info(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_rbnn_bo_info *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = drm_gem_create_mmap_offset(obj);
	if (!ret) {
		args->size = obj->size;
		args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	}
	drm_gem_object_put(obj);
	return ret;
}

int rbnn_ioctl_bo_wait(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_rbnn_bo_wait *args = data;
	struct drm_gem_object *obj;
	long ret;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ, true,
				    drm_timeout_abs_to_jiffies(args->timeout_ns));
	drm_gem_object_put(obj);
	if (ret == 0)
		return -ETIMEDOUT;
	return ret < 0 ? ret : 0;
}

/* Number of DMA segments covering [offset, offset + len) of a mapping. */
static u32 rbnn_sgt_count(struct sg_table *sgt, u64 offset, u64 len)
{
	struct scatterlist *sg;
	u32 n = 0;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 seg = sg_dma_len(sg);

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		seg -= offset;
		offset = 0;
		n++;
		if (len <= seg)
			return n;
		len -= seg;
	}
	return 0; /* the mapping is shorter than the object: refuse */
}

/**
 * rbnn_job_add_bo() - add a BO range to a job
 * @job: the job
 * @file: the submitting file
 * @handle: GEM handle
 * @offset: byte offset of the range
 * @len: byte length of the range, > 0
 * @write: the card writes the range
 *
 * Looks the BO up, checks the range and pins and maps its pages.
 *
 * Return: 0; -ENOENT unknown handle; -ERANGE range outside the BO; -EINVAL
 * range too long for the card; another negative errno on failure to pin.
 */
int rbnn_job_add_bo(struct rbnn_job *job, struct drm_file *file, u32 handle,
		    u64 offset, u64 len, bool write)
{
	struct rbnn_device *rdev = job->rdev;
	struct rbnn_job_buf *b = &job->bufs[job->nbufs];
	struct drm_gem_object *obj;
	struct sg_table *sgt;
	u32 i, nents;
	int ret;

	if (job->nbufs >= RBNN_JOB_MAX_BUFS || !len || len > U32_MAX)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;
	if (offset > obj->size || len > obj->size - offset) {
		ret = -ERANGE;
		goto err_put;
	}
	sgt = drm_gem_shmem_get_pages_sgt(to_drm_gem_shmem_obj(obj));
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_put;
	}
	mutex_lock(&rdev->bo_lock);
	if (list_empty(&to_rbnn_bo(obj)->mapped_node))
		list_add(&to_rbnn_bo(obj)->mapped_node, &rdev->mapped_bos);
	mutex_unlock(&rdev->bo_lock);
	nents = rbnn_sgt_count(sgt, offset, len);
	if (!nents || nents > rdev->max_sgl) {
		ret = -EINVAL;
		goto err_put;
	}

	b->obj = obj;
	b->sgt = sgt;
	b->offset = offset;
	b->len = len;
	b->nents = nents;
	b->write = write;
	job->nbufs++;

	for (i = 0; i < job->nbos; i++) {
		if (job->bos[i] == obj) {
			job->bo_write[i] |= write;
			return 0;
		}
	}
	job->bos[job->nbos] = obj;
	job->bo_write[job->nbos] = write;
	job->nbos++;
	return 0;

err_put:
	drm_gem_object_put(obj);
	return ret;
}

static void rbnn_fill_buf(struct rbnn_job_buf *b, struct rbnn_hw_sge *sgl,
			  dma_addr_t sgl_dma)
{
	u64 skip = b->offset, left = b->len;
	struct scatterlist *sg;
	u32 n = 0;
	int i;

	for_each_sgtable_dma_sg(b->sgt, sg, i) {
		u64 seg = sg_dma_len(sg);
		dma_addr_t addr = sg_dma_address(sg);
		u64 take;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		addr += skip;
		seg -= skip;
		skip = 0;
		take = min(seg, left);
		if (b->nents == 1) {
			b->hw.addr = cpu_to_le64(addr);
			b->hw.nents = 0;
			b->hw.len = cpu_to_le32(b->len);
			return;
		}
		sgl[n].addr = cpu_to_le64(addr);
		sgl[n].len = cpu_to_le32(take);
		sgl[n].rsvd = 0;
		n++;
		left -= take;
		if (!left || n == b->nents)
			break;
	}
	b->hw.addr = cpu_to_le64(sgl_dma);
	b->hw.nents = cpu_to_le32(n);
	b->hw.len = cpu_to_le32(b->len);
}

/**
 * rbnn_job_map_bufs() - allocate the job's DMA buffer and describe its BOs
 * @job: the job, with @prog_len set
 *
 * The DMA buffer holds the layer program (@prog_len bytes at offset 0, to be
 * written by the caller) and the SG lists of the job's BO ranges; each range
 * gets its &rbnn_job_buf.hw descriptor.
 *
 * Return: 0, -EBUSY (job memory caps, rbnn_job_charge()) or -ENOMEM.
 */
int rbnn_job_map_bufs(struct rbnn_job *job)
{
	size_t size = ALIGN(job->prog_len, 16), off;
	u32 i;

	for (i = 0; i < job->nbufs; i++)
		if (job->bufs[i].nents > 1)
			size += (size_t)job->bufs[i].nents *
				sizeof(struct rbnn_hw_sge);
	if (size) {
		int ret = rbnn_job_dma_alloc(job, size);

		if (ret)
			return ret;
	}
	off = ALIGN(job->prog_len, 16);
	for (i = 0; i < job->nbufs; i++) {
		struct rbnn_job_buf *b = &job->bufs[i];

		rbnn_fill_buf(b, job->dma_cpu + off, job->dma_addr + off);
		if (b->nents > 1)
			off += (size_t)b->nents * sizeof(struct rbnn_hw_sge);
	}
	return 0;
}

/* Sync [offset, offset + len) of a mapped BO, segment by segment. */
static void rbnn_sync_range(struct device *dev, struct sg_table *sgt,
			    u64 offset, u64 len, bool for_device)
{
	struct scatterlist *sg;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 seg = sg_dma_len(sg), take;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		take = min(seg - offset, len);
		if (for_device)
			dma_sync_single_range_for_device(dev, sg_dma_address(sg),
							 offset, take,
							 DMA_BIDIRECTIONAL);
		else
			dma_sync_single_range_for_cpu(dev, sg_dma_address(sg),
						      offset, take,
						      DMA_BIDIRECTIONAL);
		offset = 0;
		len -= take;
		if (!len)
			break;
	}
}

/**
 * rbnn_job_sync_bufs() - make the BO ranges coherent for the card or CPU
 * @job: the job
 * @for_device: before the card runs the job (else after it finished)
 *
 * Only the ranges the job uses: a BO may be up to 4 GiB, and other jobs
 * or the CPU may be using its other parts meanwhile.
 */
void rbnn_job_sync_bufs(struct rbnn_job *job, bool for_device)
{
	struct device *dev = &job->rdev->pdev->dev;
	u32 i;

	for (i = 0; i < job->nbufs; i++) {
		struct rbnn_job_buf *b = &job->bufs[i];

		if (b->obj->import_attach || !b->len)
			continue;
		if (!for_device && !b->write)
			continue;
		rbnn_sync_range(dev, b->sgt, b->offset, b->len, for_device);
	}
}
