/*
 * QTest testcase for the RBNN accelerator card (-device rbnn).
 *
 * Built inside the QEMU tree by emulator/qemu/build-qemu.sh (copied to
 * tests/qtest/rbnn-test.c). Drives the card through the qtest protocol:
 * PCI config space, BAR0 registers, guest memory for the rings, buffers,
 * SG lists and MSI-X messages (MSI-X table entries point into guest RAM).
 * EXEC results are checked against a naive reference computed here.
 *
 *   QTEST_QEMU_BINARY="qemu-system-x86_64 -L /usr/share/seabios \
 *       -L /usr/share/qemu" tests/qtest/rbnn-test --tap -k
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "qobject/qlist.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci.h"
#include "hw/pci/pci_regs.h"
#include "hw/misc/rbnn/rbnn_regs.h"

#define DEVFN0          QPCI_DEVFN(4, 0)
#define DEVFN1          QPCI_DEVFN(5, 0)
#define WAIT_US         (20 * G_USEC_PER_SEC)
#define MSI_DATA(v)     (0x5a000000u | (v))

typedef struct Card {
    QOSState *qs;
    QTestState *qts;
    QPCIDevice *dev;
    QPCIBar bar;
    uint64_t msi;               /* one u32 per vector */
    uint64_t sq, cq;
    uint32_t sqn, cqn, sq_tail, cq_head, phase;
} Card;

/* ---- boot ---------------------------------------------------------------- */

static const char *fw_args(void)
{
    static char buf[128];

    buf[0] = 0;
    if (g_file_test("/usr/share/seabios", G_FILE_TEST_IS_DIR)) {
        g_strlcat(buf, " -L /usr/share/seabios", sizeof(buf));
    }
    if (g_file_test("/usr/share/qemu", G_FILE_TEST_IS_DIR)) {
        g_strlcat(buf, " -L /usr/share/qemu", sizeof(buf));
    }
    return buf;
}

static QOSState *boot(const char *devices)
{
    return qtest_pc_boot("-M q35 -nodefaults%s %s", fw_args(), devices);
}

static void card_msix(Card *c)
{
    unsigned int v;

    qpci_msix_enable(c->dev);
    g_assert_cmpint(qpci_msix_table_size(c->dev), ==, RBNN_MSIX_VECTORS);
    if (!c->msi) {
        c->msi = guest_alloc(&c->qs->alloc, 4096);
    }
    qtest_memset(c->qts, c->msi, 0, 16);
    for (v = 0; v < RBNN_MSIX_VECTORS; v++) {
        uint64_t e = c->dev->msix_table_off + v * PCI_MSIX_ENTRY_SIZE;
        uint64_t a = c->msi + 4 * v;

        qpci_io_writel(c->dev, c->dev->msix_table_bar,
                       e + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)a);
        qpci_io_writel(c->dev, c->dev->msix_table_bar,
                       e + PCI_MSIX_ENTRY_UPPER_ADDR, (uint32_t)(a >> 32));
        qpci_io_writel(c->dev, c->dev->msix_table_bar,
                       e + PCI_MSIX_ENTRY_DATA, MSI_DATA(v));
        qpci_io_writel(c->dev, c->dev->msix_table_bar,
                       e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    }
}

/* Find the card at @devfn, enable memory + bus master, map BAR0, MSI-X. */
static void card_attach(Card *c, QOSState *qs, int devfn)
{
    memset(c, 0, sizeof(*c));
    c->qs = qs;
    c->qts = qs->qts;
    c->dev = qpci_device_find(qs->pcibus, devfn);
    g_assert(c->dev != NULL);
    qpci_device_enable(c->dev);
    c->bar = qpci_iomap(c->dev, RBNN_BAR_REGS, NULL);
    card_msix(c);
}

static void card_detach(Card *c)
{
    qpci_msix_disable(c->dev);
    qpci_iounmap(c->dev, c->bar);
    g_free(c->dev);
    c->dev = NULL;
}

static Card *card_boot(const char *props)
{
    Card *c = g_new0(Card, 1);
    g_autofree char *dev = g_strdup_printf("-device rbnn,addr=04.0%s%s",
                                           props[0] ? "," : "", props);
    QOSState *qs = boot(dev);

    card_attach(c, qs, DEVFN0);
    return c;
}

static void card_free(Card *c)
{
    QOSState *qs = c->qs;

    card_detach(c);
    g_free(c);
    qtest_shutdown(qs);
}

static uint32_t rd(Card *c, uint32_t off)
{
    return qpci_io_readl(c->dev, c->bar, off);
}

static void wr(Card *c, uint32_t off, uint32_t v)
{
    qpci_io_writel(c->dev, c->bar, off, v);
}

static uint64_t rd64(Card *c, uint32_t lo)
{
    uint64_t l = rd(c, lo);

    return l | (uint64_t)rd(c, lo + 4) << 32;
}

/* MSI message seen on @vec since the last call? (clears it) */
static bool msi_take(Card *c, unsigned int vec)
{
    uint32_t v = qtest_readl(c->qts, c->msi + 4 * vec);

    if (v) {
        g_assert_cmphex(v, ==, MSI_DATA(vec));
        qtest_writel(c->qts, c->msi + 4 * vec, 0);
    }
    return v != 0;
}

static uint64_t galloc(Card *c, size_t n)
{
    return guest_alloc(&c->qs->alloc, n);
}

/* ---- rings ------------------------------------------------------------- */

static void card_rings(Card *c, uint32_t sqn, uint32_t cqn)
{
    c->sq = galloc(c, sqn * 64);
    c->cq = galloc(c, cqn * 32);
    qtest_memset(c->qts, c->cq, 0, cqn * 32);
    wr(c, RBNN_REG_SQ_BASE_LO, (uint32_t)c->sq);
    wr(c, RBNN_REG_SQ_BASE_HI, (uint32_t)(c->sq >> 32));
    wr(c, RBNN_REG_SQ_SIZE, sqn);
    wr(c, RBNN_REG_CQ_BASE_LO, (uint32_t)c->cq);
    wr(c, RBNN_REG_CQ_BASE_HI, (uint32_t)(c->cq >> 32));
    wr(c, RBNN_REG_CQ_SIZE, cqn);
    wr(c, RBNN_REG_INT_MASK, RBNN_INT_CQ | RBNN_INT_ERROR | RBNN_INT_TEST);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, RBNN_STS_ENABLED);
    c->sqn = sqn;
    c->cqn = cqn;
    c->sq_tail = c->cq_head = 0;
    c->phase = 1;
}

static void card_queue(Card *c, const struct rbnn_hw_cmd *cmd)
{
    qtest_memwrite(c->qts, c->sq + (uint64_t)c->sq_tail * 64, cmd, 64);
    c->sq_tail = (c->sq_tail + 1) % c->sqn;
}

static void card_doorbell(Card *c)
{
    wr(c, RBNN_REG_SQ_TAIL, c->sq_tail);
}

/* The next CQE if present (phase); consumes it locally. */
static bool card_pop(Card *c, struct rbnn_hw_cqe *out)
{
    struct rbnn_hw_cqe e;

    qtest_memread(c->qts, c->cq + (uint64_t)c->cq_head * 32, &e, 32);
    if ((le16_to_cpu(e.flags) & RBNN_CQE_F_PHASE) != c->phase) {
        return false;
    }
    if (out) {
        *out = e;
    }
    c->cq_head = (c->cq_head + 1) % c->cqn;
    if (!c->cq_head) {
        c->phase ^= 1;
    }
    return true;
}

/* Wait (real time; the card works in a bottom half) for the next CQE. */
static struct rbnn_hw_cqe card_wait(Card *c)
{
    struct rbnn_hw_cqe e;
    gint64 end = g_get_monotonic_time() + WAIT_US;

    while (!card_pop(c, &e)) {
        g_assert(g_get_monotonic_time() < end);
        g_usleep(50);
    }
    return e;
}

/* Nothing arrives within a few main-loop round trips. */
static void card_expect_none(Card *c)
{
    int i;

    for (i = 0; i < 20; i++) {
        rd(c, RBNN_REG_STATUS);
        g_assert_false(card_pop(c, NULL));
    }
}

static void card_consume(Card *c)
{
    wr(c, RBNN_REG_CQ_HEAD, c->cq_head);
}

static struct rbnn_hw_cqe card_do(Card *c, const struct rbnn_hw_cmd *cmd)
{
    struct rbnn_hw_cqe e;

    card_queue(c, cmd);
    card_doorbell(c);
    e = card_wait(c);
    card_consume(c);
    g_assert_cmpuint(le32_to_cpu(e.tag), ==, le32_to_cpu(cmd->tag));
    return e;
}

static uint32_t st(const struct rbnn_hw_cqe *e)
{
    return le16_to_cpu(e->status);
}

static uint32_t det(const struct rbnn_hw_cqe *e)
{
    return le32_to_cpu(e->detail);
}

/* Wait until @reg & @mask == @val (the bottom half runs asynchronously). */
/* Wait (at most WAIT_US) until the VM of @qts runs. */
static void wait_vm_running(QTestState *qts)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-status' }");
        bool running = qdict_get_bool(qdict_get_qdict(rsp, "return"),
                                      "running");

        qobject_unref(rsp);
        if (running) {
            return;
        }
        g_assert(g_get_monotonic_time() < end);
        g_usleep(10000);
    }
}

static void wait_reg(Card *c, uint32_t reg, uint32_t mask, uint32_t val)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    while ((rd(c, reg) & mask) != val) {
        g_assert(g_get_monotonic_time() < end);
        g_usleep(50);
    }
}

static struct rbnn_hw_cmd cmd_op(uint8_t op, uint32_t tag)
{
    struct rbnn_hw_cmd c;

    memset(&c, 0, sizeof(c));
    c.opcode = op;
    c.tag = cpu_to_le32(tag);
    return c;
}

static struct rbnn_hw_cmd cmd_rows(uint8_t op, uint32_t tile, uint32_t row,
                                   uint32_t nrows, uint64_t addr, uint32_t len)
{
    struct rbnn_hw_cmd c = cmd_op(op, 0x1000 + op);

    c.rows.tile = cpu_to_le32(tile);
    c.rows.row = cpu_to_le32(row);
    c.rows.nrows = cpu_to_le32(nrows);
    c.rows.buf.addr = cpu_to_le64(addr);
    c.rows.buf.len = cpu_to_le32(len);
    return c;
}

static void put_sge(Card *c, uint64_t at, uint64_t addr, uint32_t len)
{
    struct rbnn_hw_sge s = {
        .addr = cpu_to_le64(addr), .len = cpu_to_le32(len), .rsvd = 0,
    };

    qtest_memwrite(c->qts, at, &s, sizeof(s));
}

/*
 * A buffer of @len bytes scattered over @nseg pieces (separate pages, odd
 * offsets); sets @b to an SG descriptor. @seg_addr/@seg_len get the pieces.
 */
static void make_sg(Card *c, size_t len, unsigned int nseg,
                    struct rbnn_hw_buf *b, uint64_t *seg_addr,
                    uint32_t *seg_len)
{
    uint64_t list = galloc(c, nseg * 16);
    size_t left = len, i;

    for (i = 0; i < nseg; i++) {
        size_t n = i + 1 == nseg ? left : MAX(left / (nseg - i) + (i % 2 ? 3 : -3), 1);
        uint64_t mem;

        if (n > left) {
            n = left;
        }
        if (!n) {
            n = 1;  /* extra bytes beyond len are allowed */
        }
        mem = galloc(c, n + 64) + 8 * (i % 4) + 1;
        seg_addr[i] = mem;
        seg_len[i] = n;
        put_sge(c, list + 16 * i, mem, n);
        left -= MIN(n, left);
    }
    b->addr = cpu_to_le64(list);
    b->nents = cpu_to_le32(nseg);
    b->len = cpu_to_le32(len);
}

static void sg_write(Card *c, const void *data, size_t len, unsigned int nseg,
                     const uint64_t *seg_addr, const uint32_t *seg_len)
{
    const uint8_t *p = data;
    unsigned int i;

    for (i = 0; i < nseg && len; i++) {
        size_t n = MIN(len, seg_len[i]);

        qtest_memwrite(c->qts, seg_addr[i], p, n);
        p += n;
        len -= n;
    }
}

static void sg_read(Card *c, void *data, size_t len, unsigned int nseg,
                    const uint64_t *seg_addr, const uint32_t *seg_len)
{
    uint8_t *p = data;
    unsigned int i;

    for (i = 0; i < nseg && len; i++) {
        size_t n = MIN(len, seg_len[i]);

        qtest_memread(c->qts, seg_addr[i], p, n);
        p += n;
        len -= n;
    }
}

static void fill_random(void *p, size_t n)
{
    uint8_t *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        b[i] = g_test_rand_int_range(0, 256);
    }
}

/* ---- identity and registers -------------------------------------------- */

static void test_pci_identity(void)
{
    Card *c = card_boot("");
    QPCIDevice *d = c->dev;

    g_assert_cmphex(qpci_config_readw(d, PCI_VENDOR_ID), ==, RBNN_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(d, PCI_DEVICE_ID), ==, RBNN_PCI_DEVICE_ID);
    g_assert_cmphex(qpci_config_readw(d, PCI_CLASS_DEVICE), ==, 0x1200);
    g_assert_cmphex(qpci_config_readb(d, PCI_CLASS_PROG), ==, 0);
    g_assert_cmphex(qpci_config_readb(d, PCI_REVISION_ID), ==, RBNN_PCI_REVISION);
    g_assert_cmphex(qpci_find_capability(d, PCI_CAP_ID_MSIX, 0), !=, 0);
    g_assert_cmpint(qpci_msix_table_size(d), ==, 2);
    /* on q35's pcie.0: a root-complex integrated PCIe endpoint */
    {
        uint8_t exp = qpci_find_capability(d, PCI_CAP_ID_EXP, 0);

        g_assert_cmphex(exp, !=, 0);
        g_assert_cmphex((qpci_config_readw(d, exp + PCI_EXP_FLAGS) &
                         PCI_EXP_FLAGS_TYPE) >> 4, ==, PCI_EXP_TYPE_RC_END);
    }
    /* no INTx: interrupts are MSI-X only */
    g_assert_cmphex(qpci_config_readb(d, PCI_INTERRUPT_PIN), ==, 0);
    /* BAR0 is 4 KiB of memory */
    {
        uint64_t size;
        QPCIBar b = qpci_iomap(d, RBNN_BAR_REGS, &size);

        g_assert_cmpuint(size, ==, RBNN_REGS_SIZE);
        g_assert_false(b.is_io);
        c->bar = b;     /* remapped */
    }
    g_assert_cmphex(rd(c, RBNN_REG_ID), ==, RBNN_ID_VALUE);
    g_assert_cmphex(rd(c, RBNN_REG_VERSION), ==, 0x00010000);
    /* defaults: error model on, instant timing, no debug */
    g_assert_cmphex(rd(c, RBNN_REG_CAPS), ==,
                    0xffu | RBNN_CAP_ERROR_MODEL | RBNN_CAP_SCRUB_COUNT);
    g_assert_cmpuint(rd(c, RBNN_REG_TILES), ==, 16);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_ROWS), ==, 256);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_COLS), ==, 256);
    g_assert_cmpuint(rd(c, RBNN_REG_ACT_BUF_SIZE), ==, 65536);
    g_assert_cmpuint(rd(c, RBNN_REG_MAX_LAYERS), ==, 32);
    g_assert_cmpuint(rd(c, RBNN_REG_MAX_SGL), ==, 65536);
    g_assert_cmpuint(rd(c, RBNN_REG_MAX_BATCH), ==, 65536);
    g_assert_cmpuint(rd(c, RBNN_REG_CELL_MODE), ==, RBNN_CELL_2T2R);
    card_free(c);
}

static void test_properties(void)
{
    Card *c = card_boot("tiles=8,rows=128,cols=192,act-buf-size=4096,"
                        "max-layers=7,max-sgl=33,max-batch=99,cell-mode=1t1r,"
                        "timing=modeled,x-debug=on,error-model=off,seed=12345,"
                        "prog-current-ua=50,read-ber=2e-6,pulse-ns=200,"
                        "verify-max=3,endurance=5e5,x-wear-accel=10,"
                        "drift-nu=0.05,e-read-fj=20,e-popcount-fj=600.4,"
                        "e-dma-fj=1000,t-read-ns=12.5");
    static const struct { uint32_t id; uint64_t v; } want[] = {
        { RBNN_PARAM_ERROR_MODEL, 0 },
        { RBNN_PARAM_SEED, 12345 },
        { RBNN_PARAM_TIMING, 1 },
        { RBNN_PARAM_PROG_CURRENT_NA, 50000 },
        { RBNN_PARAM_PULSE_NS, 200 },
        { RBNN_PARAM_VERIFY_MAX, 3 },
        { RBNN_PARAM_READ_BER_PPB, 2000 },
        { RBNN_PARAM_ENDURANCE, 500000 },
        { RBNN_PARAM_WEAR_ACCEL, 10 },
        { RBNN_PARAM_DRIFT_NU_PPM, 50000 },
        { RBNN_PARAM_E_READ_FJ, 20 },
        { RBNN_PARAM_E_POPCOUNT_FJ, 600 },
        { RBNN_PARAM_E_DMA_FJ, 1000 },
        { RBNN_PARAM_T_READ_NS, 13 },
    };
    unsigned int i;

    g_assert_cmphex(rd(c, RBNN_REG_CAPS), ==,
                    0xffu | RBNN_CAP_TIMING_MODELED | RBNN_CAP_DEBUG |
                    RBNN_CAP_SCRUB_COUNT);
    g_assert_cmpuint(rd(c, RBNN_REG_TILES), ==, 8);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_ROWS), ==, 128);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_COLS), ==, 192);
    g_assert_cmpuint(rd(c, RBNN_REG_ACT_BUF_SIZE), ==, 4096);
    g_assert_cmpuint(rd(c, RBNN_REG_MAX_LAYERS), ==, 7);
    g_assert_cmpuint(rd(c, RBNN_REG_MAX_SGL), ==, 33);
    g_assert_cmpuint(rd(c, RBNN_REG_MAX_BATCH), ==, 99);
    g_assert_cmpuint(rd(c, RBNN_REG_CELL_MODE), ==, RBNN_CELL_1T1R);
    for (i = 0; i < G_N_ELEMENTS(want); i++) {
        wr(c, RBNN_REG_PARAM_SEL, want[i].id);
        g_assert_cmpuint(rd(c, RBNN_REG_PARAM_SEL), ==, want[i].id);
        g_assert_cmpuint(rd64(c, RBNN_REG_PARAM_VAL_LO), ==, want[i].v);
    }
    /* expected BER: some probability, in ppb */
    wr(c, RBNN_REG_PARAM_SEL, RBNN_PARAM_EXPECTED_BER_PPB);
    g_assert_cmpuint(rd64(c, RBNN_REG_PARAM_VAL_LO), <=, 1000000000u);
    /* unknown ids read all ones */
    wr(c, RBNN_REG_PARAM_SEL, RBNN_PARAM_COUNT);
    g_assert_cmphex(rd(c, RBNN_REG_PARAM_VAL_LO), ==, 0xffffffff);
    g_assert_cmphex(rd(c, RBNN_REG_PARAM_VAL_HI), ==, 0xffffffff);
    wr(c, RBNN_REG_PARAM_SEL, 0x8000);
    g_assert_cmphex(rd64(c, RBNN_REG_PARAM_VAL_LO), ==, RBNN_PARAM_INVALID);
    card_free(c);
}

/* Invalid properties: realize fails, QEMU exits with an error message. */
static void test_bad_properties(void)
{
    static const char *const bad[] = {
        "tiles=0", "cols=100", "cell-mode=3t3r", "timing=fast",
        "cell-mode=1", "timing=1",
        "prog-current-ua=5000", "read-ber=0.9", "pulse-ns=1",
        "read-ber=abc", "temperature-c=300", "temperature-c=-50",
        "vdd-v=2", "sw-fail=0.9", "d2d-frac=-1", "age-s=5",
    };
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    unsigned int i;

    g_assert(qemu != NULL);
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *cmd = g_strdup_printf(
            "exec timeout 30 %s -M q35 -nodefaults%s -display none "
            "-accel qtest -S -device rbnn,%s", qemu, fw_args(), bad[i]);
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
                                   &out, &err, &status, NULL));
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 1);
        g_assert_nonnull(strstr(err, bad[i]));
    }
}

/* -device rbnn,help: the enumerations by type, the x- debug knobs. */
static void test_help(void)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *cmd = NULL, *out = NULL, *err = NULL;
    const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
    static const char *const want[] = {
        "cell-mode=<RbnnCellMode>", "timing=<RbnnTiming>", "x-debug=<bool>",
        "x-fault-hang-cmd=<uint32>", "x-wear-accel=<uint32>", "seed=<uint64>",
    };
    int status = 0;
    unsigned int i;

    g_assert(qemu != NULL);
    cmd = g_strdup_printf("exec timeout 30 %s -device rbnn,help", qemu);
    argv[2] = cmd;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
                               &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    for (i = 0; i < G_N_ELEMENTS(want); i++) {
        if (!strstr(out, want[i])) {
            g_test_message("no '%s' in:\n%s", want[i], out);
        }
        g_assert_nonnull(strstr(out, want[i]));
    }
    g_assert_null(strstr(out, " debug=<"));
}

/*
 * Time and temperature at run time (issue 15): qom-set on the realized
 * card, bounds checked with an error naming the property, the state
 * unchanged by a refused value; the age shows in AGE_S.
 */
static QDict *qom_set_num(Card *c, const char *prop, double v)
{
    return qtest_qmp(c->qts, "{'execute': 'qom-set', 'arguments':"
                     " {'path': '/machine/peripheral/card0',"
                     " 'property': %s, 'value': %f}}", prop, v);
}

static double qom_get_num(Card *c, const char *prop)
{
    QDict *resp = qtest_qmp(c->qts, "{'execute': 'qom-get', 'arguments':"
                            " {'path': '/machine/peripheral/card0',"
                            " 'property': %s}}", prop);
    double v;

    g_assert(qdict_haskey(resp, "return"));
    v = qnum_get_double(qobject_to(QNum, qdict_get(resp, "return")));
    qobject_unref(resp);
    return v;
}

static void expect_error(QDict *resp, const char *what)
{
    QDict *err = qdict_get_qdict(resp, "error");

    g_assert_nonnull(err);
    g_assert_nonnull(strstr(qdict_get_str(err, "desc"), what));
    qobject_unref(resp);
}

static void expect_ok(QDict *resp)
{
    g_assert(qdict_haskey(resp, "return"));
    qobject_unref(resp);
}

static void test_time_temperature(void)
{
    Card *c = card_boot("id=card0,temperature-c=85");

    g_assert_cmpfloat(qom_get_num(c, "temperature-c"), ==, 85);
    g_assert_cmpfloat(qom_get_num(c, "age-s"), ==, 0);
    expect_error(qom_set_num(c, "temperature-c", 250), "temperature-c");
    expect_error(qom_set_num(c, "temperature-c", -41), "temperature-c");
    g_assert_cmpfloat(qom_get_num(c, "temperature-c"), ==, 85);
    expect_ok(qom_set_num(c, "temperature-c", 125));
    g_assert_cmpfloat(qom_get_num(c, "temperature-c"), ==, 125);

    /* Ten years in one call; the register shows it. */
    expect_ok(qom_set_num(c, "age-s", 315576000));
    g_assert_cmpfloat(qom_get_num(c, "age-s"), ==, 315576000);
    g_assert_cmpuint(rd64(c, RBNN_REG_AGE_S_LO), ==, 315576000);
    /* Never backwards, never past the bound. */
    expect_error(qom_set_num(c, "age-s", 1000), "age-s");
    expect_error(qom_set_num(c, "age-s", 2e12), "age-s");
    g_assert_cmpuint(rd64(c, RBNN_REG_AGE_S_LO), ==, 315576000);
    card_free(c);
}

/*
 * Years of retention in one call: the same weakly programmed data (20 uA,
 * same seed) on two cards, one aged a year at 25 C and one at 85 C through
 * the run-time properties; READ_ROWS sees the drift, 85 C much more
 * (Documentation/rbnn-device.rst, retention table: 2.2e-3 fresh, 3.2e-2
 * and 7.7e-2 after a year).
 */
static uint32_t aged_errors(double temp_c, uint32_t *fresh)
{
    Card *c = card_boot("id=card0,tiles=2,rows=64,cols=256,read-ber=0,"
                        "prog-current-ua=20,seed=5");
    static uint8_t data[2 * 64 * 32], back[2 * 64 * 32];
    uint64_t buf = galloc(c, sizeof(data)), out = galloc(c, sizeof(data));
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    uint32_t t, i, errs = 0;

    card_rings(c, 8, 8);
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 0x9d + (i >> 7) * 0x3b);
    }
    qtest_memwrite(c->qts, buf, data, sizeof(data));
    for (t = 0; t < 2; t++) {
        cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, t, 0, 64, buf + t * 2048, 2048);
        e = card_do(c, &cmd);
        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            expect_ok(qom_set_num(c, "temperature-c", temp_c));
            expect_ok(qom_set_num(c, "age-s", 365.25 * 86400));
        }
        for (t = 0; t < 2; t++) {
            cmd = cmd_rows(RBNN_OP_READ_ROWS, t, 0, 64, out + t * 2048, 2048);
            e = card_do(c, &cmd);
            g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
        }
        qtest_memread(c->qts, out, back, sizeof(back));
        errs = 0;
        for (i = 0; i < sizeof(data); i++) {
            errs += __builtin_popcount(data[i] ^ back[i]);
        }
        if (!pass) {
            *fresh = errs;
        }
    }
    card_free(c);
    return errs;
}

static void test_retention_aged(void)
{
    uint32_t f25, f85, e25 = aged_errors(25, &f25), e85 = aged_errors(85, &f85);
    const double cells = 2 * 64 * 256;

    g_test_message("20 uA, 32768 cells: fresh %u, 1 year at 25 C %u, at 85 C %u",
                   f25, e25, e85);
    g_assert_cmpuint(f25, ==, f85);         /* same seed, same data */
    g_assert_cmpuint(f25, <, 0.006 * cells);
    g_assert_cmpfloat(e25 / cells, >, 0.02);
    g_assert_cmpfloat(e25 / cells, <, 0.045);
    g_assert_cmpfloat(e85 / cells, >, 0.06);
    g_assert_cmpfloat(e85 / cells, <, 0.095);
}

static void test_bad_access(void)
{
    Card *c = card_boot("");

    wr(c, RBNN_REG_SCRATCH, 0x12345678);
    g_assert_cmphex(rd(c, RBNN_REG_SCRATCH), ==, 0x12345678);
    /* other sizes: reads 0, writes ignored */
    g_assert_cmphex(qpci_io_readb(c->dev, c->bar, RBNN_REG_SCRATCH), ==, 0);
    g_assert_cmphex(qpci_io_readw(c->dev, c->bar, RBNN_REG_SCRATCH), ==, 0);
    g_assert_cmphex(qpci_io_readq(c->dev, c->bar, RBNN_REG_SCRATCH), ==, 0);
    g_assert_cmphex(qpci_io_readb(c->dev, c->bar, RBNN_REG_ID + 1), ==, 0);
    qpci_io_writeb(c->dev, c->bar, RBNN_REG_SCRATCH, 0xff);
    qpci_io_writew(c->dev, c->bar, RBNN_REG_SCRATCH + 2, 0xffff);
    qpci_io_writeq(c->dev, c->bar, RBNN_REG_SCRATCH, ~0ull);
    g_assert_cmphex(rd(c, RBNN_REG_SCRATCH), ==, 0x12345678);
    /* unaligned 32-bit */
    g_assert_cmphex(qpci_io_readl(c->dev, c->bar, RBNN_REG_ID + 2), ==, 0);
    qpci_io_writel(c->dev, c->bar, RBNN_REG_SCRATCH + 1, 0);
    g_assert_cmphex(rd(c, RBNN_REG_SCRATCH), ==, 0x12345678);
    /* unassigned offsets and read-only registers */
    g_assert_cmphex(rd(c, 0x0ffc), ==, 0);
    g_assert_cmphex(rd(c, 0x090), ==, 0);
    wr(c, 0x0ffc, 1);
    wr(c, RBNN_REG_ID, 0);
    wr(c, RBNN_REG_STATUS, 0xffffffff);
    g_assert_cmphex(rd(c, RBNN_REG_ID), ==, RBNN_ID_VALUE);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, 0);
    /* debug registers inactive without x-debug=on */
    wr(c, RBNN_REG_FAULT, RBNN_FAULT_HANG);
    g_assert_cmphex(rd(c, RBNN_REG_FAULT), ==, 0);
    /* QEMU is alive and the card works */
    card_rings(c, 4, 4);
    {
        struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 77);
        struct rbnn_hw_cqe e = card_do(c, &cmd);

        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    }
    card_free(c);
}

/* ---- interrupts ---------------------------------------------------------- */

static void test_msix_trigger(void)
{
    Card *c = card_boot("");

    g_assert_false(msi_take(c, 0));
    g_assert_false(msi_take(c, 1));
    /* masked source: status only */
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
    g_assert_cmphex(rd(c, RBNN_REG_INT_STATUS), ==, RBNN_INT_TEST);
    g_assert_false(msi_take(c, 1));
    /* unmasking a pending source sends it */
    wr(c, RBNN_REG_INT_MASK, RBNN_INT_TEST | RBNN_INT_CQ);
    g_assert_true(msi_take(c, 1));
    wr(c, RBNN_REG_INT_STATUS, RBNN_INT_TEST);
    g_assert_cmphex(rd(c, RBNN_REG_INT_STATUS), ==, 0);
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
    g_assert_true(msi_take(c, 1));
    g_assert_false(msi_take(c, 0));
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_CQ);
    g_assert_true(msi_take(c, 0));
    g_assert_false(msi_take(c, 1));
    /* a masked MSI-X vector leaves the message pending in the PBA */
    qpci_io_writel(c->dev, c->dev->msix_table_bar,
                   c->dev->msix_table_off + PCI_MSIX_ENTRY_SIZE +
                   PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
    g_assert_true(qpci_msix_masked(c->dev, 1));
    g_assert_false(qpci_msix_pending(c->dev, 1));
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
    g_assert_true(qpci_msix_pending(c->dev, 1));
    g_assert_false(msi_take(c, 1));
    qpci_io_writel(c->dev, c->dev->msix_table_bar,
                   c->dev->msix_table_off + PCI_MSIX_ENTRY_SIZE +
                   PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_false(qpci_msix_pending(c->dev, 1));
    g_assert_true(msi_take(c, 1));
    card_free(c);
}

static void test_msix_completion(void)
{
    Card *c = card_boot("");
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 5);
    struct rbnn_hw_cqe e;

    card_rings(c, 8, 8);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
    g_assert_true(msi_take(c, 0));
    g_assert_false(msi_take(c, 1));
    /* CQ masked: no message, status set */
    wr(c, RBNN_REG_INT_STATUS, 7);
    wr(c, RBNN_REG_INT_MASK, RBNN_INT_ERROR);
    e = card_do(c, &cmd);
    wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
    g_assert_false(msi_take(c, 0));
    card_free(c);
}

/* ---- rows ---------------------------------------------------------------- */

static void test_rows_roundtrip(void)
{
    Card *c = card_boot("error-model=off,tiles=4,rows=64,cols=256");
    const uint32_t rb = 32, nrows = 20;
    uint8_t data[20 * 32], back[20 * 32];
    uint64_t buf = galloc(c, sizeof(data)), sa[3];
    uint32_t sl[3], i;
    int32_t thr[20];
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    struct rbnn_hw_buf sgb;

    card_rings(c, 16, 16);
    fill_random(data, sizeof(data));
    qtest_memwrite(c->qts, buf, data, sizeof(data));
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 3, 40, nrows, buf, nrows * rb);
    cmd.flags = RBNN_CMD_F_VERIFY;
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_cmpuint(det(&e), >=, nrows * 256 * 2); /* 2T2R pulses */
    g_assert_cmpuint(rd64(c, RBNN_REG_PROG_PULSES_LO), ==, det(&e));
    g_assert_cmpuint(le64_to_cpu(e.time_ns), >, 0);
    g_assert_cmpuint(le64_to_cpu(e.energy_pj), >, 0);

    /* read back into a 3-piece SG buffer */
    make_sg(c, sizeof(data), 3, &sgb, sa, sl);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 3, 40, nrows, 0, 0);
    cmd.rows.buf = sgb;
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    sg_read(c, back, sizeof(back), 3, sa, sl);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    g_assert_cmpuint(rd64(c, RBNN_REG_CELL_READS_LO), >=, nrows * 256);

    /* partial read of rows 45..46 */
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 3, 45, 2, buf, 2 * rb);
    qtest_memset(c->qts, buf, 0, sizeof(data));
    e = card_do(c, &cmd);
    qtest_memread(c->qts, buf, back, 2 * rb);
    g_assert_cmpmem(back, 2 * rb, data + 5 * rb, 2 * rb);

    /* thresholds: accepted (the EXEC test checks their effect) */
    for (i = 0; i < nrows; i++) {
        thr[i] = cpu_to_le32((uint32_t)(i * 13 - 100));
    }
    qtest_memwrite(c->qts, buf, thr, sizeof(thr));
    cmd = cmd_rows(RBNN_OP_LOAD_THRESH, 3, 40, nrows, buf, sizeof(thr));
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);

    /* self test */
    cmd = cmd_op(RBNN_OP_SELF_TEST, 9);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_cmpuint(det(&e), ==, 0);

    /* refresh keeps data, erase clears it */
    cmd = cmd_rows(RBNN_OP_REFRESH, 3, 40, nrows, 0, 0);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 3, 40, nrows, buf, sizeof(data));
    e = card_do(c, &cmd);
    qtest_memread(c->qts, buf, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    cmd = cmd_rows(RBNN_OP_ERASE_TILE, 3, 0, 0, 0, 0);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 3, 40, nrows, buf, sizeof(data));
    e = card_do(c, &cmd);
    qtest_memread(c->qts, buf, back, sizeof(back));
    for (i = 0; i < sizeof(back); i++) {
        g_assert_cmpuint(back[i], ==, 0);
    }
    card_free(c);
}

static void test_wear(void)
{
    Card *c = card_boot("error-model=off,tiles=2,rows=32,cols=64,x-debug=on,"
                        "x-wear-accel=3");
    uint64_t buf = galloc(c, 4096);
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    struct rbnn_hw_wear w[32];
    uint32_t i;

    card_rings(c, 8, 8);
    qtest_memset(c->qts, buf, 0x55, 32 * 8);
    /* rows 4..7 programmed twice, row 10 once */
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 4, 4, buf, 4 * 8);
    card_do(c, &cmd);
    card_do(c, &cmd);
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 10, 1, buf, 8);
    card_do(c, &cmd);
    /* one stuck cell */
    wr(c, RBNN_REG_STUCK_TILE, 1);
    wr(c, RBNN_REG_STUCK_ROW, 20);
    wr(c, RBNN_REG_STUCK_COL, 63);
    wr(c, RBNN_REG_STUCK_CMD, RBNN_STUCK_CMD_AT0);

    cmd = cmd_rows(RBNN_OP_READ_WEAR, 1, 0, 0, buf + 1024, sizeof(w));
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memread(c->qts, buf + 1024, w, sizeof(w));
    for (i = 0; i < 32; i++) {
        uint32_t want = (i >= 4 && i < 8) ? 6 : i == 10 ? 3 : 0;

        g_assert_cmpuint(le32_to_cpu(w[i].cycles), ==, want);
        g_assert_cmpuint(le32_to_cpu(w[i].stuck), ==, i == 20 ? 1 : 0);
    }
    wr(c, RBNN_REG_TILE_SEL, 1);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_SEL), ==, 1);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_CYCLES_MAX), ==, 6);
    g_assert_cmpuint(rd64(c, RBNN_REG_TILE_CYCLES_LO), ==, 4 * 6 + 3);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_STUCK), ==, 1);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_VERIFY_FAILS), ==, 0);
    wr(c, RBNN_REG_TILE_SEL, 0);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_CYCLES_MAX), ==, 0);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_STUCK), ==, 0);
    wr(c, RBNN_REG_TILE_SEL, 2);    /* out of range: zeros */
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_CYCLES_MAX), ==, 0);
    g_assert_cmpuint(rd64(c, RBNN_REG_TILE_CYCLES_LO), ==, 0);
    /* READ_WEAR with a row: BAD_PARAM */
    cmd = cmd_rows(RBNN_OP_READ_WEAR, 1, 1, 0, buf + 1024, sizeof(w));
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_BAD_PARAM);
    card_free(c);
}

/*
 * REFRESH counts the cells its margin reads find weak: none in rows never
 * programmed, many in weakly programmed rows after a year of drift (CQE
 * aux), summed into SCRUB_WEAK and the tile's TILE_SCRUB_WEAK; the data is
 * written back as sensed, and a second scrub finds far fewer.
 */
static void test_scrub(void)
{
    Card *c = card_boot("tiles=2,rows=32,cols=128,x-debug=on,read-ber=0,"
                        "prog-current-ua=20,seed=3");
    uint8_t data[32 * 16], before[32 * 16], after[32 * 16];
    uint64_t buf = galloc(c, sizeof(data)), out = galloc(c, sizeof(data));
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    uint32_t weak, weak2;

    card_rings(c, 8, 8);
    g_assert_cmphex(rd(c, RBNN_REG_CAPS) & RBNN_CAP_SCRUB_COUNT, ==,
                    RBNN_CAP_SCRUB_COUNT);
    cmd = cmd_rows(RBNN_OP_REFRESH, 0, 0, 32, 0, 0);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_cmpuint(le32_to_cpu(e.aux), ==, 0);

    fill_random(data, sizeof(data));
    qtest_memwrite(c->qts, buf, data, sizeof(data));
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 0, 32, buf, sizeof(data));
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_cmpuint(le32_to_cpu(e.aux), ==, 0);
    wr(c, RBNN_REG_AGE_ADVANCE_S, 365 * 86400);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 32, out, sizeof(data));
    card_do(c, &cmd);
    qtest_memread(c->qts, out, before, sizeof(before));

    cmd = cmd_rows(RBNN_OP_REFRESH, 1, 0, 32, 0, 0);
    e = card_do(c, &cmd);
    g_assert(st(&e) == RBNN_STATUS_OK || st(&e) == RBNN_STATUS_VERIFY);
    weak = le32_to_cpu(e.aux);
    /* 20 uA, one year: a good fifth of the cells are weak */
    g_assert_cmpuint(weak, >, 32 * 128 / 10);
    g_assert_cmpuint(weak, <, 32 * 128 / 2);
    g_assert_cmpuint(rd64(c, RBNN_REG_SCRUB_WEAK_LO), ==, weak);
    wr(c, RBNN_REG_TILE_SEL, 1);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_SCRUB_WEAK), ==, weak);
    wr(c, RBNN_REG_TILE_SEL, 0);
    g_assert_cmpuint(rd(c, RBNN_REG_TILE_SCRUB_WEAK), ==, 0);

    cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 32, out, sizeof(data));
    card_do(c, &cmd);
    qtest_memread(c->qts, out, after, sizeof(after));
    g_assert_cmpmem(after, sizeof(after), before, sizeof(before));
    cmd = cmd_rows(RBNN_OP_REFRESH, 1, 0, 32, 0, 0);
    e = card_do(c, &cmd);
    weak2 = le32_to_cpu(e.aux);
    g_assert_cmpuint(weak2, <, weak / 20);
    g_assert_cmpuint(rd64(c, RBNN_REG_SCRUB_WEAK_LO), ==, weak + weak2);
    /* kept by CONTROL.RESET */
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    g_assert_cmpuint(rd64(c, RBNN_REG_SCRUB_WEAK_LO), ==, weak + weak2);
    card_free(c);
}

/* ---- EXEC against a naive reference ------------------------------------- */

typedef struct TLayer {
    uint8_t op, out_mode;
    uint32_t in_c, in_l, out_c, out_l, kernel, stride, pad;
    uint32_t n;             /* fan-in */
    uint8_t *w;             /* out_c x n weight bits (0/1) */
    int32_t *thr;           /* out_c */
} TLayer;

typedef struct TNet {
    uint32_t in_c, in_l, in_bits;
    uint32_t nl;
    TLayer L[8];
} TNet;

static uint32_t align8(uint32_t v)
{
    return (v + 7) & ~7u;
}

static uint32_t in_item_bytes(const TNet *t)
{
    uint32_t e = t->in_c * t->in_l;

    return t->in_bits == 1 ? align8((e + 7) / 8) : align8(e);
}

static uint32_t out_item_bytes(const TNet *t)
{
    const TLayer *l = &t->L[t->nl - 1];
    uint32_t e = l->out_c * l->out_l;

    return l->out_mode == RBNN_OUT_SCORES ? align8(4 * e) : align8((e + 7) / 8);
}

static void add_layer(TNet *t, uint8_t op, uint8_t out_mode, uint32_t out_c,
                      uint32_t kernel, uint32_t stride, uint32_t pad)
{
    TLayer *l = &t->L[t->nl];
    uint32_t i;

    memset(l, 0, sizeof(*l));
    l->op = op;
    l->out_mode = out_mode;
    l->in_c = t->nl ? t->L[t->nl - 1].out_c : t->in_c;
    l->in_l = t->nl ? t->L[t->nl - 1].out_l : t->in_l;
    l->kernel = kernel;
    l->stride = stride;
    l->pad = pad;
    if (op == RBNN_LAYER_FC) {
        l->out_c = out_c;
        l->out_l = 1;
        l->n = l->in_c * l->in_l;
    } else if (op == RBNN_LAYER_CONV1D) {
        l->out_c = out_c;
        l->out_l = (l->in_l + 2 * pad - kernel) / stride + 1;
        l->n = l->in_c * kernel;
    } else {
        l->out_c = l->in_c;
        l->out_l = (l->in_l - kernel) / stride + 1;
        l->n = 0;
    }
    if (l->n) {
        l->w = g_malloc(l->out_c * l->n);
        l->thr = g_new(int32_t, l->out_c);
        for (i = 0; i < l->out_c * l->n; i++) {
            l->w[i] = g_test_rand_int_range(0, 2);
        }
        for (i = 0; i < l->out_c; i++) {
            /* around the middle of the sum range so both outcomes occur */
            int32_t span = (int32_t)l->n / 4 + 1;

            l->thr[i] = g_test_rand_int_range(-span, span + 1);
        }
    }
    t->nl++;
}

static void free_net(TNet *t)
{
    uint32_t i;

    for (i = 0; i < t->nl; i++) {
        g_free(t->L[i].w);
        g_free(t->L[i].thr);
    }
}

/*
 * Reference: @x holds the input as integer values per element (+-1 for
 * binary input, odd integers for in_bits > 1); returns the output item
 * as the card lays it out.
 */
static void ref_item(const TNet *t, const uint8_t *item, uint8_t *out)
{
    uint32_t ne = t->in_c * t->in_l, i, li;
    int32_t *x = g_new0(int32_t, MAX(ne, 1));
    int32_t *y = NULL;

    for (i = 0; i < ne; i++) {
        if (t->in_bits == 1) {
            x[i] = (item[i / 8] >> (i % 8)) & 1 ? 1 : -1;
        } else {
            x[i] = 2 * item[i] - ((1 << t->in_bits) - 1);
        }
    }
    for (li = 0; li < t->nl; li++) {
        const TLayer *l = &t->L[li];
        uint32_t o, p, k, ch;

        y = g_new0(int32_t, l->out_c * l->out_l);
        for (p = 0; p < l->out_l; p++) {
            for (o = 0; o < l->out_c; o++) {
                int64_t s = 0;

                if (l->op == RBNN_LAYER_MAXPOOL1D) {
                    int32_t m = -1;

                    for (k = 0; k < l->kernel; k++) {
                        m = MAX(m, x[(p * l->stride + k) * l->in_c + o]);
                    }
                    y[p * l->out_c + o] = m;
                    continue;
                }
                for (k = 0; k < (l->op == RBNN_LAYER_FC ? 1 : l->kernel); k++) {
                    int64_t pos = (int64_t)p * l->stride - l->pad + k;

                    if (l->op == RBNN_LAYER_FC) {
                        for (i = 0; i < l->n; i++) {
                            s += (l->w[o * l->n + i] ? 1 : -1) * x[i];
                        }
                        continue;
                    }
                    if (pos < 0 || pos >= l->in_l) {
                        continue;
                    }
                    for (ch = 0; ch < l->in_c; ch++) {
                        uint32_t j = k * l->in_c + ch;

                        s += (l->w[o * l->n + j] ? 1 : -1) *
                             x[pos * l->in_c + ch];
                    }
                }
                if (l->out_mode == RBNN_OUT_SCORES) {
                    y[p * l->out_c + o] = (int32_t)s;
                } else {
                    y[p * l->out_c + o] = s >= l->thr[o] ? 1 : -1;
                }
            }
        }
        g_free(x);
        x = y;
    }
    {
        const TLayer *l = &t->L[t->nl - 1];
        uint32_t n = l->out_c * l->out_l;

        memset(out, 0, out_item_bytes(t));
        for (i = 0; i < n; i++) {
            if (l->out_mode == RBNN_OUT_SCORES) {
                uint32_t v = cpu_to_le32((uint32_t)x[i]);

                memcpy(out + 4 * i, &v, 4);
            } else if (x[i] > 0) {
                out[i / 8] |= 1 << (i % 8);
            }
        }
    }
    g_free(x);
}

/* Segment placement: per block, the outputs split in two segments. */
typedef struct Place {
    uint32_t tile, row;     /* next free row */
} Place;

static void place_rows(Place *pl, uint32_t rows, uint32_t count,
                       uint32_t *tile, uint32_t *row)
{
    if (pl->row + count > rows) {
        pl->tile++;
        pl->row = 0;
    }
    g_assert_cmpuint(pl->row + count, <=, rows);
    *tile = pl->tile;
    *row = pl->row;
    pl->row += count;
}

/*
 * Program the weights and thresholds of @t into the card (tiles of @rows x
 * @cols) and build the program image. Returns the image (g_free) and its
 * length.
 */
static uint8_t *load_net(Card *c, const TNet *t, uint32_t rows, uint32_t cols,
                         size_t *plen)
{
    GByteArray *segs = g_byte_array_new();
    uint8_t *img;
    uint32_t li, seg_base, nsegs_total = 0;
    uint32_t nsegs[8], seg_first[8];
    Place pl = { 0, 0 };
    uint64_t buf = galloc(c, 256 * 1024);

    seg_base = 32 + 64 * t->nl;
    for (li = 0; li < t->nl; li++) {
        const TLayer *l = &t->L[li];
        uint32_t nb = l->n ? (l->n + cols - 1) / cols : 0, b;

        seg_first[li] = nsegs_total;
        nsegs[li] = 0;
        for (b = 0; b < nb; b++) {
            /* two segments per block when there are >= 2 outputs */
            uint32_t split = l->out_c >= 2 ?
                g_test_rand_int_range(1, l->out_c) : l->out_c;
            uint32_t part;

            for (part = 0; part < (split < l->out_c ? 2 : 1); part++) {
                uint32_t first = part ? split : 0;
                uint32_t count = part ? l->out_c - split : split;
                uint32_t tile, row, o, j;
                uint32_t rb = cols / 8;
                g_autofree uint8_t *rowsbuf = g_malloc0(count * rb);
                struct rbnn_hw_seg s;
                struct rbnn_hw_cmd cmd;
                struct rbnn_hw_cqe e;

                place_rows(&pl, rows, count, &tile, &row);
                for (o = 0; o < count; o++) {
                    for (j = b * cols; j < MIN(l->n, (b + 1) * cols); j++) {
                        if (l->w[(first + o) * l->n + j]) {
                            uint32_t col = j - b * cols;

                            rowsbuf[o * rb + col / 8] |= 1 << (col % 8);
                        }
                    }
                }
                qtest_memwrite(c->qts, buf, rowsbuf, count * rb);
                cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, tile, row, count, buf,
                               count * rb);
                e = card_do(c, &cmd);
                g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
                if (b == 0) {
                    g_autofree int32_t *thr = g_new(int32_t, count);

                    for (o = 0; o < count; o++) {
                        thr[o] = cpu_to_le32((uint32_t)l->thr[first + o]);
                    }
                    qtest_memwrite(c->qts, buf, thr, count * 4);
                    cmd = cmd_rows(RBNN_OP_LOAD_THRESH, tile, row, count, buf,
                                   count * 4);
                    e = card_do(c, &cmd);
                    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
                }
                memset(&s, 0, sizeof(s));
                s.tile = cpu_to_le32(tile);
                s.row = cpu_to_le32(row);
                s.out_first = cpu_to_le16(first);
                s.out_count = cpu_to_le16(count);
                s.block = cpu_to_le16(b);
                g_byte_array_append(segs, (const guint8 *)&s, sizeof(s));
                nsegs[li]++;
                nsegs_total++;
            }
        }
    }
    *plen = seg_base + segs->len;
    img = g_malloc0(*plen);
    {
        struct rbnn_hw_prog h;

        memset(&h, 0, sizeof(h));
        h.magic = cpu_to_le32(RBNN_PROG_MAGIC);
        h.version = cpu_to_le16(RBNN_PROG_VERSION);
        h.nlayers = cpu_to_le16(t->nl);
        h.in_channels = cpu_to_le32(t->in_c);
        h.in_length = cpu_to_le32(t->in_l);
        h.in_bits = t->in_bits;
        memcpy(img, &h, sizeof(h));
    }
    for (li = 0; li < t->nl; li++) {
        const TLayer *l = &t->L[li];
        struct rbnn_hw_layer hl;

        memset(&hl, 0, sizeof(hl));
        hl.op = l->op;
        hl.out_mode = l->out_mode;
        hl.in_channels = cpu_to_le32(l->in_c);
        hl.out_channels = cpu_to_le32(l->out_c);
        hl.in_length = cpu_to_le32(l->in_l);
        hl.out_length = cpu_to_le32(l->out_l);
        hl.kernel = cpu_to_le16(l->kernel);
        hl.stride = cpu_to_le16(l->stride);
        hl.pad = cpu_to_le16(l->pad);
        hl.nsegs = cpu_to_le32(nsegs[li]);
        hl.seg_offset = cpu_to_le32(nsegs[li] ? seg_base + 16 * seg_first[li] : 0);
        memcpy(img + 32 + 64 * li, &hl, sizeof(hl));
    }
    memcpy(img + seg_base, segs->data, segs->len);
    g_byte_array_free(segs, true);
    guest_free(&c->qs->alloc, buf);
    return img;
}

/* Run @t on @batch random items through the card; compare to ref_item. */
static void run_net(Card *c, const TNet *t, uint32_t rows, uint32_t cols,
                    uint32_t batch, bool sg)
{
    size_t plen;
    g_autofree uint8_t *img = load_net(c, t, rows, cols, &plen);
    uint32_t ib = in_item_bytes(t), ob = out_item_bytes(t), i, k;
    g_autofree uint8_t *in = g_malloc0(ib * batch);
    g_autofree uint8_t *out = g_malloc0(ob * batch);
    g_autofree uint8_t *want = g_malloc0(ob * batch);
    uint64_t pa = galloc(c, plen), ia, oa;
    uint64_t isa[4], osa[4];
    uint32_t isl[4], osl[4];
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_EXEC, 0xe0);
    struct rbnn_hw_cqe e;

    for (i = 0; i < batch; i++) {
        uint8_t *item = in + i * ib;
        uint32_t ne = t->in_c * t->in_l;

        if (t->in_bits == 1) {
            fill_random(item, (ne + 7) / 8);
            if (ne % 8) {
                item[ne / 8] &= (1 << (ne % 8)) - 1;
            }
        } else {
            for (k = 0; k < ne; k++) {
                item[k] = g_test_rand_int_range(0, 1 << t->in_bits);
            }
        }
        ref_item(t, item, want + i * ob);
    }
    qtest_memwrite(c->qts, pa, img, plen);
    cmd.exec.prog.addr = cpu_to_le64(pa);
    cmd.exec.prog.len = cpu_to_le32(plen);
    cmd.exec.batch = cpu_to_le32(batch);
    if (sg) {
        make_sg(c, ib * batch, 4, &cmd.exec.in, isa, isl);
        sg_write(c, in, ib * batch, 4, isa, isl);
        make_sg(c, ob * batch, 3, &cmd.exec.out, osa, osl);
    } else {
        ia = galloc(c, ib * batch);
        oa = galloc(c, ob * batch);
        qtest_memwrite(c->qts, ia, in, ib * batch);
        cmd.exec.in.addr = cpu_to_le64(ia);
        cmd.exec.in.len = cpu_to_le32(ib * batch);
        cmd.exec.out.addr = cpu_to_le64(oa);
        cmd.exec.out.len = cpu_to_le32(ob * batch);
    }
    e = card_do(c, &cmd);
    if (st(&e) != RBNN_STATUS_OK) {
        g_test_message("EXEC status %u detail %u", st(&e), det(&e));
    }
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    if (sg) {
        sg_read(c, out, ob * batch, 3, osa, osl);
    } else {
        qtest_memread(c->qts, oa, out, ob * batch);
    }
    g_assert_cmpmem(out, ob * batch, want, ob * batch);
}

#define EXEC_PROPS "error-model=off,tiles=16,rows=64,cols=128"

static void test_exec_fc(void)
{
    Card *c = card_boot(EXEC_PROPS);
    TNet t = { .in_c = 3, .in_l = 100, .in_bits = 1 };

    card_rings(c, 64, 64);
    /* fan-in 300 over 3 column blocks; bits then scores */
    add_layer(&t, RBNN_LAYER_FC, RBNN_OUT_BITS, 40, 0, 0, 0);
    add_layer(&t, RBNN_LAYER_FC, RBNN_OUT_SCORES, 10, 0, 0, 0);
    run_net(c, &t, 64, 128, 7, false);
    run_net(c, &t, 64, 128, 5, true);
    free_net(&t);
    card_free(c);
}

static void test_exec_fc_bits(void)
{
    Card *c = card_boot(EXEC_PROPS);
    TNet t = { .in_c = 1, .in_l = 129, .in_bits = 1 };

    card_rings(c, 64, 64);
    add_layer(&t, RBNN_LAYER_FC, RBNN_OUT_BITS, 13, 0, 0, 0);
    run_net(c, &t, 64, 128, 9, true);
    free_net(&t);
    card_free(c);
}

static void test_exec_conv_pool(void)
{
    Card *c = card_boot(EXEC_PROPS);
    TNet t = { .in_c = 4, .in_l = 50, .in_bits = 1 };

    card_rings(c, 64, 64);
    add_layer(&t, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 16, 5, 2, 2);
    add_layer(&t, RBNN_LAYER_MAXPOOL1D, RBNN_OUT_BITS, 0, 3, 2, 0);
    add_layer(&t, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 24, 9, 1, 4); /* n=144 */
    add_layer(&t, RBNN_LAYER_FC, RBNN_OUT_SCORES, 5, 0, 0, 0);
    run_net(c, &t, 64, 128, 4, false);
    free_net(&t);
    card_free(c);
}

static void test_exec_bitserial(void)
{
    Card *c = card_boot(EXEC_PROPS);
    TNet t = { .in_c = 2, .in_l = 40, .in_bits = 4 };
    TNet u = { .in_c = 90, .in_l = 2, .in_bits = 8 };

    card_rings(c, 64, 64);
    add_layer(&t, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 8, 7, 3, 3);
    add_layer(&t, RBNN_LAYER_FC, RBNN_OUT_SCORES, 4, 0, 0, 0);
    run_net(c, &t, 64, 128, 6, true);
    free_net(&t);
    /* 8-bit input straight into scores, 2 blocks */
    add_layer(&u, RBNN_LAYER_FC, RBNN_OUT_SCORES, 3, 0, 0, 0);
    run_net(c, &u, 64, 128, 3, false);
    free_net(&u);
    card_free(c);
}

static void test_exec_errors(void)
{
    Card *c = card_boot(EXEC_PROPS);
    TNet t = { .in_c = 2, .in_l = 16, .in_bits = 1 };
    size_t plen;
    g_autofree uint8_t *img = NULL;
    uint64_t pa, ia, oa;
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_EXEC, 0xee);
    struct rbnn_hw_cqe e;
    uint8_t pattern[64];

    card_rings(c, 16, 16);
    add_layer(&t, RBNN_LAYER_FC, RBNN_OUT_SCORES, 4, 0, 0, 0);
    img = load_net(c, &t, 64, 128, &plen);
    pa = galloc(c, plen + 64);
    ia = galloc(c, 4096);
    oa = galloc(c, 4096);
    qtest_memwrite(c->qts, pa, img, plen);
    cmd.exec.prog.addr = cpu_to_le64(pa);
    cmd.exec.prog.len = cpu_to_le32(plen);
    cmd.exec.in.addr = cpu_to_le64(ia);
    cmd.exec.in.len = cpu_to_le32(8 * 2);
    cmd.exec.out.addr = cpu_to_le64(oa);
    cmd.exec.out.len = cpu_to_le32(16 * 2);
    cmd.exec.batch = cpu_to_le32(2);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);

    /* input too short: DMA, nothing written */
    memset(pattern, 0xa5, sizeof(pattern));
    qtest_memwrite(c->qts, oa, pattern, sizeof(pattern));
    cmd.exec.in.len = cpu_to_le32(8 * 2 - 1);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_DMA);
    g_assert_cmpuint(det(&e), ==, offsetof(struct rbnn_hw_cmd, exec.in));
    cmd.exec.in.len = cpu_to_le32(8 * 2);
    cmd.exec.out.len = cpu_to_le32(16 * 2 - 8);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_DMA);
    g_assert_cmpuint(det(&e), ==, offsetof(struct rbnn_hw_cmd, exec.out));
    {
        uint8_t back[64];

        qtest_memread(c->qts, oa, back, sizeof(back));
        g_assert_cmpmem(back, sizeof(back), pattern, sizeof(pattern));
    }
    cmd.exec.out.len = cpu_to_le32(16 * 2);

    /* malformed programs: BAD_PROGRAM with the byte offset */
    {
        static const struct { uint32_t off; uint8_t val; uint32_t det; } bad[] = {
            { 0, 0x00, 0 },          /* magic */
            { 8, 0x03, 32 },         /* header in_channels != layer 0 */
            { 32 + 0, 0x09, 32 },    /* layer op */
            { 32 + 2, 0x01, 32 },    /* layer rsvd0 */
            { 32 + 20, 0x02, 32 },   /* FC kernel */
            { 32 + 60, 0x01, 32 },   /* layer rsvd2 */
            { 96 + 14, 0x01, 96 },   /* segment rsvd */
            { 96 + 0, 0x40, 96 },    /* segment tile */
        };
        unsigned int i;

        for (i = 0; i < G_N_ELEMENTS(bad); i++) {
            uint8_t orig;

            qtest_memread(c->qts, pa + bad[i].off, &orig, 1);
            qtest_memwrite(c->qts, pa + bad[i].off, &bad[i].val, 1);
            e = card_do(c, &cmd);
            qtest_memwrite(c->qts, pa + bad[i].off, &orig, 1);
            g_assert_cmpuint(st(&e), ==, RBNN_STATUS_BAD_PROGRAM);
            g_assert_cmpuint(det(&e), ==, bad[i].det);
        }
        /* truncated program */
        cmd.exec.prog.len = cpu_to_le32(plen - 16);
        e = card_do(c, &cmd);
        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_BAD_PROGRAM);
        cmd.exec.prog.len = cpu_to_le32((1u << 20) + 8);
        e = card_do(c, &cmd);
        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_BAD_PROGRAM);
        cmd.exec.prog.len = cpu_to_le32(plen);
    }
    /* still fine */
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    free_net(&t);
    card_free(c);
}

/* ---- malformed commands --------------------------------------------------- */

static void test_malformed(void)
{
    Card *c = card_boot("error-model=off,tiles=4,rows=64,cols=128,max-sgl=8");
    uint64_t buf = galloc(c, 8192), list = galloc(c, 4096);
    struct rbnn_hw_cmd k;
    struct rbnn_hw_cqe e;
    const uint32_t rb = 16;

#define EXPECT(cmd_, status_, detail_) do {                                 \
        struct rbnn_hw_cmd cc_ = (cmd_);                                   \
        e = card_do(c, &cc_);                                              \
        g_assert_cmpuint(st(&e), ==, (status_));                           \
        g_assert_cmpuint(det(&e), ==, (detail_));                          \
    } while (0)
#define OFFC(f) ((uint32_t)offsetof(struct rbnn_hw_cmd, f))

    card_rings(c, 8, 8);
    EXPECT(cmd_op(0x77, 1), RBNN_STATUS_BAD_OPCODE, 0);
    k = cmd_op(RBNN_OP_NOP, 1);
    k.rsvd0 = cpu_to_le16(2);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rsvd0));
    k = cmd_op(RBNN_OP_SELF_TEST, 1);
    k.raw[55] = 1;
    EXPECT(k, RBNN_STATUS_BAD_PARAM, 63);
    k = cmd_rows(RBNN_OP_PROGRAM_ROWS, 4, 0, 1, buf, rb);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rows.tile));
    k = cmd_rows(RBNN_OP_READ_ROWS, 0, 64, 1, buf, rb);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rows.row));
    k = cmd_rows(RBNN_OP_READ_ROWS, 0, 63, 2, buf, 2 * rb);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rows.nrows));
    k = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, buf, rb);
    k.rows.rsvd = cpu_to_le16(1);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rows.rsvd));
    k = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, buf, rb);
    k.rows.current_na = cpu_to_le32(2000000);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rows.current_na));
    k = cmd_rows(RBNN_OP_ERASE_TILE, 0, 0, 0, buf, rb);
    EXPECT(k, RBNN_STATUS_BAD_PARAM, OFFC(rows.buf));
    /* DMA bounds */
    k = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 4, buf, 4 * rb - 1);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    k = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, 0xfffffffffffffff0ull, rb);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    /* bus address with nothing behind it */
    k = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, 0x7f0000000000ull, rb);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    /* SG lists: too many entries, zero length, rsvd, too short */
    k = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, list, rb);
    k.rows.buf.nents = cpu_to_le32(9);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    put_sge(c, list, buf, 8);
    put_sge(c, list + 16, buf + 100, 0);
    k.rows.buf.nents = cpu_to_le32(2);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    put_sge(c, list + 16, buf + 100, 8);
    qtest_writel(c->qts, list + 16 + 12, 1);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    put_sge(c, list + 16, buf + 100, 7);
    EXPECT(k, RBNN_STATUS_DMA, OFFC(rows.buf));
    put_sge(c, list + 16, buf + 100, 8);
    EXPECT(k, RBNN_STATUS_OK, 0);
    /* the card is healthy: no fatal error */
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, RBNN_STS_ENABLED);
    g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, 0);
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, 17);
#undef EXPECT
#undef OFFC
    card_free(c);
}

/* ---- rings ---------------------------------------------------------------- */

static void test_ring_wrap(void)
{
    Card *c = card_boot("");
    uint32_t tag = 0, expect = 0, pass, i, n;

    card_rings(c, 8, 4);
    /* 25 passes of varying size over an 8-entry SQ and a 4-entry CQ */
    for (pass = 0; pass < 25; pass++) {
        n = 1 + pass % 7;
        for (i = 0; i < n; i++) {
            struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, tag++);

            if (i == 2) {
                cmd.opcode = RBNN_OP_FENCE;
            }
            card_queue(c, &cmd);
        }
        card_doorbell(c);
        for (i = 0; i < n; i++) {
            uint32_t ph = c->phase;
            struct rbnn_hw_cqe e;

            if (i && i % 3 == 0) {
                card_consume(c);    /* the CQ holds 3 at a time */
            }
            e = card_wait(c);
            g_assert_cmpuint(le32_to_cpu(e.tag), ==, expect++);
            g_assert_cmpuint(le16_to_cpu(e.flags), ==, ph);
            g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
        }
        card_consume(c);
        wait_reg(c, RBNN_REG_SQ_HEAD, ~0u, c->sq_tail);
        g_assert_cmpuint(rd(c, RBNN_REG_CQ_TAIL), ==, c->cq_head);
    }
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, tag);
    card_free(c);
}

static void test_many_commands(void)
{
    Card *c = card_boot("error-model=off,tiles=1,rows=16,cols=64");
    uint64_t buf = galloc(c, 4096);
    uint32_t i, done = 0, tag = 0;
    struct rbnn_hw_cqe e;

    card_rings(c, 256, 512);
    wr(c, RBNN_REG_IRQ_COAL, 64);
    /* 1000 commands, submitted 200 at a time */
    while (tag < 1000) {
        for (i = 0; i < 200; i++, tag++) {
            struct rbnn_hw_cmd cmd = tag % 2 ?
                cmd_rows(RBNN_OP_READ_ROWS, 0, tag % 16, 1, buf + 8 * (tag % 16), 8) :
                cmd_op(RBNN_OP_NOP, 0);

            cmd.tag = cpu_to_le32(tag);
            card_queue(c, &cmd);
            if (i % 100 == 99) {
                card_doorbell(c);
            }
        }
        for (i = 0; i < 200; i++) {
            e = card_wait(c);
            g_assert_cmpuint(le32_to_cpu(e.tag), ==, done++);
            g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
        }
        card_consume(c);
    }
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, 1000);
    g_assert_true(msi_take(c, 0));
    card_free(c);
}

static void test_fatal_ring_config(void)
{
    Card *c = card_boot("");
    uint64_t q = galloc(c, 8192);
    static const struct { uint32_t sq_off, sqn, cqn; } bad[] = {
        { 0, 6, 8 }, { 0, 1, 8 }, { 0, 8192, 8 }, { 64, 8, 8 }, { 0, 8, 0 },
    };
    unsigned int i;

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        wr(c, RBNN_REG_INT_MASK, RBNN_INT_ERROR);
        wr(c, RBNN_REG_SQ_BASE_LO, (uint32_t)q + bad[i].sq_off);
        wr(c, RBNN_REG_SQ_SIZE, bad[i].sqn);
        wr(c, RBNN_REG_CQ_BASE_LO, (uint32_t)q + 4096);
        wr(c, RBNN_REG_CQ_SIZE, bad[i].cqn);
        wr(c, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
        g_assert_cmphex(rd(c, RBNN_REG_CONTROL), ==, 0);
        g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, RBNN_STS_HALTED);
        g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, RBNN_ERR_RING_CONFIG);
        g_assert_true(msi_take(c, 1));
        wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
        g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, 0);
        g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, 0);
        g_assert_cmpuint(rd(c, RBNN_REG_RESETS), ==, i + 1);
    }
    /* zero base */
    wr(c, RBNN_REG_SQ_SIZE, 8);
    wr(c, RBNN_REG_CQ_BASE_LO, (uint32_t)q);
    wr(c, RBNN_REG_CQ_SIZE, 8);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
    g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, RBNN_ERR_RING_CONFIG);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    card_rings(c, 8, 8);
    {
        struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 3);
        struct rbnn_hw_cqe e = card_do(c, &cmd);

        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    }
    card_free(c);
}

static void test_fatal_doorbell(void)
{
    Card *c = card_boot("");
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 1);
    struct rbnn_hw_cqe e;

    card_rings(c, 8, 8);
    e = card_do(c, &cmd);
    g_assert_true(msi_take(c, 0));
    wr(c, RBNN_REG_SQ_TAIL, 8);
    g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, RBNN_ERR_DOORBELL);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==,
                    RBNN_STS_ENABLED | RBNN_STS_HALTED);
    g_assert_true(msi_take(c, 1));
    /* halted: a valid doorbell fetches nothing */
    card_queue(c, &cmd);
    card_doorbell(c);
    card_expect_none(c);
    g_assert_cmpuint(rd(c, RBNN_REG_SQ_HEAD), ==, 1);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, 0);
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, 1);
    card_rings(c, 8, 8);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    /* CQ_HEAD out of range */
    wr(c, RBNN_REG_CQ_HEAD, 100);
    g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, RBNN_ERR_DOORBELL);
    /* SQ in memory with nothing behind it: SQ_DMA */
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    wr(c, RBNN_REG_SQ_BASE_LO, 0);
    wr(c, RBNN_REG_SQ_BASE_HI, 0x7f00);
    wr(c, RBNN_REG_SQ_SIZE, 8);
    wr(c, RBNN_REG_CQ_BASE_LO, (uint32_t)c->cq);
    wr(c, RBNN_REG_CQ_SIZE, 8);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
    wr(c, RBNN_REG_SQ_TAIL, 1);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_HALTED, RBNN_STS_HALTED);
    g_assert_cmphex(rd(c, RBNN_REG_ERROR), ==, RBNN_ERR_SQ_DMA);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    card_rings(c, 8, 8);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    card_free(c);
}

/* ---- moderation (modeled timing: one completion per time step) ----------- */

static void test_moderation(void)
{
    Card *c = card_boot("timing=modeled");
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 0);
    struct rbnn_hw_cqe e;
    uint64_t t;
    uint32_t i;

    card_rings(c, 32, 32);
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 1000000);
    e = card_wait(c);
    card_consume(c);
    t = le64_to_cpu(e.time_ns);
    g_assert_cmpuint(t, >, 0);
    g_assert_true(msi_take(c, 0));

    /* count 4: messages after the 4th and (idle) the 6th completion */
    wr(c, RBNN_REG_IRQ_COAL, 4);
    for (i = 0; i < 6; i++) {
        card_queue(c, &cmd);
    }
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    for (i = 0; i < 6; i++) {
        qtest_clock_step(c->qts, t);
        e = card_wait(c);
        if (i == 3 || i == 5) {
            wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
            g_assert_true(msi_take(c, 0));
            wr(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ);
        } else {
            wait_reg(c, RBNN_REG_CQ_TAIL, ~0u, c->cq_head);
            g_assert_false(msi_take(c, 0));
        }
    }
    card_consume(c);

    /* timer: count 100, 2 us after the first unsignalled completion */
    wr(c, RBNN_REG_IRQ_COAL, 100 | 2u << RBNN_COAL_USEC_SHIFT);
    for (i = 0; i < 10; i++) {
        card_queue(c, &cmd);
    }
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, t);            /* 1st completion at T */
    card_wait(c);
    g_assert_false(msi_take(c, 0));
    qtest_clock_step(c->qts, 1999);         /* T + 1999 ns */
    rd(c, RBNN_REG_STATUS);
    g_assert_false(msi_take(c, 0));
    qtest_clock_step(c->qts, 1);            /* T + 2 us: timer */
    wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
    g_assert_true(msi_take(c, 0));
    qtest_clock_step(c->qts, 100 * t);
    for (i = 1; i < 10; i++) {
        card_wait(c);
    }
    card_consume(c);

    /* IRQ_NOW on one command interrupts right away */
    wr(c, RBNN_REG_IRQ_COAL, 100);
    msi_take(c, 0);
    for (i = 0; i < 3; i++) {
        struct rbnn_hw_cmd k = cmd_op(RBNN_OP_NOP, i);

        k.flags = i == 0 ? RBNN_CMD_F_IRQ_NOW : 0;
        card_queue(c, &k);
    }
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, t);
    card_wait(c);
    wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
    g_assert_true(msi_take(c, 0));
    card_free(c);
}

/* ---- timing, progress and reset ------------------------------------------- */

static void test_modeled_timing(void)
{
    Card *c = card_boot("timing=modeled,error-model=off,tiles=2,rows=128,cols=256");
    uint64_t buf = galloc(c, 128 * 32);
    struct rbnn_hw_cmd cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 128, buf, 128 * 32);
    struct rbnn_hw_cqe e;
    uint64_t t;
    uint32_t p0, p1, p2;

    card_rings(c, 8, 8);
    /* first run to learn the modeled time */
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 10000000);
    e = card_wait(c);
    card_consume(c);
    t = le64_to_cpu(e.time_ns);
    g_assert_cmpuint(t, >, 1280);
    g_assert_cmpuint(rd64(c, RBNN_REG_BUSY_NS_LO), ==, t);

    /* second run: nothing until exactly t ns of virtual time */
    p0 = rd(c, RBNN_REG_PROGRESS);
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, t / 2);
    p1 = rd(c, RBNN_REG_PROGRESS);
    g_assert_cmpuint(p1, >, p0);
    card_expect_none(c);
    qtest_clock_step(c->qts, t - t / 2 - 1);
    p2 = rd(c, RBNN_REG_PROGRESS);
    g_assert_cmpuint(p2, >, p1);
    card_expect_none(c);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS) & RBNN_STS_BUSY, ==, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 1);
    e = card_wait(c);
    g_assert_cmpuint(le64_to_cpu(e.time_ns), ==, t);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, 0);
    g_assert_cmpuint(rd(c, RBNN_REG_PROGRESS), >=, p0 + 129);
    g_assert_cmpuint(rd64(c, RBNN_REG_BUSY_NS_LO), ==, 2 * t);
    card_free(c);
}

static void test_reset_midway(void)
{
    Card *c = card_boot("timing=modeled,error-model=off,tiles=4,rows=256,cols=256");
    const uint32_t n = 200, rb = 32;
    g_autofree uint8_t *data = g_malloc(n * rb);
    g_autofree uint8_t *back = g_malloc(n * rb);
    uint64_t buf = galloc(c, n * rb), buf2 = galloc(c, n * rb);
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    uint32_t prog, resets;

    fill_random(data, n * rb);
    qtest_memwrite(c->qts, buf, data, n * rb);
    card_rings(c, 8, 8);
    /* program 200 rows with verify: a long command; reset in the middle */
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 2, 30, n, buf, n * rb);
    cmd.flags = RBNN_CMD_F_VERIFY;
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 20000);
    prog = rd(c, RBNN_REG_PROGRESS);
    g_assert_cmpuint(prog, >, 0);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, 0);
    g_assert_cmpuint(rd(c, RBNN_REG_RESETS), ==, 1);
    g_assert_cmpuint(rd(c, RBNN_REG_PROGRESS), >=, prog);
    qtest_clock_step(c->qts, 100000000);
    card_expect_none(c);
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, 0);

    /* correct operation afterwards; the programmed rows survived */
    card_rings(c, 8, 8);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 2, 30, n, buf2, n * rb);
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 100000000);
    e = card_wait(c);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memread(c->qts, buf2, back, n * rb);
    g_assert_cmpmem(back, n * rb, data, n * rb);
    card_consume(c);

    /* a system reset is a power-on reset: counters cleared, RRAM kept */
    resets = rd(c, RBNN_REG_RESETS);
    g_assert_cmpuint(resets, ==, 1);
    card_detach(c);
    qtest_system_reset(c->qts);
    card_attach(c, c->qs, DEVFN0);
    g_assert_cmpuint(rd(c, RBNN_REG_RESETS), ==, 0);
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, 0);
    g_assert_cmpuint(rd64(c, RBNN_REG_ENERGY_PJ_LO), ==, 0);
    g_assert_cmpuint(rd(c, RBNN_REG_STATUS), ==, 0);
    card_rings(c, 8, 8);
    qtest_memset(c->qts, buf2, 0, n * rb);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 2, 30, n, buf2, n * rb);
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 100000000);
    e = card_wait(c);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memread(c->qts, buf2, back, n * rb);
    g_assert_cmpmem(back, n * rb, data, n * rb);
    card_free(c);
}

/* ---- a long command: the card stays responsive ------------------------ */

#define LONG_PROPS      "error-model=off,tiles=1,rows=64,cols=1024"
#define LONG_CONV       30      /* 64-channel conv layers, fan-in 960 */
#define LONG_BATCH      65536u
#define LONG_SAMPLE_US  (3 * G_USEC_PER_SEC)

/*
 * A program that the card accepts and that runs for half an hour of host
 * time at batch 65536 (26 ms per item measured):
 * 1024 input bits, a CONV1D layer to 64 channels, 30 more CONV1D layers of
 * 64 channels (fan-in 960, kernel 15, pad 7, 1024 positions: 1.9 G cell
 * reads per item), then an FC layer of 4 scores (64 column blocks): the
 * 32 layers the card allows. Every segment uses the rows of tile 0.
 */
static uint8_t *long_prog(size_t *plen)
{
    const uint32_t nl = LONG_CONV + 2, fc_blocks = 64;  /* 32 */
    uint32_t seg_base = 32 + 64 * nl, nsegs = LONG_CONV + 1 + fc_blocks;
    uint8_t *img;
    struct rbnn_hw_prog h;
    uint32_t li, b, seg = 0;

    *plen = seg_base + 16 * nsegs;
    img = g_malloc0(*plen);
    memset(&h, 0, sizeof(h));
    h.magic = cpu_to_le32(RBNN_PROG_MAGIC);
    h.version = cpu_to_le16(RBNN_PROG_VERSION);
    h.nlayers = cpu_to_le16(nl);
    h.in_channels = cpu_to_le32(1);
    h.in_length = cpu_to_le32(1024);
    h.in_bits = 1;
    memcpy(img, &h, sizeof(h));
    for (li = 0; li < nl; li++) {
        struct rbnn_hw_layer l;
        bool fc = li == nl - 1;
        uint32_t n = fc ? fc_blocks : 1;

        memset(&l, 0, sizeof(l));
        l.op = fc ? RBNN_LAYER_FC : RBNN_LAYER_CONV1D;
        l.out_mode = fc ? RBNN_OUT_SCORES : RBNN_OUT_BITS;
        l.in_channels = cpu_to_le32(li ? 64 : 1);
        l.out_channels = cpu_to_le32(fc ? 4 : 64);
        l.in_length = cpu_to_le32(1024);
        l.out_length = cpu_to_le32(fc ? 1 : 1024);
        l.kernel = cpu_to_le16(fc ? 0 : 15);
        l.stride = cpu_to_le16(fc ? 0 : 1);
        l.pad = cpu_to_le16(fc ? 0 : 7);
        l.nsegs = cpu_to_le32(n);
        l.seg_offset = cpu_to_le32(seg_base + 16 * seg);
        memcpy(img + 32 + 64 * li, &l, sizeof(l));
        for (b = 0; b < n; b++, seg++) {
            struct rbnn_hw_seg sg;

            memset(&sg, 0, sizeof(sg));
            sg.out_count = cpu_to_le16(fc ? 4 : 64);
            sg.block = cpu_to_le16(b);
            memcpy(img + seg_base + 16 * seg, &sg, sizeof(sg));
        }
    }
    return img;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * Check the latencies @v (microseconds; sorted here): median under 10 ms,
 * 95th percentile under 50 ms, maximum under 500 ms. A slice holds the
 * emulator for about 0.5 ms; the looser tail bounds keep a loaded CI host
 * (other processes preempting QEMU or this test) from failing the test.
 * A command that did not run in slices would take half an hour.
 */
static void check_latency(const char *what, int64_t *v, size_t n)
{
    int64_t med, p95, max;

    g_assert_cmpuint(n, >=, 20);
    qsort(v, n, sizeof(*v), cmp_i64);
    med = v[n / 2];
    p95 = v[n * 95 / 100];
    max = v[n - 1];
    g_test_message("%s latency during the long EXEC: median %" PRId64
                   " us, p95 %" PRId64 " us, max %" PRId64 " us (%zu samples)",
                   what, med, p95, max, n);
    g_assert_cmpint(med, <, 10000);
    g_assert_cmpint(p95, <, 50000);
    g_assert_cmpint(max, <, 500000);
}

/*
 * Enable the rings and start the long EXEC (input 0x5a, output buffer
 * 0xee at *@oa); returns the time of the first STATUS read after the
 * doorbell (us) once STATUS.BUSY is set.
 */
static int64_t long_start(Card *c, uint64_t *oa)
{
    size_t plen;
    g_autofree uint8_t *img = long_prog(&plen);
    uint64_t pa = galloc(c, plen), ia;
    const uint32_t ib = 128, ob = 16;
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_EXEC, 0x10c);
    uint32_t status;
    int64_t t, first_us, end;

    card_rings(c, 8, 8);
    ia = galloc(c, (size_t)ib * LONG_BATCH);
    *oa = galloc(c, (size_t)ob * LONG_BATCH);
    qtest_memset(c->qts, ia, 0x5a, (size_t)ib * LONG_BATCH);
    qtest_memset(c->qts, *oa, 0xee, (size_t)ob * LONG_BATCH);
    qtest_memwrite(c->qts, pa, img, plen);
    cmd.exec.prog.addr = cpu_to_le64(pa);
    cmd.exec.prog.len = cpu_to_le32(plen);
    cmd.exec.batch = cpu_to_le32(LONG_BATCH);
    cmd.exec.in.addr = cpu_to_le64(ia);
    cmd.exec.in.len = cpu_to_le32(ib * LONG_BATCH);
    cmd.exec.out.addr = cpu_to_le64(*oa);
    cmd.exec.out.len = cpu_to_le32(ob * LONG_BATCH);
    card_queue(c, &cmd);
    card_doorbell(c);

    t = g_get_monotonic_time();
    status = rd(c, RBNN_REG_STATUS);
    first_us = g_get_monotonic_time() - t;
    g_test_message("first STATUS read after the doorbell: %" PRId64 " us",
                   first_us);
    end = g_get_monotonic_time() + WAIT_US;
    while (!(status & RBNN_STS_BUSY)) {
        struct rbnn_hw_cqe e;

        if (card_pop(c, &e)) {
            g_test_message("EXEC status %u detail %u", st(&e), det(&e));
            g_assert_not_reached();
        }
        g_assert(g_get_monotonic_time() < end);
        status = rd(c, RBNN_REG_STATUS);
    }
    return first_us;
}

/*
 * While an EXEC that would run for half an hour computes: register reads and
 * the QMP monitor answer within milliseconds (the issue measured 29-42 s
 * for the first read before commands ran in slices), STATUS.BUSY is set
 * and PROGRESS grows; CONTROL.RESET stops the command at once, with no
 * DMA after it; the card then runs a normal EXEC correctly.
 */
static void test_long_command(void)
{
    Card *c = card_boot(LONG_PROPS);
    g_autofree int64_t *reg_us = g_new(int64_t, 4096);
    g_autofree int64_t *qmp_us = g_new(int64_t, 4096);
    size_t nreg = 0, nqmp = 0;
    uint64_t oa;
    const uint32_t ob = 16;
    uint32_t p0, p1, status;
    int64_t t, first_us, reset_us, end;
    uint8_t probe[64];
    TNet tn = { .in_c = 3, .in_l = 100, .in_bits = 1 };
    int i;

    first_us = long_start(c, &oa);
    p0 = rd(c, RBNN_REG_PROGRESS);

    end = g_get_monotonic_time() + LONG_SAMPLE_US;
    while (g_get_monotonic_time() < end && nreg < 4096) {
        QDict *resp;

        t = g_get_monotonic_time();
        status = rd(c, RBNN_REG_STATUS);
        reg_us[nreg++] = g_get_monotonic_time() - t;
        g_assert_cmphex(status, ==, RBNN_STS_ENABLED | RBNN_STS_BUSY);
        t = g_get_monotonic_time();
        resp = qtest_qmp(c->qts, "{'execute': 'query-status'}");
        qmp_us[nqmp++] = g_get_monotonic_time() - t;
        g_assert(qdict_haskey(resp, "return"));
        qobject_unref(resp);
        g_usleep(5000);
    }
    p1 = rd(c, RBNN_REG_PROGRESS);
    g_test_message("PROGRESS %u -> %u over %d s", p0, p1,
                   (int)(LONG_SAMPLE_US / G_USEC_PER_SEC));
    g_assert_cmpuint(p1, >, p0);
    g_assert_false(card_pop(c, NULL));

    g_assert_cmpint(first_us, <, 500000);
    check_latency("register read", reg_us, nreg);
    check_latency("QMP query-status", qmp_us, nqmp);

    /* CONTROL.RESET aborts it within milliseconds; nothing after it */
    t = g_get_monotonic_time();
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    status = rd(c, RBNN_REG_STATUS);
    reset_us = g_get_monotonic_time() - t;
    g_test_message("CONTROL.RESET to STATUS idle: %" PRId64 " us", reset_us);
    g_assert_cmphex(status, ==, 0);
    g_assert_cmpint(reset_us, <, 500000);
    g_assert_cmpuint(rd(c, RBNN_REG_RESETS), ==, 1);
    g_assert_cmpuint(rd(c, RBNN_REG_PROGRESS), >=, p1);
    g_assert_cmpuint(rd64(c, RBNN_REG_CMDS_DONE_LO), ==, 0);
    qtest_memset(c->qts, oa, 0xee, sizeof(probe));
    qtest_memset(c->qts, oa + (uint64_t)ob * (LONG_BATCH - 1), 0xee,
                 ob);
    for (i = 0; i < 20; i++) {
        rd(c, RBNN_REG_STATUS);
        g_usleep(5000);
    }
    qtest_memread(c->qts, oa, probe, sizeof(probe));
    for (i = 0; i < (int)sizeof(probe); i++) {
        g_assert_cmphex(probe[i], ==, 0xee);
    }
    qtest_memread(c->qts, oa + (uint64_t)ob * (LONG_BATCH - 1), probe, ob);
    for (i = 0; i < (int)ob; i++) {
        g_assert_cmphex(probe[i], ==, 0xee);
    }
    g_assert_false(card_pop(c, NULL));

    /* a normal command afterwards */
    card_rings(c, 8, 8);
    add_layer(&tn, RBNN_LAYER_FC, RBNN_OUT_SCORES, 16, 0, 0, 0);
    run_net(c, &tn, 64, 1024, 5, false);
    free_net(&tn);
    card_free(c);
}

/*
 * Start a migration of @src to @uri that the destination @dst refuses
 * (it exits with status 1), wait until the source has ended it, and
 * return the source's final status ("failed", or "completed" when it sent
 * everything before the refusal) with its error-desc in @why.
 */
static char *migrate_refused(QTestState *src, QOSState *dst, const char *uri,
                             char **why)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    char *status = NULL;
    QDict *rsp, *sub;

    qtest_set_expected_status(dst->qts, 1);
    rsp = qtest_qmp(src, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': %s } }", uri);
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    while (!status) {
        const char *st;

        rsp = qtest_qmp(src, "{ 'execute': 'query-migrate' }");
        sub = qdict_get_qdict(rsp, "return");
        st = qdict_get_try_str(sub, "status");
        if (st && (!strcmp(st, "completed") || !strcmp(st, "failed"))) {
            status = g_strdup(st);
            *why = g_strdup(qdict_get_try_str(sub, "error-desc"));
        } else if (g_get_monotonic_time() >= end) {
            g_test_message("migration still %s", st ? st : "?");
            g_assert_not_reached();
        }
        qobject_unref(rsp);
        if (!status) {
            g_usleep(10000);
        }
    }
    qtest_wait_qemu(dst->qts);  /* it exits by itself, after the refusal */
    qtest_quit(dst->qts);       /* checks the exit status */
    dst->qts = NULL;
    g_free(dst);
    unlink(uri + strlen("unix:"));
    return status;
}

/* Migrate @src to @dst_qs and return the card there: same BARs and rings. */
static Card card_migrated(QOSState *src_qs, const Card *src, QOSState *dst_qs,
                          const char *uri)
{
    Card dst = *src;

    migrate(src_qs, dst_qs, uri);
    unlink(uri + strlen("unix:"));
    dst.qs = dst_qs;
    dst.qts = dst_qs->qts;
    dst.dev = qpci_device_find(dst_qs->pcibus, DEVFN0);
    g_assert(dst.dev != NULL);
    return dst;
}

/*
 * Migration while the card computes a command over many slices fails
 * cleanly: the source runs on, the command goes on; after a reset (or the
 * command's end) the card migrates.
 */
static void test_long_command_migrate(void)
{
    const char *props = "-device rbnn,addr=04.0," LONG_PROPS;
    g_autofree char *uri = g_strdup_printf("unix:%s/rbnn-mig-busy-%d.sock",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *dst_args = g_strdup_printf("%s -incoming %s", props, uri);
    QOSState *src_qs = boot(props), *dst_qs;
    Card src, dst;
    uint64_t oa;
    uint32_t p0, p1;
    g_autofree char *status = NULL, *why = NULL;
    gint64 end;
    QDict *rsp;

    card_attach(&src, src_qs, DEVFN0);
    long_start(&src, &oa);
    dst_qs = boot(dst_args);
    status = migrate_refused(src.qts, dst_qs, uri, &why);
    g_test_message("migration while computing: %s (%s)", status,
                   why ? why : "no reason");
    g_assert_cmpstr(status, ==, "failed");
    g_assert(why && strstr(why, "rbnn"));

    /* the source runs on, and so does the command */
    wait_vm_running(src.qts);
    g_assert_cmphex(rd(&src, RBNN_REG_STATUS), ==,
                    RBNN_STS_ENABLED | RBNN_STS_BUSY);
    p0 = rd(&src, RBNN_REG_PROGRESS);
    g_usleep(100000);
    p1 = rd(&src, RBNN_REG_PROGRESS);
    g_assert_cmpuint(p1, >, p0);
    g_assert_false(card_pop(&src, NULL));

    /* stopped: no slice runs, PROGRESS stands still */
    rsp = qtest_qmp(src.qts, "{ 'execute': 'stop' }");
    qobject_unref(rsp);
    p0 = rd(&src, RBNN_REG_PROGRESS);
    g_usleep(100000);
    g_assert_cmpuint(rd(&src, RBNN_REG_PROGRESS), ==, p0);
    rsp = qtest_qmp(src.qts, "{ 'execute': 'cont' }");
    qobject_unref(rsp);
    g_usleep(100000);
    g_assert_cmpuint(rd(&src, RBNN_REG_PROGRESS), >, p0);

    /* after a reset the card migrates */
    wr(&src, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    g_assert_cmphex(rd(&src, RBNN_REG_STATUS), ==, 0);
    dst_qs = boot(dst_args);
    dst = card_migrated(src_qs, &src, dst_qs, uri);
    g_assert_cmphex(rd(&dst, RBNN_REG_STATUS), ==, 0);
    g_assert_cmpuint(rd(&dst, RBNN_REG_RESETS), ==, 1);
    g_assert_cmpuint(rd(&dst, RBNN_REG_PROGRESS), >=, p0);
    g_free(dst.dev);
    card_detach(&src);
    qtest_shutdown(src_qs);
    qtest_shutdown(dst_qs);
}

/* ---- fault injection ---------------------------------------------------- */

static void test_fault_hang(void)
{
    Card *c = card_boot("x-debug=on,timing=modeled");
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 1);
    struct rbnn_hw_cqe e;
    uint32_t p;

    card_rings(c, 8, 8);
    wr(c, RBNN_REG_FAULT, RBNN_FAULT_HANG);
    g_assert_cmphex(rd(c, RBNN_REG_FAULT), ==, RBNN_FAULT_HANG);
    card_queue(c, &cmd);
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_SQ_HEAD, ~0u, 1);
    g_assert_cmphex(rd(c, RBNN_REG_FAULT), ==, 0);
    p = rd(c, RBNN_REG_PROGRESS);
    qtest_clock_step(c->qts, 1000000000);
    card_expect_none(c);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, RBNN_STS_ENABLED | RBNN_STS_BUSY);
    g_assert_cmpuint(rd(c, RBNN_REG_PROGRESS), ==, p);
    g_assert_cmpuint(rd(c, RBNN_REG_SQ_HEAD), ==, 1);
    g_assert_false(msi_take(c, 0));
    /* reset recovers */
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS), ==, 0);
    card_rings(c, 8, 8);
    card_queue(c, &cmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(c->qts, 1000000);
    e = card_wait(c);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    card_free(c);
}

static void test_fault_dma_irq_stuck(void)
{
    Card *c = card_boot("x-debug=on,error-model=off,tiles=2,rows=16,cols=64");
    uint64_t buf = galloc(c, 4096);
    struct rbnn_hw_cmd rcmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, buf, 8);
    struct rbnn_hw_cmd nop = cmd_op(RBNN_OP_NOP, 2);
    struct rbnn_hw_cqe e;
    uint8_t row[8];

    card_rings(c, 8, 8);
    /* DMA fault: the next command doing data DMA fails, only that one */
    wr(c, RBNN_REG_FAULT, RBNN_FAULT_DMA);
    e = card_do(c, &nop);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    e = card_do(c, &rcmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_DMA);
    e = card_do(c, &rcmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    msi_take(c, 0);

    /* dropped interrupt: CQE present, no message */
    wr(c, RBNN_REG_FAULT, RBNN_FAULT_DROP_IRQ);
    e = card_do(c, &nop);
    wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
    g_assert_false(msi_take(c, 0));
    g_assert_cmphex(rd(c, RBNN_REG_FAULT), ==, 0);
    e = card_do(c, &nop);
    g_assert_true(msi_take(c, 0));

    /* stuck cell at 1 in a row programmed to zeros */
    qtest_memset(c->qts, buf, 0, 64);
    wr(c, RBNN_REG_STUCK_TILE, 1);
    wr(c, RBNN_REG_STUCK_ROW, 7);
    wr(c, RBNN_REG_STUCK_COL, 42);
    wr(c, RBNN_REG_STUCK_CMD, RBNN_STUCK_CMD_AT1);
    {
        struct rbnn_hw_cmd p = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 7, 1, buf, 8);
        struct rbnn_hw_cmd r = cmd_rows(RBNN_OP_READ_ROWS, 1, 7, 1, buf + 64, 8);

        e = card_do(c, &p);
        e = card_do(c, &r);
        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
        qtest_memread(c->qts, buf + 64, row, 8);
        g_assert_cmphex(row[5], ==, 1 << 2);
        wr(c, RBNN_REG_STUCK_CMD, RBNN_STUCK_CMD_CLEAR);
        e = card_do(c, &p);
        e = card_do(c, &r);
        qtest_memread(c->qts, buf + 64, row, 8);
        g_assert_cmphex(row[5], ==, 0);
    }
    /* array age */
    wr(c, RBNN_REG_AGE_ADVANCE_S, 86400);
    g_assert_cmpuint(rd64(c, RBNN_REG_AGE_S_LO), ==, 86400);
    card_free(c);
}

static void test_fault_periodic(void)
{
    Card *c = card_boot("error-model=off,tiles=1,rows=16,cols=64,"
                        "x-fault-hang-cmd=8,x-fault-dma-every=3,x-fault-irq-every=2");
    uint64_t buf = galloc(c, 4096);
    struct rbnn_hw_cmd rcmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, buf, 8);
    struct rbnn_hw_cqe e;
    unsigned int i, irqs = 0;

    card_rings(c, 16, 16);
    /* commands 1..6 with data DMA: the 3rd and 6th fail */
    for (i = 1; i <= 6; i++) {
        e = card_do(c, &rcmd);
        g_assert_cmpuint(st(&e), ==, i % 3 ? RBNN_STATUS_OK : RBNN_STATUS_DMA);
        wait_reg(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
        wr(c, RBNN_REG_INT_STATUS, RBNN_INT_CQ);
        irqs += msi_take(c, 0);
    }
    /* every 2nd message lost */
    g_assert_cmpuint(irqs, ==, 3);
    e = card_do(c, &rcmd);                  /* 7 */
    /* the 8th command hangs */
    card_queue(c, &rcmd);
    card_doorbell(c);
    wait_reg(c, RBNN_REG_SQ_HEAD, ~0u, 8);
    card_expect_none(c);
    g_assert_cmphex(rd(c, RBNN_REG_STATUS) & RBNN_STS_BUSY, ==, RBNN_STS_BUSY);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    card_rings(c, 16, 16);
    e = card_do(c, &rcmd);                  /* 9: data DMA #8 */
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    card_free(c);
}

/* ---- two cards ------------------------------------------------------------- */

static void test_two_cards(void)
{
    g_autofree char *devs = g_strdup_printf(
        "-device rbnn,addr=04.0,error-model=off,tiles=2,rows=16,cols=64 "
        "-device rbnn,addr=05.0,error-model=off,tiles=3,rows=32,cols=128,x-debug=on");
    QOSState *qs = boot(devs);
    Card a, b;
    uint64_t buf;
    uint8_t da[8], db[16], back[16];
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;

    card_attach(&a, qs, DEVFN0);
    card_attach(&b, qs, DEVFN1);
    g_assert_cmpuint(rd(&a, RBNN_REG_TILES), ==, 2);
    g_assert_cmpuint(rd(&b, RBNN_REG_TILES), ==, 3);
    g_assert_cmphex(rd(&a, RBNN_REG_CAPS) & RBNN_CAP_DEBUG, ==, 0);
    g_assert_cmphex(rd(&b, RBNN_REG_CAPS) & RBNN_CAP_DEBUG, ==, RBNN_CAP_DEBUG);
    wr(&a, RBNN_REG_SCRATCH, 0xaaaa);
    wr(&b, RBNN_REG_SCRATCH, 0xbbbb);
    g_assert_cmphex(rd(&a, RBNN_REG_SCRATCH), ==, 0xaaaa);
    g_assert_cmphex(rd(&b, RBNN_REG_SCRATCH), ==, 0xbbbb);
    card_rings(&a, 8, 8);
    card_rings(&b, 8, 8);
    buf = galloc(&a, 4096);
    fill_random(da, sizeof(da));
    fill_random(db, sizeof(db));
    qtest_memwrite(a.qts, buf, da, 8);
    qtest_memwrite(a.qts, buf + 64, db, 16);
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 3, 1, buf, 8);
    e = card_do(&a, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 3, 1, buf + 64, 16);
    e = card_do(&b, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_true(msi_take(&a, 0));
    g_assert_true(msi_take(&b, 0));
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 3, 1, buf + 128, 8);
    e = card_do(&a, &cmd);
    qtest_memread(a.qts, buf + 128, back, 8);
    g_assert_cmpmem(back, 8, da, 8);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 3, 1, buf + 192, 16);
    e = card_do(&b, &cmd);
    qtest_memread(a.qts, buf + 192, back, 16);
    g_assert_cmpmem(back, 16, db, 16);
    /* interrupts go to the right card */
    msi_take(&a, 0);
    msi_take(&b, 0);
    wr(&b, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
    g_assert_true(msi_take(&b, 1));
    g_assert_false(msi_take(&a, 1));
    /* a fatal error on one card leaves the other running */
    wr(&a, RBNN_REG_SQ_TAIL, 99);
    g_assert_cmphex(rd(&a, RBNN_REG_STATUS) & RBNN_STS_HALTED, ==, RBNN_STS_HALTED);
    cmd = cmd_op(RBNN_OP_NOP, 4);
    e = card_do(&b, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_cmpuint(rd64(&a, RBNN_REG_CMDS_DONE_LO), ==, 2);
    g_assert_cmpuint(rd64(&b, RBNN_REG_CMDS_DONE_LO), ==, 3);
    card_detach(&a);
    card_detach(&b);
    qtest_shutdown(qs);
}

/* ---- migration ----------------------------------------------------------- */

static void test_migration(void)
{
    const char *props = "-device rbnn,addr=04.0,timing=modeled,error-model=off,"
                        "tiles=2,rows=64,cols=128,x-debug=on,seed=7";
    g_autofree char *uri = g_strdup_printf("unix:%s/rbnn-mig-%d.sock",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *dst_args = g_strdup_printf("%s -incoming %s", props, uri);
    QOSState *src_qs = boot(props), *dst_qs;
    Card src, dst;
    uint8_t data[64 * 16], back[64 * 16];
    uint64_t buf, out;
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    uint32_t prog;
    int64_t src_now, dst_now;

    card_attach(&src, src_qs, DEVFN0);
    card_rings(&src, 8, 8);
    buf = galloc(&src, sizeof(data));
    out = galloc(&src, sizeof(data));
    fill_random(data, sizeof(data));
    qtest_memwrite(src.qts, buf, data, sizeof(data));
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 0, 64, buf, sizeof(data));
    card_queue(&src, &cmd);
    card_doorbell(&src);
    wait_reg(&src, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(src.qts, 100000000);
    e = card_wait(&src);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    card_consume(&src);
    msi_take(&src, 0);
    wr(&src, RBNN_REG_SCRATCH, 0xc0ffee);
    wr(&src, RBNN_REG_IRQ_COAL, 3);
    wr(&src, RBNN_REG_STUCK_TILE, 1);
    /* a long command in flight across the migration */
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 64, out, sizeof(data));
    card_queue(&src, &cmd);
    card_doorbell(&src);
    wait_reg(&src, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    src_now = qtest_clock_step(src.qts, 100);
    prog = rd(&src, RBNN_REG_PROGRESS);

    dst_qs = boot(dst_args);
    /* the destination card: same BARs, rings and MSI-X table */
    dst = card_migrated(src_qs, &src, dst_qs, uri);
    /* the qtest accelerator's virtual clock is not migrated: catch up */
    dst_now = qtest_clock_set(dst.qts, src_now);
    g_assert_cmpint(dst_now, ==, src_now);
    g_assert_cmphex(rd(&dst, RBNN_REG_SCRATCH), ==, 0xc0ffee);
    g_assert_cmphex(rd(&dst, RBNN_REG_IRQ_COAL), ==, 3);
    g_assert_cmphex(rd(&dst, RBNN_REG_STUCK_TILE), ==, 1);
    g_assert_cmphex(rd(&dst, RBNN_REG_STATUS), ==,
                    RBNN_STS_ENABLED | RBNN_STS_BUSY);
    g_assert_cmpuint(rd(&dst, RBNN_REG_PROGRESS), ==, prog);
    g_assert_cmpuint(rd64(&dst, RBNN_REG_CMDS_DONE_LO), ==, 1);
    card_expect_none(&dst);
    qtest_clock_step(dst.qts, 100000000);
    e = card_wait(&dst);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    g_assert_cmpuint(le32_to_cpu(e.tag), ==, le32_to_cpu(cmd.tag));
    qtest_memread(dst.qts, out, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    wait_reg(&dst, RBNN_REG_INT_STATUS, RBNN_INT_CQ, RBNN_INT_CQ);
    g_assert_true(msi_take(&dst, 0));
    card_consume(&dst);
    /* the RRAM came along: read it again on the destination */
    qtest_memset(dst.qts, out, 0, sizeof(data));
    card_queue(&dst, &cmd);
    card_doorbell(&dst);
    wait_reg(&dst, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    qtest_clock_step(dst.qts, 100000000);
    e = card_wait(&dst);
    qtest_memread(dst.qts, out, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    g_assert_cmpuint(rd64(&dst, RBNN_REG_CMDS_DONE_LO), ==, 3);

    g_free(dst.dev);
    card_detach(&src);
    qtest_shutdown(src_qs);
    qtest_shutdown(dst_qs);
}

/*
 * Physics properties travel with the state: a destination created with
 * another read BER refuses the card (it exits), a destination with the
 * same properties takes it.
 */
static void test_migration_params_mismatch(void)
{
    const char *props = "-device rbnn,addr=04.0,tiles=2,rows=32,cols=64,seed=3";
    g_autofree char *uri = g_strdup_printf("unix:%s/rbnn-mig-par-%d.sock",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *dst_args = g_strdup_printf("%s,read-ber=1e-6 -incoming %s",
                                                props, uri);
    QOSState *src_qs = boot(props), *dst_qs = boot(dst_args);
    g_autofree char *status = NULL, *why = NULL;

    /* the source may finish sending before the destination refuses */
    status = migrate_refused(src_qs->qts, dst_qs, uri, &why);
    g_test_message("source: %s", status);
    qtest_shutdown(src_qs);
}

/*
 * Error model on, migrated between two commands of an inference with the
 * second one in flight: every output is bit-identical to a run on a card
 * that stayed put (the generator's state and the cells migrate).
 */
#define MIG_ERR_PROPS "-device rbnn,addr=04.0,timing=modeled,tiles=2," \
                      "rows=64,cols=128,seed=11,prog-current-ua=20," \
                      "read-ber=2e-3"

/* Run @cmd on a timing=modeled card: its completion after its time. */
static void card_do_modeled(Card *c, const struct rbnn_hw_cmd *cmd)
{
    struct rbnn_hw_cqe e;

    card_queue(c, cmd);
    card_doorbell(c);
    qtest_clock_step(c->qts, 100000000);
    e = card_wait(c);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    card_consume(c);
}

static void mig_err_program(Card *c, const uint8_t *data, size_t n,
                            uint64_t buf)
{
    struct rbnn_hw_cmd cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 0, 64, buf, n);

    card_rings(c, 8, 8);
    qtest_memwrite(c->qts, buf, data, n);
    card_do_modeled(c, &cmd);
}

static void mig_err_read(Card *c, uint64_t out, size_t n, uint8_t *back)
{
    struct rbnn_hw_cmd cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 64, out, n);

    qtest_memset(c->qts, out, 0, n);
    card_do_modeled(c, &cmd);
    qtest_memread(c->qts, out, back, n);
}

static size_t bits_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i, d = 0;

    for (i = 0; i < n; i++) {
        d += __builtin_popcount(a[i] ^ b[i]);
    }
    return d;
}

static void test_migration_error_model(void)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/rbnn-mig-err-%d.sock",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *dst_args = g_strdup_printf("%s -incoming %s",
                                                MIG_ERR_PROPS, uri);
    uint8_t data[64 * 16], ref1[sizeof(data)], ref2[sizeof(data)];
    uint8_t got1[sizeof(data)], got2[sizeof(data)];
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    QOSState *src_qs, *dst_qs;
    Card ref, src, dst;
    uint64_t buf, out, src_now;

    fill_random(data, sizeof(data));
    /* the card that stays put: program, read, read */
    card_attach(&ref, boot(MIG_ERR_PROPS), DEVFN0);
    buf = galloc(&ref, sizeof(data));
    out = galloc(&ref, sizeof(data));
    mig_err_program(&ref, data, sizeof(data), buf);
    mig_err_read(&ref, out, sizeof(data), ref1);
    mig_err_read(&ref, out, sizeof(data), ref2);
    card_detach(&ref);
    qtest_shutdown(ref.qs);
    /* errors happen, and each read draws its own */
    g_assert_cmpuint(bits_differ(ref1, data, sizeof(data)), >, 0);
    g_assert_cmpuint(bits_differ(ref1, ref2, sizeof(data)), >, 0);

    /* the same on a card migrated with the first read in flight */
    src_qs = boot(MIG_ERR_PROPS);
    card_attach(&src, src_qs, DEVFN0);
    g_assert_cmpuint(galloc(&src, sizeof(data)), ==, buf);
    g_assert_cmpuint(galloc(&src, sizeof(data)), ==, out);
    mig_err_program(&src, data, sizeof(data), buf);
    qtest_memset(src.qts, out, 0, sizeof(data));
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 64, out, sizeof(data));
    card_queue(&src, &cmd);
    card_doorbell(&src);
    wait_reg(&src, RBNN_REG_STATUS, RBNN_STS_BUSY, RBNN_STS_BUSY);
    src_now = qtest_clock_step(src.qts, 100);
    dst_qs = boot(dst_args);
    dst = card_migrated(src_qs, &src, dst_qs, uri);
    g_assert_cmpint(qtest_clock_set(dst.qts, src_now), ==, src_now);
    qtest_clock_step(dst.qts, 100000000);
    e = card_wait(&dst);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    card_consume(&dst);
    qtest_memread(dst.qts, out, got1, sizeof(got1));
    mig_err_read(&dst, out, sizeof(data), got2);
    g_assert_cmpmem(got1, sizeof(got1), ref1, sizeof(ref1));
    g_assert_cmpmem(got2, sizeof(got2), ref2, sizeof(ref2));
    g_free(dst.dev);
    g_free(src.dev);
    qtest_shutdown(src_qs);
    qtest_shutdown(dst_qs);
}

/*
 * Live migration of the array (its own section, iterated while the VM
 * runs): at the defaults (16 x 256 x 256, error model on, about 9 MB of
 * array state) the migration is slowed to 2 MB/s while programs rewrite
 * rows that were already sent; the rows go again, and at the end only
 * what is dirty at the stop goes with the VM stopped. The card's
 * x-mig-* counters give the bytes of each stage; the results on the
 * destination (reads with transient errors, so the generator's state
 * counts too) are bit-identical to those of a card that stayed put.
 */
#define MIG_LIVE_PROPS  "-device rbnn,id=card,addr=04.0,seed=13,read-ber=1e-3"
#define MIG_LIVE_CARD   "/machine/peripheral/card"
#define MIG_LIVE_TILES  3       /* tiles programmed and read back */
#define MIG_LIVE_PROGS  16      /* programs during the iteration */
#define MIG_LIVE_N      16      /* rows of each */
#define MIG_LIVE_ROWB   (256 / 8)
/* per row sent: index, meta, 3 bit planes, m0 and nu per cell */
#define MIG_LIVE_REC    (4 + 48 + 3 * MIG_LIVE_ROWB + 8 * 256)
#define MIG_LIVE_NROWS  (16 * 256)

static uint64_t qom_get_u64(QTestState *qts, const char *id,
                            const char *prop);

static void mig_set(QTestState *qts, int64_t bw, int64_t downtime_ms)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'migrate-set-parameters', "
                           "'arguments': { 'max-bandwidth': %" PRId64 ", "
                           "'downtime-limit': %" PRId64 " } }",
                           bw, downtime_ms);

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

static const char *mig_status(QTestState *qts, QDict **rsp)
{
    *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
    return qdict_get_try_str(qdict_get_qdict(*rsp, "return"), "status");
}

/* Program i of the iteration: tiles 0 and 1, rows sent before. */
static void mig_live_prog(Card *c, uint64_t buf, unsigned int i,
                          const uint8_t *data)
{
    const size_t n = MIG_LIVE_N * MIG_LIVE_ROWB;
    struct rbnn_hw_cmd cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, i % 2,
                                      (i / 2) * MIG_LIVE_N, MIG_LIVE_N,
                                      buf, n);
    struct rbnn_hw_cqe e;

    qtest_memwrite(c->qts, buf, data + i * n, n);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
}

/* Before: tiles 0..MIG_LIVE_TILES-1 programmed whole. */
static void mig_live_before(Card *c, uint64_t buf, const uint8_t *data)
{
    const size_t n = 256 * MIG_LIVE_ROWB;
    unsigned int t;

    card_rings(c, 8, 8);
    for (t = 0; t < MIG_LIVE_TILES; t++) {
        struct rbnn_hw_cmd cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, t, 0, 256,
                                          buf, n);
        struct rbnn_hw_cqe e;

        qtest_memwrite(c->qts, buf, data + t * n, n);
        e = card_do(c, &cmd);
        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    }
}

/* After: every row of those tiles read twice (errors drawn each time). */
static void mig_live_after(Card *c, uint64_t out, uint8_t *back)
{
    const size_t n = 256 * MIG_LIVE_ROWB;
    unsigned int t, k;

    for (k = 0; k < 2; k++) {
        for (t = 0; t < MIG_LIVE_TILES; t++) {
            struct rbnn_hw_cmd cmd = cmd_rows(RBNN_OP_READ_ROWS, t, 0, 256,
                                              out, n);
            struct rbnn_hw_cqe e = card_do(c, &cmd);

            g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
            qtest_memread(c->qts, out, back + (k * MIG_LIVE_TILES + t) * n,
                          n);
        }
    }
}

static void test_migration_live(void)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/rbnn-mig-live-%d.sock",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *dst_args = g_strdup_printf("%s -incoming %s",
                                                MIG_LIVE_PROPS, uri);
    const size_t tile_b = 256 * MIG_LIVE_ROWB;
    const size_t prog_b = MIG_LIVE_N * MIG_LIVE_ROWB;
    const size_t rd_b = 2 * MIG_LIVE_TILES * tile_b;
    g_autofree uint8_t *before = g_malloc(MIG_LIVE_TILES * tile_b);
    g_autofree uint8_t *during = g_malloc(MIG_LIVE_PROGS * prog_b);
    g_autofree uint8_t *ref = g_malloc(rd_b), *got = g_malloc(rd_b);
    uint64_t buf, out, live, final, rows, sent_min;
    QOSState *src_qs, *dst_qs;
    Card c, dst;
    gint64 end;
    QDict *rsp, *ret;
    const char *sts;
    unsigned int i, in_iter = 0;

    fill_random(before, MIG_LIVE_TILES * tile_b);
    fill_random(during, MIG_LIVE_PROGS * prog_b);

    /* the card that stays put */
    card_attach(&c, boot(MIG_LIVE_PROPS), DEVFN0);
    buf = galloc(&c, tile_b);
    out = galloc(&c, tile_b);
    mig_live_before(&c, buf, before);
    for (i = 0; i < MIG_LIVE_PROGS; i++) {
        mig_live_prog(&c, buf, i, during);
    }
    mig_live_after(&c, out, ref);
    card_detach(&c);
    qtest_shutdown(c.qs);
    g_assert_cmpuint(bits_differ(ref, before, MIG_LIVE_TILES * tile_b), >, 0);

    /* the same, the programs written while the array migrates */
    src_qs = boot(MIG_LIVE_PROPS);
    card_attach(&c, src_qs, DEVFN0);
    g_assert_cmpuint(galloc(&c, tile_b), ==, buf);
    g_assert_cmpuint(galloc(&c, tile_b), ==, out);
    mig_live_before(&c, buf, before);
    dst_qs = boot(dst_args);
    mig_set(src_qs->qts, 2 * 1024 * 1024, 10);
    rsp = qtest_qmp(src_qs->qts, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': %s } }", uri);
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    /* tiles 0 and 1 sent (the rows go in order) before they change */
    end = g_get_monotonic_time() + WAIT_US;
    while (qom_get_u64(src_qs->qts, MIG_LIVE_CARD, "x-mig-live-bytes") <
           2 * 256 * MIG_LIVE_REC) {
        g_assert(g_get_monotonic_time() < end);
        g_usleep(10000);
    }
    for (i = 0; i < MIG_LIVE_PROGS; i++) {
        sts = mig_status(src_qs->qts, &rsp);
        in_iter += !g_strcmp0(sts, "active");
        qobject_unref(rsp);
        mig_live_prog(&c, buf, i, during);
    }
    g_test_message("%u of %u programs written while the array migrated",
                   in_iter, MIG_LIVE_PROGS);
    /* at 2 MB/s the iteration lasts seconds: all of them were */
    g_assert_cmpuint(in_iter, ==, MIG_LIVE_PROGS);
    /* now let it end, with at most about 10 ms of downtime at 64 MB/s */
    mig_set(src_qs->qts, 64 * 1024 * 1024, 10);
    end = g_get_monotonic_time() + WAIT_US;
    for (;;) {
        sts = mig_status(src_qs->qts, &rsp);
        if (!g_strcmp0(sts, "completed")) {
            break;
        }
        g_assert(g_strcmp0(sts, "failed") && g_strcmp0(sts, "cancelled"));
        g_assert(g_get_monotonic_time() < end);
        qobject_unref(rsp);
        g_usleep(10000);
    }
    ret = qdict_get_qdict(rsp, "return");
    live = qom_get_u64(src_qs->qts, MIG_LIVE_CARD, "x-mig-live-bytes");
    final = qom_get_u64(src_qs->qts, MIG_LIVE_CARD, "x-mig-final-bytes");
    rows = qom_get_u64(src_qs->qts, MIG_LIVE_CARD, "x-mig-final-rows");
    g_test_message("array: %" PRIu64 " bytes while running, %" PRIu64
                   " bytes (%" PRIu64 " rows) with the VM stopped; "
                   "migration %" PRId64 " ms, downtime %" PRId64 " ms, "
                   "%" PRId64 " bytes in all",
                   live, final, rows, qdict_get_try_int(ret, "total-time", -1),
                   qdict_get_try_int(ret, "downtime", -1),
                   qdict_get_try_int(qdict_get_qdict(ret, "ram"),
                                     "transferred", -1));
    qobject_unref(rsp);
    /* every row once, and the rewritten ones again, before the stop */
    sent_min = (uint64_t)(MIG_LIVE_NROWS + MIG_LIVE_PROGS * MIG_LIVE_N) *
               MIG_LIVE_REC;
    g_assert_cmpuint(live + final, >=, sent_min);
    g_assert_cmpuint(live, >=, (uint64_t)MIG_LIVE_NROWS * MIG_LIVE_REC);
    /* with the VM stopped: a small part (the rows of a 10 ms budget) */
    g_assert_cmpuint(rows, <=, MIG_LIVE_NROWS / 8);
    g_assert_cmpuint(final, <, (uint64_t)MIG_LIVE_NROWS * MIG_LIVE_REC / 8);

    migrate_allocator(&src_qs->alloc, &dst_qs->alloc);
    unlink(uri + strlen("unix:"));
    dst = c;
    dst.qs = dst_qs;
    dst.qts = dst_qs->qts;
    dst.dev = qpci_device_find(dst_qs->pcibus, DEVFN0);
    g_assert(dst.dev != NULL);
    wait_vm_running(dst.qts);
    mig_live_after(&dst, out, got);
    g_assert_cmpmem(got, rd_b, ref, rd_b);
    g_free(dst.dev);
    g_free(c.dev);
    qtest_shutdown(src_qs);
    qtest_shutdown(dst_qs);
}

/* Wait until the QMP job @id has concluded, then dismiss it. */
static void job_wait(QTestState *qts, const char *id)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-jobs' }");
        QList *jobs = qdict_get_qlist(rsp, "return");
        const QListEntry *e;
        bool done = false;

        QLIST_FOREACH_ENTRY(jobs, e) {
            QDict *j = qobject_to(QDict, qlist_entry_obj(e));

            if (!strcmp(qdict_get_str(j, "id"), id)) {
                done = !strcmp(qdict_get_str(j, "status"), "concluded");
                g_assert_null(qdict_get_try_str(j, "error"));
            }
        }
        qobject_unref(rsp);
        if (done) {
            break;
        }
        g_assert(g_get_monotonic_time() < end);
        g_usleep(10000);
    }
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'job-dismiss', 'arguments': "
                            "{ 'id': %s } }", id));
}

/*
 * savevm/loadvm (internal snapshot in a qcow2 image made through QMP):
 * the card comes back with the array and the generator state of the
 * snapshot, so a read after loadvm gives the bits of the read made right
 * after savevm, errors included, not those of what was programmed since.
 */
static void test_savevm_loadvm(void)
{
    g_autofree char *img = g_strdup_printf("%s/rbnn-snap-%d.qcow2",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *args = NULL;
    char *r;
    uint8_t a[32 * 16], b[sizeof(a)], r1[sizeof(a)], rb[sizeof(a)], r2[sizeof(a)];
    struct rbnn_hw_cmd cmd;
    struct rbnn_hw_cqe e;
    uint64_t buf, out;
    Card c, saved;
    QOSState *qs;

    g_assert_true(g_file_set_contents(img, "", 0, NULL));
    args = g_strdup_printf("-blockdev driver=file,filename=%s,node-name=proto "
                           "-device rbnn,addr=04.0,tiles=1,rows=32,cols=128,"
                           "seed=21,prog-current-ua=20,read-ber=2e-3", img);
    qs = boot(args);
    qobject_unref(qtest_qmp(qs->qts, "{ 'execute': 'blockdev-create', "
                            "'arguments': { 'job-id': 'mk', 'options': "
                            "{ 'driver': 'qcow2', 'file': 'proto', "
                            "'size': 16777216 } } }"));
    job_wait(qs->qts, "mk");
    qobject_unref(qtest_qmp(qs->qts, "{ 'execute': 'blockdev-add', "
                            "'arguments': { 'driver': 'qcow2', "
                            "'node-name': 'disk', 'file': 'proto' } }"));
    card_attach(&c, qs, DEVFN0);
    card_rings(&c, 8, 8);
    buf = galloc(&c, sizeof(a));
    out = galloc(&c, sizeof(a));
    fill_random(a, sizeof(a));
    fill_random(b, sizeof(b));
    qtest_memwrite(c.qts, buf, a, sizeof(a));
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 32, buf, sizeof(a));
    e = card_do(&c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);

    r = qtest_hmp(qs->qts, "savevm snap1");
    g_assert_cmpstr(r, ==, "");
    g_free(r);
    saved = c;
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 32, out, sizeof(a));
    e = card_do(&c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memread(c.qts, out, r1, sizeof(r1));
    g_assert_cmpuint(bits_differ(r1, a, sizeof(a)), >, 0);   /* errors on */
    qtest_memwrite(c.qts, buf, b, sizeof(b));
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 32, buf, sizeof(b));
    e = card_do(&c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 32, out, sizeof(b));
    e = card_do(&c, &cmd);
    qtest_memread(c.qts, out, rb, sizeof(rb));
    g_assert_cmpuint(bits_differ(rb, b, sizeof(b)), <, sizeof(b));

    r = qtest_hmp(qs->qts, "loadvm snap1");
    g_assert_cmpstr(r, ==, "");
    g_free(r);
    c = saved;          /* guest memory and rings are the snapshot's too */
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 32, out, sizeof(a));
    e = card_do(&c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memread(c.qts, out, r2, sizeof(r2));
    g_assert_cmpmem(r2, sizeof(r2), r1, sizeof(r1));
    card_detach(&c);
    qtest_shutdown(qs);
    unlink(img);
}

/* ---- seeds, bus mastering, DMA targets, IOMMU -------------------------- */

static uint64_t qom_get_u64(QTestState *qts, const char *id, const char *prop)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments':"
                            " {'path': %s, 'property': %s}}", id, prop);
    uint64_t v;

    g_assert(qdict_haskey(resp, "return"));
    g_assert(qnum_get_try_uint(qobject_to(QNum, qdict_get(resp, "return")),
                               &v));
    qobject_unref(resp);
    return v;
}

/* Without seed=, cards differ from each other and from run to run not. */
static void test_seed_per_card(void)
{
    const char *cards = "-device rbnn,id=a,addr=04.0 -device rbnn,id=b,addr=05.0 "
                        "-device rbnn,id=c,addr=06.0,seed=5";
    uint64_t a, b, a2;
    QOSState *qs = boot(cards);

    a = qom_get_u64(qs->qts, "/machine/peripheral/a", "seed");
    b = qom_get_u64(qs->qts, "/machine/peripheral/b", "seed");
    g_assert_cmpuint(a, !=, b);
    g_assert_cmpuint(qom_get_u64(qs->qts, "/machine/peripheral/c", "seed"),
                     ==, 5);
    qtest_shutdown(qs);
    qs = boot(cards);
    a2 = qom_get_u64(qs->qts, "/machine/peripheral/a", "seed");
    g_assert_cmpuint(a2, ==, a);
    qtest_shutdown(qs);
}

static void set_msix_enable(Card *c, bool on)
{
    uint8_t cap = qpci_find_capability(c->dev, PCI_CAP_ID_MSIX, 0);
    uint16_t v = qpci_config_readw(c->dev, cap + PCI_MSIX_FLAGS);

    v = on ? v | PCI_MSIX_FLAGS_ENABLE : v & ~PCI_MSIX_FLAGS_ENABLE;
    qpci_config_writew(c->dev, cap + PCI_MSIX_FLAGS, v);
}

static void set_bus_master(Card *c, bool on)
{
    uint16_t v = qpci_config_readw(c->dev, PCI_COMMAND);

    v = on ? v | PCI_COMMAND_MASTER : v & ~PCI_COMMAND_MASTER;
    qpci_config_writew(c->dev, PCI_COMMAND, v);
}

/*
 * MSI-X only, no INTx: an event raised while MSI-X is disabled or bus
 * mastering is off stays in INT_STATUS and is sent, once, when messages
 * can go again.
 */
static void test_msix_disabled(void)
{
    Card *c = card_boot("");

    wr(c, RBNN_REG_INT_MASK, RBNN_INT_CQ | RBNN_INT_TEST);
    set_msix_enable(c, false);
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
    g_assert_false(msi_take(c, 1));
    g_assert_cmphex(rd(c, RBNN_REG_INT_STATUS), ==, RBNN_INT_TEST);
    set_msix_enable(c, true);
    g_assert_true(msi_take(c, 1));
    g_assert_false(msi_take(c, 0));
    set_msix_enable(c, true);               /* no change: nothing again */
    g_assert_false(msi_take(c, 1));
    wr(c, RBNN_REG_INT_STATUS, RBNN_INT_TEST);

    set_bus_master(c, false);
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_CQ);
    g_assert_false(msi_take(c, 0));
    set_bus_master(c, true);
    g_assert_true(msi_take(c, 0));
    g_assert_false(msi_take(c, 1));
    /* acknowledged before messages could go: nothing is sent */
    set_msix_enable(c, false);
    wr(c, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
    wr(c, RBNN_REG_INT_STATUS, RBNN_INT_TEST | RBNN_INT_CQ);
    set_msix_enable(c, true);
    g_assert_false(msi_take(c, 0));
    g_assert_false(msi_take(c, 1));
    card_free(c);
}

/* The card halted on a descriptor fetch error, then reset and working. */
static void expect_sq_dma_then_recover(Card *c)
{
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 5);
    struct rbnn_hw_cqe e;

    wait_reg(c, RBNN_REG_STATUS, RBNN_STS_HALTED, RBNN_STS_HALTED);
    g_assert_cmphex(rd(c, RBNN_REG_ERROR) & RBNN_ERR_SQ_DMA, ==,
                    RBNN_ERR_SQ_DMA);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    card_rings(c, 8, 8);
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
}

/*
 * Bus mastering off: no DMA at all (the command is not fetched, guest
 * memory untouched); DMA aimed at the card's own BARs (registers, MSI-X
 * table) or beyond guest RAM fails cleanly with status DMA.
 */
static void test_dma_targets(void)
{
    Card *c = card_boot("error-model=off,tiles=2,rows=32,cols=64");
    uint8_t data[32 * 8], back[sizeof(data)], pat[sizeof(data)];
    uint64_t out = galloc(c, sizeof(data)), bad[4];
    struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 1);
    struct rbnn_hw_cqe e;
    unsigned int i;

    card_rings(c, 8, 8);
    set_bus_master(c, false);
    card_queue(c, &cmd);
    card_doorbell(c);
    set_bus_master(c, true);    /* the fetch failed already */
    expect_sq_dma_then_recover(c);

    /* a READ_ROWS with bus mastering off writes nothing */
    memset(pat, 0x5a, sizeof(pat));
    qtest_memwrite(c->qts, out, pat, sizeof(pat));
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 32, out, sizeof(data));
    set_bus_master(c, false);
    card_queue(c, &cmd);
    card_doorbell(c);
    g_usleep(20000);
    rd(c, RBNN_REG_STATUS);
    qtest_memread(c->qts, out, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), pat, sizeof(pat));
    set_bus_master(c, true);
    expect_sq_dma_then_recover(c);

    /*
     * Data buffers on the card's own BARs (QEMU blocks the re-entry into
     * the device: registers and MSI-X table) and outside guest RAM fail.
     */
    fill_random(data, sizeof(data));
    bad[0] = c->bar.addr + RBNN_REG_SCRATCH;
    bad[1] = c->dev->msix_table_bar.addr;
    bad[2] = 1ull << 46;
    bad[3] = (1ull << 46) - 64;     /* starts in nothing, ends in nothing */
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        wr(c, RBNN_REG_SCRATCH, 0x600d);
        cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 32, bad[i], sizeof(data));
        e = card_do(c, &cmd);
        g_assert_cmpuint(st(&e), ==, RBNN_STATUS_DMA);
        cmd = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 32, bad[i], sizeof(data));
        e = card_do(c, &cmd);
        g_assert_cmpuint(st(&e), !=, RBNN_STATUS_OK);
        g_assert_cmphex(rd(c, RBNN_REG_SCRATCH), ==, 0x600d);
    }
    /* the rings themselves on the registers: a fetch error, no re-entry */
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
    wr(c, RBNN_REG_SQ_BASE_LO, (uint32_t)c->bar.addr);
    wr(c, RBNN_REG_SQ_BASE_HI, (uint32_t)(c->bar.addr >> 32));
    wr(c, RBNN_REG_SQ_SIZE, 8);
    wr(c, RBNN_REG_CQ_BASE_LO, (uint32_t)c->cq);
    wr(c, RBNN_REG_CQ_BASE_HI, (uint32_t)(c->cq >> 32));
    wr(c, RBNN_REG_CQ_SIZE, 8);
    wr(c, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
    wr(c, RBNN_REG_SQ_TAIL, 1);
    expect_sq_dma_then_recover(c);
    /* and the programmed data is still right */
    qtest_memwrite(c->qts, out, data, sizeof(data));
    cmd = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 32, out, sizeof(data));
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memset(c->qts, out, 0, sizeof(data));
    cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 32, out, sizeof(data));
    e = card_do(c, &cmd);
    g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
    qtest_memread(c->qts, out, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    card_free(c);
}

/*
 * Behind an Intel IOMMU (intel-iommu): with DMA remapping on and no
 * context entry for the card, every DMA is blocked and the card reports a
 * fetch error; with a pass-through context entry it works as without.
 */
#define VTD_BASE            0xfed90000ull
#define VTD_GCMD            0x18
#define VTD_GSTS            0x1c
#define VTD_RTADDR          0x20
#define VTD_GCMD_TE         (1u << 31)
#define VTD_GCMD_SRTP       (1u << 30)

static void vtd_enable(QTestState *qts, uint64_t root)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    qtest_writeq(qts, VTD_BASE + VTD_RTADDR, root);
    qtest_writel(qts, VTD_BASE + VTD_GCMD, VTD_GCMD_SRTP);
    while (!(qtest_readl(qts, VTD_BASE + VTD_GSTS) & VTD_GCMD_SRTP)) {
        g_assert(g_get_monotonic_time() < end);
    }
    qtest_writel(qts, VTD_BASE + VTD_GCMD, VTD_GCMD_TE);
    while (!(qtest_readl(qts, VTD_BASE + VTD_GSTS) & VTD_GCMD_TE)) {
        g_assert(g_get_monotonic_time() < end);
    }
}

static void test_iommu(void)
{
    const char *args = "-device intel-iommu,intremap=off "
                       "-device rbnn,addr=04.0,error-model=off,tiles=1,"
                       "rows=16,cols=64";
    int pass;

    for (pass = 0; pass < 2; pass++) {
        QOSState *qs = boot(args);
        Card c;
        struct rbnn_hw_cmd cmd = cmd_op(RBNN_OP_NOP, 9);
        struct rbnn_hw_cqe e;
        /* the root and context tables, 4 KiB aligned */
        uint64_t root = (guest_alloc(&qs->alloc, 3 * 4096) + 4095) & ~4095ull;
        uint64_t ctx = root + 4096;

        card_attach(&c, qs, DEVFN0);
        qtest_memset(qs->qts, root, 0, 8192);
        if (pass) {
            /* bus 0 -> context table; devfn 04.0: pass-through, domain 1 */
            qtest_writeq(qs->qts, root, ctx | 1);
            qtest_writeq(qs->qts, ctx + 16 * DEVFN0, 1 | (2u << 2));
            qtest_writeq(qs->qts, ctx + 16 * DEVFN0 + 8, 2 | (1u << 8));
        }
        vtd_enable(qs->qts, root);
        card_rings(&c, 8, 8);
        if (pass) {
            e = card_do(&c, &cmd);
            g_assert_cmpuint(st(&e), ==, RBNN_STATUS_OK);
        } else {
            card_queue(&c, &cmd);
            card_doorbell(&c);
            wait_reg(&c, RBNN_REG_STATUS, RBNN_STS_HALTED, RBNN_STS_HALTED);
            g_assert_cmphex(rd(&c, RBNN_REG_ERROR) & RBNN_ERR_SQ_DMA, ==,
                            RBNN_ERR_SQ_DMA);
        }
        card_detach(&c);
        qtest_shutdown(qs);
    }
}

/* ---- hot plug / unplug (unrealize) ---------------------------------------- */

static void wait_deleted(QTestState *qts, const char *id)
{
    QDict *resp, *data;

    for (;;) {
        resp = qtest_qmp_eventwait_ref(qts, "DEVICE_DELETED");
        data = qdict_get_qdict(resp, "data");
        if (data && qdict_get_try_str(data, "device") &&
            !strcmp(qdict_get_str(data, "device"), id)) {
            qobject_unref(resp);
            return;
        }
        qobject_unref(resp);
    }
}

static void test_hotplug(void)
{
    g_autofree char *args = g_strdup_printf(
        "-M q35 -nodefaults%s "
        "-device pcie-root-port,id=rp1,chassis=1,addr=06.0 "
        "-device pcie-root-port,id=rp2,chassis=2,addr=07.0 "
        "-device rbnn,id=cold,bus=rp1,timing=modeled", fw_args());
    QTestState *qts = qtest_init(args);
    QDict *resp;

    /* invalid properties at run time: an error, QEMU keeps going */
    resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments':"
                     " {'driver': 'rbnn', 'bus': 'rp2', 'id': 'bad',"
                     "  'cols': 65}}");
    g_assert(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    /* plug a second card, then unplug both (device_del + reset) */
    qtest_qmp_device_add(qts, "rbnn", "hot",
                         "{'bus': 'rp2', 'tiles': 2, 'error-model': false}");
    qtest_qmp_device_del_send(qts, "hot");
    qtest_qmp_device_del_send(qts, "cold");
    qtest_system_reset_nowait(qts);
    wait_deleted(qts, "hot");
    wait_deleted(qts, "cold");
    qtest_clock_step(qts, 1000000);
    /* plug again under the same id */
    qtest_qmp_device_add(qts, "rbnn", "hot", "{'bus': 'rp2'}");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rbnn/pci-identity", test_pci_identity);
    g_test_add_func("/rbnn/properties", test_properties);
    g_test_add_func("/rbnn/bad-properties", test_bad_properties);
    g_test_add_func("/rbnn/help", test_help);
    g_test_add_func("/rbnn/bad-access", test_bad_access);
    g_test_add_func("/rbnn/time-temperature", test_time_temperature);
    g_test_add_func("/rbnn/retention-aged", test_retention_aged);
    g_test_add_func("/rbnn/msix/trigger", test_msix_trigger);
    g_test_add_func("/rbnn/msix/completion", test_msix_completion);
    g_test_add_func("/rbnn/rows/roundtrip", test_rows_roundtrip);
    g_test_add_func("/rbnn/rows/wear", test_wear);
    g_test_add_func("/rbnn/rows/scrub", test_scrub);
    g_test_add_func("/rbnn/exec/fc", test_exec_fc);
    g_test_add_func("/rbnn/exec/fc-bits", test_exec_fc_bits);
    g_test_add_func("/rbnn/exec/conv-pool", test_exec_conv_pool);
    g_test_add_func("/rbnn/exec/bitserial", test_exec_bitserial);
    g_test_add_func("/rbnn/exec/errors", test_exec_errors);
    g_test_add_func("/rbnn/malformed", test_malformed);
    g_test_add_func("/rbnn/ring/wrap", test_ring_wrap);
    g_test_add_func("/rbnn/ring/many", test_many_commands);
    g_test_add_func("/rbnn/fatal/ring-config", test_fatal_ring_config);
    g_test_add_func("/rbnn/fatal/doorbell", test_fatal_doorbell);
    g_test_add_func("/rbnn/moderation", test_moderation);
    g_test_add_func("/rbnn/timing/modeled", test_modeled_timing);
    g_test_add_func("/rbnn/reset/midway", test_reset_midway);
    g_test_add_func("/rbnn/slice/long-command", test_long_command);
    g_test_add_func("/rbnn/slice/migrate-busy", test_long_command_migrate);
    g_test_add_func("/rbnn/fault/hang", test_fault_hang);
    g_test_add_func("/rbnn/fault/dma-irq-stuck", test_fault_dma_irq_stuck);
    g_test_add_func("/rbnn/fault/periodic", test_fault_periodic);
    g_test_add_func("/rbnn/two-cards", test_two_cards);
    g_test_add_func("/rbnn/migration", test_migration);
    g_test_add_func("/rbnn/hotplug", test_hotplug);
    g_test_add_func("/rbnn/migration/params-mismatch",
                    test_migration_params_mismatch);
    g_test_add_func("/rbnn/migration/error-model", test_migration_error_model);
    g_test_add_func("/rbnn/migration/savevm-loadvm", test_savevm_loadvm);
    g_test_add_func("/rbnn/migration/live", test_migration_live);
    g_test_add_func("/rbnn/seed-per-card", test_seed_per_card);
    g_test_add_func("/rbnn/msix/disabled", test_msix_disabled);
    g_test_add_func("/rbnn/dma/targets", test_dma_targets);
    g_test_add_func("/rbnn/dma/iommu", test_iommu);
    return g_test_run();
}
