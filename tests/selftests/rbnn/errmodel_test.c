// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The error model seen through the uAPI (cards with error-model=on):
 * programmed data read back with a bit error rate within statistical
 * bounds of the device model's analytic BER (Documentation/rbnn-device.rst,
 * "Cell and array physics"), computed here from the documented default
 * parameters and checked against QUERY MODEL's expected_ber_ppb at the
 * card's default current.
 *
 * Bounds (stated in each test's log):
 *   - |errors - E| <= 6 * sqrt(E) + 3, E = expected errors (sum over the
 *     cells of the BER of their side, plus the transient read BER);
 *     The formula is the calibrated one (issue 15): switching failures
 *     f = 1.3e-5 * (100 uA / I)^2 per device pulse and SA offsets of
 *     sigma 0.1, so 2T2R sits at 1.3e-5 and 1T1R at 4.4e-4 at 100 uA;
 *   - 2T2R: errors at 20 uA > errors at 100 uA, and BER(20 uA) < 1e-2;
 *   - program-and-verify at 20 uA: BER < 1e-5 and more pulses than cells;
 *   - drift: after one year (debug age_advance_s) errors grow at least 5x
 *     and the BER stays under 6e-2 (model: 3.2e-2 at 20 uA, 2T2R, 25 C); a SCRUB
 *     then stops the growth (one more year adds < 10% + 20 errors).
 *   - scrub counts (cards with RBNN_CAP_SCRUB_COUNT): a SCRUB of rows
 *     freshly programmed with verify finds exactly their unverified cells;
 *     after a year it finds weak cells (0.01 % .. 2 % of the cells at the
 *     default 100 uA; model ~0.24 %), more than the bit errors drift made;
 *     QUERY COUNTERS, the tiles' records and sysfs grow by exactly the
 *     JOB_INFO counts; a second SCRUB finds about the cells the first
 *     left unverified. The administrator's scrub (debugfs "scrub") agrees
 *     with the counters and keeps the owner's rows.
 *
 * Cards: every rbnn node found (/dev/accel), variant card0..card2.
 */
#include <math.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

/* Documented defaults of the parameters the uAPI does not report. */
#define LRS_K_V			0.45
#define LRS_SIGMA_REF		0.15
#define LRS_SIGMA_IREF_UA	100.0
#define LRS_SIGMA_EXP		0.5
#define HRS_MEDIAN_OHM		150e3
#define HRS_SIGMA		0.55
/* Calibrated model (issue 15): switching failures and SA offsets. */
#define SW_FAIL			1.3e-5	/* per device pulse at 100 uA */
#define SW_FAIL_I_EXP		2.0
#define SA_OFFSET_SIGMA		0.1	/* at the default 1.2 V */

static double q_func(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

static double sigma_l(double i_ua)
{
	return LRS_SIGMA_REF * pow(LRS_SIGMA_IREF_UA / i_ua, LRS_SIGMA_EXP);
}

/*
 * Probability that a programmed bit of value @b reads wrong: a device
 * pulse fails to switch with probability f (it stays in the other
 * state), the column's SA offset adds o^2 to the decision's variance.
 */
static double ber_side(uint32_t cell_mode, double i_ua, double idef_ua, int b)
{
	double f = SW_FAIL * pow(100.0 / i_ua, SW_FAIL_I_EXP);
	double o2 = SA_OFFSET_SIGMA * SA_OFFSET_SIGMA;
	double sl = sqrt(sigma_l(i_ua) * sigma_l(i_ua) + o2);
	double sh = sqrt(HRS_SIGMA * HRS_SIGMA + o2);
	double mu, s, lnref, q, q1, q0;

	if (f > 0.5)
		f = 0.5;
	if (cell_mode == 0) {
		/* both switched: margin mu; one failed: a coin flip; both: -mu */
		mu = log(HRS_MEDIAN_OHM * i_ua * 1e-6 / LRS_K_V);
		s = sqrt(sigma_l(i_ua) * sigma_l(i_ua) + HRS_SIGMA * HRS_SIGMA +
			 o2);
		q = q_func(mu / s);
		return (1 - f) * (1 - f) * q + f * (1 - f) + f * f * (1 - q);
	}
	lnref = (log(LRS_K_V / (idef_ua * 1e-6)) + log(HRS_MEDIAN_OHM)) / 2;
	q1 = q_func((lnref - log(LRS_K_V / (i_ua * 1e-6))) / sl);
	q0 = q_func((log(HRS_MEDIAN_OHM) - lnref) / sh);
	return b ? (1 - f) * q1 + f * (1 - q0) : (1 - f) * q0 + f * (1 - q1);
}

static double ber_avg(uint32_t cell_mode, double i_ua, double idef_ua)
{
	return (ber_side(cell_mode, i_ua, idef_ua, 0) +
		ber_side(cell_mode, i_ua, idef_ua, 1)) / 2;
}

static uint64_t popcount_bytes(const uint8_t *p, size_t n)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += __builtin_popcount(p[i]);
	return c;
}

static uint64_t diff_bits(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += __builtin_popcount(a[i] ^ b[i]);
	return c;
}

FIXTURE(em) {
	char node[64];
	int fd;
	struct drm_rbnn_query_device dev;
	struct drm_rbnn_query_model m;
	uint32_t tiles[4], ntiles;
	struct sel_bo w, out;
	uint64_t cells;
};

FIXTURE_VARIANT(em) {
	int card;
};

FIXTURE_VARIANT_ADD(em, card0) { .card = 0 };
FIXTURE_VARIANT_ADD(em, card1) { .card = 1 };
FIXTURE_VARIANT_ADD(em, card2) { .card = 2 };

FIXTURE_SETUP(em)
{
	char cards[8][64];
	int n = sel_list_cards(cards, 8);
	size_t bytes;

	self->fd = -1;
	if (variant->card >= n)
		SKIP(return, "no card %d (%d found)", variant->card, n);
	snprintf(self->node, sizeof(self->node), "%s", cards[variant->card]);
	self->fd = sel_open(self->node);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &self->dev,
			       sizeof(self->dev)));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &self->m,
			       sizeof(self->m)));
	if (!self->m.error_model)
		SKIP(return, "%s: error model off", self->node);
	self->ntiles = self->dev.tiles >= 8 ? 4 : self->dev.tiles / 2;
	ASSERT_LT(0, self->ntiles);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, self->ntiles, self->tiles));
	bytes = (size_t)self->dev.rows * self->dev.row_bytes;
	self->cells = (uint64_t)self->ntiles * bytes * 8;
	ASSERT_EQ(0, sel_bo_new(self->fd, bytes * self->ntiles, &self->w));
	ASSERT_EQ(0, sel_bo_new(self->fd, bytes * self->ntiles, &self->out));
	sel_seed(0xe77 + variant->card);
	sel_fill_random(self->w.map, self->w.size);
}

FIXTURE_TEARDOWN(em)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Program every row of the fixture's tiles; return total device pulses. */
static uint64_t program_all(struct __test_metadata *_metadata,
			    FIXTURE_DATA(em) *self, uint32_t flags,
			    uint32_t current_na)
{
	size_t bytes = (size_t)self->dev.rows * self->dev.row_bytes;
	struct drm_rbnn_job_info ji;
	uint64_t s[4], pulses = 0;
	uint32_t t;

	for (t = 0; t < self->ntiles; t++)
		ASSERT_EQ(0, sel_program_ex(self->fd, self->tiles[t], 0,
					    self->dev.rows, flags, current_na,
					    &self->w, t * bytes, NULL, 0, &s[t]));
	for (t = 0; t < self->ntiles; t++) {
		ASSERT_EQ(0, sel_job_wait(self->fd, s[t], &ji, 60000));
		EXPECT_EQ(0, ji.status);
		EXPECT_TRUE(ji.hw_status == SEL_HW_OK || ji.hw_status == SEL_HW_VERIFY);
		pulses += ji.hw_detail;
	}
	return pulses;
}

static uint64_t read_errors(struct __test_metadata *_metadata,
			    FIXTURE_DATA(em) *self, uint32_t flags)
{
	size_t bytes = (size_t)self->dev.rows * self->dev.row_bytes;
	uint64_t s = 0;
	uint32_t t;

	memset(self->out.map, 0, self->out.size);
	for (t = 0; t < self->ntiles; t++)
		EXPECT_EQ(0, sel_readback(self->fd, self->tiles[t], 0,
					  self->dev.rows, flags, &self->out,
					  t * bytes, &s));
	for (t = 0; t < self->ntiles; t++)
		EXPECT_EQ(0, sel_job_status(self->fd, s - t, 60000));
	return diff_bits(self->w.map, self->out.map, self->ntiles * bytes);
}

/* Expected errors of the fixture's data at a current, with read errors. */
static double expected_errors(FIXTURE_DATA(em) *self, double i_ua)
{
	uint64_t ones = popcount_bytes(self->w.map, self->cells / 8);
	double idef = self->m.prog_current_na / 1000.0;

	return ones * ber_side(self->dev.cell_mode, i_ua, idef, 1) +
	       (self->cells - ones) * ber_side(self->dev.cell_mode, i_ua, idef, 0) +
	       self->cells * self->m.read_ber_ppb * 1e-9;
}

static void check_ber(struct __test_metadata *_metadata, FIXTURE_DATA(em) *self,
		      uint64_t errors, double i_ua)
{
	double e = expected_errors(self, i_ua), tol = 6 * sqrt(e) + 3;

	TH_LOG("%s %s at %.0f uA: %llu bit errors in %llu cells (BER %.3g), expected %.1f (BER %.3g), bound +-%.1f",
	       self->node, self->dev.cell_mode ? "1T1R" : "2T2R", i_ua,
	       (unsigned long long)errors, (unsigned long long)self->cells,
	       (double)errors / self->cells, e, e / self->cells, tol);
	EXPECT_LE(fabs((double)errors - e), tol);
}

TEST_F(em, reported_expected_ber)
{
	double idef = self->m.prog_current_na / 1000.0;
	double ppb = ber_avg(self->dev.cell_mode, idef, idef) * 1e9;

	TH_LOG("%s: default %.0f uA, QUERY MODEL expected_ber_ppb %llu, formula %.2f ppb, read_ber_ppb %llu",
	       self->node, idef, (unsigned long long)self->m.expected_ber_ppb, ppb,
	       (unsigned long long)self->m.read_ber_ppb);
	EXPECT_LE(fabs((double)self->m.expected_ber_ppb - ppb), 1.0 + ppb * 0.02);
	EXPECT_EQ(1, self->m.read_ber_ppb);
	EXPECT_TRUE(self->dev.caps & SEL_CAP_ERROR_MODEL);
}

TEST_F(em, ber_default_current)
{
	uint64_t pulses = program_all(_metadata, self, 0, 0);

	/* without verify: one pass of 2 (2T2R) or 1 (1T1R) pulses per cell */
	EXPECT_EQ(self->cells * (self->dev.cell_mode ? 1 : 2), pulses);
	check_ber(_metadata, self, read_errors(_metadata, self, 0),
		  self->m.prog_current_na / 1000.0);
}

TEST_F(em, ber_weak_vs_strong)
{
	uint64_t weak, strong;

	program_all(_metadata, self, 0, 20000);
	weak = read_errors(_metadata, self, 0);
	check_ber(_metadata, self, weak, 20);
	program_all(_metadata, self, 0, 100000);
	strong = read_errors(_metadata, self, 0);
	check_ber(_metadata, self, strong, 100);
	if (self->dev.cell_mode == 0) {
		/* the loose bound of the brief, independent of the formula */
		EXPECT_LT(strong, weak);
		EXPECT_LT((double)weak / self->cells, 1e-2);
		EXPECT_LT(0, weak);
	}
}

TEST_F(em, verify_rescues_weak_programming)
{
	static struct sel_tiles t;
	struct drm_rbnn_query_counters c0, c1;
	uint64_t pulses, errors, vf = 0;
	uint32_t i;

	if (self->dev.cell_mode != 0)
		SKIP(return, "1T1R cannot be programmed weakly, verify or not");
	/*
	 * The pulses from the card's counter: a job whose verify left cells
	 * reports their number in hw_detail, not its pulses (device-to-device
	 * variation leaves a few such cells, issue 15).
	 */
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	program_all(_metadata, self, DRM_RBNN_PROGRAM_VERIFY, 20000);
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	pulses = c1.program_pulses - c0.program_pulses;
	errors = read_errors(_metadata, self, 0);
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
	for (i = 0; i < self->ntiles; i++)
		vf += t.t[self->tiles[i]].verify_fails;
	TH_LOG("20 uA with verify: %llu errors, %llu pulses for %llu cells, %llu cells unverified",
	       (unsigned long long)errors, (unsigned long long)pulses,
	       (unsigned long long)self->cells, (unsigned long long)vf);
	/* ~12% of the cells are below the margin after the first pass */
	EXPECT_LT(2 * self->cells, pulses);
	EXPECT_GT(3 * self->cells, pulses);
	EXPECT_LT((double)errors / self->cells, 1e-5);
	EXPECT_GE(2, vf);
}

TEST_F(em, drift_then_scrub)
{
	uint64_t e0, e1, e2, e3;
	char year[32];

	if (!(self->dev.caps & SEL_CAP_DEBUG))
		SKIP(return, "%s: no debug registers (x-debug=on) to age the array",
		     self->node);
	if (self->dev.cell_mode != 0)
		SKIP(return, "the drift table is for 2T2R");
	snprintf(year, sizeof(year), "%u", 365u * 24 * 3600);
	program_all(_metadata, self, 0, 20000);
	e0 = read_errors(_metadata, self, 0);
	ASSERT_EQ(0, sel_debugfs_write(self->node, "age_advance_s", year));
	e1 = read_errors(_metadata, self, 0);
	/* SCRUB: sense and reprogram (with verify) in place */
	e2 = read_errors(_metadata, self, DRM_RBNN_READBACK_SCRUB);
	ASSERT_EQ(0, sel_debugfs_write(self->node, "age_advance_s", year));
	e3 = read_errors(_metadata, self, 0);
	TH_LOG("20 uA, 2T2R: fresh %llu, after 1 year %llu (BER %.3g, model 3.2e-2), after scrub %llu, one more year %llu",
	       (unsigned long long)e0, (unsigned long long)e1,
	       (double)e1 / self->cells, (unsigned long long)e2,
	       (unsigned long long)e3);
	EXPECT_LT(5 * e0, e1);
	EXPECT_LT((double)e1 / self->cells, 6e-2);
	EXPECT_GT((double)e1 / self->cells, 1.5e-2);
	EXPECT_LE(e2, e1 + 20);
	EXPECT_LE(e3, e2 + e2 / 10 + 20);
}

/* SCRUB every fixture tile; per-tile weak cells and unverified cells. */
static void scrub_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(em) *self, uint64_t *weak,
		      uint64_t *unverified)
{
	size_t bytes = (size_t)self->dev.rows * self->dev.row_bytes;
	struct drm_rbnn_job_info ji;
	uint64_t s[4];
	uint32_t t;

	for (t = 0; t < self->ntiles; t++)
		ASSERT_EQ(0, sel_readback(self->fd, self->tiles[t], 0,
					  self->dev.rows,
					  DRM_RBNN_READBACK_SCRUB, &self->out,
					  t * bytes, &s[t]));
	for (t = 0; t < self->ntiles; t++) {
		ASSERT_EQ(0, sel_job_wait(self->fd, s[t], &ji, 60000));
		ASSERT_EQ(0, ji.status);
		weak[t] = ji.scrub_weak_cells;
		/* The REFRESH is the job's first command: VERIFY says how
		 * many cells it left below the margin. */
		unverified[t] = ji.hw_status == SEL_HW_VERIFY ? ji.hw_detail : 0;
	}
}

static uint64_t sum4(const uint64_t *v, uint32_t n)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* The counters (card, tiles, sysfs) grew by the JOB_INFO counts. */
static void check_counts(struct __test_metadata *_metadata,
			 FIXTURE_DATA(em) *self,
			 const struct drm_rbnn_query_counters *c0,
			 const struct sel_tiles *t0, const uint64_t *weak)
{
	static struct sel_tiles t1;
	struct drm_rbnn_query_counters c1;
	uint32_t i;

	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0->scrub_weak_cells + sum4(weak, self->ntiles),
		  c1.scrub_weak_cells);
	EXPECT_EQ((long long)c1.scrub_weak_cells,
		  sel_sysfs_u64(self->node, "scrub_weak_cells"));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	for (i = 0; i < self->ntiles; i++)
		EXPECT_EQ(t0->t[self->tiles[i]].scrub_weak_cells + weak[i],
			  t1.t[self->tiles[i]].scrub_weak_cells);
}

TEST_F(em, scrub_counts_weak_cells)
{
	static struct sel_tiles t0;
	struct drm_rbnn_query_counters c0;
	uint64_t w1[4], u1[4], w2[4], u2[4], w3[4], u3[4], e1, vf = 0;
	uint64_t weak;
	char year[32];
	uint32_t i;

	if (!(self->dev.caps & SEL_CAP_SCRUB_COUNT))
		SKIP(return, "%s: the card does not count weak cells",
		     self->node);
	if (!(self->dev.caps & SEL_CAP_DEBUG))
		SKIP(return, "%s: no debug registers (x-debug=on) to age the array",
		     self->node);
	if (self->dev.cell_mode != 0 || self->m.prog_current_na != 100000)
		SKIP(return, "the bounds are for 2T2R at 100 uA");

	/* Fresh, with verify: the scrub finds the unverified cells only. */
	program_all(_metadata, self, DRM_RBNN_PROGRAM_VERIFY, 0);
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_NE(~0ull, c0.scrub_weak_cells);
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	ASSERT_LE(offsetof(struct drm_rbnn_tile_info, scrub_weak_cells) + 8,
		  t0.hdr.stride);
	for (i = 0; i < self->ntiles; i++)
		vf += t0.t[self->tiles[i]].verify_fails;
	scrub_all(_metadata, self, w1, u1);
	TH_LOG("%s fresh, verified: %llu weak cells, %llu unverified before",
	       self->node, (unsigned long long)sum4(w1, self->ntiles),
	       (unsigned long long)vf);
	EXPECT_EQ(vf, sum4(w1, self->ntiles));
	check_counts(_metadata, self, &c0, &t0, w1);

	/* One year of drift. */
	snprintf(year, sizeof(year), "%u", 365u * 24 * 3600);
	ASSERT_EQ(0, sel_debugfs_write(self->node, "age_advance_s", year));
	e1 = read_errors(_metadata, self, 0);
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	scrub_all(_metadata, self, w2, u2);
	weak = sum4(w2, self->ntiles);
	TH_LOG("after a year: %llu bit errors read, the scrub saw %llu weak cells of %llu (%.3g), left %llu unverified",
	       (unsigned long long)e1, (unsigned long long)weak,
	       (unsigned long long)self->cells, (double)weak / self->cells,
	       (unsigned long long)sum4(u2, self->ntiles));
	EXPECT_GT(weak, e1);
	EXPECT_GT((double)weak / self->cells, 1e-4);
	EXPECT_LT((double)weak / self->cells, 2e-2);
	for (i = 0; i < self->ntiles; i++)
		EXPECT_LT(0, w2[i]);
	check_counts(_metadata, self, &c0, &t0, w2);

	/* Margins restored: a second scrub finds what did not verify. */
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	scrub_all(_metadata, self, w3, u3);
	TH_LOG("second scrub: %llu weak cells", (unsigned long long)sum4(w3, self->ntiles));
	EXPECT_LE(sum4(u2, self->ntiles), sum4(w3, self->ntiles));
	EXPECT_GE(sum4(u2, self->ntiles) + 2, sum4(w3, self->ntiles));
	check_counts(_metadata, self, &c0, &t0, w3);
}

#define SCRUB_HDR \
	"tile status hw_status weak_cells unverified pulses time_ns energy_pj\n"

/* Open the card's debugfs "scrub", write @what, read the report. */
static int admin_scrub(const char *node, const char *what, char *rep,
		       size_t len)
{
	char p[PATH_MAX], d[PATH_MAX - 64];
	ssize_t n, w;
	int fd, ret = 0;

	sel_debugfs_dir(node, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/scrub", d);
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rep[0] = 0;
	w = write(fd, what, strlen(what));
	if (w < 0)
		ret = -errno;
	n = read(fd, rep, len - 1);
	if (n >= 0)
		rep[n] = 0;
	close(fd);
	return ret;
}

TEST_F(em, admin_scrub)
{
	static char rep[16384];
	static struct sel_tiles t0, t1;
	struct drm_rbnn_query_counters c0, c1;
	size_t bytes = (size_t)self->dev.rows * self->dev.row_bytes;
	uint64_t sum = 0, mine = 0, before_errors, after_errors;
	uint8_t *before;
	unsigned int tile, hw, ok = 0;
	unsigned long long wk, uv, pu, tn, en;
	int st, k;
	char *line;

	if (!(self->dev.caps & SEL_CAP_SCRUB_COUNT))
		SKIP(return, "%s: the card does not count weak cells",
		     self->node);
	/* Bad requests, nothing scrubbed: an empty report. */
	EXPECT_EQ(-EINVAL, admin_scrub(self->node, "bogus", rep, sizeof(rep)));
	EXPECT_STREQ("", rep);
	EXPECT_EQ(-EINVAL, admin_scrub(self->node, "99999", rep, sizeof(rep)));
	EXPECT_EQ(-EINVAL, admin_scrub(self->node, "-1", rep, sizeof(rep)));

	/* Without verify: weak programming leaves weak cells (20 uA, 1T1R). */
	program_all(_metadata, self, 0, 0);
	before_errors = read_errors(_metadata, self, 0);
	before = malloc(self->ntiles * bytes);
	ASSERT_NE(NULL, before);
	memcpy(before, self->out.map, self->ntiles * bytes);
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));

	ASSERT_EQ(0, admin_scrub(self->node, "all", rep, sizeof(rep)));
	ASSERT_EQ(0, strncmp(rep, SCRUB_HDR, strlen(SCRUB_HDR)));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	for (line = strchr(rep, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
		ASSERT_EQ(8, sscanf(line, "%u %d %u %llu %llu %llu %llu %llu%n",
				    &tile, &st, &hw, &wk, &uv, &pu, &tn, &en, &k));
		EXPECT_EQ(ok, tile);
		EXPECT_EQ(0, st);
		EXPECT_LT(0, tn);
		EXPECT_LT(0, en);
		EXPECT_EQ(t0.t[tile].scrub_weak_cells + wk,
			  t1.t[tile].scrub_weak_cells);
		for (k = 0; k < (int)self->ntiles; k++)
			if (self->tiles[k] == tile)
				mine += wk;
		sum += wk;
		ok++;
	}
	EXPECT_EQ(self->dev.tiles, ok);
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.scrub_weak_cells + sum, c1.scrub_weak_cells);
	TH_LOG("%s: the administrator's scrub saw %llu weak cells, %llu in this file's tiles (%llu bit errors read before)",
	       self->node, (unsigned long long)sum, (unsigned long long)mine,
	       (unsigned long long)before_errors);
	if (self->dev.cell_mode == 1 || self->m.prog_current_na <= 20000)
		EXPECT_LT(self->cells / 100, mine);

	/* The owner's rows are still programmed and hold what they read. */
	after_errors = read_errors(_metadata, self, 0);
	EXPECT_GE(2, diff_bits(before, self->out.map, self->ntiles * bytes));
	EXPECT_GE(before_errors + 2, after_errors);
	free(before);
}

TEST_HARNESS_MAIN
