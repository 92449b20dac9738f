// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-smi - RBNN card management: list cards, show identity, health and
 * usage, per-tile wear, scrub and reset a card.  Everything goes through
 * libbnn's card API (bnn_device.h); this program issues no ioctl itself.
 * Documentation/bnn-smi.1 is the manual; --help says the same in short.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bnn.h"
#include "bnn_device.h"

#define PROG "bnn-smi"

/* Exit statuses. */
#define EX_OK 0
#define EX_FAIL 1	/* an operation failed (permission, device error) */
#define EX_USAGE 2	/* bad command line */
#define EX_NOCARD 3	/* no RBNN card (or none matching) */

static const char help_text[] =
"Usage: " PROG " [OPTIONS] [COMMAND] [CARD...]\n"
"\n"
"Show and manage the RBNN cards (RRAM binarized neural network\n"
"accelerators) driven by the rbnn kernel driver: list them, show their\n"
"identity, geometry and device-model parameters, their health and usage\n"
"(tiles, wear, stuck cells, errors and resets, modeled energy and busy\n"
"time, the processes using them), the wear of each tile, and scrub and\n"
"reset them.\n"
"\n"
"Commands:\n"
"  list            (default) one line per card: index, node, PCI address,\n"
"                  driver, geometry (tiles x rows x columns), cell mode,\n"
"                  hardware version\n"
"  info [CARD...]  identity (PCI IDs, version, capabilities), geometry,\n"
"                  limits (activation buffer, layers, batch, segments) and\n"
"                  the device-model parameters (error model, seed, timing,\n"
"                  programming defaults, bit error rates, endurance,\n"
"                  energy and time per operation)\n"
"  health [CARD...]\n"
"                  tiles used and free; wear (row program cycles: largest,\n"
"                  mean, share of the rated endurance, histogram of tiles\n"
"                  by their most worn row); stuck cells and cells left\n"
"                  unverified; bit errors seen by scrubs (weak cells:\n"
"                  read wrong, or right with less than the verify margin;\n"
"                  each scrub re-programmed them); driver recoveries and\n"
"                  card resets;\n"
"                  lifetime energy, busy time, commands, programming\n"
"                  pulses and cell reads; jobs submitted, completed and\n"
"                  failed; array age; the processes that have the card open\n"
"                  (pid, name, files, tiles, device time, buffer memory)\n"
"  tiles CARD      one line per tile: state, owner (root only), largest and\n"
"                  mean row program cycles, stuck and unverified cells, bit\n"
"                  errors seen by scrubs\n"
"  scrub CARD      scrub every row of every tile (root only, through\n"
"                  debugfs; users' weights stay): the card senses each\n"
"                  cell, counts the weak ones (the bit errors a scrub can\n"
"                  see without ECC) and re-programs every cell with\n"
"                  verify; prints per tile the weak cells found and the\n"
"                  cells left unverified, and the modeled cost.  A bit\n"
"                  that read wrong is re-programmed wrong: program the\n"
"                  weights again to correct it\n"
"  reset CARD      reset the card as the driver's hang recovery does (root\n"
"                  only, through debugfs): jobs running on it are aborted\n"
"                  and reported to their owners; queued jobs then run; the\n"
"                  weights stay programmed (the RRAM is non-volatile)\n"
"\n"
"CARD is a device node (/dev/accel/accel1), an accel name (accel1), a PCI\n"
"address (0000:00:03.0 or 00:03.0) or an index from `" PROG " list`.  Without\n"
"CARD, info and health show every card.\n"
"\n"
"Options:\n"
"  -J, --json      machine-readable output: one JSON object on stdout\n"
"                  (errors as {\"error\": {\"code\", \"name\", \"message\"}});\n"
"                  -J as in bnn-run (-j, the old spelling, still works with\n"
"                  a warning: in bnn-run -j sets the thread count)\n"
"  -h, --help      this text\n"
"  -V, --version   program and library version\n"
"\n"
"Permissions: listing and the sysfs part of health need no rights.  The\n"
"driver's queries (geometry details, per-tile wear, counters, model\n"
"parameters) need read-write access to the node, which belongs to group\n"
"render (add yourself: usermod -aG render $USER); without it " PROG " shows\n"
"what sysfs has and says so.  Processes of other users are only listed for\n"
"root.  scrub and reset need root and a mounted debugfs.\n"
"\n"
"Exit status: 0 success, 1 an operation failed, 2 usage error, 3 no RBNN\n"
"card found (or none matching CARD; list still exits 0 with no card).\n"
"\n"
"Examples:\n"
"  " PROG "                       list the cards\n"
"  " PROG " health accel1          health of /dev/accel/accel1\n"
"  " PROG " --json health | jq '.cards[].tiles'\n"
"  sudo " PROG " scrub accel0          scrub card 0, count its bit errors\n"
"  sudo " PROG " reset 0000:00:03.0\n";

static int json;

/* -j, the old short spelling of --json: bnn-run's -j is --threads, so
 * both programs now take -J for --json.  Still accepted, with a note. */
static void json_old_spelling(void)
{
	static int said;

	if (!said++)
		fprintf(stderr, PROG ": -j is deprecated: use -J or --json (bnn-run's -j is --threads)\n");
	json = 1;
}

/* ---- output helpers ---------------------------------------------------- */

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	exit(EX_USAGE);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Report a libbnn error; returns the exit status. */
static int report(const bnn_error *e, int status)
{
	if (json) {
		printf("{\"error\": {\"code\": %d, \"name\": ", e->code);
		json_str(bnn_strerror(e->code));
		fputs(", \"message\": ", stdout);
		json_str(e->msg);
		fputs("}}\n", stdout);
	}
	fprintf(stderr, PROG ": %s\n", e->msg[0] ? e->msg : bnn_strerror(e->code));
	return status;
}

static const char *fmt_energy(double pj, char *b, size_t n)
{
	static const char *u[] = { "pJ", "nJ", "uJ", "mJ", "J", "kJ" };
	int i = 0;

	while (fabs(pj) >= 1000 && i < 5) {
		pj /= 1000;
		i++;
	}
	snprintf(b, n, i ? "%.3f %s" : "%.0f %s", pj, u[i]);
	return b;
}

static const char *fmt_time(double ns, char *b, size_t n)
{
	if (ns < 1e3)
		snprintf(b, n, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(b, n, "%.3f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(b, n, "%.3f ms", ns / 1e6);
	else
		snprintf(b, n, "%.3f s", ns / 1e9);
	return b;
}

static const char *fmt_bytes(uint64_t v, char *b, size_t n)
{
	if (v < 1024)
		snprintf(b, n, "%" PRIu64 " B", v);
	else if (v < (1u << 20))
		snprintf(b, n, "%.1f KiB", v / 1024.0);
	else if (v < (1u << 30))
		snprintf(b, n, "%.1f MiB", v / 1048576.0);
	else
		snprintf(b, n, "%.1f GiB", v / 1073741824.0);
	return b;
}

static const char *fmt_age(uint64_t s, char *b, size_t n)
{
	if (s < 120)
		snprintf(b, n, "%" PRIu64 " s", s);
	else if (s < 2 * 3600)
		snprintf(b, n, "%.1f min", s / 60.0);
	else if (s < 2 * 86400)
		snprintf(b, n, "%.1f h", s / 3600.0);
	else if (s < 2 * 31557600ull)
		snprintf(b, n, "%.1f days", s / 86400.0);
	else
		snprintf(b, n, "%.1f years", s / 31557600.0);
	return b;
}

/* A model parameter, or "n/a". */
static const char *fmt_param(uint64_t v, const char *unit, char *b, size_t n)
{
	if (v == BNN_UNKNOWN)
		snprintf(b, n, "n/a");
	else
		snprintf(b, n, "%" PRIu64 "%s%s", v, unit[0] ? " " : "", unit);
	return b;
}

static const char *bucket_label(unsigned k, char *b, size_t n)
{
	if (k == 0)
		snprintf(b, n, "0");
	else if (k == 1)
		snprintf(b, n, "1");
	else
		snprintf(b, n, "%llu-%llu", 1ull << (k - 1), (1ull << k) - 1);
	return b;
}

/* ---- selecting cards ------------------------------------------------------- */

/* The cards named on the command line (all when none): *out malloc'ed. */
static int select_cards(char **names, int nnames, bnn_card **out, size_t *n)
{
	bnn_error e;
	int rc;

	if (nnames == 0) {
		rc = bnn_card_list(out, n, &e);
		if (rc)
			return report(&e, EX_FAIL);
		if (!*n) {
			e.code = BNN_E_NODEV;
			snprintf(e.msg, sizeof(e.msg),
				 "no RBNN card found (no /dev/accel device bound to the rbnn driver; is the module loaded? modprobe rbnn)");
			return report(&e, EX_NOCARD);
		}
		return EX_OK;
	}
	*out = calloc((size_t)nnames, sizeof(**out));
	if (!*out) {
		fprintf(stderr, PROG ": out of memory\n");
		return EX_FAIL;
	}
	for (int i = 0; i < nnames; i++) {
		rc = bnn_card_find(names[i], &(*out)[i], &e);
		if (rc) {
			free(*out);
			*out = NULL;
			return report(&e, rc == BNN_E_NODEV ||
					  rc == BNN_E_NOTFOUND ? EX_NOCARD :
								 EX_FAIL);
		}
	}
	*n = (size_t)nnames;
	return EX_OK;
}

/* ---- list and info ----------------------------------------------------------- */

static void json_card_fields(const bnn_card *c)
{
	char caps[160];

	printf("\"index\": %u, \"node\": ", c->index);
	json_str(c->node);
	fputs(", \"name\": ", stdout);
	json_str(c->name);
	fputs(", \"pci\": ", stdout);
	json_str(c->pci);
	fputs(", \"driver\": ", stdout);
	json_str(c->driver);
	printf(", \"accessible\": %s", c->queried ? "true" : "false");
	if (!c->queried) {
		fputs(", \"access_error\": ", stdout);
		json_str(bnn_strerror(c->open_status));
	}
	printf(", \"vendor_id\": \"0x%04x\", \"device_id\": \"0x%04x\"",
	       c->vendor_id, c->device_id);
	printf(", \"subsystem_vendor_id\": \"0x%04x\", \"subsystem_id\": \"0x%04x\", \"revision\": %u",
	       c->subsystem_vendor_id, c->subsystem_id, c->revision);
	printf(", \"tiles\": %u, \"rows\": %u, \"cols\": %u, \"cell_mode\": ",
	       c->tiles, c->rows, c->cols);
	json_str(bnn_cell_mode_name(c->cell_mode));
	if (c->queried) {
		printf(", \"hw_version\": \"%u.%u\", \"caps\": \"0x%x\", \"caps_names\": ",
		       c->hw_version >> 16, c->hw_version & 0xffff, c->caps);
		json_str(bnn_card_caps_str(c->caps, caps, sizeof(caps)));
		printf(", \"row_bytes\": %u, \"act_buf_size\": %u, \"max_layers\": %u, \"max_batch\": %u, \"max_segments\": %u, \"max_in_syncs\": %u, \"job_history\": %u",
		       c->row_bytes, c->act_buf_size, c->max_layers,
		       c->max_batch, c->max_segments, c->max_in_syncs,
		       c->job_history);
	}
}

static int cmd_list(void)
{
	bnn_card *v = NULL;
	size_t n = 0;
	bnn_error e;
	int denied = BNN_OK;

	if (bnn_card_list(&v, &n, &e))
		return report(&e, EX_FAIL);
	if (json) {
		fputs("{\"cards\": [", stdout);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? ",\n  {" : "\n  {", stdout);
			json_card_fields(&v[i]);
			putchar('}');
		}
		fputs(n ? "\n]}\n" : "]}\n", stdout);
		bnn_card_list_free(v);
		return EX_OK;
	}
	if (!n) {
		printf("No RBNN card found (no /dev/accel device bound to the rbnn driver; is the module loaded?)\n");
		return EX_OK;
	}
	printf("%-5s %-18s %-13s %-7s %-17s %-5s %s\n", "CARD", "NODE", "PCI",
	       "DRIVER", "GEOMETRY", "CELL", "HW");
	for (size_t i = 0; i < n; i++) {
		char geom[48], hw[16];

		snprintf(geom, sizeof(geom), "%ux%ux%u", v[i].tiles, v[i].rows,
			 v[i].cols);
		if (v[i].queried)
			snprintf(hw, sizeof(hw), "%u.%u", v[i].hw_version >> 16,
				 v[i].hw_version & 0xffff);
		else
			snprintf(hw, sizeof(hw), "?");
		if (!v[i].queried && !denied)
			denied = v[i].open_status;
		printf("%-5u %-18s %-13s %-7s %-17s %-5s %s\n", v[i].index,
		       v[i].node, v[i].pci, v[i].driver, geom,
		       bnn_cell_mode_name(v[i].cell_mode), hw);
	}
	if (denied)
		printf("(HW ?: the node could not be opened: %s%s; geometry from sysfs)\n",
		       bnn_strerror(denied), denied == BNN_E_PERM ?
		       " (join the render group, or run as root)" : "");
	bnn_card_list_free(v);
	return EX_OK;
}

static void print_model_params(const bnn_card_health *h)
{
	char a[32], b[32], c[32];

	printf("  device model     error model %s, seed %s, timing %s\n",
	       h->error_model == BNN_UNKNOWN ? "n/a" :
	       h->error_model ? "on" : "off",
	       fmt_param(h->seed, "", a, sizeof(a)),
	       h->timing == BNN_UNKNOWN ? "n/a" :
	       h->timing ? "modeled" : "instant");
	printf("  programming      current %s, pulse %s, verify up to %s re-pulses\n",
	       fmt_param(h->prog_current_na, "nA", a, sizeof(a)),
	       fmt_param(h->pulse_ns, "ns", b, sizeof(b)),
	       fmt_param(h->verify_max, "", c, sizeof(c)));
	printf("  bit error rates  read %s, expected programming %s (ppb)\n",
	       fmt_param(h->read_ber_ppb, "", a, sizeof(a)),
	       fmt_param(h->expected_ber_ppb, "", b, sizeof(b)));
	printf("  endurance        %s cycles median, wear acceleration %s, drift nu %s ppm\n",
	       fmt_param(h->endurance, "", a, sizeof(a)),
	       fmt_param(h->wear_accel, "", b, sizeof(b)),
	       fmt_param(h->drift_nu_ppm, "", c, sizeof(c)));
	printf("  cost             read %s fJ/cell, popcount %s fJ/row, DMA %s fJ/byte",
	       fmt_param(h->e_read_fj, "", a, sizeof(a)),
	       fmt_param(h->e_popcount_fj, "", b, sizeof(b)),
	       fmt_param(h->e_dma_fj, "", c, sizeof(c)));
	printf(", row read %s\n", fmt_param(h->t_read_ns, "ns", a, sizeof(a)));
}

static void json_u64_or_null(const char *key, uint64_t v, int comma)
{
	if (v == BNN_UNKNOWN)
		printf("%s\"%s\": null", comma ? ", " : "", key);
	else
		printf("%s\"%s\": %" PRIu64, comma ? ", " : "", key, v);
}

static void json_model(const bnn_card_health *h)
{
	fputs("\"model\": {", stdout);
	json_u64_or_null("error_model", h->error_model, 0);
	json_u64_or_null("seed", h->seed, 1);
	json_u64_or_null("timing", h->timing, 1);
	json_u64_or_null("prog_current_na", h->prog_current_na, 1);
	json_u64_or_null("pulse_ns", h->pulse_ns, 1);
	json_u64_or_null("verify_max", h->verify_max, 1);
	json_u64_or_null("read_ber_ppb", h->read_ber_ppb, 1);
	json_u64_or_null("expected_ber_ppb", h->expected_ber_ppb, 1);
	json_u64_or_null("endurance", h->endurance, 1);
	json_u64_or_null("wear_accel", h->wear_accel, 1);
	json_u64_or_null("drift_nu_ppm", h->drift_nu_ppm, 1);
	json_u64_or_null("e_read_fj", h->e_read_fj, 1);
	json_u64_or_null("e_popcount_fj", h->e_popcount_fj, 1);
	json_u64_or_null("e_dma_fj", h->e_dma_fj, 1);
	json_u64_or_null("t_read_ns", h->t_read_ns, 1);
	putchar('}');
}

static int cmd_info(char **names, int nnames)
{
	bnn_card *v = NULL;
	size_t n = 0;
	int rc = select_cards(names, nnames, &v, &n);

	if (rc)
		return rc;
	if (json)
		fputs("{\"cards\": [", stdout);
	for (size_t i = 0; i < n; i++) {
		const bnn_card *c = &v[i];
		bnn_card_health h;
		bnn_error e;
		char caps[160];

		if (bnn_card_health_get(c, &h, &e)) {
			if (json)
				fputs("]}\n", stdout);
			free(v);
			return report(&e, EX_FAIL);
		}
		if (json) {
			fputs(i ? ",\n  {" : "\n  {", stdout);
			json_card_fields(c);
			fputs(", ", stdout);
			json_model(&h);
			putchar('}');
			continue;
		}
		printf("%s%s  %s  PCI %s  driver %s\n", i ? "\n" : "", c->name,
		       c->node, c->pci, c->driver);
		printf("  PCI IDs          %04x:%04x (subsystem %04x:%04x, revision %u)\n",
		       c->vendor_id, c->device_id, c->subsystem_vendor_id,
		       c->subsystem_id, c->revision);
		printf("  geometry         %u tiles x %u rows x %u columns, %s cells (%" PRIu64 " weight bits)\n",
		       c->tiles, c->rows, c->cols, bnn_cell_mode_name(c->cell_mode),
		       (uint64_t)c->tiles * c->rows * c->cols);
		if (!c->queried) {
			printf("  (no access to %s: %s; the rest needs the node)\n",
			       c->node, h.open_msg[0] ? h.open_msg :
			       bnn_strerror(c->open_status));
			continue;
		}
		printf("  hardware         version %u.%u, capabilities 0x%x: %s\n",
		       c->hw_version >> 16, c->hw_version & 0xffff, c->caps,
		       bnn_card_caps_str(c->caps, caps, sizeof(caps)));
		printf("  limits           activation buffer %u bytes (items up to %u), %u layers and %u items per run, %u segments, %u in-fences, %u job results kept\n",
		       c->act_buf_size, c->act_buf_size / 2, c->max_layers,
		       c->max_batch, c->max_segments, c->max_in_syncs,
		       c->job_history);
		print_model_params(&h);
	}
	if (json)
		fputs(n ? "\n]}\n" : "]}\n", stdout);
	free(v);
	return EX_OK;
}

/* ---- health ------------------------------------------------------------------ */

static void print_health(const bnn_card *c, const bnn_card_health *h,
			 const bnn_card_proc *p, size_t np, int proc_rc)
{
	char a[48], b[48], d[48];
	uint64_t maxh = 0;

	printf("%s  %s  PCI %s\n", c->name, c->node, c->pci);
	if (h->source == BNN_HEALTH_SYSFS)
		printf("  (from sysfs only: %s)\n",
		       h->open_msg[0] ? h->open_msg : bnn_strerror(h->open_status));
	if (h->have & BNN_HAVE_TILES)
		printf("  tiles            %u used, %u free, %u in all\n",
		       h->tiles_used, h->tiles_free, h->tiles);
	if (h->have & BNN_HAVE_WEAR) {
		printf("  wear             row program cycles: largest %" PRIu64,
		       h->wear_cycles_max);
		if (h->have & BNN_HAVE_WEAR_HIST)
			printf(" (tile %u)", h->most_worn_tile);
		printf(", mean %.2f", h->wear_cycles_mean);
		if (h->wear_life_used >= 0)
			printf("; %.4f%% of the rated endurance (%" PRIu64 " cycles)",
			       100.0 * h->wear_life_used, h->endurance);
		putchar('\n');
	}
	if (h->have & BNN_HAVE_WEAR_HIST) {
		printf("  wear histogram   tiles by their most worn row (cycles):\n");
		for (unsigned k = 0; k < BNN_WEAR_BUCKETS; k++)
			if (h->wear_hist[k] > maxh)
				maxh = h->wear_hist[k];
		for (unsigned k = 0; k < BNN_WEAR_BUCKETS; k++) {
			unsigned bar;

			if (!h->wear_hist[k])
				continue;
			bar = maxh ? (unsigned)((h->wear_hist[k] * 40 + maxh - 1) / maxh) : 0;
			printf("    %-21s %6" PRIu64 "  ", bucket_label(k, a, sizeof(a)),
			       h->wear_hist[k]);
			for (unsigned i = 0; i < bar; i++)
				putchar('#');
			putchar('\n');
		}
	}
	if (h->have & BNN_HAVE_WEAR)
		printf("  cells            %" PRIu64 " stuck, %" PRIu64 " left unverified by program-and-verify\n",
		       h->stuck_cells, h->verify_fails);
	if (h->have & BNN_HAVE_SCRUB)
		printf("  scrub            %" PRIu64 " bit errors seen since power-on (weak cells, re-programmed)\n",
		       h->scrub_bit_errors);
	else
		printf("  scrub            bit errors: not reported by the driver\n");
	if (h->have & BNN_HAVE_RECOVERY)
		printf("  recovery         %" PRIu64 " driver recoveries (hangs, fatal errors, forced resets), %" PRIu64 " card resets since power-on\n",
		       h->recoveries, h->card_resets);
	if (h->have & BNN_HAVE_ENERGY) {
		printf("  energy           %s modeled", fmt_energy((double)h->energy_pj, a, sizeof(a)));
		if (h->have & BNN_HAVE_COUNTERS)
			printf(", busy %s, %" PRIu64 " commands",
			       fmt_time((double)h->busy_ns, b, sizeof(b)),
			       h->commands);
		putchar('\n');
	}
	if (h->have & BNN_HAVE_COUNTERS) {
		printf("  array            %" PRIu64 " programming pulses, %" PRIu64 " cell reads, age %s\n",
		       h->program_pulses, h->cell_reads,
		       fmt_age(h->age_s, d, sizeof(d)));
		printf("  jobs             %" PRIu64 " submitted, %" PRIu64 " completed, %" PRIu64 " failed (since the driver bound the card)\n",
		       h->jobs_submitted, h->jobs_completed, h->jobs_failed);
	}
	if (proc_rc) {
		printf("  processes        (cannot read /proc)\n");
		return;
	}
	if (!np) {
		printf("  processes        none%s\n",
		       geteuid() ? " visible (other users' processes need root)" : "");
		return;
	}
	printf("  processes        %-7s %-16s %5s %5s %12s %10s\n", "PID", "NAME",
	       "FILES", "TILES", "DEVICE TIME", "MEMORY");
	for (size_t i = 0; i < np; i++) {
		char t[24];

		if (geteuid() == 0)
			snprintf(t, sizeof(t), "%u", p[i].tiles);
		else
			snprintf(t, sizeof(t), "-");
		printf("                   %-7d %-16s %5u %5s %12s %10s\n",
		       p[i].pid, p[i].comm, p[i].files, t,
		       fmt_time((double)p[i].engine_ns, a, sizeof(a)),
		       fmt_bytes(p[i].memory_bytes, b, sizeof(b)));
	}
	if (geteuid())
		printf("                   (only your own processes; root sees all)\n");
}

static void json_health(const bnn_card *c, const bnn_card_health *h,
			const bnn_card_proc *p, size_t np)
{
	int first = 1;

	fputs("{\"node\": ", stdout);
	json_str(c->node);
	fputs(", \"name\": ", stdout);
	json_str(c->name);
	fputs(", \"pci\": ", stdout);
	json_str(c->pci);
	printf(", \"source\": \"%s\"",
	       h->source == BNN_HEALTH_DRIVER ? "driver" : "sysfs");
	if (h->source == BNN_HEALTH_SYSFS) {
		fputs(", \"access_error\": ", stdout);
		json_str(h->open_msg);
	}
	if (h->have & BNN_HAVE_TILES)
		printf(", \"tiles\": {\"total\": %u, \"used\": %u, \"free\": %u}",
		       h->tiles, h->tiles_used, h->tiles_free);
	else
		fputs(", \"tiles\": null", stdout);
	if (h->have & BNN_HAVE_WEAR) {
		printf(", \"wear\": {\"cycles_max\": %" PRIu64 ", \"cycles_mean\": %.6g",
		       h->wear_cycles_max, h->wear_cycles_mean);
		if (h->have & BNN_HAVE_WEAR_HIST) {
			printf(", \"most_worn_tile\": %u", h->most_worn_tile);
			fputs(", \"histogram\": [", stdout);
			for (unsigned k = 0; k < BNN_WEAR_BUCKETS; k++) {
				if (!h->wear_hist[k])
					continue;
				printf("%s{\"min\": %llu, \"max\": %llu, \"tiles\": %" PRIu64 "}",
				       first ? "" : ", ",
				       k ? 1ull << (k - 1) : 0ull,
				       k ? (1ull << k) - 1 : 0ull, h->wear_hist[k]);
				first = 0;
			}
			putchar(']');
		}
		if (h->wear_life_used >= 0)
			printf(", \"life_used\": %.6g", h->wear_life_used);
		else
			fputs(", \"life_used\": null", stdout);
		printf("}, \"stuck_cells\": %" PRIu64 ", \"verify_fails\": %" PRIu64,
		       h->stuck_cells, h->verify_fails);
	} else {
		fputs(", \"wear\": null, \"stuck_cells\": null, \"verify_fails\": null",
		      stdout);
	}
	if (h->have & BNN_HAVE_SCRUB)
		printf(", \"scrub_bit_errors\": %" PRIu64, h->scrub_bit_errors);
	else
		fputs(", \"scrub_bit_errors\": null", stdout);
	if (h->have & BNN_HAVE_RECOVERY)
		printf(", \"recoveries\": %" PRIu64 ", \"card_resets\": %" PRIu64,
		       h->recoveries, h->card_resets);
	else
		fputs(", \"recoveries\": null, \"card_resets\": null", stdout);
	if (h->have & BNN_HAVE_ENERGY)
		printf(", \"energy_pj\": %" PRIu64, h->energy_pj);
	else
		fputs(", \"energy_pj\": null", stdout);
	if (h->have & BNN_HAVE_COUNTERS)
		printf(", \"busy_ns\": %" PRIu64 ", \"commands\": %" PRIu64 ", \"program_pulses\": %" PRIu64 ", \"cell_reads\": %" PRIu64 ", \"age_s\": %" PRIu64 ", \"jobs\": {\"submitted\": %" PRIu64 ", \"completed\": %" PRIu64 ", \"failed\": %" PRIu64 "}",
		       h->busy_ns, h->commands, h->program_pulses, h->cell_reads,
		       h->age_s, h->jobs_submitted, h->jobs_completed,
		       h->jobs_failed);
	else
		fputs(", \"busy_ns\": null, \"commands\": null, \"program_pulses\": null, \"cell_reads\": null, \"age_s\": null, \"jobs\": null",
		      stdout);
	fputs(", \"processes\": [", stdout);
	for (size_t i = 0; i < np; i++) {
		printf("%s{\"pid\": %d, \"name\": ", i ? ", " : "", p[i].pid);
		json_str(p[i].comm);
		printf(", \"files\": %u, \"tiles\": ", p[i].files);
		if (geteuid() == 0)
			printf("%u", p[i].tiles);
		else
			fputs("null", stdout);
		printf(", \"engine_ns\": %" PRIu64 ", \"memory_bytes\": %" PRIu64 "}",
		       p[i].engine_ns, p[i].memory_bytes);
	}
	printf("], \"processes_complete\": %s}", geteuid() == 0 ? "true" : "false");
}

static int cmd_health(char **names, int nnames)
{
	bnn_card *v = NULL;
	size_t n = 0;
	int rc = select_cards(names, nnames, &v, &n);

	if (rc)
		return rc;
	if (json)
		fputs("{\"cards\": [", stdout);
	for (size_t i = 0; i < n; i++) {
		bnn_card_health h;
		bnn_card_proc *p = NULL;
		size_t np = 0;
		bnn_error e;
		int prc;

		if (bnn_card_health_get(&v[i], &h, &e)) {
			if (json)
				fputs("]}\n", stdout);
			free(v);
			return report(&e, EX_FAIL);
		}
		prc = bnn_card_processes(&v[i], &p, &np, &e);
		if (json) {
			fputs(i ? ",\n  " : "\n  ", stdout);
			json_health(&v[i], &h, p, np);
		} else {
			if (i)
				putchar('\n');
			print_health(&v[i], &h, p, np, prc);
		}
		free(p);
	}
	if (json)
		fputs(n ? "\n]}\n" : "]}\n", stdout);
	free(v);
	return EX_OK;
}

/* ---- tiles and reset ------------------------------------------------------------ */

static int cmd_tiles(char **names, int nnames)
{
	bnn_card *v = NULL;
	bnn_tile *t = NULL;
	size_t n = 0, nt = 0;
	bnn_error e;
	int rc;

	if (nnames != 1)
		die_usage("tiles wants exactly one CARD");
	rc = select_cards(names, nnames, &v, &n);
	if (rc)
		return rc;
	if (bnn_card_tiles(&v[0], &t, &nt, &e)) {
		free(v);
		return report(&e, EX_FAIL);
	}
	if (json) {
		fputs("{\"node\": ", stdout);
		json_str(v[0].node);
		fputs(", \"tiles\": [", stdout);
		for (size_t i = 0; i < nt; i++) {
			printf("%s\n  {\"tile\": %u, \"used\": %s, \"owner_pid\": ",
			       i ? "," : "", t[i].index,
			       t[i].used ? "true" : "false");
			if (t[i].owner_pid)
				printf("%d, \"owner_name\": ", t[i].owner_pid);
			else
				fputs("null, \"owner_name\": ", stdout);
			if (t[i].owner_pid)
				json_str(t[i].owner_comm);
			else
				fputs("null", stdout);
			printf(", \"cycles_max\": %u, \"cycles_sum\": %" PRIu64 ", \"cycles_mean\": %.6g, \"stuck\": %u, \"verify_fails\": %u, \"scrub_bit_errors\": ",
			       t[i].cycles_max, t[i].cycles_sum,
			       v[0].rows ? (double)t[i].cycles_sum / v[0].rows : 0.0,
			       t[i].stuck, t[i].verify_fails);
			if (t[i].scrub_bit_errors == BNN_UNKNOWN)
				fputs("null}", stdout);
			else
				printf("%" PRIu64 "}", t[i].scrub_bit_errors);
		}
		fputs(nt ? "\n]}\n" : "]}\n", stdout);
	} else {
		printf("%s  %s  PCI %s: %zu tiles of %u rows\n", v[0].name,
		       v[0].node, v[0].pci, nt, v[0].rows);
		printf("%5s %-5s %-24s %10s %10s %7s %9s %10s\n", "TILE", "STATE",
		       "OWNER", "MAX CYC", "MEAN CYC", "STUCK", "UNVERIF",
		       "SCRUB ERR");
		for (size_t i = 0; i < nt; i++) {
			char own[40], se[24];

			if (!t[i].used)
				snprintf(own, sizeof(own), "-");
			else if (t[i].owner_pid)
				snprintf(own, sizeof(own), "%d %s",
					 t[i].owner_pid, t[i].owner_comm);
			else
				snprintf(own, sizeof(own), "(root only)");
			if (t[i].scrub_bit_errors == BNN_UNKNOWN)
				snprintf(se, sizeof(se), "n/a");
			else
				snprintf(se, sizeof(se), "%" PRIu64,
					 t[i].scrub_bit_errors);
			printf("%5u %-5s %-24s %10u %10.2f %7u %9u %10s\n",
			       t[i].index, t[i].used ? "used" : "free", own,
			       t[i].cycles_max,
			       v[0].rows ? (double)t[i].cycles_sum / v[0].rows : 0.0,
			       t[i].stuck, t[i].verify_fails, se);
		}
	}
	free(t);
	free(v);
	return EX_OK;
}

static int cmd_scrub(char **names, int nnames)
{
	bnn_card *v = NULL;
	bnn_scrub_tile *t = NULL;
	size_t n = 0, nt = 0;
	uint64_t weak = 0, unver = 0, ns = 0, pj = 0;
	char a[48], b[48];
	bnn_error e;
	int rc;

	if (nnames != 1)
		die_usage("scrub wants exactly one CARD (it is never implied)");
	rc = select_cards(names, nnames, &v, &n);
	if (rc)
		return rc;
	if (bnn_card_scrub(&v[0], &t, &nt, &e)) {
		free(v);
		return report(&e, e.code == BNN_E_NODEV ? EX_NOCARD : EX_FAIL);
	}
	for (size_t i = 0; i < nt; i++) {
		weak += t[i].weak_cells;
		unver += t[i].unverified;
		ns += t[i].device_ns;
		pj += t[i].device_energy_pj;
	}
	if (json) {
		fputs("{\"node\": ", stdout);
		json_str(v[0].node);
		fputs(", \"pci\": ", stdout);
		json_str(v[0].pci);
		printf(", \"scrub\": {\"bit_errors\": %" PRIu64 ", \"unverified\": %" PRIu64 ", \"device_ns\": %" PRIu64 ", \"energy_pj\": %" PRIu64 ", \"tiles\": [",
		       weak, unver, ns, pj);
		for (size_t i = 0; i < nt; i++)
			printf("%s\n  {\"tile\": %u, \"bit_errors\": %" PRIu64 ", \"unverified\": %" PRIu64 ", \"pulses\": %" PRIu64 ", \"device_ns\": %" PRIu64 ", \"energy_pj\": %" PRIu64 "}",
			       i ? "," : "", t[i].index, t[i].weak_cells,
			       t[i].unverified, t[i].pulses, t[i].device_ns,
			       t[i].device_energy_pj);
		fputs(nt ? "\n]}}\n" : "]}}\n", stdout);
	} else {
		printf("%s  %s  PCI %s: scrubbed %zu tiles of %u rows\n",
		       v[0].name, v[0].node, v[0].pci, nt, v[0].rows);
		printf("%5s %10s %9s %12s %12s %12s\n", "TILE", "BIT ERRORS",
		       "UNVERIF", "PULSES", "DEVICE TIME", "ENERGY");
		for (size_t i = 0; i < nt; i++)
			printf("%5u %10" PRIu64 " %9" PRIu64 " %12" PRIu64 " %12s %12s\n",
			       t[i].index, t[i].weak_cells, t[i].unverified,
			       t[i].pulses,
			       fmt_time((double)t[i].device_ns, a, sizeof(a)),
			       fmt_energy((double)t[i].device_energy_pj, b,
					  sizeof(b)));
		printf("total: %" PRIu64 " bit errors seen (weak cells: read wrong, or right with less than the verify margin), all re-programmed; %" PRIu64 " cells left unverified; device time %s, energy %s\n",
		       weak, unver, fmt_time((double)ns, a, sizeof(a)),
		       fmt_energy((double)pj, b, sizeof(b)));
	}
	free(t);
	free(v);
	return EX_OK;
}

static int cmd_reset(char **names, int nnames)
{
	bnn_card *v = NULL;
	size_t n = 0;
	bnn_card_health before, after;
	bnn_error e;
	int rc;

	if (nnames != 1)
		die_usage("reset wants exactly one CARD (it is never implied)");
	rc = select_cards(names, nnames, &v, &n);
	if (rc)
		return rc;
	if (bnn_card_health_get(&v[0], &before, &e))
		memset(&before, 0, sizeof(before));
	if (bnn_card_reset(&v[0], &e)) {
		free(v);
		return report(&e, e.code == BNN_E_NODEV ? EX_NOCARD : EX_FAIL);
	}
	if (bnn_card_health_get(&v[0], &after, &e))
		memset(&after, 0, sizeof(after));
	if (json) {
		fputs("{\"node\": ", stdout);
		json_str(v[0].node);
		fputs(", \"pci\": ", stdout);
		json_str(v[0].pci);
		fputs(", \"reset\": true", stdout);
		if ((before.have & after.have) & BNN_HAVE_RECOVERY)
			printf(", \"recoveries_before\": %" PRIu64 ", \"recoveries_after\": %" PRIu64,
			       before.recoveries, after.recoveries);
		fputs("}\n", stdout);
	} else {
		printf("%s (%s): reset done", v[0].node, v[0].pci);
		if ((before.have & after.have) & BNN_HAVE_RECOVERY)
			printf("; driver recoveries %" PRIu64 " -> %" PRIu64,
			       before.recoveries, after.recoveries);
		putchar('\n');
	}
	free(v);
	return EX_OK;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "list";
	int c, rc;

	while ((c = getopt_long(argc, argv, "+JjhV", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = 1;
			break;
		case 'j':
			json_old_spelling();
			break;
		case 'h':
			fputs(help_text, stdout);
			return EX_OK;
		case 'V':
			printf(PROG " (libbnn %s)\n", bnn_version());
			return EX_OK;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return EX_USAGE;
		}
	}
	/* Options may also follow the command ("health --json"). */
	{
		int w = optind;

		for (int i = optind; i < argc; i++) {
			if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-J"))
				json = 1;
			else if (!strcmp(argv[i], "-j"))
				json_old_spelling();
			else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				fputs(help_text, stdout);
				return EX_OK;
			} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
				printf(PROG " (libbnn %s)\n", bnn_version());
				return EX_OK;
			} else if (argv[i][0] == '-' && argv[i][1] &&
				   strcmp(argv[i], "--") != 0)
				die_usage("unknown option '%s'", argv[i]);
			else
				argv[w++] = argv[i];
		}
		argc = w;
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (!strcmp(cmd, "list")) {
		if (optind < argc)
			die_usage("list takes no CARD (use info or health)");
		rc = cmd_list();
	} else if (!strcmp(cmd, "info")) {
		rc = cmd_info(argv + optind, argc - optind);
	} else if (!strcmp(cmd, "health")) {
		rc = cmd_health(argv + optind, argc - optind);
	} else if (!strcmp(cmd, "tiles")) {
		rc = cmd_tiles(argv + optind, argc - optind);
	} else if (!strcmp(cmd, "reset")) {
		rc = cmd_reset(argv + optind, argc - optind);
	} else if (!strcmp(cmd, "scrub")) {
		rc = cmd_scrub(argv + optind, argc - optind);
	} else if (!strcmp(cmd, "help")) {
		fputs(help_text, stdout);
		rc = EX_OK;
	} else {
		die_usage("unknown command '%s' (list, info, health, tiles, scrub, reset)",
			  cmd);
		rc = EX_USAGE;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": writing the output: %s\n", strerror(errno));
		return EX_FAIL;
	}
	return rc;
}
