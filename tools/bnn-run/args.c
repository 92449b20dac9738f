// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * args.c - bnn-run: command line, --help (kept in step with
 * Documentation/bnn-run.1), --version.
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bnn-run.h"

static const char help_text[] =
"Usage: " PROG " --model FILE [OPTIONS] INPUT...\n"
"       " PROG " --model FILE --stream SRC --fs HZ [OPTIONS]\n"
"\n"
"Run a binarized neural network (.bnn) on ECG or EEG data with libbnn, on\n"
"the RBNN card, the emulated card or the CPU, and report what it found:\n"
"accuracy, confusion matrix, per-class sensitivity (Se) and positive\n"
"predictivity (+P) with the AAMI EC57 figures for S and V beats, macro F1,\n"
"throughput, latency percentiles, the card's modeled energy and time per\n"
"inference and the model's memory footprint.\n"
"\n"
"Inputs (the type comes from the name and content; --format forces one):\n"
"  DS1, DS2, ALL          MIT-BIH inter-patient sets (ALL = DS1 + DS2) of\n"
"                         --data's SPLITS_AAMI.txt, else the built-in split\n"
"                         (de Chazal et al. 2004); records under --data\n"
"  100 201 ...            MIT-BIH records by name, under --data\n"
"  DIR/100, DIR/100.hea   a WFDB record (.hea, signal files, annotations)\n"
"  DIR                    a folder of WFDB records (paced records, 102 104\n"
"                         107 217 or those of its SPLITS_AAMI.txt, are left\n"
"                         out: --allow-paced), a Bonn EEG root (holding Z/\n"
"                         O/ N/ F/ S/) or one set folder\n"
"  FILE.edf, FILE.bdf     EDF, EDF+ or BDF (EDFlib): the channel named by\n"
"                         --channel or the model's lead(s) (MLII also finds\n"
"                         'ECG MLII', 'II'; a generic 'ECG' with a note),\n"
"                         else the first; rate from the file; EDF+\n"
"                         annotations naming a model class label the\n"
"                         windows they cover; a beat model gets the beats\n"
"                         libbnn detects (as --beats detect), EDF+ beat\n"
"                         annotations (N, V, A ...) as their reference\n"
"  FILE.txt               a Bonn EEG segment (173.61 Hz) when it sits in a\n"
"                         Bonn layout (its folder Z/ O/ N/ F/ or S/ beside\n"
"                         another of them: the folder is its label) or is\n"
"                         named like Z001.txt with 4097 lines (the name's\n"
"                         letter is its label); else a CSV, or a signal of\n"
"                         one value per line that needs --fs (for a beat\n"
"                         model: its beats detected)\n"
"  FILE.csv, FILE.tsv     one item per row (channels x length values,\n"
"                         position-major) and an optional label column, or a\n"
"                         signal with one column per channel (rows = samples;\n"
"                         a beat model: one column of mV whose beats are\n"
"                         detected, which needs --fs)\n"
"  FILE.f32, .raw, .bin   little-endian float32 items (see --shape); labels\n"
"                         from --labels, or PREFIX.rows.tsv beside\n"
"                         PREFIX.x.f32 (bnn-extract output)\n"
"\n"
"Items follow the model's input description: a beat model (one with a beat\n"
"window) gets one item per annotated beat (per detected beat where there\n"
"are no annotations: EDF files, signals, --beats detect), the window\n"
"[-pre, +post) around the R peak on the model's lead (a model of several\n"
"leads: on each, taken from the record by name), labelled with its AAMI\n"
"class (N S V F Q);\n"
"other models get consecutive windows of the model's length (--hop).  WFDB\n"
"signals are given in millivolts (--units), EDF signals in microvolts for\n"
"windowed (EEG) models and millivolts for beat models, Bonn and CSV values\n"
"as stored (millivolts for a beat model's signal);\n"
"libbnn applies the model's own input normalisation.  Records at another\n"
"rate than the model's are resampled (a note says so; --no-resample).\n"
"\n"
"Several inputs, a folder or a set: an input that cannot be read is skipped\n"
"with a warning giving the reason (also in the report and the JSON\n"
"'skipped' list), the others are classified, and the exit status is 11.\n"
"\n"
"Model and backend:\n"
"  -m, --model FILE       the .bnn model (required); an installed bnn-run\n"
"                         also finds a bare NAME in <prefix>/share/rbnn/models\n"
"  -b, --backend NAME     auto (default: a real card if present, else the\n"
"                         emulated card), cpu, emu or rbnn\n"
"  -d, --device PATH      card node for rbnn (/dev/accel/accelN); default:\n"
"                         every card found; implies --backend rbnn\n"
"  -B, --batch N          items per run (1..65536, default 256)\n"
"      --queue N          batches in flight (1..64, default 1: each batch\n"
"                         completes before the next is queued; more lets a\n"
"                         card overlap batches, latency then includes queueing)\n"
"  -j, --threads N        host worker threads: auto (default: with -b cpu,\n"
"                         one per online CPU for batches where each gets\n"
"                         64+ items, e.g. 2 CPUs: batches of 128+; other\n"
"                         backends: the calling thread), or 0..1024 (0 and\n"
"                         1: the calling thread only); with several WFDB\n"
"                         records also the threads reading them (auto: one\n"
"                         per online CPU, at most 16)\n"
"      --cpu-isa NAME     host kernels: auto (default), portable, avx2, avx512\n"
"\n"
"Error model of the emulated card (emu); off by default (ideal array).\n"
"Any of these turns it on and, with --backend auto, selects emu:\n"
"      --error-model      the error model with its default parameters\n"
"      --cell-mode M      2t2r (default) or 1t1r\n"
"      --prog-current-ua X  programming current in uA (0 < X <= 10000,\n"
"                         default 100)\n"
"      --read-ber X       sense error rate per cell read (0..0.5,\n"
"                         default 1e-9)\n"
"      --seed N           error-model seed (0..2^63-1, default 1)\n"
"      --age-s X          seconds since programming, for drift (default 0)\n"
"      --wear-cycles N    program cycles the cells have already endured: a\n"
"                         worn card (0..1e9, default 0 = new; the median\n"
"                         endurance is 1e6 cycles)\n"
"      --temperature-c X  array temperature while it ages (-40..200,\n"
"                         default 25): retention ages by Arrhenius\n"
"                         (10 years at 85 C ~ 13000 years at 25 C);\n"
"                         with -b rbnn, the policy's temperature\n"
"      --scrub-policy     libbnn's scrub policy while the card ages (emu,\n"
"                         or a real card with -b rbnn): every\n"
"                         year-at-25-C of retention (shorter when hot)\n"
"                         the rows are read and checked against the\n"
"                         model; wrong rows programmed again, the others\n"
"                         refreshed\n"
"      --verify, --no-verify  program-and-verify on (default) or off, on\n"
"                         the emulated card (emu) or a real one (rbnn)\n"
"      --tiles N          tiles of the emulated card (1..65536, default 16)\n"
"\n"
"Data:\n"
"      --data DIR         MIT-BIH folder (default $RBNN_DATA/mitdb, else\n"
"                         <checkout>/../shared/data/mitdb, or for an\n"
"                         installed bnn-run <prefix>/share/rbnn/data/mitdb)\n"
"      --lead NAME, --channel NAME\n"
"                         WFDB lead or EDF channel of a one-lead model\n"
"                         (default: the model's, e.g. MLII; EDF labels\n"
"                         match case-insensitively, 'Fpz-Cz' finds 'EEG\n"
"                         Fpz-Cz'); a model of several leads (MLII and V1)\n"
"                         takes each of its leads by name\n"
"      --lead-map LEAD=ALT[,LEAD=ALT...]\n"
"                         where a record has no LEAD (one of the model's),\n"
"                         feed it from the record's ALT, with a warning per\n"
"                         record (e.g. V1=V2,V1=V5: MIT-BIH 103 has V2, 100\n"
"                         V5 in place of V1); several ALTs of one LEAD are\n"
"                         tried in order; repeatable.  A missing lead is\n"
"                         never replaced without it\n"
"      --annotator NAME   annotation file extension (default atr)\n"
"      --beats SRC        beat models: where the beats come from: auto (the\n"
"                         annotations, detected when a record has none;\n"
"                         default), annotations, or detect (libbnn's QRS\n"
"                         detector; scored against the annotations if any)\n"
"      --allow-paced      keep the paced records of a folder\n"
"      --strict           a WFDB checksum or initial-value mismatch is an\n"
"                         error (default: a warning, the data are used)\n"
"      --units U          WFDB / EDF values: mv (millivolts), uv\n"
"                         (microvolts) or adc (raw digital values); default\n"
"                         mv, and uv for EDF with a windowed model\n"
"      --fs HZ            sampling rate of inputs that carry none: CSV\n"
"                         signals, .txt signals (not Bonn), and float32\n"
"                         files, which --fs makes a continuous signal of\n"
"                         the model's channels (position-major); resampled\n"
"                         to the model's rate like the others; a beat\n"
"                         model detects their beats (100 .. 20000 Hz)\n"
"      --resample[=M]     resample inputs whose rate differs from the\n"
"                         model's (the default) with M: sinc (default) or\n"
"                         linear (--resample=linear or --resample linear)\n"
"      --no-resample      a rate mismatch is an error (exit status 7)\n"
"      --hop N            window step of windowed inputs (default: the\n"
"                         model's length)\n"
"      --format F         auto (default), wfdb, bonn, edf, csv or f32\n"
"      --shape DIMS       float32 layout: N, N,K (K = channels x length,\n"
"                         position-major) or N,C,L (channel-major, as in\n"
"                         PyTorch); default: N from the file size\n"
"      --labels FILE      labels of CSV / float32 items: one per line, or a\n"
"                         TSV whose header names a 'class' or 'label' column\n"
"                         (and optionally 'record' and 'sample')\n"
"      --label-column C   CSV label column: auto (default: a header column\n"
"                         named label, class, y or target, else the last\n"
"                         column when rows have one value more than an item),\n"
"                         none, first, last or a header name\n"
"      --label-map MAP    data label -> model class, e.g. 'Q=N,F=V' or\n"
"                         'Z=0,O=0,S=1'; a class is a name or an index, '-'\n"
"                         leaves the label out of the metrics\n"
"  -n, --limit N          stop after N items\n"
"\n"
"Live stream (one JSON line per item on stdout, flushed; see bnn-run(1)):\n"
"      --stream SRC       samples from SRC ('-': stdin, a FIFO or a file) as\n"
"                         they come: beats detected and classified causally\n"
"                         (the batch --beats detect items, bit for bit), or\n"
"                         windows as they fill; EOF, SIGINT, SIGTERM end it\n"
"                         with a summary on stderr (status 0, 130, 143)\n"
"      --stream-format F  int16 (default), float32 (little-endian frames of\n"
"                         --channels samples) or csv (a line per frame)\n"
"      --fs HZ            (above) required with --stream\n"
"      --channels N       channels per frame (default 1)\n"
"      --stream-channel K the channel that feeds the model (default 0)\n"
"      --units U          with --stream: mv (default), uv, or adc with\n"
"      --gain G           (mV = value / G)\n"
"\n"
"Output:\n"
"  -J, --json             machine-readable report on stdout instead of text\n"
"  -p, --predictions FILE  CSV of every item: record, index, sample, true,\n"
"                         predicted and one score column per class; '-':\n"
"                         stdout (the text report then goes to stderr; not\n"
"                         with --json).  A file is replaced only when\n"
"                         complete; a symlink is followed; a pipe or device\n"
"                         is written directly\n"
"      --write-ann EXT    beat models: each WFDB record's classified beats as\n"
"                         a WFDB annotation file RECORD.EXT beside the record\n"
"                         (an EDF file's or signal's detected beats: NAME.EXT\n"
"                         beside NAME.edf; or in --ann-dir) at the R peaks,\n"
"                         code N S V F or Q for the predicted class (another\n"
"                         class: Q, its name as aux text); never atr, hea,\n"
"                         dat, the --annotator in use or the input itself;\n"
"                         replaced only when complete\n"
"      --ann-dir DIR      folder for the --write-ann files\n"
"      --report DIR       a static HTML page DIR/index.html (made if missing):\n"
"                         summary, confusion matrix, per-record table and\n"
"                         SVG strips of the signal around each S, V, F call\n"
"                         and each miss (at most 12 per record, 600 in\n"
"                         all); replaced only when complete, never\n"
"                         through a symlink\n"
"  -q, --quiet            no report and no progress bar (errors and warnings\n"
"                         only); --json, --predictions, --write-ann still work\n"
"      --progress WHEN    progress bar on stderr: auto (on a terminal, for\n"
"                         runs longer than a moment; default), always, never\n"
"  -h, --help             this help\n"
"  -V, --version          versions of bnn-run and libbnn\n"
"\n"
"Labels: AAMI classes and Bonn set letters (Z O N F S, or A-E) match model\n"
"classes by name, case-insensitively: 'N (normal)' matches N, a name listing\n"
"'(Z+O)' takes both; 'seizure' / 'non-seizure' models get S as seizure;\n"
"numeric labels are class indices.  Items whose label is no model class are\n"
"counted apart and left out of the metrics.  Undefined rates (no item of a\n"
"class, nothing predicted as it) print as '-' (null in JSON).\n"
"\n"
"Exit status:\n"
"  0   success\n"
"  1   the run failed (device error, out of memory, cannot write output)\n"
"  2   bad option or option value\n"
"  3   input or model file missing or unreadable\n"
"  4   not a valid .bnn model\n"
"  5   data file malformed or of unknown type\n"
"  6   the model does not fit the data (channels, length, a lead or channel\n"
"      the record lacks, a beat model of several leads on an EDF file, a\n"
"      signal or a stream)\n"
"  7   sampling rate differs from the model's and --no-resample given, or\n"
"      beat detection does not work at it (below 100 Hz)\n"
"  8   no card, or the backend is not available\n"
"  9   permission denied on the device node\n"
"  10  no labels to evaluate and no --predictions, --write-ann or --report\n"
"      asked for\n"
"  11  done, but some inputs were skipped (each named with its reason)\n"
"\n"
"Environment: RBNN_DATA (data root), BNN_CPU_ISA (host kernels).\n"
"\n"
"Examples (ecg.bnn, eeg.bnn: models such as models/ecg-bin-full.bnn and\n"
"models/eeg-seizure-bin-full.bnn of the checkout):\n"
"  " PROG " -m ecg.bnn DS2\n"
"  " PROG " -m ecg.bnn --cell-mode 1t1r --prog-current-ua 20 --age-s 3e8 100 233\n"
"  " PROG " -m eeg.bnn --json ../shared/data/bonn_eeg > eeg.json\n"
"  " PROG " -m ecg.bnn -p pred.csv beats.x.f32\n"
"  " PROG " -m ecg.bnn -p ecg-pred.csv --write-ann bnn recording-ecg.edf\n";

static void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die(EX_USAGE, "%s (see " PROG " --help)", msg);
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t lo,
			   uint64_t hi)
{
	int64_t v;

	if (!s || bnn_parse_i64(s, strlen(s), &v) || v < 0 ||
	    (uint64_t)v < lo || (uint64_t)v > hi)
		usage_error("%s wants an integer in %llu..%llu, got '%s'", opt,
			    (unsigned long long)lo, (unsigned long long)hi,
			    s ? s : "");
	return (uint64_t)v;
}

/* --threads: auto or 0..1024. */
static unsigned parse_threads(const char *s)
{
	int64_t v;

	if (!strcmp(s, "auto"))
		return BNN_THREADS_AUTO;
	if (bnn_parse_i64(s, strlen(s), &v) || v < 0 || v > 1024)
		usage_error("--threads wants auto or an integer in 0..1024, got '%s'",
			    s);
	return (unsigned)v;
}

/* Real in [lo, hi] (or (lo, hi] when lo_open). */
static double parse_real(const char *opt, const char *s, double lo, double hi,
			 int lo_open)
{
	double v;

	if (!s || bnn_parse_f64(s, strlen(s), &v) ||
	    !(lo_open ? v > lo : v >= lo) || !(v <= hi))
		usage_error("%s wants a number in %s%g, %g], got '%s'", opt,
			    lo_open ? "(" : "[", lo, hi, s ? s : "");
	return v;
}

static int pick(const char *opt, const char *s, const char *const *names,
		int n)
{
	char list[256] = "";

	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	for (int i = 0; i < n; i++) {
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
		strncat(list, i + 2 < n ? ", " : i + 1 < n ? " or " : "",
			sizeof(list) - strlen(list) - 1);
	}
	usage_error("%s wants %s, got '%s'", opt, list, s);
}

static void parse_shape(struct opts *o, const char *s)
{
	char buf[128], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		usage_error("--shape '%s' is too long", s);
	strcpy(buf, s);
	o->shape_n = 0;
	for (char *t = strtok_r(buf, ",x", &save); t;
	     t = strtok_r(NULL, ",x", &save)) {
		if (o->shape_n == MAX_SHAPE)
			usage_error("--shape wants 1 to 3 dimensions (N, N,K or N,C,L), got '%s'",
				    s);
		o->shape[o->shape_n++] = parse_uint("--shape", t, 1,
						    (uint64_t)1 << 40);
	}
	if (!o->shape_n || s[strlen(s) - 1] == ',' || s[0] == ',' ||
	    strstr(s, ",,"))
		usage_error("--shape wants N, N,K or N,C,L, got '%s'", s);
}

/* An annotator name that reads back (letters, digits, _ and -) and names
 * no reference file of a record. */
static void check_write_ann(const char *ext)
{
	static const char *const keep[][2] = {
		{ "atr", "the reference annotations" },
		{ "hea", "the record's header" },
		{ "dat", "the record's signal file" },
	};

	if (!*ext || strlen(ext) > 32 ||
	    strspn(ext, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_-") != strlen(ext))
		usage_error("--write-ann wants an annotator name (1..32 letters, digits, '_' or '-') such as bnn, got '%s'",
			    ext);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (!strcasecmp(ext, keep[i][0]))
			usage_error("--write-ann %s would replace %s (RECORD.%s): choose another extension, e.g. bnn",
				    ext, keep[i][1], keep[i][0]);
}

/* --lead-map LEAD=ALT[,LEAD=ALT...] appended to o->lead_map. */
static void parse_lead_map(struct opts *o, const char *spec)
{
	const char *p = spec;

	for (;;) {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p), a, b;
		struct lead_alt *e;

		eq = memchr(p, '=', n);
		a = eq ? (size_t)(eq - p) : 0;
		b = eq ? n - a - 1 : 0;
		if (!eq || !a || !b || memchr(eq + 1, '=', b))
			usage_error("--lead-map wants LEAD=ALT[,LEAD=ALT...] such as V1=V5, got '%s'",
				    spec);
		if (a >= BNN_LEAD_MAX || b >= BNN_LEAD_MAX)
			usage_error("--lead-map '%.*s': lead names have at most %d characters",
				    (int)n, p, BNN_LEAD_MAX - 1);
		if (o->nlead_map == MAX_LEAD_MAP)
			usage_error("--lead-map: at most %d entries", MAX_LEAD_MAP);
		e = &o->lead_map[o->nlead_map++];
		memcpy(e->lead, p, a);
		e->lead[a] = '\0';
		memcpy(e->alt, eq + 1, b);
		e->alt[b] = '\0';
		if (!strcasecmp(e->lead, e->alt))
			usage_error("--lead-map %s=%s maps a lead to itself", e->lead,
				    e->alt);
		if (!end)
			break;
		p = end + 1;
	}
}

static const char *g_default_mitdb;

const char *default_mitdb_dir(void)
{
	static char buf[PATH_MAX + 64];
	const char *env = getenv("RBNN_DATA");
	char exe[PATH_MAX];
	ssize_t k;

	if (g_default_mitdb)
		return g_default_mitdb;
	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s/mitdb", env);
		return g_default_mitdb = buf;
	}
	/* <checkout>/build/tools/bnn-run -> <checkout>/../shared/data */
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		static const char tail[] = "/build/tools/" PROG;
		size_t tl = sizeof(tail) - 1;

		exe[k] = '\0';
		if ((size_t)k > tl && !strcmp(exe + k - tl, tail)) {
			exe[k - tl] = '\0';
			snprintf(buf, sizeof(buf), "%s/../shared/data/mitdb",
				 exe);
			return g_default_mitdb = buf;
		}
	}
	if (installed_data_root()) {
		snprintf(buf, sizeof(buf), "%s/mitdb", installed_data_root());
		return g_default_mitdb = buf;
	}
	return g_default_mitdb = "../shared/data/mitdb";
}

enum {
	O_QUEUE = 256, O_CPU_ISA, O_ERRMODEL, O_CELL, O_PROG, O_BER, O_SEED,
	O_AGE, O_WEAR, O_TEMP, O_SCRUB, O_VERIFY, O_NOVERIFY, O_TILES, O_DATA, O_LEAD, O_ANNOT, O_BEATS, O_STRICT,
	O_UNITS, O_RESAMPLE, O_HOP, O_FORMAT, O_SHAPE, O_LABELS, O_LABCOL,
	O_LABMAP, O_PROGRESS, O_ALLOW_PACED, O_NO_RESAMPLE, O_FS,
	O_WRITE_ANN, O_ANN_DIR, O_LEAD_MAP, O_REPORT,
	O_STREAM, O_SFORMAT, O_CHANNELS, O_STREAM_CHANNEL, O_GAIN,
};

static const struct option longopts[] = {
	{ "model", required_argument, NULL, 'm' },
	{ "backend", required_argument, NULL, 'b' },
	{ "device", required_argument, NULL, 'd' },
	{ "batch", required_argument, NULL, 'B' },
	{ "queue", required_argument, NULL, O_QUEUE },
	{ "threads", required_argument, NULL, 'j' },
	{ "cpu-isa", required_argument, NULL, O_CPU_ISA },
	{ "error-model", no_argument, NULL, O_ERRMODEL },
	{ "cell-mode", required_argument, NULL, O_CELL },
	{ "prog-current-ua", required_argument, NULL, O_PROG },
	{ "read-ber", required_argument, NULL, O_BER },
	{ "seed", required_argument, NULL, O_SEED },
	{ "age-s", required_argument, NULL, O_AGE },
	{ "wear-cycles", required_argument, NULL, O_WEAR },
	{ "temperature-c", required_argument, NULL, O_TEMP },
	{ "scrub-policy", no_argument, NULL, O_SCRUB },
	{ "verify", no_argument, NULL, O_VERIFY },
	{ "no-verify", no_argument, NULL, O_NOVERIFY },
	{ "tiles", required_argument, NULL, O_TILES },
	{ "data", required_argument, NULL, O_DATA },
	{ "lead", required_argument, NULL, O_LEAD },
	{ "channel", required_argument, NULL, O_LEAD },
	{ "lead-map", required_argument, NULL, O_LEAD_MAP },
	{ "fs", required_argument, NULL, O_FS },
	{ "annotator", required_argument, NULL, O_ANNOT },
	{ "beats", required_argument, NULL, O_BEATS },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "allow-paced", no_argument, NULL, O_ALLOW_PACED },
	{ "units", required_argument, NULL, O_UNITS },
	{ "resample", optional_argument, NULL, O_RESAMPLE },
	{ "no-resample", no_argument, NULL, O_NO_RESAMPLE },
	{ "hop", required_argument, NULL, O_HOP },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "shape", required_argument, NULL, O_SHAPE },
	{ "labels", required_argument, NULL, O_LABELS },
	{ "label-column", required_argument, NULL, O_LABCOL },
	{ "label-map", required_argument, NULL, O_LABMAP },
	{ "limit", required_argument, NULL, 'n' },
	{ "stream", required_argument, NULL, O_STREAM },
	{ "stream-format", required_argument, NULL, O_SFORMAT },
	{ "channels", required_argument, NULL, O_CHANNELS },
	{ "stream-channel", required_argument, NULL, O_STREAM_CHANNEL },
	{ "gain", required_argument, NULL, O_GAIN },
	{ "json", no_argument, NULL, 'J' },
	{ "predictions", required_argument, NULL, 'p' },
	{ "write-ann", required_argument, NULL, O_WRITE_ANN },
	{ "ann-dir", required_argument, NULL, O_ANN_DIR },
	{ "report", required_argument, NULL, O_REPORT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", required_argument, NULL, O_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void emu_opt(struct opts *o, const char *name)
{
	o->error_model = 1;
	if (!o->emu_opt)
		o->emu_opt = name;
}

void args_parse(int argc, char **argv, struct opts *o)
{
	static const char *const backends[] = { "auto", "cpu", "emu", "rbnn" };
	static const int backend_kind[] = { BNN_BACKEND_AUTO, BNN_BACKEND_CPU,
					    BNN_BACKEND_EMU, BNN_BACKEND_RBNN };
	static const char *const isas[] = { "auto", "portable", "avx2",
					    "avx512" };
	static const int isa_kind[] = { BNN_ISA_AUTO, BNN_ISA_PORTABLE,
					BNN_ISA_AVX2, BNN_ISA_AVX512 };
	static const char *const cells[] = { "2t2r", "1t1r" };
	static const char *const units[] = { "mv", "uv", "adc" };
	static const int unit_kind[] = { UNITS_MV, UNITS_UV, UNITS_ADC };
	static const char *const sformats[] = { "int16", "float32", "csv" };
	static const char *const methods[] = { "sinc", "linear" };
	static const char *const formats[] = { "auto", "wfdb", "bonn", "csv",
					       "f32", "edf" };
	static const char *const progress[] = { "auto", "always", "never" };
	int c, tiles_given = 0;

	memset(o, 0, sizeof(*o));
	o->backend = BNN_BACKEND_AUTO;
	o->batch = 256;
	o->queue = 1;
	o->threads = BNN_THREADS_AUTO;
	o->cpu_isa = BNN_ISA_AUTO;
	o->cell_mode = BNN_CELL_2T2R;
	o->prog_current_ua = 100;
	o->read_ber = 1e-9;
	o->seed = 1;
	o->temperature_c = 25;
	o->verify = -1;
	o->annotator = "atr";
	o->units = UNITS_AUTO;
	o->resample = 1;
	o->resample_method = BNN_RESAMPLE_SINC;
	o->format = FMT_AUTO;
	o->label_column = LABCOL_AUTO;
	o->progress = PROGRESS_AUTO;
	/* getopt permutes argv: keep the command line as given. */
	o->argc = argc;
	o->argv = xcalloc((size_t)argc + 1, sizeof(char *));
	memcpy(o->argv, argv, (size_t)argc * sizeof(char *));

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:b:d:B:j:n:p:JqhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!*optarg)
				usage_error("--model is empty");
			o->model = optarg;
			break;
		case 'b':
			o->backend = backend_kind[pick("--backend", optarg,
						       backends, 4)];
			o->backend_given = 1;
			break;
		case 'd':
			if (!*optarg)
				usage_error("--device is empty");
			o->device = optarg;
			break;
		case 'B':
			o->batch = (unsigned)parse_uint("--batch", optarg, 1,
							65536);
			break;
		case O_QUEUE:
			o->queue = (unsigned)parse_uint("--queue", optarg, 1,
							BNN_MAX_JOBS);
			break;
		case 'j':
			o->threads = parse_threads(optarg);
			break;
		case O_CPU_ISA:
			o->cpu_isa = isa_kind[pick("--cpu-isa", optarg, isas,
						   4)];
			break;
		case O_ERRMODEL:
			emu_opt(o, "--error-model");
			break;
		case O_CELL:
			o->cell_mode = pick("--cell-mode", optarg, cells, 2) ?
				       BNN_CELL_1T1R : BNN_CELL_2T2R;
			emu_opt(o, "--cell-mode");
			break;
		case O_PROG:
			o->prog_current_ua = parse_real("--prog-current-ua",
							optarg, 0, 10000, 1);
			emu_opt(o, "--prog-current-ua");
			break;
		case O_BER:
			o->read_ber = parse_real("--read-ber", optarg, 0, 0.5,
						 0);
			emu_opt(o, "--read-ber");
			break;
		case O_SEED:
			o->seed = parse_uint("--seed", optarg, 0, INT64_MAX);
			emu_opt(o, "--seed");
			break;
		case O_AGE:
			o->age_s = parse_real("--age-s", optarg, 0, 1e12, 0);
			emu_opt(o, "--age-s");
			break;
		case O_WEAR:
			o->wear_cycles = parse_uint("--wear-cycles", optarg, 0,
						    1000000000);
			emu_opt(o, "--wear-cycles");
			break;
		case O_TEMP:
			o->temperature_c = parse_real("--temperature-c", optarg,
						      -40, 200, 0);
			if (!o->card_opt)
				o->card_opt = "--temperature-c";
			break;
		case O_SCRUB:
			o->scrub = 1;
			if (!o->card_opt)
				o->card_opt = "--scrub-policy";
			break;
		case O_VERIFY:
		case O_NOVERIFY:
			o->verify = c == O_VERIFY;
			/* libbnn programs a real card with it too */
			if (!o->card_opt)
				o->card_opt = c == O_VERIFY ? "--verify" :
					      "--no-verify";
			break;
		case O_TILES:
			o->tiles = (unsigned)parse_uint("--tiles", optarg, 1,
							65536);
			tiles_given = 1;
			break;
		case O_DATA:
			if (!*optarg)
				usage_error("--data is empty");
			o->data_dir = optarg;
			break;
		case O_LEAD:
			if (!*optarg || strlen(optarg) >= BNN_LEAD_MAX)
				usage_error("--lead / --channel wants a name of 1..%d characters, got '%s'",
					    BNN_LEAD_MAX - 1, optarg);
			o->lead = optarg;
			break;
		case O_LEAD_MAP:
			parse_lead_map(o, optarg);
			break;
		case O_ANNOT:
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 32)
				usage_error("--annotator wants a file extension such as atr, got '%s'",
					    optarg);
			o->annotator = optarg;
			o->annotator_given = 1;
			break;
		case O_STRICT:
			o->strict = 1;
			break;
		case O_BEATS:
			if (!strcmp(optarg, "auto"))
				o->beats = BEATS_AUTO;
			else if (!strcmp(optarg, "annotations") || !strcmp(optarg, "ann"))
				o->beats = BEATS_ANN;
			else if (!strcmp(optarg, "detect"))
				o->beats = BEATS_DETECT;
			else
				usage_error("--beats wants auto, annotations or detect, got '%s'",
					    optarg);
			break;
		case O_ALLOW_PACED:
			o->allow_paced = 1;
			break;
		case O_UNITS:
			o->units = unit_kind[pick("--units", optarg, units, 3)];
			break;
		case O_FS:
			o->fs = parse_real("--fs", optarg, 0, 1e6, 1);
			break;
		case O_NO_RESAMPLE:
			o->resample = 0;
			break;
		case O_RESAMPLE:
			/* getopt gives an optional argument only after '=':
			 * a method name as the next word is taken too, so it
			 * is never read as an input (./linear is the file). */
			o->resample = 1;
			if (!optarg && optind < argc &&
			    (!strcmp(argv[optind], "sinc") ||
			     !strcmp(argv[optind], "linear")))
				optarg = argv[optind++];
			if (optarg)
				o->resample_method =
					pick("--resample", optarg, methods, 2) ?
					BNN_RESAMPLE_LINEAR : BNN_RESAMPLE_SINC;
			break;
		case O_HOP:
			o->hop = (unsigned)parse_uint("--hop", optarg, 1,
						      1u << 24);
			break;
		case O_FORMAT:
			o->format = pick("--format", optarg, formats, 6);
			break;
		case O_SHAPE:
			parse_shape(o, optarg);
			break;
		case O_LABELS:
			if (!*optarg)
				usage_error("--labels is empty");
			o->labels_file = optarg;
			break;
		case O_LABCOL:
			if (!strcmp(optarg, "auto"))
				o->label_column = LABCOL_AUTO;
			else if (!strcmp(optarg, "none"))
				o->label_column = LABCOL_NONE;
			else if (!strcmp(optarg, "first"))
				o->label_column = LABCOL_FIRST;
			else if (!strcmp(optarg, "last"))
				o->label_column = LABCOL_LAST;
			else if (*optarg) {
				o->label_column = LABCOL_NAME;
				o->label_column_name = optarg;
			} else
				usage_error("--label-column is empty");
			break;
		case O_LABMAP:
			if (!*optarg)
				usage_error("--label-map is empty");
			o->label_map = optarg;
			break;
		case 'n':
			o->limit = parse_uint("--limit", optarg, 1,
					      (uint64_t)1 << 40);
			break;
		case O_STREAM:
			if (!*optarg)
				usage_error("--stream wants '-' (stdin), a FIFO or a file");
			o->stream = optarg;
			break;
		case O_SFORMAT:
			o->stream_opt = "--stream-format";
			o->stream_format = pick("--stream-format", optarg,
						sformats, 3);
			break;
		case O_CHANNELS:
			o->stream_opt = "--channels";
			o->channels = (unsigned)parse_uint("--channels", optarg,
							   1, 4096);
			break;
		case O_STREAM_CHANNEL:
			o->stream_opt = "--stream-channel";
			o->channel = (unsigned)parse_uint("--stream-channel", optarg,
							  0, 4095);
			break;
		case O_GAIN:
			o->stream_opt = "--gain";
			o->gain = parse_real("--gain", optarg, 0, 1e12, 1);
			break;
		case 'J':
			o->json = 1;
			break;
		case 'p':
			if (!*optarg)
				usage_error("--predictions is empty");
			o->predictions = optarg;
			break;
		case O_WRITE_ANN:
			check_write_ann(optarg);
			o->write_ann = optarg;
			break;
		case O_ANN_DIR:
			if (!*optarg)
				usage_error("--ann-dir is empty");
			o->ann_dir = optarg;
			break;
		case O_REPORT:
			if (!*optarg)
				usage_error("--report is empty");
			o->report = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case O_PROGRESS:
			o->progress = pick("--progress", optarg, progress, 3);
			break;
		case 'h':
			fputs(help_text, stdout);
			exit(EX_OK);
		case 'V':
			printf("%s %s (libbnn %s)\n", PROG, BNN_RUN_VERSION,
			       bnn_version());
			exit(EX_OK);
		case ':':
			usage_error("option '%s' needs a value",
				    argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->inputs = argv + optind;
	o->ninputs = argc - optind;

	if (!o->model)
		usage_error("--model FILE is required");
	o->model = resolve_model(o->model);
	if (o->stream) {
		if (!o->channels)
			o->channels = 1;
		if (o->ninputs)
			usage_error("--stream reads its samples from %s: no other input ('%s')",
				    o->stream, o->inputs[0]);
		if (!o->fs)
			usage_error("--stream needs --fs HZ, the rate of the samples");
		if (o->channel >= o->channels)
			usage_error("--stream-channel %u: the stream has %u channel%s (0..%u)",
				    o->channel, o->channels,
				    o->channels == 1 ? "" : "s", o->channels - 1);
		if (o->units == UNITS_ADC && !o->gain)
			usage_error("--units adc needs --gain (ADC units per millivolt: mV = value / gain)");
		if (o->gain && o->units != UNITS_ADC)
			usage_error("--gain goes with --units adc");
		if (o->nlead_map)
			usage_error("--lead-map names a record's signals: a --stream has none (--stream-channel K picks its channel)");
		if (o->json || o->predictions || o->labels_file || o->report)
			usage_error("%s does not apply to --stream (it writes one JSON line per item on stdout)",
				    o->json ? "--json" : o->predictions ? "--predictions" :
				    o->report ? "--report" : "--labels");
	} else {
		if (o->stream_opt)
			usage_error("%s goes with --stream", o->stream_opt);
		if (o->units == UNITS_UV)
			usage_error("--units uv goes with --stream (WFDB records: mv or adc)");
	}
	if (!o->ninputs && !o->stream)
		usage_error("no input: give records (e.g. 100 or DS2), folders or files");
	if (o->device) {
		if (o->backend_given && o->backend != BNN_BACKEND_RBNN &&
		    o->backend != BNN_BACKEND_AUTO)
			usage_error("--device applies to the rbnn backend, not %s",
				    bnn_backend_kind_name(o->backend));
		o->backend = BNN_BACKEND_RBNN;
	}
	if (o->emu_opt || tiles_given) {
		const char *what = o->emu_opt ? o->emu_opt : "--tiles";

		if (o->backend == BNN_BACKEND_CPU ||
		    o->backend == BNN_BACKEND_RBNN)
			usage_error("%s applies to the emulated card (--backend emu), not %s%s",
				    what, bnn_backend_kind_name(o->backend),
				    o->device ? " (--device)" : "");
		o->backend = BNN_BACKEND_EMU;
	}
	/* The scrub policy runs on a card, emulated (the default) or real. */
	if (o->card_opt && o->backend == BNN_BACKEND_CPU)
		usage_error("%s applies to a card (--backend emu or rbnn), not cpu",
			    o->card_opt);
	if (o->card_opt && o->backend == BNN_BACKEND_AUTO)
		o->backend = BNN_BACKEND_EMU;
	if (o->card_opt && o->backend == BNN_BACKEND_EMU)
		o->error_model = 1;
	if (o->json && o->predictions && !strcmp(o->predictions, "-"))
		usage_error("-p - and --json both write to stdout: give --predictions a file name");
	if (o->ann_dir && !o->write_ann)
		usage_error("--ann-dir goes with --write-ann EXT");
	if (o->write_ann && !strcmp(o->write_ann, o->annotator))
		usage_error("--write-ann %s would replace the reference annotations the run reads (--annotator %s): choose another extension, e.g. bnn",
			    o->write_ann, o->annotator);
	if (o->shape_n && o->format != FMT_AUTO && o->format != FMT_F32)
		usage_error("--shape applies to float32 inputs (--format f32)");
	if (o->shape_n && o->fs > 0)
		usage_error("--shape describes float32 items, --fs makes a float32 file a signal: give one of them");
	if (!o->data_dir)
		o->data_dir = default_mitdb_dir();
}
