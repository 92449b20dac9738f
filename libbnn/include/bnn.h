/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn.h - libbnn: run binarized neural networks on the RBNN card (real,
 * emulated in-process, or on the CPU).
 *
 *   bnn_model *m;  bnn_backend *be;  bnn_error e;
 *   bnn_model_load("ecg.bnn", &m, &e);
 *   bnn_backend_open(BNN_BACKEND_AUTO, NULL, &be, &e);
 *   bnn_prepare(be, m, &e);               compile + program weights once
 *   bnn_run(be, x, n, scores, pred, &st, &e);   n items -> scores, classes
 *   bnn_backend_close(be);  bnn_model_free(m);
 *
 * Errors: every function that can fail returns BNN_OK (0) or a negative
 * BNN_E_* code (bnn_error.h) and, when `err` is not NULL, fills it with the
 * code and a one-line message.  The library never prints or aborts.
 *
 * Thread safety: a bnn_backend (context) is used by one thread at a time
 * (calls on one context must not overlap; moving a context between threads
 * is fine).  Different contexts are independent and may be used
 * concurrently, also on the same model and the same card.  A bnn_model is
 * immutable after loading: any number of threads may read it (info,
 * prepare, save) at once; bnn_model_free() must not race with them.  The
 * only global state is the CPU-feature detection (thread-safe) and
 * EDFlib's table of open EDF files (bnn_data.h).
 *
 * Data layout: an input item is `length` positions of `channels` samples,
 * position-major: sample (pos, ch) at index pos * channels + ch (for one
 * channel simply the signal).  Values are raw signal samples in the units
 * the model expects; the model's input normalisation (bnn_input_desc) is
 * applied by the library.  Scores are float, `nclasses` per item.
 *
 * Models with rhythm features (format version 2, bnn_signal_desc): an item
 * is the channels * length signal floats as above, then the model's
 * nfeatures raw feature values (bnn_feature_kind, in the order of
 * bnn_model_feature_get), item_floats = channels * length + nfeatures
 * floats in all.  The normalisation applies to the signal floats only;
 * the features are compared with the model's thresholds as given.
 */
#ifndef BNN_H
#define BNN_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BNN_VERSION_MAJOR 0
#define BNN_VERSION_MINOR 1
#define BNN_VERSION_PATCH 0

/* "0.1.0": the version of the library actually linked. */
const char *bnn_version(void);

/* ======================================================================
 * Models (.bnn files; Documentation/bnn-format.rst)
 * ====================================================================== */

typedef struct bnn_model bnn_model;

/* Cap on a model file / image the reader accepts (256 MiB). */
#define BNN_MODEL_MAX_BYTES ((size_t)1 << 28)

/*
 * Load and validate a model.  Every size, count, offset, shape and
 * checksum is checked; a corrupt or hostile file fails with a message
 * naming the section, layer and field (BNN_E_TRUNCATED, BNN_E_SIZE,
 * BNN_E_CHECKSUM, BNN_E_CORRUPT, BNN_E_RANGE, BNN_E_UNSUPPORTED for a newer
 * version or unknown layer kind), never with a crash or an allocation
 * larger than the file warrants.  *out is NULL on failure.
 */
int bnn_model_load(const char *path, bnn_model **out, bnn_error *err);
int bnn_model_load_mem(const void *buf, size_t len, bnn_model **out,
		       bnn_error *err);

/*
 * Serialise a model.  Identical models give byte-identical files.
 * bnn_model_save_mem returns a malloc'ed image (free with free()).
 * bnn_model_save writes path.tmp-XXXXXX and renames it over path.
 */
int bnn_model_save(const bnn_model *m, const char *path, bnn_error *err);
int bnn_model_save_mem(const bnn_model *m, void **buf, size_t *len,
		       bnn_error *err);

/* NULL allowed. */
void bnn_model_free(bnn_model *m);

/* Input normalisation applied by the library before the first layer. */
typedef enum bnn_input_norm {
	BNN_INPUT_NORM_NONE = 0,	/* x as given */
	BNN_INPUT_NORM_ZSCORE = 1,	/* per item and channel: (x - mean) /
					 * std (population std, computed in
					 * double); std < 1e-9 gives zeros */
	BNN_INPUT_NORM_AFFINE = 2,	/* (x - offset) / scale, fixed */
} bnn_input_norm;

#define BNN_LEAD_MAX 32		/* lead name, incl. NUL */

typedef struct bnn_input_desc {
	uint32_t channels;	/* samples per position (leads) */
	uint32_t length;	/* positions per item */
	double sample_rate_hz;	/* rate the model was trained at; 0 = n/a */
	int norm;		/* bnn_input_norm */
	float norm_offset;	/* AFFINE only (0 otherwise) */
	float norm_scale;	/* AFFINE only (1 otherwise) */
	uint32_t beat_pre;	/* ECG beat window [-pre, +post) samples */
	uint32_t beat_post;	/*   around the annotation; 0/0 = not beats */
	char lead[BNN_LEAD_MAX];	/* e.g. "MLII"; "" = any / n/a; with
					 * several channels the lead of
					 * channel 0 (bnn_model_lead) */
} bnn_input_desc;

/* Layer kinds (the numbers are those of the file format). */
typedef enum bnn_layer_kind {
	BNN_LAYER_CONV1D = 1,		/* float 1-D convolution (+bias) */
	BNN_LAYER_DENSE = 2,		/* float fully connected (+bias) */
	BNN_LAYER_BATCHNORM = 3,	/* float per-channel scale/shift */
	BNN_LAYER_SIGN = 4,		/* float -> +-1 bits (x >= 0 -> +1) */
	BNN_LAYER_QUANT = 5,		/* float -> k-bit unsigned (bit-serial) */
	BNN_LAYER_BCONV1D = 6,		/* binary 1-D convolution */
	BNN_LAYER_BDENSE = 7,		/* binary fully connected */
	BNN_LAYER_MAXPOOL1D = 8,	/* max over windows (bits: OR) */
	BNN_LAYER_FLATTEN = 9,		/* [L][C] -> [1][L*C] (no-op) */
	BNN_LAYER_GLOBAL_AVGPOOL = 10,	/* float [L][C] -> [1][C] mean */
	BNN_LAYER_GLOBAL_MAXPOOL = 11,	/* float [L][C] -> [1][C] max */
	BNN_LAYER_ACT = 12,		/* float activation (ReLU, HardTanh) */
	BNN_LAYER_JOIN = 13,		/* [L][C] -> [1][L*C + aux_bits]: the
					 * features' thermometer bits appended */
} bnn_layer_kind;

/* Static name of a layer kind ("bconv1d", ...), "?" if unknown. */
const char *bnn_layer_kind_name(int kind);

/* What a tensor between layers holds. */
typedef enum bnn_value_kind {
	BNN_VALUES_FLOAT = 0,	/* float32 */
	BNN_VALUES_BITS = 1,	/* +-1 as bits (1 = +1) */
	BNN_VALUES_QUANT = 2,	/* k-bit unsigned q, read as v = 2q - (2^k-1) */
} bnn_value_kind;

/* Width at which per-neuron thresholds are counted in footprints: the card
 * stores them as signed 32-bit integers. */
#define BNN_THRESHOLD_BITS 32

typedef struct bnn_layer_info {
	int kind;		/* bnn_layer_kind */
	int in_values, out_values;	/* bnn_value_kind */
	uint32_t in_bits;	/* 1 (bits), k (quant) or 32 (float) */
	uint32_t in_channels, in_length;
	uint32_t out_channels, out_length;
	uint32_t kernel, stride, pad;	/* windows (0 when n/a) */
	uint32_t fan_in;	/* weights per output (weighted layers) */
	int binary;		/* 1: BCONV1D / BDENSE (runs on the card) */
	int scores;		/* binary layer emitting raw sums (no thresholds) */
	uint64_t card_bits;	/* weight bits + thresholds on the card */
	uint64_t host_bits;	/* float parameters, 32 bits each */
	uint64_t macs;		/* multiply-accumulates per item */
	uint64_t reserved[8];
} bnn_layer_info;

typedef struct bnn_model_info {
	bnn_input_desc input;
	uint32_t nclasses;
	uint32_t nlayers;
	uint32_t binary_layers;		/* BCONV1D + BDENSE */
	/* Memory footprint in bits (the paper's metric). */
	uint64_t card_weight_bits;	/* binary weights, 1 bit each */
	uint64_t card_threshold_bits;	/* BNN_THRESHOLD_BITS per neuron */
	uint64_t card_bits;		/* sum of the two */
	uint64_t host_bits;		/* float params (weights, biases,
					 * batch-norm, quantiser,
					 * normalisation), 32 bits each */
	uint64_t binary_macs;		/* XNOR-popcount MACs per item */
	uint64_t float_macs;		/* float MACs per item */
	const char *name;		/* model name ("" if none); valid while
					 * the model lives */
	uint64_t reserved[8];
} bnn_model_info;

int bnn_model_info_get(const bnn_model *m, bnn_model_info *out);
int bnn_model_layer_info(const bnn_model *m, uint32_t layer,
			 bnn_layer_info *out);
/* Name of class i (UTF-8, valid while the model lives), NULL if out of
 * range. */
const char *bnn_model_class_name(const bnn_model *m, uint32_t i);

/*
 * Lead (channel name) of input channel ch, e.g. "MLII" and "V1" for a
 * two-lead ECG model: the leads section of a format version 3 file gives
 * one per channel; otherwise channel 0 has the input description's lead
 * (input.lead, "" when the model names none) and channels 1.. have "".
 * Channel 0's lead always equals input.lead.  Valid while the model
 * lives; NULL for a NULL model or ch >= channels.
 */
const char *bnn_model_lead(const bnn_model *m, uint32_t ch);

/*
 * Score offset of class i (format version 5, Documentation/bnn-format.rst,
 * "Offsets section"): a signed integer the library adds to class i's
 * score before the argmax, so the scores bnn_run() returns include it and
 * the class is the argmax of score + offset (lowest index on ties).  0 for
 * a model without offsets, a NULL model or i >= nclasses.
 */
#define BNN_CLASS_OFFSET_MAX 1048576	/* |offset| at most 2^20 */
int32_t bnn_model_class_offset(const bnn_model *m, uint32_t i);

/* ---- signal preprocessing and rhythm features (format version 2) ---- */

/* Rhythm features of a beat (beat times t_i in samples at rate fs, RR_i =
 * (t_i - t_(i-1)) / fs; Documentation/bnn-format.rst has the exact
 * definitions, edge cases included). */
typedef enum bnn_feature_kind {
	BNN_FEAT_PRE_RR = 0,	/* s: this beat - previous beat */
	BNN_FEAT_POST_RR = 1,	/* s: next beat - this beat (needs the next beat) */
	BNN_FEAT_LOCAL_RR = 2,	/* s: mean of the <= 10 RR intervals before PRE_RR */
	BNN_FEAT_LONG_RR = 3,	/* s: mean of the RR intervals before PRE_RR that end
				 * within the 300 s before this beat */
	BNN_FEAT_PRE_LOCAL = 4,	/* PRE_RR / LOCAL_RR */
	BNN_FEAT_POST_PRE = 5,	/* POST_RR / PRE_RR */
	BNN_FEAT_PRE_LONG = 6,	/* PRE_RR / LONG_RR */
	BNN_FEAT_LOCAL_LONG = 7,	/* LOCAL_RR / LONG_RR */
	BNN_FEAT_IRREG = 8,	/* mean |RR_k - RR_(k-1)| over the <= 10 successive
				 * differences ending at PRE_RR, / LOCAL_RR */
	BNN_FEAT_COUNT = 9
} bnn_feature_kind;

/* "pre_rr", "post_rr", "local_rr", "long_rr", "pre_local", "post_pre",
 * "pre_long", "local_long", "irreg"; "?" if unknown. */
const char *bnn_feature_name(int kind);

/* Signal preprocessing the model was trained with (done by the data
 * layer, bnn_data.h, before the beats reach bnn_run). */
typedef enum bnn_baseline {
	BNN_BASELINE_NONE = 0,
	BNN_BASELINE_MEDIAN = 1,	/* x - med600ms(med200ms(x)) */
} bnn_baseline;

typedef enum bnn_amp_norm {
	BNN_AMP_NONE = 0,
	BNN_AMP_QRS = 1,	/* causal per-record QRS amplitude */
} bnn_amp_norm;

#define BNN_FEATURES_MAX 64	/* features per model */
#define BNN_REF_BEATS_MAX 64	/* beats of the beat reference (format 4) */
#define BNN_FEATURE_THR_MAX 64	/* thresholds per feature */

typedef struct bnn_signal_desc {
	uint32_t size;		/* sizeof(bnn_signal_desc), set by the caller */
	int baseline;		/* bnn_baseline */
	float lowpass_hz;	/* 0 = none */
	int amp_norm;		/* bnn_amp_norm */
	uint32_t nfeatures;	/* rhythm features appended to each item */
	uint32_t aux_bits;	/* their thermometer bits at the JOIN */
	uint32_t item_floats;	/* channels * length + nfeatures */
	uint32_t ref_beats;	/* beat reference: 0 none, else each beat
				 * window minus the median of the windows of
				 * the up to ref_beats beats before it
				 * (format version 4; bnn_data.h step 7) */
	uint64_t reserved[4];
} bnn_signal_desc;

/*
 * The model's signal description.  Set out->size first: only the first
 * `size` bytes are written (`size` itself is left as given, at least
 * sizeof(uint32_t)).  A model without a signal section (version 1) gives
 * every field 0 except item_floats = channels * length.  BNN_E_INVAL for
 * NULL arguments or a too small size.
 */
int bnn_model_signal_get(const bnn_model *m, bnn_signal_desc *out);

/*
 * Feature i (0 .. nfeatures-1): its kind (bnn_feature_kind), threshold
 * count and thresholds (strictly increasing, valid while the model
 * lives).  At the JOIN, feature i contributes nthr bits, bit k = (value
 * >= thr[k]) (NaN: 0, i.e. -1).  Outputs may be NULL.  BNN_E_INVAL for a
 * NULL model or i out of range.
 */
int bnn_model_feature_get(const bnn_model *m, uint32_t i, int *kind,
			  uint32_t *nthr, const float **thr);

/* ======================================================================
 * Backends
 * ====================================================================== */

typedef enum bnn_backend_kind {
	BNN_BACKEND_AUTO = 0,	/* a real card if present, else emu (else cpu) */
	BNN_BACKEND_CPU = 1,	/* bit-packed XNOR-popcount on the host */
	BNN_BACKEND_EMU = 2,	/* the card's device model, in-process */
	BNN_BACKEND_RBNN = 3,	/* a real card through /dev/accel */
} bnn_backend_kind;

/* Static name ("auto", "cpu", "emu", "rbnn"), "?" if unknown. */
const char *bnn_backend_kind_name(int kind);
/* Kind of a name, or BNN_E_NOTFOUND. */
int bnn_backend_kind_from_name(const char *name);

/* Cell modes (emu): the device model's RBNN_CELL_* values. */
#define BNN_CELL_2T2R 0
#define BNN_CELL_1T1R 1

/* CPU kernels (cpu backend, and the host part of every backend). */
typedef enum bnn_cpu_isa {
	BNN_ISA_AUTO = 0,	/* best the CPU has ($BNN_CPU_ISA overrides) */
	BNN_ISA_PORTABLE = 1,	/* plain C (popcnt when the CPU has it) */
	BNN_ISA_AVX2 = 2,	/* AVX2 nibble-LUT popcount */
	BNN_ISA_AVX512 = 3,	/* AVX-512 VPOPCNTQ */
} bnn_cpu_isa;

/* Static name ("auto", "portable", "avx2", "avx512"), "?" if unknown. */
const char *bnn_cpu_isa_name(int isa);

/*
 * bnn_backend_opts.threads: as many as pay.  The cpu backend uses up to
 * one thread per online CPU (at most 64) and splits a batch only into
 * shares of at least 64 items (smaller batches stay on the calling
 * thread; e.g. 2 CPUs: batches of 128 items and more on 2 threads); the
 * outputs are the same as on one thread.  emu and rbnn: the calling
 * thread only, as 0.  Older libraries reject it (BNN_E_INVAL).
 */
#define BNN_THREADS_AUTO 0xffffffffu

/*
 * Options of bnn_backend_open().  Always start from
 * bnn_backend_opts_init(), which sets `size` and every documented default;
 * fields a backend does not use are ignored.  `size` lets newer libraries
 * accept structs from older callers: only the first `size` bytes are read.
 */
typedef struct bnn_backend_opts {
	size_t size;		/* sizeof(bnn_backend_opts) */
	/* rbnn */
	const char *device;	/* "/dev/accel/accel0"; NULL = every card
				 * found (a batch is sharded across them) */
	/* emu: the device model's error model (Documentation/rbnn-device.rst) */
	int error_model;	/* 0 = ideal array (default), 1 = on */
	int cell_mode;		/* BNN_CELL_2T2R (default) / BNN_CELL_1T1R */
	double prog_current_ua;	/* programming compliance current, uA
				 * (default 100) */
	int verify;		/* program-and-verify (default 1) */
	double read_ber;	/* transient sense error rate per cell read
				 * (default 1e-9); each item gets its own
				 * error stream from (seed, its number since
				 * bnn_prepare, card stage), so outputs do
				 * not depend on threads or batch sizes */
	uint64_t seed;		/* error-model seed (default 1) */
	double age_s;		/* virtual age after programming, seconds
				 * (drift; default 0) */
	uint32_t tiles;		/* emu card geometry: tiles (0 = default 16) */
	/* cpu (and host layers of every backend) */
	int cpu_isa;		/* bnn_cpu_isa (default AUTO) */
	uint32_t threads;	/* worker threads for a batch (0 or 1 = the
				 * calling thread only (default); at most
				 * 64 used; BNN_THREADS_AUTO: see there);
				 * emu: the same outputs and costs on any
				 * number, error model on or off */
	/* emu */
	uint64_t wear_cycles;	/* program cycles the card's cells have
				 * already endured (a worn card, with the
				 * error model: cells past their endurance
				 * are stuck); 0 = new card (default),
				 * at most 1e9 */
	/* emu, rbnn */
	double temperature_c;	/* array temperature while it ages, C
				 * (-40..200, default 25): retention ages
				 * by the card's Arrhenius factor (rbnn:
				 * the scrub policy's interval only) */
	int scrub;		/* the scrub policy (emu while it ages the
				 * array; rbnn before each job, from the
				 * card's age_s): 0 = off
				 * (default), 1 = before every
				 * retention budget of age (one year at
				 * 25 C, shorter when hot) the programmed
				 * rows are read and compared with the
				 * model's weights; rows that read wrong
				 * are programmed again, the others
				 * refreshed (Documentation/
				 * user-guide.md, "Scrub policy") */
} bnn_backend_opts;

void bnn_backend_opts_init(bnn_backend_opts *o);

typedef struct bnn_backend bnn_backend;

/*
 * Open a backend context.  opts may be NULL (defaults).  AUTO tries rbnn,
 * then emu, then cpu, moving on only when one reports BNN_E_NODEV (so a
 * card that exists but cannot be opened, e.g. BNN_E_PERM, is reported);
 * bnn_backend_info_get() tells which one was opened.  Errors: BNN_E_NODEV (no card / backend not built),
 * BNN_E_PERM (device node not accessible), BNN_E_UNSUPPORTED (option the
 * backend or CPU cannot honour, e.g. cpu_isa AVX512 on a CPU without it),
 * BNN_E_INVAL (bad option values).
 */
int bnn_backend_open(int kind, const bnn_backend_opts *opts,
		     bnn_backend **out, bnn_error *err);
/* Waits for outstanding jobs, releases the card.  NULL allowed. */
void bnn_backend_close(bnn_backend *be);

typedef struct bnn_backend_info {
	int kind;		/* the backend actually opened (never AUTO) */
	const char *name;	/* "cpu", "emu", "rbnn" */
	const char *detail;	/* e.g. "avx512", device node(s) */
	int cpu_isa;		/* kernels in use for host layers */
	uint32_t cards;		/* cards in use (rbnn), 1 (emu), 0 (cpu) */
	uint64_t reserved[8];
} bnn_backend_info;

int bnn_backend_info_get(const bnn_backend *be, bnn_backend_info *out);

/*
 * Compile `m` for the backend and program its weights (once; later runs
 * reuse them).  A context holds one prepared model; preparing another
 * replaces it.  BNN_E_BUSY while submitted jobs are not yet collected with
 * bnn_wait().  The context keeps what it needs: `m` may be freed
 * afterwards.  Model errors: BNN_E_CORRUPT (e.g. the last layer does not
 * give one float score per class), BNN_E_UNSUPPORTED (the backend or card
 * cannot run a layer), BNN_E_NOMEM, BNN_E_DEVICE.
 */
int bnn_prepare(bnn_backend *be, const bnn_model *m, bnn_error *err);

/*
 * What bnn_prepare() decided: where the layers run, the memory footprint
 * in bits split host/card, the tiles used and the one-off cost of
 * programming the weights.  Set `size` to sizeof(bnn_prepare_info) before
 * the call: only the first `size` bytes are written (so newer libraries
 * serve older callers; `size` itself is left as given, and must be at
 * least sizeof(uint32_t)).
 *
 * card_bits + host_bits always equals the model's total footprint
 * (bnn_model_info card_bits + host_bits).
 *
 * cpu: no card.  cards, card_stages, card_layers, tiles_used, tiles_total,
 *   host_binary_layers and prog_* are 0; host_layers is every layer;
 *   card_bits / host_bits are the model's own split (bnn_model_info), i.e.
 *   card_bits is what a card WOULD hold (the cpu backend keeps it on the
 *   host).  note: "cpu backend: no card".
 * emu: the plan for the emulated card: tiles_total is the card's tiles
 *   (opts.tiles), cards 1; binary layers the card cannot take stay on the
 *   host (host_binary_layers; their bits count in host_bits; note says
 *   why, naming the first).  prog_*: the modeled programming cost.
 * rbnn: every card holds the whole model: card_stages, card_layers,
 *   host_layers, host_binary_layers, card_bits, host_bits and note are
 *   those of card 0's plan; tiles_used, tiles_total (of the cards) and
 *   prog_* (from the PROGRAM jobs' JOB_INFO) are summed over the cards.
 *
 * Errors: BNN_E_INVAL (NULL argument, size too small), BNN_E_STATE (no
 * model prepared: before bnn_prepare, or after it failed).
 */
typedef struct bnn_prepare_info {
	uint32_t size;		/* sizeof(bnn_prepare_info), set by the caller */
	uint32_t cards;		/* cards holding the model (0 cpu, 1 emu) */
	uint32_t card_stages;	/* card programs (runs of card layers) */
	uint32_t card_layers;	/* model layers run on the card */
	uint32_t host_layers;	/* model layers run on the host */
	uint32_t host_binary_layers;	/* binary layers the card could not
					 * take, run on the host */
	uint32_t tiles_used;	/* tiles the plan(s) use */
	uint32_t tiles_total;	/* tiles of the card(s) */
	uint64_t card_bits;	/* weights + thresholds on the card */
	uint64_t host_bits;	/* parameters on the host */
	uint64_t prog_rows;	/* rows programmed */
	uint64_t prog_cmds;	/* programming commands / jobs */
	uint64_t prog_pulses;	/* device programming pulses */
	uint64_t prog_unverified;	/* cells that never passed verify */
	uint64_t prog_time_ns;	/* modeled programming time */
	double prog_energy_pj;	/* modeled programming energy */
	char note[256];		/* why binary layers stay on the host ("" if
				 * none) */
	/* The scrub policy (opts.scrub) so far: on emu it runs while
	 * bnn_prepare ages the card, on rbnn before the runs, so ask again
	 * after them.  0 without the policy, and on cpu. */
	uint64_t scrubs;	/* read-verify passes over every row */
	uint64_t scrub_rows_rewritten;	/* rows read wrong, programmed again */
} bnn_prepare_info;

int bnn_prepare_info_get(const bnn_backend *be, bnn_prepare_info *out,
			 bnn_error *err);

/* Per-run statistics (also summed per context). */
typedef struct bnn_stats {
	uint64_t items;		/* items run */
	uint64_t host_ns;	/* wall time of the call(s) on the host */
	uint64_t device_ns;	/* modeled device time (emu, rbnn; 0 cpu) */
	double device_energy_pj;	/* modeled device energy (0 cpu) */
	uint64_t device_cmds;	/* device commands issued */
	uint64_t reserved[8];
} bnn_stats;

/*
 * Run n items (n * item_floats floats, item-major, see top: item_floats is
 * channels * length, plus the nfeatures feature values after each item's
 * signal for a model with rhythm features, bnn_model_signal_get) and
 * write n * nclasses scores and n predicted classes (argmax of the scores,
 * lowest index on ties, NaN scores ignored; 0 if all are NaN).  The scores
 * include the model's class offsets (bnn_model_class_offset), if any.  scores,
 * pred and st may each be NULL.  Errors: BNN_E_STATE (nothing prepared),
 * BNN_E_INVAL, BNN_E_DEVICE, BNN_E_NOMEM.
 */
int bnn_run(bnn_backend *be, const float *in, size_t n, float *scores,
	    int32_t *pred, bnn_stats *st, bnn_error *err);

/*
 * Asynchronous runs: bnn_submit() queues a run (the buffers must stay
 * valid and untouched until its bnn_wait() returns something other than
 * BNN_E_TIMEOUT) and gives its id.  At most BNN_MAX_JOBS may be pending
 * (submitted, not yet waited) per context, else BNN_E_BUSY.  bnn_wait()
 * waits up to timeout_ms (< 0: forever, 0: poll) and returns the run's own
 * status (its error message in err, its statistics in st); BNN_E_TIMEOUT
 * leaves the job pending; an unknown or already collected id gives
 * BNN_E_NOTFOUND.  Backends without a queue (cpu) run at submit time.
 */
#define BNN_MAX_JOBS 64

int bnn_submit(bnn_backend *be, const float *in, size_t n, float *scores,
	       int32_t *pred, uint64_t *job, bnn_error *err);
int bnn_wait(bnn_backend *be, uint64_t job, int timeout_ms, bnn_stats *st,
	     bnn_error *err);

/* Totals over every run and collected job of the context. */
int bnn_backend_stats(const bnn_backend *be, bnn_stats *total);

#ifdef __cplusplus
}
#endif

#endif /* BNN_H */
