/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU PCI device "rbnn": the RBNN RRAM binarized-neural-network
 * accelerator card. All card behaviour lives in the plain-C device-model
 * core (rbnn_dev.c and friends); this file is only the QEMU glue: PCI
 * identity, BAR0 MMIO, MSI-X (2 vectors, own BAR 2), bus-master DMA, a
 * bottom half for command processing, a QEMU_CLOCK_VIRTUAL timer, guest
 * error logging, reset, migration and the properties.
 *
 * Commands run in slices: the bottom half computes for at most
 * RBNN_SLICE_NS of host time (in core calls of RBNN_SLICE_UNITS work
 * units each, see rbnn_dev_work_slice()) and, if work is left, arms a
 * QEMU_CLOCK_REALTIME timer RBNN_SLICE_GAP_NS later that schedules it
 * again. The main loop then sleeps in poll() without the BQL, so vCPU
 * threads and the migration thread get the lock between slices (a bottom
 * half that re-armed itself would keep the poll timeout at 0, and the main
 * loop would take the BQL back before a waiting thread woke up); the
 * monitor and other devices are served too. A long command never holds
 * the BQL for long.
 * While the VM is stopped no slice runs (no DMA); the command goes on when
 * it runs again. A card that is computing a command cannot be saved: the
 * migration (or savevm) fails with an error and can be retried when the
 * command has completed.
 * The array migrates in a live section of its own, row by row while the
 * VM runs, rows changed since sent again (see "migration" below).
 *
 * Properties (every field of struct rbnn_params; a property that is not
 * given keeps the default of rbnn_params_default()):
 *
 *   integers (uint32):  tiles rows cols act-buf-size max-layers max-sgl
 *                       max-batch pulse-ns verify-max x-wear-accel
 *                       prog-parallel x-fault-hang-cmd x-fault-dma-every
 *                       x-fault-irq-every
 *   integer (uint64):   seed (default: derived from the QOM path)
 *   booleans:           error-model x-debug
 *   enumerations:       cell-mode = 2t2r | 1t1r
 *                       timing    = instant | modeled
 *   numbers (double, in the unit the name ends with, decimal or
 *   exponent notation, e.g. read-ber=1e-6):
 *       prog-current-ua (uA)       prog-voltage-v (V)
 *       lrs-k-v (V)                lrs-sigma-ref (ln ohm)
 *       lrs-sigma-iref-ua (uA)     lrs-sigma-exp (1)
 *       hrs-median-kohm (kOhm)     hrs-sigma (ln ohm)
 *       verify-margin (ln units)   read-ber (probability per cell read)
 *       endurance (cycles)         endurance-sigma (ln units)
 *       drift-nu (1)               drift-nu-sigma (1)
 *       drift-tau-s (s)            e-read-fj (fJ)
 *       e-popcount-fj (fJ)         e-dma-fj (fJ per byte)
 *       e-cmd-fj (fJ)              t-read-ns (ns)
 *       t-dma-ns-per-byte (ns)     t-cmd-ns (ns)
 *       reset-voltage-v (V)        hrs-v-slope (ln ohm per V)
 *       hrs-pulse-exp (1)          sw-fail (per device pulse)
 *       sw-fail-i-exp (1)          sw-fail-v-scale (V)
 *       sw-fail-t-exp (1)          d2d-frac (1)
 *       verify-step (1)            endurance-exp (1)
 *       window-loss (ln units)     drift-lrs-ratio (1)
 *       drift-ea-ev (eV)           vdd-v (V)
 *       sa-offset-sigma (ln units) leak-uw (uW)
 *       read-disturb (ln units)    read-disturb-n0 (row reads)
 *
 * Time and temperature (issue 15), also settable at run time with
 * qom-set on the realized card:
 *       temperature-c (C)          array temperature, -40..200; from
 *                                  then on it sets how fast age-s ages
 *                                  the cells (Arrhenius)
 *       age-s (s, run time only)   array age; a write moves it forward
 *                                  to the value (never back), at most
 *                                  1e12 s
 *
 * realize fails with the reason from rbnn_params_check() if a value is out
 * of range. Several cards per machine are fine: there is no static state.
 */
#include "qemu/osdep.h"
#include <math.h>
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "qapi/visitor.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "migration/qemu-file-types.h"
#include "migration/register.h"
#include "migration/vmstate.h"
#include "qemu/error-report.h"
#include "qom/object.h"
#include "system/runstate.h"
#include "trace.h"

#include "rbnn_regs.h"
#include "rbnn_params.h"
#include "rbnn_dev.h"

#define TYPE_RBNN "rbnn"

/*
 * Host time one bottom half may compute, the core's budget per call, and
 * the pause before the next slice.
 */
#define RBNN_SLICE_NS       (500 * SCALE_US)
#define RBNN_SLICE_UNITS    (1u << 18)
#define RBNN_SLICE_GAP_NS   (20 * SCALE_US)
OBJECT_DECLARE_SIMPLE_TYPE(RbnnState, RBNN)

struct RbnnState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    QEMUBH *bh;
    QEMUTimer *timer;
    bool timer_fired;
    QEMUTimer *slice_timer;     /* QEMU_CLOCK_REALTIME: the next slice */
    VMChangeStateEntry *vmstate_entry;
    bool paused;        /* work left while the VM was stopped */

    struct rbnn_params params;
    bool seed_given;    /* seed= on the command line, else derived */
    struct rbnn_dev *core;

    /* Migration: the registers' serialized state (not the array). */
    uint8_t *state_buf;
    uint32_t state_len;
    /* The array's own live section (rbnn_mig_*): name, bounce buffer. */
    char *mig_id;
    uint8_t *mig_buf;
    size_t mig_cursor;          /* where the next iteration looks */
    /* Bytes of the last outgoing migration, for x-mig-* and traces. */
    uint64_t mig_live_bytes;    /* setup and iterations, VM running */
    uint64_t mig_final_bytes;   /* the final stage, VM stopped */
    uint64_t mig_final_rows;
};

static void rbnn_mig_register(RbnnState *s);
static void rbnn_mig_unregister(RbnnState *s);

/* ---- host interface for the core ------------------------------------- */

/* The card's name in traces and logs: its id, else the type. */
static const char *rbnn_id(RbnnState *s)
{
    return DEVICE(s)->id ? DEVICE(s)->id : TYPE_RBNN;
}

static int rbnn_host_dma_read(void *opaque, uint64_t addr, void *buf,
                              size_t len)
{
    RbnnState *s = opaque;
    bool ok = pci_dma_read(PCI_DEVICE(s), addr, buf, len) == MEMTX_OK;

    trace_rbnn_dma(rbnn_id(s), "read", addr, len, ok);
    return !ok;
}

static int rbnn_host_dma_write(void *opaque, uint64_t addr, const void *buf,
                               size_t len)
{
    RbnnState *s = opaque;
    bool ok = pci_dma_write(PCI_DEVICE(s), addr, buf, len) == MEMTX_OK;

    trace_rbnn_dma(rbnn_id(s), "write", addr, len, ok);
    return !ok;
}

/*
 * Messages are memory writes of the card: none while MSI-X is disabled or
 * bus mastering is off. The card has no INTx; the events stay in
 * INT_STATUS and are sent when messages can go again (rbnn_write_config).
 */
static bool rbnn_can_send(PCIDevice *pdev)
{
    return msix_enabled(pdev) &&
           (pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER);
}

static void rbnn_host_irq(void *opaque, unsigned int vec)
{
    RbnnState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);
    bool sent = vec < RBNN_MSIX_VECTORS && rbnn_can_send(pdev);

    trace_rbnn_irq(rbnn_id(s), vec, sent);
    if (sent) {
        msix_notify(pdev, vec);
    }
}

static void rbnn_host_cmd_fetched(void *opaque, uint32_t tag, uint8_t opcode)
{
    trace_rbnn_cmd_fetched(rbnn_id(opaque), tag, opcode);
}

static void rbnn_host_cmd_posted(void *opaque, uint32_t tag, uint16_t status,
                                 uint64_t time_ns)
{
    trace_rbnn_cmd_posted(rbnn_id(opaque), tag, status, time_ns);
}

static void rbnn_host_kick(void *opaque)
{
    RbnnState *s = opaque;

    qemu_bh_schedule(s->bh);
}

static void rbnn_host_timer_mod(void *opaque, uint64_t when_ns)
{
    RbnnState *s = opaque;

    if (!s->timer) {
        return;
    }
    if (when_ns == UINT64_MAX) {
        timer_del(s->timer);
    } else {
        timer_mod(s->timer, when_ns > INT64_MAX ? INT64_MAX : when_ns);
    }
}

static uint64_t rbnn_host_now_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * The core's struct rbnn_host declares this callback without a format
 * attribute, so -Wmissing-format-attribute is silenced for it.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsuggest-attribute=format"
static void rbnn_host_guest_error(void *opaque, const char *fmt, va_list ap)
{
    RbnnState *s = opaque;
    g_autofree char *msg = NULL;

    if (!qemu_loglevel_mask(LOG_GUEST_ERROR) &&
        !trace_event_get_state_backends(TRACE_RBNN_GUEST_ERROR)) {
        return;
    }
    msg = g_strdup_vprintf(fmt, ap);
    trace_rbnn_guest_error(rbnn_id(s), msg);
    if (DEVICE(s)->id) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s\n", DEVICE(s)->id, msg);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "%s\n", msg);
    }
}
#pragma GCC diagnostic pop

/* ---- bottom half and timer ------------------------------------------- */

/* CPU time of this thread (for the slice trace: wall time minus preemption). */
static int64_t rbnn_thread_cpu_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) {
        return 0;
    }
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

static void rbnn_bh(void *opaque)
{
    RbnnState *s = opaque;
    int64_t start, now, cpu = 0;
    bool more;

    if (!runstate_is_running()) {
        if (!s->paused) {
            trace_rbnn_paused(rbnn_id(s));
        }
        s->paused = true;
        return;
    }
    if (s->timer_fired) {
        s->timer_fired = false;
        rbnn_dev_timer(s->core);
    }
    if (trace_event_get_state_backends(TRACE_RBNN_SLICE)) {
        cpu = rbnn_thread_cpu_ns();
    }
    start = get_clock();
    do {
        more = rbnn_dev_work_slice(s->core, RBNN_SLICE_UNITS);
        now = get_clock();
    } while (more && now - start < RBNN_SLICE_NS);
    if (trace_event_get_state_backends(TRACE_RBNN_SLICE)) {
        trace_rbnn_slice(rbnn_id(s), now - start, rbnn_thread_cpu_ns() - cpu,
                         more);
    }
    if (more) {
        timer_mod(s->slice_timer,
                  qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + RBNN_SLICE_GAP_NS);
    }
}

static void rbnn_slice_cb(void *opaque)
{
    RbnnState *s = opaque;

    qemu_bh_schedule(s->bh);
}

static void rbnn_vm_state_change(void *opaque, bool running, RunState state)
{
    RbnnState *s = opaque;

    if (running && s->paused) {
        trace_rbnn_resumed(rbnn_id(s));
        s->paused = false;
        qemu_bh_schedule(s->bh);
    }
}

/*
 * Modeled completions and moderation deadlines run in the timer callback
 * itself, so virtual time is exact (a qtest clock_step over several
 * deadlines completes each command at its own time). The callback takes
 * the device's reentrancy guard like the guarded bottom half does, so DMA
 * aimed at the card's own BARs cannot re-enter it; if the guard is already
 * engaged the work is deferred to the bottom half.
 */
static void rbnn_timer_cb(void *opaque)
{
    RbnnState *s = opaque;
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;

    if (guard->engaged_in_io) {
        s->timer_fired = true;
        qemu_bh_schedule(s->bh);
        return;
    }
    guard->engaged_in_io = true;
    rbnn_dev_timer(s->core);
    guard->engaged_in_io = false;
}

/* ---- BAR0 ------------------------------------------------------------- */

static uint64_t rbnn_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    RbnnState *s = opaque;
    uint32_t val;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: invalid %u-byte read at 0x%" HWADDR_PRIx
                      " (only aligned 32-bit accesses)\n",
                      rbnn_id(s), size, addr);
        trace_rbnn_mmio_read(rbnn_id(s), addr, size, 0);
        return 0;
    }
    val = rbnn_dev_read(s->core, addr);
    trace_rbnn_mmio_read(rbnn_id(s), addr, size, val);
    return val;
}

static void rbnn_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    RbnnState *s = opaque;

    trace_rbnn_mmio_write(rbnn_id(s), addr, size, val);
    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: invalid %u-byte write at 0x%" HWADDR_PRIx
                      " (only aligned 32-bit accesses)\n",
                      rbnn_id(s), size, addr);
        return;
    }
    rbnn_dev_write(s->core, addr, val);
}

/* Every size reaches the handlers, which accept only aligned 32-bit. */
static const MemoryRegionOps rbnn_mmio_ops = {
    .read = rbnn_mmio_read,
    .write = rbnn_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* ---- life cycle -------------------------------------------------------- */

/*
 * Without seed=, each card gets its own seed from its place in the QOM
 * tree (its id, or its order among unnamed devices): two cards of one
 * machine draw different errors, and the same command line gives the
 * same seed again, on a migration destination too. FNV-1a, 64 bits.
 */
static uint64_t rbnn_default_seed(RbnnState *s)
{
    g_autofree char *path = object_get_canonical_path(OBJECT(s));
    uint64_t h = 0xcbf29ce484222325ull;
    const char *c;

    for (c = path ? path : TYPE_RBNN; *c; c++) {
        h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
    }
    return h;
}

static void rbnn_realize(PCIDevice *pdev, Error **errp)
{
    RbnnState *s = RBNN(pdev);
    char err[256];
    unsigned int v;
    const struct rbnn_host host = {
        .opaque = s,
        .dma_read = rbnn_host_dma_read,
        .dma_write = rbnn_host_dma_write,
        .irq = rbnn_host_irq,
        .kick = rbnn_host_kick,
        .timer_mod = rbnn_host_timer_mod,
        .now_ns = rbnn_host_now_ns,
        .guest_error = rbnn_host_guest_error,
        .cmd_fetched = rbnn_host_cmd_fetched,
        .cmd_posted = rbnn_host_cmd_posted,
    };

    if (rbnn_params_check(&s->params, err, sizeof(err))) {
        error_setg(errp, "rbnn: invalid property: %s", err);
        return;
    }
    if (!s->seed_given) {
        s->params.seed = rbnn_default_seed(s);
    }
    trace_rbnn_seed(rbnn_id(s), s->params.seed, s->seed_given);
    s->bh = qemu_bh_new_guarded(rbnn_bh, s, &DEVICE(pdev)->mem_reentrancy_guard);
    s->vmstate_entry = qemu_add_vm_change_state_handler(rbnn_vm_state_change,
                                                        s);
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, rbnn_timer_cb, s);
    s->slice_timer = timer_new_ns(QEMU_CLOCK_REALTIME, rbnn_slice_cb, s);
    s->core = rbnn_dev_new(&s->params, &host, err, sizeof(err));
    if (!s->core) {
        error_setg(errp, "rbnn: %s", err);
        goto fail;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &rbnn_mmio_ops, s,
                          "rbnn-regs", RBNN_REGS_SIZE);
    pci_register_bar(pdev, RBNN_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    if (msix_init_exclusive_bar(pdev, RBNN_MSIX_VECTORS, RBNN_BAR_MSIX,
                                errp)) {
        goto fail;
    }
    for (v = 0; v < RBNN_MSIX_VECTORS; v++) {
        msix_vector_use(pdev, v);
    }
    /* On a PCIe bus: an endpoint (root complex integrated on pcie.0). */
    if (pci_bus_is_express(pci_get_bus(pdev)) &&
        pcie_endpoint_cap_init(pdev, 0) < 0) {
        error_setg(errp, "rbnn: cannot add the PCI Express capability");
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
        goto fail;
    }
    /* Function-level reset: a power-on reset of the card (rbnn_reset_hold). */
    if (pdev->exp.exp_cap) {
        pcie_cap_flr_init(pdev);
    }
    rbnn_mig_register(s);
    return;

fail:
    rbnn_dev_free(s->core);
    s->core = NULL;
    qemu_del_vm_change_state_handler(s->vmstate_entry);
    s->vmstate_entry = NULL;
    timer_free(s->timer);
    s->timer = NULL;
    timer_free(s->slice_timer);
    s->slice_timer = NULL;
    qemu_bh_delete(s->bh);
    s->bh = NULL;
}

static void rbnn_exit(PCIDevice *pdev)
{
    RbnnState *s = RBNN(pdev);

    if (s->timer) {
        timer_free(s->timer);
        s->timer = NULL;
    }
    if (s->slice_timer) {
        timer_free(s->slice_timer);
        s->slice_timer = NULL;
    }
    if (s->bh) {
        qemu_bh_delete(s->bh);
        s->bh = NULL;
    }
    if (s->vmstate_entry) {
        qemu_del_vm_change_state_handler(s->vmstate_entry);
        s->vmstate_entry = NULL;
    }
    rbnn_mig_unregister(s);
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
    rbnn_dev_free(s->core);
    s->core = NULL;
    g_free(s->state_buf);
    s->state_buf = NULL;
    s->state_len = 0;
}

/*
 * A write of the FLR bit resets the function (pci_device_reset()). When
 * messages can be sent again (MSI-X enabled, bus mastering on), the
 * events that came meanwhile are (rbnn_dev_int_replay()).
 */
static void rbnn_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,
                              int len)
{
    RbnnState *s = RBNN(pdev);
    bool could = rbnn_can_send(pdev);

    pci_default_write_config(pdev, addr, val, len);
    if (pdev->exp.exp_cap) {
        pcie_cap_flr_write_config(pdev, addr, val, len);
    }
    if (!could && rbnn_can_send(pdev) && s->core) {
        rbnn_dev_int_replay(s->core);
    }
}

/*
 * Resettable hold phase: any reset of the device (system reset, PCI bus
 * reset, FLR) is a power-on reset of the card. It abandons a command being
 * computed; the card sends no interrupt while resetting.
 */
static void rbnn_reset_hold(Object *obj, ResetType type)
{
    RbnnState *s = RBNN(obj);

    trace_rbnn_reset(rbnn_id(s), type);
    s->timer_fired = false;
    s->paused = false;
    if (s->core) {
        rbnn_dev_reset(s->core, true);
    }
}

/* ---- migration -------------------------------------------------------- */

/*
 * The array (about 9 MB at the defaults, up to 2.2 GB) migrates in its own
 * live section, "<PCI address>/rbnn-array", while the VM runs: setup sends
 * the card's properties (the destination refuses other physics before any
 * row comes) and marks every row dirty; each iteration sends dirty rows in
 * chunks of RBNN_MIG_CHUNK bytes, clearing them, as long as the rate
 * limit allows; the core marks a row dirty again whenever its state
 * changes (programming, refresh, erase, thresholds, stuck cells, read
 * counts). The pending size is the dirty rows. The final stage, with the VM
 * stopped, sends the rows still dirty and the array's head (generator,
 * age, temperature), then the device's vmstate (PCI, MSI-X, registers:
 * a few KB) follows. No full copy of the array is made: rows go through
 * a bounce buffer of RBNN_MIG_CHUNK bytes.
 *
 * Records of the section, each a be32 tag:
 *   RBNN_MIG_PARAMS  be32 length, the properties (rbnn_params_save())
 *   RBNN_MIG_ROWS    be32 count, then count x (be32 index, row state)
 *   RBNN_MIG_HEAD    be32 length, the head (rbnn_array_save_head())
 *   RBNN_MIG_END     end of this part of the section
 */
#define RBNN_MIG_VERSION    1
#define RBNN_MIG_CHUNK      (256 * KiB)
#define RBNN_MIG_PARAMS     0x52425031u     /* "RBP1" */
#define RBNN_MIG_ROWS       0x52425231u     /* "RBR1" */
#define RBNN_MIG_HEAD       0x52424831u     /* "RBH1" */
#define RBNN_MIG_END        0x52424531u     /* "RBE1" */

static struct rbnn_array *rbnn_arr(RbnnState *s)
{
    return rbnn_dev_array(s->core);
}

static size_t rbnn_mig_row_bytes(RbnnState *s)
{
    return 4 + rbnn_array_row_state_size(rbnn_arr(s));
}

/*
 * Copy up to @max bytes of dirty rows, from @s->mig_cursor on (wrapping
 * once), into the bounce buffer, clearing them; the caller holds the BQL.
 * Returns the number of rows.
 */
static uint32_t rbnn_mig_take_rows(RbnnState *s, size_t max)
{
    struct rbnn_array *a = rbnn_arr(s);
    size_t nrows = rbnn_array_nrows(a), rb = rbnn_mig_row_bytes(s);
    size_t idx, off = 0;
    uint32_t n = 0;
    bool wrapped = false;

    while (off + rb <= max) {
        idx = rbnn_array_dirty_next(a, s->mig_cursor);
        if (idx >= nrows) {
            if (wrapped || !rbnn_array_dirty_count(a)) {
                break;
            }
            wrapped = true;
            s->mig_cursor = 0;
            continue;
        }
        stl_be_p(s->mig_buf + off, idx);
        rbnn_array_save_row(a, idx, s->mig_buf + off + 4);
        rbnn_array_dirty_clear(a, idx);
        s->mig_cursor = idx + 1;
        off += rb;
        n++;
    }
    return n;
}

static void rbnn_mig_put_rows(QEMUFile *f, RbnnState *s, uint32_t n)
{
    qemu_put_be32(f, RBNN_MIG_ROWS);
    qemu_put_be32(f, n);
    qemu_put_buffer(f, s->mig_buf, n * rbnn_mig_row_bytes(s));
}

static int rbnn_mig_save_setup(QEMUFile *f, void *opaque, Error **errp)
{
    RbnnState *s = opaque;
    size_t plen = rbnn_params_state_size();
    g_autofree uint8_t *p = g_malloc(plen);

    rbnn_params_save(rbnn_array_params(rbnn_arr(s)), p);
    s->mig_buf = g_malloc(MAX(RBNN_MIG_CHUNK, rbnn_mig_row_bytes(s)));
    s->mig_cursor = 0;
    s->mig_live_bytes = 8 + plen + 4;
    s->mig_final_bytes = 0;
    s->mig_final_rows = 0;
    rbnn_array_dirty_all(rbnn_arr(s));
    qemu_put_be32(f, RBNN_MIG_PARAMS);
    qemu_put_be32(f, plen);
    qemu_put_buffer(f, p, plen);
    qemu_put_be32(f, RBNN_MIG_END);
    trace_rbnn_mig_setup(rbnn_id(s), rbnn_array_nrows(rbnn_arr(s)),
                         rbnn_mig_row_bytes(s));
    return 0;
}

static void rbnn_mig_save_cleanup(void *opaque)
{
    RbnnState *s = opaque;

    g_free(s->mig_buf);
    s->mig_buf = NULL;
}

/*
 * Runs without the BQL in a migration (taken for each chunk), with it in
 * savevm. Sends chunks of dirty rows until the rate limit of this
 * interval is reached or no row is dirty.
 */
static int rbnn_mig_save_iterate(QEMUFile *f, void *opaque)
{
    RbnnState *s = opaque;
    uint32_t n, total = 0;
    bool clean = false;

    while (!clean && !migration_rate_exceeded(f)) {
        {
            BQL_LOCK_GUARD();
            n = rbnn_mig_take_rows(s, RBNN_MIG_CHUNK);
            clean = !rbnn_array_dirty_count(rbnn_arr(s));
            s->mig_live_bytes += n ? 8 + n * rbnn_mig_row_bytes(s) : 0;
        }
        if (!n) {
            break;
        }
        rbnn_mig_put_rows(f, s, n);
        total += n;
    }
    qemu_put_be32(f, RBNN_MIG_END);
    s->mig_live_bytes += 4;
    trace_rbnn_mig_iterate(rbnn_id(s), total, clean);
    return clean;
}

static void rbnn_mig_pending(void *opaque, uint64_t *must_precopy,
                             uint64_t *can_postcopy)
{
    RbnnState *s = opaque;
    size_t n;

    {
        BQL_LOCK_GUARD();
        n = rbnn_array_dirty_count(rbnn_arr(s));
    }
    *must_precopy += n * rbnn_mig_row_bytes(s) + rbnn_array_head_size();
}

/* VM stopped, BQL held: the rows still dirty, then the head. */
static int rbnn_mig_save_complete(QEMUFile *f, void *opaque)
{
    RbnnState *s = opaque;
    size_t hlen = rbnn_array_head_size();
    g_autofree uint8_t *h = g_malloc(hlen);
    uint64_t bytes = 0, rows = 0;
    uint32_t n;

    /*
     * A command being computed cannot be saved: the device's vmstate,
     * which comes right after this, refuses it (rbnn_pre_save, with an
     * error that names the card).
     */
    if (rbnn_dev_computing(s->core)) {
        qemu_put_be32(f, RBNN_MIG_END);
        return qemu_file_get_error(f);
    }
    s->mig_cursor = 0;
    while ((n = rbnn_mig_take_rows(s, RBNN_MIG_CHUNK))) {
        rbnn_mig_put_rows(f, s, n);
        bytes += 8 + n * rbnn_mig_row_bytes(s);
        rows += n;
    }
    rbnn_array_save_head(rbnn_arr(s), h);
    qemu_put_be32(f, RBNN_MIG_HEAD);
    qemu_put_be32(f, hlen);
    qemu_put_buffer(f, h, hlen);
    qemu_put_be32(f, RBNN_MIG_END);
    s->mig_final_bytes = bytes + 8 + hlen + 4;
    s->mig_final_rows = rows;
    trace_rbnn_mig_complete(rbnn_id(s), rows, s->mig_final_bytes,
                            s->mig_live_bytes);
    return qemu_file_get_error(f);
}

static int rbnn_mig_load_rows(QEMUFile *f, RbnnState *s)
{
    struct rbnn_array *a = rbnn_arr(s);
    size_t len = rbnn_array_row_state_size(a);
    g_autofree uint8_t *row = g_malloc(len);
    uint32_t n = qemu_get_be32(f), i, idx;

    for (i = 0; i < n; i++) {
        idx = qemu_get_be32(f);
        if (qemu_get_buffer(f, row, len) != len) {
            return -EIO;
        }
        if (idx >= rbnn_array_nrows(a) ||
            rbnn_array_load_row(a, idx, row, len)) {
            error_report("%s: the incoming card state is refused: a "
                         "malformed array row (%u)", rbnn_id(s), idx);
            return -EINVAL;
        }
    }
    return 0;
}

/* A part of the section: records up to RBNN_MIG_END. */
static int rbnn_mig_load(QEMUFile *f, void *opaque, int version_id)
{
    RbnnState *s = opaque;
    struct rbnn_array *a = rbnn_arr(s);
    char err[256];
    uint32_t tag, len;
    int r;

    for (;;) {
        tag = qemu_get_be32(f);
        r = qemu_file_get_error(f);
        if (r) {
            return r;
        }
        switch (tag) {
        case RBNN_MIG_END:
            return 0;
        case RBNN_MIG_ROWS:
            r = rbnn_mig_load_rows(f, s);
            if (r) {
                return r;
            }
            break;
        case RBNN_MIG_PARAMS:
        case RBNN_MIG_HEAD: {
            g_autofree uint8_t *b = NULL;

            len = qemu_get_be32(f);
            if (len != (tag == RBNN_MIG_HEAD ? rbnn_array_head_size()
                                             : rbnn_params_state_size())) {
                error_report("%s: the incoming card state is refused: a "
                             "record of %u bytes", rbnn_id(s), len);
                return -EINVAL;
            }
            b = g_malloc(len);
            if (qemu_get_buffer(f, b, len) != len) {
                return -EIO;
            }
            if (tag == RBNN_MIG_PARAMS) {
                r = rbnn_params_compare_state(rbnn_array_params(a), b, len,
                                              err, sizeof(err));
            } else {
                r = rbnn_array_load_head(a, b, len);
                snprintf(err, sizeof(err), "a malformed array state");
            }
            if (r) {
                error_report("%s: the incoming card state is refused: %s",
                             rbnn_id(s), err);
                return -EINVAL;
            }
            break;
        }
        default:
            error_report("%s: the incoming card state is refused: unknown "
                         "record 0x%x", rbnn_id(s), tag);
            return -EINVAL;
        }
    }
}

static const SaveVMHandlers rbnn_mig_handlers = {
    .save_setup = rbnn_mig_save_setup,
    .save_cleanup = rbnn_mig_save_cleanup,
    .save_live_iterate = rbnn_mig_save_iterate,
    .save_live_complete_precopy = rbnn_mig_save_complete,
    .state_pending_estimate = rbnn_mig_pending,
    .state_pending_exact = rbnn_mig_pending,
    .load_state = rbnn_mig_load,
};

/* The section is named after the card's place, as vfio's are. */
static void rbnn_mig_register(RbnnState *s)
{
    g_autofree char *oid = vmstate_if_get_id(VMSTATE_IF(s));

    s->mig_id = oid ? g_strdup_printf("%s/rbnn-array", oid)
                    : g_strdup("rbnn-array");
    register_savevm_live(s->mig_id, VMSTATE_INSTANCE_ID_ANY, RBNN_MIG_VERSION,
                         &rbnn_mig_handlers, s);
}

static void rbnn_mig_unregister(RbnnState *s)
{
    if (s->mig_id) {
        unregister_savevm(VMSTATE_IF(s), "rbnn-array", s);
        g_free(s->mig_id);
        s->mig_id = NULL;
    }
}

/* The device's own vmstate: PCI, MSI-X and the registers, no array. */
static int rbnn_pre_save(void *opaque)
{
    RbnnState *s = opaque;
    size_t n;

    if (rbnn_dev_computing(s->core)) {
        trace_rbnn_save_refused(rbnn_id(s));
        error_report("%s: the card is computing a command; it cannot be "
                     "saved until the command completes (retry then)",
                     rbnn_id(s));
        return -EBUSY;
    }
    n = rbnn_dev_regs_state_size(s->core);
    g_free(s->state_buf);
    s->state_buf = g_malloc(n);
    s->state_len = n;
    rbnn_dev_save_regs(s->core, s->state_buf);
    return 0;
}

static int rbnn_post_save(void *opaque)
{
    RbnnState *s = opaque;

    g_free(s->state_buf);
    s->state_buf = NULL;
    s->state_len = 0;
    return 0;
}

static int rbnn_pre_load(void *opaque)
{
    RbnnState *s = opaque;

    g_free(s->state_buf);
    s->state_buf = NULL;
    s->state_len = 0;
    return 0;
}

static int rbnn_post_load(void *opaque, int version_id)
{
    RbnnState *s = opaque;
    char err[256];
    int r = rbnn_dev_load_regs(s->core, s->state_buf, s->state_len, err,
                               sizeof(err));

    g_free(s->state_buf);
    s->state_buf = NULL;
    s->state_len = 0;
    s->timer_fired = false;
    if (r) {
        error_report("%s: the incoming card state is refused: %s",
                     rbnn_id(s), err);
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_rbnn = {
    .name = TYPE_RBNN,
    /*
     * 4: the registers and properties only; the array comes in the live
     * section (core array state version 3, row by row).
     */
    .version_id = 4,
    .minimum_version_id = 4,
    .pre_save = rbnn_pre_save,
    .post_save = rbnn_post_save,
    .pre_load = rbnn_pre_load,
    .post_load = rbnn_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, RbnnState),
        VMSTATE_MSIX(parent_obj, RbnnState),
        VMSTATE_UINT32(state_len, RbnnState),
        VMSTATE_VBUFFER_ALLOC_UINT32(state_buf, RbnnState, 0, NULL, state_len),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- properties -------------------------------------------------------- */

/* double fields: a "number" property (qemu_strtod syntax on the CLI). */
static void rbnn_get_double(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    const Property *prop = opaque;
    double *ptr = object_field_prop_ptr(obj, prop);

    visit_type_number(v, name, ptr, errp);
}

static void rbnn_set_double(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    const Property *prop = opaque;
    double *ptr = object_field_prop_ptr(obj, prop);
    double val;

    if (!visit_type_number(v, name, &val, errp)) {
        return;
    }
    if (!isfinite(val)) {
        error_setg(errp, "rbnn: %s must be a finite number", name);
        return;
    }
    *ptr = val;
}

static const PropertyInfo rbnn_prop_double = {
    .type = "number",
    .description = "number (double)",
    .get = rbnn_get_double,
    .set = rbnn_set_double,
};

/*
 * ---- time and temperature at run time (issue 15) ----
 * temperature-c is a params field that stays settable after realize;
 * age-s is a run-time property of the array. Both check their bounds
 * and fail with a message naming them, never changing state then.
 */
#define RBNN_AGE_MAX_S 1e12

static void rbnn_get_temperature(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    RbnnState *s = RBNN(obj);
    double t = s->core ? rbnn_array_temperature(rbnn_dev_array(s->core))
                       : s->params.temperature_c;

    visit_type_number(v, name, &t, errp);
}

static void rbnn_set_temperature(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    RbnnState *s = RBNN(obj);
    double t;

    if (!visit_type_number(v, name, &t, errp)) {
        return;
    }
    if (!isfinite(t) || t < RBNN_TEMP_MIN_C || t > RBNN_TEMP_MAX_C) {
        error_setg(errp, "rbnn: %s must be in [%g..%g] (got %g)", name,
                   RBNN_TEMP_MIN_C, RBNN_TEMP_MAX_C, t);
        return;
    }
    if (s->core) {
        rbnn_array_set_temperature(rbnn_dev_array(s->core), t);
    }
    s->params.temperature_c = t;
}

static const PropertyInfo rbnn_prop_temperature = {
    .type = "number",
    .description = "array temperature, C (settable at run time)",
    .get = rbnn_get_temperature,
    .set = rbnn_set_temperature,
    .realized_set_allowed = true,
};

static void rbnn_get_age(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    RbnnState *s = RBNN(obj);
    double age = s->core ? rbnn_array_age(rbnn_dev_array(s->core)) : 0;

    visit_type_number(v, name, &age, errp);
}

static void rbnn_set_age(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    RbnnState *s = RBNN(obj);
    struct rbnn_array *a;
    double age;

    if (!visit_type_number(v, name, &age, errp)) {
        return;
    }
    if (!s->core) {
        error_setg(errp, "rbnn: %s is set at run time (qom-set), after "
                   "the card is realized", name);
        return;
    }
    a = rbnn_dev_array(s->core);
    if (!isfinite(age) || age < rbnn_array_age(a) || age > RBNN_AGE_MAX_S) {
        error_setg(errp, "rbnn: %s must be in [%g..%g] s: the age only "
                   "moves forward (got %g)", name, rbnn_array_age(a),
                   RBNN_AGE_MAX_S, age);
        return;
    }
    rbnn_array_advance_age(a, age - rbnn_array_age(a));
}

/* x-mig-*: bytes and rows of the last outgoing migration (read only). */
static void rbnn_get_mig_stat(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    uint64_t val = *(uint64_t *)((char *)obj + (uintptr_t)opaque);

    visit_type_uint64(v, name, &val, errp);
}

/* seed: a uint64 that remembers it was given (else realize derives one). */
static void rbnn_get_seed(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    RbnnState *s = RBNN(obj);

    visit_type_uint64(v, name, &s->params.seed, errp);
}

static void rbnn_set_seed(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    RbnnState *s = RBNN(obj);
    uint64_t seed;

    if (visit_type_uint64(v, name, &seed, errp)) {
        s->params.seed = seed;
        s->seed_given = true;
    }
}

static const PropertyInfo rbnn_prop_seed = {
    .type = "uint64",
    .description = "seed of the array's random numbers (default: derived "
                   "from the card's QOM path)",
    .get = rbnn_get_seed,
    .set = rbnn_set_seed,
};

/*
 * Enumerations: qdev enum properties over a QEnumLookup (the names are
 * listed by -device rbnn,help and checked by the visitor), kept in the
 * core's uint32_t fields.
 */
static const char *const rbnn_cell_mode_names[] = { "2t2r", "1t1r" };
static const char *const rbnn_timing_names[] = { "instant", "modeled" };

static const QEnumLookup rbnn_cell_mode_lookup = {
    .array = rbnn_cell_mode_names,
    .size = ARRAY_SIZE(rbnn_cell_mode_names),
};

static const QEnumLookup rbnn_timing_lookup = {
    .array = rbnn_timing_names,
    .size = ARRAY_SIZE(rbnn_timing_names),
};

static void rbnn_get_enum(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const Property *prop = opaque;
    uint32_t *ptr = object_field_prop_ptr(obj, prop);
    int val = *ptr;

    visit_type_enum(v, name, &val, prop->info->enum_table, errp);
}

static void rbnn_set_enum(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const Property *prop = opaque;
    uint32_t *ptr = object_field_prop_ptr(obj, prop);
    int val;

    if (visit_type_enum(v, name, &val, prop->info->enum_table, errp)) {
        *ptr = val;
    }
}

static const PropertyInfo rbnn_prop_cell_mode = {
    .type = "RbnnCellMode",
    .description = "cell of a weight bit: 2t2r (differential) or 1t1r",
    .enum_table = &rbnn_cell_mode_lookup,
    .get = rbnn_get_enum,
    .set = rbnn_set_enum,
};

static const PropertyInfo rbnn_prop_timing = {
    .type = "RbnnTiming",
    .description = "completion times: instant or modeled",
    .enum_table = &rbnn_timing_lookup,
    .get = rbnn_get_enum,
    .set = rbnn_set_enum,
};

#define RBNN_PROP(_name, _field, _info, _type) \
    DEFINE_PROP(_name, RbnnState, params._field, _info, _type)
#define RBNN_U32(_name, _field) RBNN_PROP(_name, _field, qdev_prop_uint32, uint32_t)
#define RBNN_DBL(_name, _field) RBNN_PROP(_name, _field, rbnn_prop_double, double)

static const Property rbnn_props[] = {
    RBNN_U32("tiles", tiles),
    RBNN_U32("rows", rows),
    RBNN_U32("cols", cols),
    RBNN_U32("act-buf-size", act_buf_size),
    RBNN_U32("max-layers", max_layers),
    RBNN_U32("max-sgl", max_sgl),
    RBNN_U32("max-batch", max_batch),
    RBNN_PROP("cell-mode", cell_mode, rbnn_prop_cell_mode, uint32_t),
    RBNN_PROP("error-model", error_model, qdev_prop_bool, bool),
    RBNN_PROP("seed", seed, rbnn_prop_seed, uint64_t),
    RBNN_DBL("prog-current-ua", prog_current_ua),
    RBNN_U32("pulse-ns", pulse_ns),
    RBNN_U32("verify-max", verify_max),
    RBNN_DBL("prog-voltage-v", prog_voltage_v),
    RBNN_DBL("lrs-k-v", lrs_k_v),
    RBNN_DBL("lrs-sigma-ref", lrs_sigma_ref),
    RBNN_DBL("lrs-sigma-iref-ua", lrs_sigma_iref_ua),
    RBNN_DBL("lrs-sigma-exp", lrs_sigma_exp),
    RBNN_DBL("hrs-median-kohm", hrs_median_kohm),
    RBNN_DBL("hrs-sigma", hrs_sigma),
    RBNN_DBL("verify-margin", verify_margin),
    RBNN_DBL("read-ber", read_ber),
    RBNN_DBL("endurance", endurance),
    RBNN_DBL("endurance-sigma", endurance_sigma),
    RBNN_U32("x-wear-accel", wear_accel),
    RBNN_DBL("drift-nu", drift_nu),
    RBNN_DBL("drift-nu-sigma", drift_nu_sigma),
    RBNN_DBL("drift-tau-s", drift_tau_s),
    RBNN_DBL("e-read-fj", e_read_fj),
    RBNN_DBL("e-popcount-fj", e_popcount_fj),
    RBNN_DBL("e-dma-fj", e_dma_fj),
    RBNN_DBL("e-cmd-fj", e_cmd_fj),
    RBNN_PROP("timing", timing, rbnn_prop_timing, uint32_t),
    RBNN_DBL("t-read-ns", t_read_ns),
    RBNN_DBL("t-dma-ns-per-byte", t_dma_ns_per_byte),
    RBNN_DBL("t-cmd-ns", t_cmd_ns),
    RBNN_U32("prog-parallel", prog_parallel),
    RBNN_PROP("x-debug", debug, qdev_prop_bool, bool),
    RBNN_U32("x-fault-hang-cmd", fault_hang_cmd),
    RBNN_U32("x-fault-dma-every", fault_dma_every),
    RBNN_U32("x-fault-irq-every", fault_irq_every),
    /* issue 15: calibrated physics */
    RBNN_DBL("reset-voltage-v", reset_voltage_v),
    RBNN_DBL("hrs-v-slope", hrs_v_slope),
    RBNN_DBL("hrs-pulse-exp", hrs_pulse_exp),
    RBNN_DBL("sw-fail", sw_fail),
    RBNN_DBL("sw-fail-i-exp", sw_fail_i_exp),
    RBNN_DBL("sw-fail-v-scale", sw_fail_v_scale),
    RBNN_DBL("sw-fail-t-exp", sw_fail_t_exp),
    RBNN_DBL("d2d-frac", d2d_frac),
    RBNN_DBL("verify-step", verify_step),
    RBNN_DBL("endurance-exp", endurance_exp),
    RBNN_DBL("window-loss", window_loss),
    RBNN_DBL("drift-lrs-ratio", drift_lrs_ratio),
    RBNN_DBL("drift-ea-ev", drift_ea_ev),
    RBNN_DBL("vdd-v", vdd_v),
    RBNN_DBL("sa-offset-sigma", sa_offset_sigma),
    RBNN_DBL("leak-uw", leak_uw),
    RBNN_DBL("read-disturb", read_disturb),
    RBNN_DBL("read-disturb-n0", read_disturb_n0),
    RBNN_PROP("temperature-c", temperature_c, rbnn_prop_temperature, double),
};

static void rbnn_instance_init(Object *obj)
{
    RbnnState *s = RBNN(obj);

    /* Properties have no qdev default: they keep these. */
    rbnn_params_default(&s->params);
    /*
     * Hybrid conventional/PCIe device: 4 KiB config space always (it does
     * not depend on the command line); the PCIe capability is added at
     * realize when the bus is PCIe.
     */
    PCI_DEVICE(obj)->cap_present |= QEMU_PCI_CAP_EXPRESS;
}

/* QEMU from 10.1 on declares class_init's data const; build with both. */
#if QEMU_VERSION_MAJOR > 10 || (QEMU_VERSION_MAJOR == 10 && QEMU_VERSION_MINOR >= 1)
#define RBNN_CLASS_DATA const void
#else
#define RBNN_CLASS_DATA void
#endif

static void rbnn_class_init(ObjectClass *klass, RBNN_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = rbnn_realize;
    k->exit = rbnn_exit;
    k->config_write = rbnn_write_config;
    k->vendor_id = RBNN_PCI_VENDOR_ID;
    k->device_id = RBNN_PCI_DEVICE_ID;
    k->revision = RBNN_PCI_REVISION;
    k->class_id = RBNN_PCI_CLASS_CODE >> 8;
    dc->desc = "RBNN RRAM binarized neural network accelerator";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    rc->phases.hold = rbnn_reset_hold;
    device_class_set_props(dc, rbnn_props);
    object_class_property_add(klass, "age-s", "number",
                              rbnn_get_age, rbnn_set_age, NULL, NULL);
    object_class_property_set_description(klass, "age-s",
        "array age, s (run time: moves forward only)");
    object_class_property_add(klass, "x-mig-live-bytes", "uint64",
                              rbnn_get_mig_stat, NULL, NULL,
                              (void *)offsetof(RbnnState, mig_live_bytes));
    object_class_property_set_description(klass, "x-mig-live-bytes",
        "array bytes the last migration sent while the VM ran");
    object_class_property_add(klass, "x-mig-final-bytes", "uint64",
                              rbnn_get_mig_stat, NULL, NULL,
                              (void *)offsetof(RbnnState, mig_final_bytes));
    object_class_property_set_description(klass, "x-mig-final-bytes",
        "array bytes the last migration sent with the VM stopped");
    object_class_property_add(klass, "x-mig-final-rows", "uint64",
                              rbnn_get_mig_stat, NULL, NULL,
                              (void *)offsetof(RbnnState, mig_final_rows));
    object_class_property_set_description(klass, "x-mig-final-rows",
        "array rows the last migration sent with the VM stopped");
    dc->vmsd = &vmstate_rbnn;
}

static void rbnn_register_types(void)
{
    static InterfaceInfo interfaces[] = {
        { INTERFACE_PCIE_DEVICE },
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    };
    static const TypeInfo rbnn_info = {
        .name = TYPE_RBNN,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(RbnnState),
        .instance_init = rbnn_instance_init,
        .class_init = rbnn_class_init,
        .interfaces = interfaces,
    };

    type_register_static(&rbnn_info);
}

type_init(rbnn_register_types)
