/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn_data.h - data readers of libbnn (RBNN project).
 *
 * Readers for the data sets the RBNN accelerator is evaluated on:
 *
 *   - WFDB records (PhysioNet): .hea header, .dat signal files (formats
 *     8, 16, 24, 32, 61, 80, 160, 212, 310, 311; samples per frame,
 *     skew, multi-segment records) and MIT-format annotation files
 *     (.atr; read, and written by wfdb_annout.c);   wfdb*.c
 *   - heartbeat extraction with AAMI EC57 classes and the MIT-BIH
 *     inter-patient split file (SPLITS_AAMI.txt);                 beats.c
 *   - resampling (windowed sinc, linear);                         resample.c
 *   - that split built in;                                        mitdb_split.c
 *   - QRS (beat) detection and EC57 beat matching;               qrs.c
 *   - Bonn epilepsy EEG text segments and a windowing helper;     bonn.c
 *   - EDF, EDF+ and BDF(+) files, through Debian's EDFlib;        edf.c
 *   - running median, median baseline removal, FIR low-pass;      filters.c
 *   - RR-interval (rhythm) features of beats;                     rhythm.c
 *   - live streams: beat items and windows built as samples come, and
 *     the beat items of a whole signal without annotations;       stream.c
 *   - plain numeric CSV and raw little-endian float32 tensors;   csv.c
 *   - the shared helpers (errors, file reading, numbers).        common.c
 *
 * Conventions
 *   - Every function that can fail returns an int status: BNN_OK (0) or a
 *     negative BNN_E_* code.  When the caller passes a non-NULL bnn_error,
 *     it receives the same code and a one-line, NUL-terminated message
 *     (with the file name and line where that applies).  The library never
 *     prints and never aborts on bad input.
 *   - Every parser has an in-memory entry point (bytes + length; text need
 *     not be NUL-terminated) and a file entry point that reads the file
 *     (size-capped) and calls it.
 *   - Output structs are plain C structs owned by the caller and released
 *     with the matching *_free() function.  On failure an output struct is
 *     left zeroed (nothing to free; calling *_free on it is harmless).
 *     *_free() accepts NULL and zeroed structs.
 *   - Inputs are untrusted: every count is checked against the real size
 *     of the data before anything is allocated, and all size arithmetic is
 *     overflow-checked.
 *   - The library has no global state except EDFlib's table of open files
 *     (edf.c: EDF files are for one thread); everything else is
 *     thread-safe as long as threads do not share output structs.
 *
 * Data location: the project finds its data under $RBNN_DATA, default
 * "<checkout>/../shared/data" (see bnn_data_dir()).
 */
#ifndef BNN_DATA_H
#define BNN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_error.h"
#include "bnn.h"	/* bnn_feature_kind, bnn_baseline, bnn_amp_norm */

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Errors: enum bnn_status (BNN_OK, BNN_E_*), bnn_error, bnn_strerror()
 * and bnn_error_clear() are shared with the rest of libbnn and live in
 * libbnn/include/bnn_error.h (installed beside this header; in the tree
 * libbnn/include is on the include path).
 * ====================================================================== */

/* ======================================================================
 * Generic helpers (common.c)
 * ====================================================================== */

/* Default cap on the size of any file the readers load (1 GiB). */
#define BNN_FILE_MAX ((size_t)1 << 30)

/*
 * Read a whole regular file into memory.  *data gets a malloc'ed buffer of
 * *len bytes followed by one extra NUL byte (so text can be used as a C
 * string; embedded NULs are the caller's business).  Free it with free().
 * Fails with BNN_E_IO for missing/unreadable files and for anything that is
 * not a regular file (directories, FIFOs and devices are refused without
 * blocking), BNN_E_SIZE when the file is bigger than max_bytes
 * (0 = BNN_FILE_MAX), BNN_E_TRUNCATED when it shrinks while being read.
 */
int bnn_read_file(const char *path, size_t max_bytes, uint8_t **data,
		  size_t *len, bnn_error *err);

/*
 * Strict number parsing of exactly len bytes (no surrounding spaces, no
 * NUL terminator needed).  Locale-independent.
 *   integer:  [+-]?[0-9]+
 *   real:     [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?
 *             (no hex, inf or nan; the result must be finite)
 * Return BNN_OK, BNN_E_PARSE (syntax) or BNN_E_RANGE (does not fit /
 * overflows to infinity).  They do not fill a bnn_error.
 */
int bnn_parse_i64(const char *s, size_t len, int64_t *out);
int bnn_parse_f64(const char *s, size_t len, double *out);

/* Cap on the number of values a derived output (beat windows, resampled
 * signal, windowed segment) may have: 2^28 floats = 1 GiB.  Larger
 * requests fail with BNN_E_RANGE instead of attempting the allocation. */
#define BNN_MAX_VALUES ((size_t)1 << 28)

/*
 * Data root: $RBNN_DATA when set and non-empty, else `fallback` (which may
 * be NULL).  The project's default fallback is "<checkout>/../shared/data".
 */
const char *bnn_data_dir(const char *fallback);

/* ======================================================================
 * WFDB records (wfdb.c, wfdb_fmt.c, wfdb_seg.c, wfdb_lead.c)
 * ====================================================================== */

#define BNN_WFDB_MAX_SIGNALS 256	/* cap on nsig in a header */
#define BNN_WFDB_MAX_SEGMENTS 65536	/* cap on segments of a record */
#define BNN_WFDB_MAX_SPF 65536		/* cap on samples per frame */
#define BNN_WFDB_MAX_SKEW ((int64_t)1 << 40)	/* cap on skew (frames) */
#define BNN_WFDB_HEADER_MAX ((size_t)1 << 20)	/* cap on .hea size */
#define BNN_WFDB_LINE_MAX 4096		/* cap on one header line */
#define BNN_WFDB_NAME_MAX 64		/* record name, incl. NUL */
#define BNN_WFDB_FILE_MAX 256		/* signal file name, incl. NUL */
#define BNN_WFDB_UNITS_MAX 32		/* units string, incl. NUL */
#define BNN_WFDB_DESC_MAX 128		/* signal description, incl. NUL */
#define BNN_WFDB_DEFAULT_FS 250.0	/* WFDB default when fs is omitted */
#define BNN_WFDB_DEFAULT_GAIN 200.0	/* WFDB default when gain is 0/omitted */

/*
 * Warnings: things a reader tolerates but a user should hear about (a
 * signal without gain, a checksum mismatch, annotations before the start,
 * a segment rescaled...).  The library never prints: callers show them.
 * The first BNN_WFDB_WARN_MAX are kept; later ones are only counted.
 */
#define BNN_WFDB_WARN_MAX 16
typedef struct bnn_wfdb_warnings {
	int n;				/* kept, 0 .. BNN_WFDB_WARN_MAX */
	int dropped;			/* further warnings, not kept */
	char msg[BNN_WFDB_WARN_MAX][BNN_ERRMSG_MAX];
} bnn_wfdb_warnings;

/* One signal line of a header. */
typedef struct bnn_wfdb_signal {
	char file[BNN_WFDB_FILE_MAX];	/* signal file, as written ("~": none) */
	int format;		/* 0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311 */
	int spf;		/* samples per frame ("xN"), default 1 */
	int64_t skew;		/* ":N" frames, default 0 */
	int64_t byte_offset;	/* "+N" suffix of the format field, else 0 */
	double gain;		/* ADC units per physical unit (> 0 or < 0) */
	int uncalibrated;	/* 1 when gain was 0/omitted (gain = 200) */
	int32_t baseline;	/* "(b)" after the gain, else adc_zero */
	char units[BNN_WFDB_UNITS_MAX];	/* "/u" after the gain, else "mV" */
	int adc_res;		/* bits; default the format's width (8: 8, 0: 12) */
	int32_t adc_zero;	/* default 0 */
	int32_t init_value;	/* default adc_zero */
	int has_init_value;	/* the header gave the initial value */
	int32_t checksum;	/* as written (-32768..65535) */
	int has_checksum;	/* the header gave the checksum */
	int block_size;		/* default 0 */
	char desc[BNN_WFDB_DESC_MAX];	/* e.g. "MLII", "V5"; "" if none */
	int group;		/* index of the file this signal is stored in */
	/* Decoded value that marks a missing sample: -2^(bits-1) of the
	 * format (80: -128, 212: -2048, 310/311: -512, 16/61/160: -32768,
	 * 24: -2^23, 32: INT32_MIN), -32768 for formats 0 and 8.  The
	 * decoder keeps stored values as they are, so such a value in the
	 * file comes out unchanged; skew beyond the file, null segments and
	 * signals a segment lacks are filled with it.  Users of the samples
	 * should treat it as a gap (bnn_wfdb_is_invalid). */
	int32_t invalid;
} bnn_wfdb_signal;

/* One segment line of a multi-segment header. */
typedef struct bnn_wfdb_segment {
	char name[BNN_WFDB_NAME_MAX];	/* segment record, "~" = null segment */
	int64_t nsamples;		/* frames; 0 only for a layout segment */
} bnn_wfdb_segment;

/* A parsed header. */
typedef struct bnn_wfdb_header {
	char name[BNN_WFDB_NAME_MAX];
	int nsig;		/* 0 .. BNN_WFDB_MAX_SIGNALS */
	int ngroups;		/* number of distinct signal files */
	double fs;		/* frames per second (a signal with spf N has
				 * N * fs samples per second) */
	double counter_freq;	/* "/cf" after fs, else 0 */
	double base_counter;	/* "(bc)" after counter_freq, else 0 */
	int64_t nsamples;	/* frames per signal; 0 = not given */
	int has_base_time;	/* base time "hh:mm:ss[.sss]" or "mm:ss" given */
	int base_hour, base_min;
	double base_sec;
	int has_base_date;	/* base date "dd/mm/yyyy" given */
	int base_day, base_month, base_year;
	bnn_wfdb_signal *sig;	/* nsig entries (NULL when nsig == 0) */
	/*
	 * Multi-segment records ("name/nseg" on the record line): nseg > 0,
	 * seg[] the segment lines, seg_nsig the record line's signal count.
	 * A parsed master header has no signal lines (nsig 0, sig NULL); a
	 * record read from it (bnn_wfdb_read_record) has the record's
	 * signals in nsig/sig and keeps nseg/seg.  The layout is variable
	 * when seg[0].nsamples == 0 (seg[0] is the layout header), fixed
	 * otherwise.
	 */
	int nseg;
	int seg_nsig;
	bnn_wfdb_segment *seg;	/* nseg entries (NULL when nseg == 0) */
} bnn_wfdb_header;

/*
 * Parse header text (any mix of LF / CRLF line ends; '#' comment lines and
 * blank lines are skipped anywhere; fields separated by spaces/tabs).
 *
 * Record line:  name[/nseg] [nsig [fs[/counterfreq[(base)]] [nsamples
 *               [hh:mm:ss[.sss] [dd/mm/yyyy]]]]]
 * Signal line:  file format[xspf][:skew][+offset] [gain[(baseline)][/units]
 *               [adc_res [adc_zero [init_value [checksum [block_size
 *               [description...]]]]]]]
 * Segment line: name nsamples   (multi-segment headers, instead of the
 *               signal lines; "~" is a null segment)
 * Formats 0, 8, 16, 24, 32, 61, 80, 160, 212, 310 and 311 are read; others
 * (e.g. the FLAC formats 508/516/524) fail with BNN_E_UNSUPPORTED.
 * Rejected with a clear message: bad numbers, missing or extra lines,
 * names with bad characters, NUL/control bytes (BNN_E_PARSE); nsig above
 * BNN_WFDB_MAX_SIGNALS, nseg above BNN_WFDB_MAX_SEGMENTS, spf above
 * BNN_WFDB_MAX_SPF, skew above BNN_WFDB_MAX_SKEW, non-positive fs,
 * negative counts, adc_res wider than the format, values that do not fit
 * (BNN_E_RANGE); lines longer than BNN_WFDB_LINE_MAX or text longer than
 * BNN_WFDB_HEADER_MAX (BNN_E_SIZE); a segment of length 0 other than the
 * first (BNN_E_RANGE).  Signals stored in one file must be on consecutive
 * lines and agree on format and byte offset.
 */
int bnn_wfdb_parse_header(const char *text, size_t len, bnn_wfdb_header *out,
			  bnn_error *err);
int bnn_wfdb_read_header(const char *hea_path, bnn_wfdb_header *out,
			 bnn_error *err);
void bnn_wfdb_header_free(bnn_wfdb_header *h);

/* Index of the first signal whose description equals `desc` exactly
 * (e.g. "MLII"), or BNN_E_NOTFOUND; BNN_E_INVAL for NULL arguments. */
int bnn_wfdb_find_signal(const bnn_wfdb_header *h, const char *desc);

/*
 * Index of the signal that records lead `want`, or BNN_E_NOTFOUND /
 * BNN_E_INVAL (NULL h or want).  In order:
 *   1. a description equal to `want` (as bnn_wfdb_find_signal);
 *   2. the same lead, compared by name: case and blanks, '-', '_', '.'
 *      ignored, leading "ECG" / "lead" words dropped, "ML" (modified
 *      lead) prefixes and arabic limb-lead numbers folded, so that
 *      "MLII", "ML II", "ML2", "mlii", "II", "Lead II", "ECG lead 2" all
 *      name lead II (likewise I, III; "aVF" = "AVF", "v5" = "V5");
 *   3. when `want` names an ECG lead (I, II, III, aVR, aVL, aVF, V1-V9,
 *      MCL1-MCL6, in any spelling above) and no signal matched: the first
 *      signal named only generically ("ECG", "ECG1", "ECG 2", "ECG I",
 *      "ECG_3"...), with *fallback (may be NULL) set to 1 so the caller
 *      can say which signal it took instead.  *fallback is 0 otherwise.
 */
int bnn_wfdb_find_lead(const bnn_wfdb_header *h, const char *want,
		       int *fallback);

/* 1 when a signal name (WFDB description or EDF label) names an ECG lead
 * in any spelling bnn_wfdb_find_lead folds ("MLII", "ECG lead II", "V5",
 * "aVF", "MCL1"...) or a generic ECG signal ("ECG", "ECG1"); 0 otherwise
 * (EEG channels such as "EEG Fpz-Cz", other signals, NULL). */
int bnn_is_ecg_lead(const char *name);

/*
 * The signals of the n leads a model names (1 .. BNN_WFDB_MAX_SIGNALS;
 * bnn_model_lead of each channel), one each: sig[k] is the signal of
 * names[k], found as bnn_wfdb_find_lead finds it (description, then the
 * lead with its aliases).  The generic-ECG fallback (rule 3) applies only
 * when n == 1 and fallback is not NULL, setting *fallback to 1 (0
 * otherwise), so that the caller can say which signal it took: a record
 * whose signals are "ECG1, ECG2" does not say which one is V1.  Errors
 * (sig then partly filled): BNN_E_NOTFOUND "record 100 has no lead 'V1'
 * (signals: MLII, V5)", BNN_E_INVAL for two names that find one signal
 * ("MLII" and "II"), an empty name, n out of range or NULL arguments.
 * No lead is ever taken for another: that is the caller's explicit
 * choice (bnn-run --lead-map), never a silent one.
 */
int bnn_wfdb_find_leads(const bnn_wfdb_header *h, const char *const *names,
			size_t n, int *sig, int *fallback, bnn_error *err);

/* Physical value of ADC sample v of signal s: (v - baseline) / gain.
 * Uncalibrated signals (gain 0 or missing) use gain 200. */
double bnn_wfdb_to_phys(const bnn_wfdb_signal *s, int32_t v);
/* 1 when v is signal s's invalid-sample value (a gap), else 0. */
int bnn_wfdb_is_invalid(const bnn_wfdb_signal *s, int32_t v);

/* A file's bytes, for decoding from memory. */
typedef struct bnn_wfdb_blob {
	const char *name;	/* must equal the header's file name */
	const uint8_t *data;
	size_t len;
} bnn_wfdb_blob;

/*
 * A decoded record: header + all samples in ADC units.
 * Signal s has bnn_wfdb_signal_len(r, s) = nsamples * hdr.sig[s].spf
 * samples, at hdr.fs * spf per second; with spf 1 (nearly every record)
 * that is nsamples at hdr.fs.  The signals are stored one after another
 * in `data` (signal-major); bnn_wfdb_samples() gives each one's start.
 */
typedef struct bnn_wfdb_record {
	bnn_wfdb_header hdr;
	int64_t nsamples;	/* frames per signal */
	int32_t *data;		/* all samples, signal after signal */
	bnn_wfdb_warnings warn;	/* what the reader tolerated */
} bnn_wfdb_record;

/* Flags for decoding. */
#define BNN_WFDB_NO_VERIFY 1u	/* skip checksum / initial-value checks */
#define BNN_WFDB_STRICT 2u	/* checksum / initial-value mismatch is an
				 * error (default: a warning, data kept) */

/*
 * Decode the signal files of a single-segment record from memory.
 * `files` must provide one blob per distinct file name of the header
 * (extra blobs are ignored; format 0 signals need none).
 * Each file must hold byte_offset + nsamples frames (the last packed
 * 212/310/311 block may be cut or padded); with skew, up to max(skew)
 * frames more are used.  Bytes after those are ignored with a warning
 * (BNN_E_SIZE with BNN_WFDB_STRICT), as WFDB readers stop at the
 * record's length; when the header gives no sample count it is derived from the
 * file size, which must then be a whole number of frames (equal for all
 * files).  A frame of a file is, for each of its signals in order, spf
 * samples.  Skew: sample i of a signal with skew k is taken from frame
 * i + k; frames past the end of the file give its invalid value.
 * Format 8 differences are integrated per signal from its initial value.
 * Verification (unless BNN_WFDB_NO_VERIFY): the 16-bit sum of every
 * signal must equal the header checksum and its first sample the initial
 * value, when given, both of its samples as stored (frames 0 .. nsamples-1
 * of its file, whatever its skew, as WFDB writes them); a mismatch is a
 * warning, or BNN_E_CHECKSUM with BNN_WFDB_STRICT.  A signal without gain
 * adds a warning too.
 * Errors: BNN_E_NOTFOUND (no blob for a file), BNN_E_TRUNCATED / BNN_E_SIZE
 * (file shorter than the header says, no whole frames), BNN_E_RANGE (sample count so large the
 * byte count overflows), BNN_E_CHECKSUM (strict), BNN_E_INVAL (NULL
 * arguments, unknown or contradictory flags, inconsistent hand-made
 * header), BNN_E_UNSUPPORTED (unknown format in a hand-made header, a
 * multi-segment master header), BNN_E_NOMEM.
 * `hdr` is deep-copied into out->hdr.
 */
int bnn_wfdb_decode(const bnn_wfdb_header *hdr, const bnn_wfdb_blob *files,
		    size_t nfiles, unsigned flags, bnn_wfdb_record *out,
		    bnn_error *err);

/* Same, parsing the header text first.  For a multi-segment header the
 * blobs also provide the segment headers, named "<segment>.hea". */
int bnn_wfdb_record_from_memory(const char *hea, size_t hea_len,
				const bnn_wfdb_blob *files, size_t nfiles,
				unsigned flags, bnn_wfdb_record *out,
				bnn_error *err);

/*
 * Read <dir>/<record>.hea and the signal files it names (relative to dir;
 * absolute names and ".." components are refused).  The record name in the
 * header must equal `record`.
 * Multi-segment records: every segment <dir>/<segment>.hea (itself
 * single-segment, same fs) and its files are read and joined into one
 * record of the master header's length.  Fixed layout: every segment has
 * the record's signals, in order, and the record takes the first
 * segment's signal descriptions (segments whose gain, baseline or format
 * differ are copied as stored, with a warning).  Variable layout: the
 * layout header (seg[0]) gives the signals; each segment's signals are
 * matched to them by description, in order; a signal a segment lacks,
 * and every null segment "~", gives invalid values; a segment signal
 * stored with another gain or baseline than the record's is rescaled to
 * it (rounded; warning), one the layout lacks is skipped (warning).
 * Each record signal is stored (format, gain, baseline, units, invalid
 * value) as in the first segment that has it, as the WFDB Python package
 * reports it; the layout header's calibration only for signals no segment
 * has.  Samples per frame must agree with the layout.  The segment lengths must
 * add up to the record line's sample count when it gives one.
 */
int bnn_wfdb_read_record(const char *dir, const char *record, unsigned flags,
			 bnn_wfdb_record *out, bnn_error *err);
void bnn_wfdb_record_free(bnn_wfdb_record *r);

/* Samples of signal `sig` (bnn_wfdb_signal_len values), NULL if out of
 * range or the record is empty. */
const int32_t *bnn_wfdb_samples(const bnn_wfdb_record *r, int sig);
/* nsamples * spf of signal `sig`; -1 if out of range.  (In hand-made
 * records a zeroed spf counts as 1.) */
int64_t bnn_wfdb_signal_len(const bnn_wfdb_record *r, int sig);

/*
 * Bring every oversampled signal (spf > 1) to the frame rate hdr.fs: one
 * sample per frame, the mean of the frame's valid samples (rounded half
 * away from zero; invalid when all are), as WFDB's getvec() reads them.
 * Beat extraction, QRS detection and annotation times count frames, so a
 * record with such a signal needs this before them.  In place; spf
 * becomes 1 for every signal, nothing else changes.  Errors: BNN_E_INVAL
 * (NULL or inconsistent record).
 */
int bnn_wfdb_frame_average(bnn_wfdb_record *r, bnn_error *err);

/* ---- annotations (MIT format) ---- */

#define BNN_WFDB_ACMAX 49	/* largest valid annotation code */

typedef struct bnn_wfdb_ann {
	int64_t sample;		/* time, samples from the record start */
	int code;		/* 1 .. BNN_WFDB_ACMAX (WFDB ecgcodes.h) */
	int subtype;		/* SUB, else 0 (not inherited) */
	int chan;		/* CHN; inherited from the previous annotation */
	int num;		/* NUM; inherited from the previous annotation */
	const char *aux;	/* AUX text (NUL-terminated) or NULL */
	size_t aux_len;		/* AUX length in bytes as stored */
} bnn_wfdb_ann;

typedef struct bnn_wfdb_annlist {
	size_t n;
	bnn_wfdb_ann *ann;
	char *pool;		/* storage of the aux strings (internal) */
	bnn_wfdb_warnings warn;	/* e.g. annotations dropped before sample 0 */
	double fs;		/* rate the times count at, from a note
				 * "## time resolution: F" at time 0; 0 =
				 * the record's frame rate (no such note) */
} bnn_wfdb_annlist;

/*
 * Parse an MIT-format annotation file: little-endian 16-bit words, code A
 * = word >> 10, I = word & 0x3ff.  A in 1..49: an annotation at time += I;
 * SKIP (59): the next 4 bytes are a signed 32-bit interval (high 16-bit
 * word first, each word little-endian) added to the time (it may be
 * negative); NUM (60), SUB (61), CHN (62): set that field of the
 * preceding annotation to the low 8 bits of I (NUM and SUB signed, CHN
 * unsigned: the WFDB library's char fields); AUX (63): I & 0xff bytes of
 * text follow, padded to an even count; A = 0 and I = 0: end of file.
 * A = 0 with I != 0 (NOTQRS, which WFDB's tools write after a SKIP of -1)
 * advances the time and is dropped with its modifiers, as the wfdb
 * package drops it.  A note (22) at time 0 whose AUX is "## time
 * resolution: F" sets out->fs to F and is not listed (file metadata);
 * bnn_wfdb_ann_to_rate brings such times to the record's frame rate.
 * NUM and CHN carry over to later annotations, as in WFDB.
 * An annotation whose time falls before sample 0 (after a negative SKIP)
 * is dropped, with its modifiers, and counted in one warning.
 * Errors (BNN_E_CORRUPT unless noted): codes 50..58,
 * NUM/SUB/CHN/AUX before the first annotation, a second AUX for one
 * annotation, a time that overflows 64 bits, non-zero bytes after the end
 * word; BNN_E_TRUNCATED for a missing end word, a cut word, SKIP interval
 * or AUX text.
 */
int bnn_wfdb_parse_ann(const uint8_t *buf, size_t len, bnn_wfdb_annlist *out,
		       bnn_error *err);
int bnn_wfdb_read_ann(const char *path, bnn_wfdb_annlist *out, bnn_error *err);
/* Read <dir>/<record>.<annotator> (e.g. annotator "atr"). */
int bnn_wfdb_read_annotations(const char *dir, const char *record,
			      const char *annotator, bnn_wfdb_annlist *out,
			      bnn_error *err);
void bnn_wfdb_annlist_free(bnn_wfdb_annlist *a);
/*
 * Annotation times counted at a->fs (a "## time resolution" note) moved to
 * frame_fs, the record's frame rate (hdr.fs), as WFDB's getann reads them:
 * each time * frame_fs / a->fs rounded to the nearest frame; then a->fs =
 * frame_fs.  Nothing changes when a->fs is 0 or already frame_fs.
 * Errors: BNN_E_INVAL (NULL list, frame_fs not a positive finite rate).
 */
int bnn_wfdb_ann_to_rate(bnn_wfdb_annlist *a, double frame_fs, bnn_error *err);

/*
 * Write annotations in MIT format (the inverse of bnn_wfdb_parse_ann, as
 * the WFDB library's putann writes them): per annotation a word with its
 * code and the time since the previous one (from 0 for the first), a SKIP
 * before it when that difference exceeds 1023; SUB when non-zero; CHN
 * and NUM when they differ from the previous annotation's (both start at
 * 0, as the reader's); AUX when the text is non-empty (aux_len bytes of
 * aux, or strlen(aux) when aux_len is 0; padded to an even count); the
 * end word 0.  Only sample, code, subtype, chan, num and aux are read.
 * Requirements: code 1..BNN_WFDB_ACMAX and times 0..BNN_WFDB_ANN_TIME_MAX
 * (BNN_E_INVAL / BNN_E_RANGE), times non-decreasing (equal times are
 * allowed and kept in order; a decrease is BNN_E_INVAL naming the index),
 * subtype and num -128..127, chan 0..255, AUX at most 255 bytes
 * (BNN_E_RANGE).  n == 0 gives the end word alone.
 *
 * format: *buf gets a malloc'ed buffer of *len bytes (free it with free()).
 * write: to path, atomically: written to PATH.tmp-XXXXXX beside the file
 * and renamed over it (an existing file keeps its mode); a symlink is
 * followed (the link stays, the file it names is written); a path naming
 * anything but a regular file is refused (BNN_E_IO).
 */
#define BNN_WFDB_ANN_TIME_MAX ((int64_t)1 << 40)
int bnn_wfdb_format_ann(const bnn_wfdb_ann *ann, size_t n, uint8_t **buf,
			size_t *len, bnn_error *err);
int bnn_wfdb_write_ann(const char *path, const bnn_wfdb_ann *ann, size_t n,
		       bnn_error *err);

/* Mnemonic of an annotation code ("N", "V", "+", "~"...); NULL for codes
 * that WFDB leaves unassigned or that are out of range. */
const char *bnn_wfdb_ann_symbol(int code);
/* Inverse: code of a mnemonic, or BNN_E_NOTFOUND. */
int bnn_wfdb_ann_code(const char *symbol);

/* ======================================================================
 * Heartbeats, AAMI classes, MIT-BIH split (beats.c)
 * ====================================================================== */

enum bnn_aami_class {
	BNN_AAMI_N = 0,		/* normal and bundle-branch-block beats */
	BNN_AAMI_S,		/* supraventricular ectopic */
	BNN_AAMI_V,		/* ventricular ectopic */
	BNN_AAMI_F,		/* fusion */
	BNN_AAMI_Q,		/* paced / unclassifiable */
	BNN_AAMI_NCLASS
};

/* Class map: for each annotation code 0..BNN_AAMI_MAP_SIZE-1 its AAMI class
 * or -1 (not a beat: ignored). */
#define BNN_AAMI_MAP_SIZE 64

/* "N", "S", "V", "F", "Q", or NULL. */
const char *bnn_aami_name(int cls);

/* ANSI/AAMI EC57 mapping as used by de Chazal 2004:
 * N = N L R e j; S = A a J S; V = V E; F = F; Q = / f Q. */
void bnn_aami_default_map(signed char map[BNN_AAMI_MAP_SIZE]);

enum bnn_split_set { BNN_SET_DS1 = 0, BNN_SET_DS2, BNN_SET_PACED, BNN_SET_COUNT };

#define BNN_SPLIT_MAX_RECORDS 128	/* per set */
#define BNN_RECNAME_MAX 32

typedef struct bnn_aami_split {
	size_t nrec[BNN_SET_COUNT];
	char rec[BNN_SET_COUNT][BNN_SPLIT_MAX_RECORDS][BNN_RECNAME_MAX];
	signed char map[BNN_AAMI_MAP_SIZE];	/* class per annotation code */
	int map_from_file;	/* 1: AAMI_* lines given; 0: default map */
} bnn_aami_split;

/*
 * Parse a split file (mitdb/SPLITS_AAMI.txt): lines "KEY value value ...",
 * '#' comments and blank lines skipped, LF or CRLF.  Keys: DS1, DS2,
 * PACED_EXCLUDED (record names), AAMI_N, AAMI_S, AAMI_V, AAMI_F, AAMI_Q
 * (annotation mnemonics).  DS1 and DS2 are required.  When no AAMI_* line
 * is present the default map is used; when any is present the map is
 * exactly what the file gives.  Errors (BNN_E_PARSE): unknown or repeated
 * key, key without values, bad record name, unknown mnemonic, record in two
 * sets or twice in one, mnemonic in two classes, control bytes;
 * BNN_E_RANGE: more than BNN_SPLIT_MAX_RECORDS records in a set;
 * BNN_E_SIZE: a line longer than 64 KiB.
 */
int bnn_aami_split_parse(const char *text, size_t len, bnn_aami_split *out,
			 bnn_error *err);
int bnn_aami_split_read(const char *path, bnn_aami_split *out, bnn_error *err);
/*
 * The split built in (mitdb_split.c): de Chazal 2004's DS1 (22 records),
 * DS2 (22) and the paced records 102 104 107 217 (PACED_EXCLUDED), with
 * the default AAMI map (map_from_file 0): what mitdb/SPLITS_AAMI.txt
 * gives.  BNN_E_INVAL for NULL.
 */
int bnn_aami_split_default(bnn_aami_split *out);

/* Set of a record (BNN_SET_*) or BNN_E_NOTFOUND. */
int bnn_aami_split_find(const bnn_aami_split *sp, const char *record);

/* Per-beat normalisation. */
typedef enum bnn_norm {
	BNN_NORM_NONE = 0,	/* raw ADC units (as stored, no offset) */
	BNN_NORM_ZSCORE,	/* per beat: (x - mean) / std (population std);
				 * a flat beat (std < 1e-9) becomes all zeros */
	BNN_NORM_MV,		/* (x - baseline) / gain, scaled to millivolts
				 * from the header units (mV, uV, V) */
} bnn_norm;

/* Resampling method (used when the output rate differs from the record's). */
typedef enum bnn_resample_method {
	/* Band-limited interpolation: windowed-sinc kernel (Blackman window,
	 * 16 zero crossings each side) evaluated from a table with 512 steps
	 * per sample; when downsampling the cut-off is lowered to the new
	 * Nyquist frequency (anti-aliasing).  Weights are normalised so a
	 * constant signal stays constant.  Samples beyond the ends are taken
	 * as the end values. */
	BNN_RESAMPLE_SINC = 0,
	/* Linear interpolation between the two neighbouring samples (no
	 * anti-aliasing; cheap). */
	BNN_RESAMPLE_LINEAR,
} bnn_resample_method;

/*
 * Resample x (n samples at fs_in) to fs_out: output sample j is the value
 * at input position j * fs_in / fs_out, for every such position <= n - 1
 * (so *nout = floor((n - 1) * fs_out / fs_in) + 1).  *out is malloc'ed.
 * Errors: BNN_E_INVAL (NULL, n == 0, rates not finite and > 0, unknown
 * method), BNN_E_RANGE (output would exceed BNN_MAX_VALUES), BNN_E_NOMEM.
 */
int bnn_resample(const float *x, size_t n, double fs_in, double fs_out,
		 bnn_resample_method method, float **out, size_t *nout,
		 bnn_error *err);

#define BNN_BEAT_MAX_WINDOW 65536	/* cap on pre + post */

typedef struct bnn_beat_opts {
	const char *lead;	/* lead, e.g. "MLII", found with
				 * bnn_wfdb_find_leads (description, then
				 * the lead's aliases; never a generically
				 * named signal); NULL: use `signal` */
	int signal;		/* signal index when lead == NULL */
	double fs;		/* output rate in Hz; 0 = the record's rate */
	int pre, post;		/* window [-pre, +post) output samples */
	bnn_norm norm;
	bnn_resample_method resample;
	const signed char *map;	/* BNN_AAMI_MAP_SIZE entries; NULL = default */
	/* Signal preprocessing (0 = off; see "Preprocessing" below). */
	int baseline;		/* bnn_baseline: BNN_BASELINE_MEDIAN */
	double lowpass_hz;	/* FIR low-pass cut-off; 0 = none, else
				 * finite, > 0 and < half the output rate */
	int amp_norm;		/* bnn_amp_norm: BNN_AMP_QRS */
	int ref_beats;		/* beat reference: 0 = off, else the number
				 * of beats before (1 .. BNN_REF_BEATS_MAX)
				 * whose median window each window loses */
	/* Several leads, one channel of the items each (a model of C > 1
	 * channels; "Several leads" below): nleads (1 ..
	 * BNN_WFDB_MAX_SIGNALS) lead names, found with bnn_wfdb_find_leads,
	 * or, when leads is NULL, nleads signal indices.  nleads 0: one lead,
	 * given by `lead` / `signal` (which are then not used otherwise). */
	const char *const *leads;
	const int *signals;
	size_t nleads;
} bnn_beat_opts;

/* Defaults: lead "MLII", signal 0, fs 0, pre 128, post 128, no
 * normalisation, sinc resampling, default AAMI map, no preprocessing,
 * one lead (nleads 0). */
void bnn_beat_opts_default(bnn_beat_opts *o);

/*
 * Window / edge rule.  For a beat annotated at input sample s (rate
 * fs_in), output rate fs_out, r = fs_in / fs_out, window sample j
 * (j = -pre .. post-1) is the signal at input position t_j = s + j * r.
 * The beat is kept only when the whole window lies inside the record:
 * t_(-pre) >= 0 and t_(post-1) <= nsamples - 1.  At equal rates this is
 * exactly  s - pre >= 0  &&  s + post <= nsamples  and the samples are
 * copied without interpolation.  (pre = 0, post = 1 keeps every beat whose
 * sample lies in the record.)  Annotations whose code maps to -1 are not
 * beats and are ignored.
 *
 * MIT-BIH (360 Hz, 650000 samples): with the split and map of
 * SPLITS_AAMI.txt, every window with pre <= 28 and post <= 6 keeps all
 * beats and reproduces the counts of mitdb/README.md (DS1 N 45866 S 944
 * V 3788 F 415 Q 8; DS2 N 44259 S 1837 V 3221 F 388 Q 7).  de Chazal 2004
 * quotes DS1 F = 414; dropping that one F beat (record 208, sample 46)
 * needs pre >= 47, which also drops 220's N at 28 and 233's V at 42, so no
 * window reproduces all the published numbers at once.  [-128, +128)
 * gives DS1 N 45846 S 944 V 3788 F 414 Q 8, DS2 N 44241 S 1837 V 3220
 * F 388 Q 7.
 */
/*
 * Preprocessing.  With baseline, lowpass_hz and amp_norm all off the
 * windows are cut from the stored samples as described above.  With any
 * of them on, the whole lead is processed first, in this order:
 *   1. physical units per `norm` (BNN_NORM_MV: millivolts), else the raw
 *      ADC values;
 *   2. resampled to the output rate with `resample` (when it differs);
 *   3. baseline: bnn_baseline_median() (medians of 200 and 600 ms);
 *   4. low-pass: bnn_lowpass() at lowpass_hz;
 *   5. the window [-pre, +post) around c = llround(s * fs_out / fs_in)
 *      of the processed signal (the keep/drop rule stays the one above;
 *      a window that rounding moves past an end repeats the edge sample);
 *   6. amp_norm BNN_AMP_QRS: divided by scale_i, the median of the QRS
 *      amplitudes of beat i and the up to 31 beats before it in the
 *      record (causal; every beat annotation counts, kept or not; an even
 *      count takes the mean of the two middle values).  A beat's QRS
 *      amplitude is max - min of the processed signal over [c - 50 ms,
 *      c + 80 ms] (lround of the output samples, clipped to the record).
 *      scale_i < 1e-6 gives an all-zero window;
 *   7. ref_beats K > 0 (the beat reference): from each kept beat's
 *      window, sample by sample, the median of the windows of the up to
 *      K kept beats before it in the record (as they were after step 6,
 *      before their own subtraction; an even count takes the mean of the two middle
 *      values, in double, rounded to float); the first kept beat of a
 *      record has no reference and gives an all-zero window.  Causal,
 *      and independent of the other steps: it also applies when
 *      baseline, lowpass_hz and amp_norm are off;
 *   8. BNN_NORM_ZSCORE per beat, as without preprocessing.
 *
 * Several leads (nleads > 0): every lead goes through steps 1-8 on its
 * own (its own units, baseline, low-pass, its own QRS amplitudes: a
 * lead's scale is the median of that lead's amplitudes; its own beat
 * reference), the beats kept
 * and the rhythm features are those of one lead (they depend on the
 * annotations and the record's length only), and beat k's window is
 * stored position-major like a model item: sample q of lead c at
 * x[(k * len + q) * channels + c].  With one lead (channels 1) that is
 * the window as before.
 *
 * Rhythm: `rhythm` has BNN_FEAT_COUNT floats per kept beat (row k for
 * beat k), bnn_rhythm_features() of the times of ALL beat annotations of
 * the record (every code the map sends to a class, kept or dropped) at
 * the record's rate.  It is always filled.  A record with a single beat
 * annotation, or whose beat times are not strictly increasing, has no
 * defined RR intervals: its rows are all NaN (a morphology-only model
 * still classifies those beats; a model with rhythm features sees every
 * threshold bit of them as -1).
 */
typedef struct bnn_beats {
	size_t n;		/* beats kept */
	size_t len;		/* samples per beat (pre + post) */
	double fs;		/* rate of x */
	float *x;		/* n * len * channels samples, beat-major,
				 * each beat position-major (see above) */
	unsigned char *cls;	/* n AAMI classes */
	unsigned char *code;	/* n annotation codes */
	int64_t *sample;	/* n annotation times (input samples) */
	float *rhythm;		/* n * BNN_FEAT_COUNT rhythm features */
	size_t count[BNN_AAMI_NCLASS];	/* beats kept per class */
	size_t dropped[BNN_AAMI_NCLASS];	/* beats whose window left the record */
	size_t channels;	/* leads per beat (1, or nleads) */
} bnn_beats;

/*
 * Count the beats per class that the window rule above keeps (count) and
 * drops (dropped), from the header and annotations only (no signal data
 * needed; `o->lead`, `o->norm` and `o->resample` are not used).  Counts are
 * added to the arrays (not reset), so they can be summed over records.
 */
int bnn_beats_count(const bnn_wfdb_header *h, const bnn_wfdb_annlist *ann,
		    const bnn_beat_opts *o, size_t count[BNN_AAMI_NCLASS],
		    size_t dropped[BNN_AAMI_NCLASS], bnn_error *err);

/*
 * Extract the beat windows of one lead, or of several (nleads).  Errors:
 * BNN_E_INVAL (bad options: pre/post < 0, pre + post == 0 or >
 * BNN_BEAT_MAX_WINDOW, fs < 0 or not finite, unknown enum, lowpass_hz not
 * 0 or in (0, fs_out / 2), nleads too large, two leads on one signal),
 * BNN_E_NOTFOUND (lead not in the record: the message names the record's
 * signals),
 * BNN_E_RANGE (signal index out of range; record without samples; more
 * than BNN_MAX_VALUES output values),
 * BNN_E_UNSUPPORTED (BNN_NORM_MV with units other than mV/uV/V; a lead
 * with several samples per frame: bnn_wfdb_frame_average first),
 * BNN_E_NOMEM.
 */
int bnn_beats_extract(const bnn_wfdb_record *rec, const bnn_wfdb_annlist *ann,
		      const bnn_beat_opts *o, bnn_beats *out, bnn_error *err);
void bnn_beats_free(bnn_beats *b);

/* ======================================================================
 * Filters (filters.c)
 *
 * All take n >= 1 finite samples: NaN or infinite input is refused with
 * BNN_E_RANGE naming the first such sample (an ordering with NaN has no
 * median, and one NaN would smear over a whole FIR kernel).  Samples
 * beyond either end are taken as the edge sample, so any n >= 1 works,
 * also shorter than the window.  NULL or empty input: BNN_E_INVAL.
 * ====================================================================== */

#define BNN_MEDIAN_MAX_WIN ((size_t)1 << 20)

/*
 * Running median: y[i] = median of x[i-h .. i+h], win = 2h+1 (odd, 1 ..
 * BNN_MEDIAN_MAX_WIN; even windows have no middle sample: BNN_E_INVAL).
 * Two heaps over the window: O(n log win) time, O(win) memory (about
 * 0.1 s for 650000 samples and win 217).  y may be x (in place).
 */
int bnn_median_filter(const float *x, size_t n, size_t win, float *y,
		      bnn_error *err);

/* Window lengths of the median baseline, seconds. */
#define BNN_BASELINE_SHORT_S 0.2
#define BNN_BASELINE_LONG_S 0.6

/*
 * Baseline wander removal: y = x - med_L(med_S(x)), median windows of
 * lround(0.2 fs) | 1 and lround(0.6 fs) | 1 samples (73 and 217 at
 * 360 Hz): the short one removes the QRS complexes, the long one the P
 * and T waves, leaving the baseline.  y may be x.  BNN_E_INVAL also for
 * fs not finite, <= 0 or so large the window exceeds BNN_MEDIAN_MAX_WIN.
 */
int bnn_baseline_median(const float *x, size_t n, double fs, float *y,
			bnn_error *err);

/* Low-pass kernel: half-length M = ceil(5.5 fs / fc) taps (a Blackman
 * window's transition band is about 5.5 fs / (2M+1) wide: fc/2 here,
 * from 0.75 fc to 1.25 fc), at most BNN_LOWPASS_HALF_MAX (cut-offs below
 * 5.5 fs / 2048 get a wider transition). */
#define BNN_LOWPASS_HALF_CYCLES 5.5
#define BNN_LOWPASS_HALF_MAX 2048

/* M for a rate and cut-off; 0 when fc is not finite, > 0 and < fs / 2. */
size_t bnn_lowpass_half_len(double fs, double fc);

/*
 * Zero-phase FIR low-pass at cut-off fc Hz (rate fs): y[i] = sum over
 * |k| <= M of h[|k|] x[i+k], h = ideal low-pass 2 fc/fs sinc(2 fc k/fs)
 * times a Blackman window over 2M+1 taps (w(k) = 0.42 + 0.5 cos(pi k /
 * (M+1)) + 0.08 cos(2 pi k / (M+1))), normalised to sum 1: a constant
 * stays constant, no delay.  Passband flat within 0.01 dB below 0.75 fc,
 * stopband (above 1.25 fc) at least 70 dB down.  Cost n (M+1) multiply-
 * adds.  y must not be x (BNN_E_INVAL).
 */
int bnn_lowpass(const float *x, size_t n, double fs, double fc, float *y,
		bnn_error *err);

/* ======================================================================
 * Rhythm (RR-interval) features (rhythm.c)
 * ====================================================================== */

/*
 * The BNN_FEAT_COUNT features of bnn_feature_kind (bnn.h) for every beat
 * of a record, from its beat times t[0..n) (samples at rate fs): out gets
 * n rows of BNN_FEAT_COUNT floats (row i = beat i, column = kind).  One
 * definition for training (bnn-extract) and inference (libbnn, bnn-run).
 * RR_i = (t_i - t_(i-1)) / fs seconds, i >= 1, in double.  For beat i:
 *   PRE_RR    RR_i; beat 0: RR_1
 *   POST_RR   RR_(i+1); the last beat: its PRE_RR
 *   LOCAL_RR  mean of RR_(i-10) .. RR_(i-1) (indices >= 1); i <= 1: PRE_RR
 *   LONG_RR   mean of RR_k, 1 <= k < i, with t_k > t_i - 300 fs; none:
 *             LOCAL_RR
 *   ratios    PRE/LOCAL, POST/PRE, PRE/LONG, LOCAL/LONG; a denominator
 *             <= 0 or not finite gives 1.0
 *   IRREG     mean |RR_k - RR_(k-1)| for k = max(2, i-9) .. i, divided by
 *             LOCAL_RR (same denominator rule); none (i <= 1): 0
 * Errors: BNN_E_RANGE for n < 2 ("one beat: RR features need at least 2
 * beats"), BNN_E_INVAL for NULL pointers, fs not finite and > 0, and times
 * that are not strictly increasing (the message names the index).  On
 * error out is left untouched.
 */
int bnn_rhythm_features(const int64_t *t, size_t n, double fs, float *out,
			bnn_error *err);

/* Seconds of history LONG_RR looks back. */
#define BNN_RHYTHM_LONG_S 300.0
/* RR intervals LOCAL_RR averages (and successive differences IRREG does). */
#define BNN_RHYTHM_LOCAL_N 10

/* ======================================================================
 * QRS detection and beat matching (qrs.c)
 * ====================================================================== */

/*
 * A causal QRS detector for one ECG lead at any rate from 100 Hz up.
 *
 * Algorithm (all parameters in ms / Hz, so it behaves the same at every
 * rate):
 *   1. band-pass (2nd-order Butterworth high-pass at band_lo_hz, two
 *      2nd-order Butterworth low-passes at band_hi_hz), derivative over
 *      5 ms, absolute value, moving-window integration over window_ms;
 *   2. candidate peaks: local maxima of that envelope, taken when it has
 *      fallen to half or 95 ms have passed;
 *   3. adaptive threshold TH = noise + 0.3125 * (qrs - noise), qrs and
 *      noise the medians of the last 8 beat and non-beat peak heights
 *      (learnt from the first 2 s);  a peak within refractory_ms of a
 *      beat is merged with it (the larger wins);  a peak within twave_ms
 *      of the last beat whose steepest slope is below 0.6 of that beat's
 *      is a T wave; a beat not yet reported is replaced by a larger peak
 *      more than twice as steep within twave_ms after it (a P wave or an
 *      artefact came first);
 *   4. search-back: when no beat came for searchback * median(last 8 RR),
 *      the largest earlier non-beat peak above 0.6 TH becomes a beat
 *      (and earlier ones above it that fit in before);  after
 *      2.5 s without a beat the beat level is halved (amplitude drops,
 *      start-up on an artefact);
 *   5. the beat is placed at the sample of largest deviation from the
 *      straight line through the ends of the window [-window_ms - 80 ms,
 *      0] before the envelope peak, in the input signal (either polarity).
 *
 * NaN and +-Inf samples are gaps: no beat is detected in them, the filters
 * restart at the first finite sample after them (and nothing is detected
 * during the next window_ms + 50 ms), and no RR interval spans a gap.
 * Flat, clipped and very short input simply give fewer (or no) beats.
 *
 * Every beat is reported by the push (or flush) call that feeds the
 * sample BNN_QRS_MAX_DELAY_MS after its R peak at the latest (typically
 * about 550 ms after it: twave_ms + 95 ms + the envelope's lag; beats
 * found by search-back later, up to the bound).  Beats are strictly
 * increasing sample indices counted from the first sample pushed.
 */
#define BNN_QRS_FS_MIN 100.0		/* Hz */
#define BNN_QRS_FS_MAX 20000.0		/* Hz */
#define BNN_QRS_MAX_DELAY_MS 3500.0	/* bound on the decision delay */

typedef struct bnn_qrs_opts {
	double band_lo_hz;	/* 5: high-pass corner (1 .. 20) */
	double band_hi_hz;	/* 15: low-pass corner (band_lo + 2 .. 45) */
	double window_ms;	/* 100: envelope integration (40 .. 200) */
	double refractory_ms;	/* 200: one beat per this time (120 .. 300) */
	double twave_ms;	/* 360: T-wave check after a beat (refractory
				 * .. 500) */
	double searchback;	/* 1.66: search back after this many median
				 * RR intervals (1.2 .. 3) */
} bnn_qrs_opts;

/* The defaults above. */
void bnn_qrs_opts_default(bnn_qrs_opts *o);

typedef struct bnn_qrs bnn_qrs;

/*
 * New detector for rate fs (BNN_QRS_FS_MIN .. BNN_QRS_FS_MAX); o NULL =
 * defaults.  BNN_E_INVAL for a rate or option out of range (or not
 * finite), BNN_E_NOMEM.
 */
int bnn_qrs_new(double fs, const bnn_qrs_opts *o, bnn_qrs **out,
		bnn_error *err);

/*
 * Feed n samples (x may be NULL when n == 0).  Beats decided so far are
 * copied to beats[0 .. *nout), at most cap of them; the rest stay queued
 * and come out of the next push or flush (push with n = 0 just drains).
 * BNN_E_INVAL for NULL arguments, BNN_E_STATE after a flush, BNN_E_NOMEM.
 */
int bnn_qrs_push(bnn_qrs *q, const float *x, size_t n, int64_t *beats,
		 size_t cap, size_t *nout, bnn_error *err);

/*
 * End of the signal: decide what is still open (the last peak, a pending
 * beat, a final search-back) and return queued beats as push does (call
 * again while *nout == cap to drain).  Later pushes fail with BNN_E_STATE.
 */
int bnn_qrs_flush(bnn_qrs *q, int64_t *beats, size_t cap, size_t *nout,
		  bnn_error *err);

/* Beats still queued (decided but not yet returned). */
size_t bnn_qrs_queued(const bnn_qrs *q);

void bnn_qrs_free(bnn_qrs *q);

/*
 * One shot: exactly bnn_qrs_new + bnn_qrs_push over the whole signal +
 * bnn_qrs_flush.  *beats is malloc'ed (NULL when *nbeats == 0); free()
 * it.  n == 0 is BNN_E_INVAL (as are the detector's errors).
 */
int bnn_qrs_detect(const float *x, size_t n, double fs,
		   const bnn_qrs_opts *o, int64_t **beats, size_t *nbeats,
		   bnn_error *err);

/*
 * Beat-by-beat comparison (ANSI/AAMI EC57): a detection matches a
 * reference beat when they are at most window_s apart (EC57: 0.15 s),
 * one to one.  Pairs are taken nearest first: repeatedly the closest
 * unmatched (reference, detection) pair within the window is matched
 * (ties: the earlier reference, then the earlier detection).  TP =
 * matched pairs, FN = unmatched reference beats, FP = unmatched
 * detections.
 */
typedef struct bnn_match_result {
	size_t tp, fp, fn;
	double se;		/* tp / (tp + fn); NaN when there is no
				 * reference beat */
	double ppv;		/* +P = tp / (tp + fp); NaN without detections */
	size_t nref, ndet;
	long *det_of_ref;	/* nref: index of the matched detection or -1 */
	long *ref_of_det;	/* ndet: index of the matched reference or -1 */
	double mean_abs_err_s;	/* mean |det - ref| over the pairs, s */
} bnn_match_result;

/*
 * ref and det must be non-decreasing (BNN_E_INVAL naming the index
 * otherwise); fs > 0 and finite, window_s >= 0 and finite (0 = exact).
 * Arrays may be NULL when their count is 0.  Free with
 * bnn_match_result_free().
 */
int bnn_beat_match(const int64_t *ref, size_t nref, const int64_t *det,
		   size_t ndet, double fs, double window_s,
		   bnn_match_result *out, bnn_error *err);
void bnn_match_result_free(bnn_match_result *m);

/* ======================================================================
 * Live streams (stream.c)
 *
 * Items built incrementally from a signal that arrives in pieces: push
 * samples (one lead, physical units, any chunk sizes), take the items
 * that are complete.  Every item equals, value for value (bit for bit),
 * what the batch path gives for the whole signal: bnn_beats_extract over
 * the beats of bnn_qrs_detect for beat items, bnn_resample and
 * bnn_windows for windows; chunking does not change any item, only when
 * it comes out.  How: each stage (resampling, median baseline, low-pass)
 * is computed over blocks of the signal with margins at least its
 * support, indexed by absolute sample number, so every output sample is
 * computed from the same inputs in the same order as the batch code; the
 * edge rule of the signal's end applies once the end is known
 * (..._finish).  Memory stays bounded for an endless stream (a few
 * seconds of signal and the last 300 s of beat times), plus the finished
 * items not yet taken: take them after every push.
 * ====================================================================== */

/* One finished item.  x (len floats) stays valid until the next call on
 * the stream. */
typedef struct bnn_stream_item {
	int64_t sample;		/* beat: R peak; window: its first sample;
				 * input samples counted from the first pushed */
	int64_t start;		/* beat: centre on the output grid; window:
				 * first output (resampled) sample */
	int64_t ready;		/* the last sample pushed when the item was
				 * complete (the push that completed it ended
				 * there); ready - sample is its delay */
	size_t index;		/* beat: index among all detected beats;
				 * window: window number */
	size_t len;
	const float *x;
	float rhythm[BNN_FEAT_COUNT];	/* beats: section-1 features (see
					 * bnn_beat_stream_opts.features);
					 * windows: NaN */
} bnn_stream_item;

/* Feature mask bit of a bnn_feature_kind. */
#define BNN_STREAM_FEAT(kind) (1u << (kind))
#define BNN_STREAM_FEAT_ALL ((1u << BNN_FEAT_COUNT) - 1)

typedef struct bnn_beat_stream_opts {
	double fs_in;		/* rate of the pushed samples, Hz (the
				 * detector's range: BNN_QRS_FS_MIN ..
				 * BNN_QRS_FS_MAX) */
	/* Window and preprocessing as bnn_beats_extract: fs (0 = fs_in),
	 * pre, post, resample, baseline, lowpass_hz, amp_norm, and norm
	 * BNN_NORM_ZSCORE (per beat; NONE and MV leave the samples in the
	 * units pushed).  lead, signal and map are not used. */
	bnn_beat_opts beat;
	bnn_qrs_opts qrs;	/* the detector */
	/*
	 * Rhythm features the caller uses (BNN_STREAM_FEAT bits): those are
	 * final, equal to bnn_beats_extract's row.  Any of them makes beat 0
	 * wait for beat 1 (its PRE_RR is RR_1); POST_RR or POST_PRE make
	 * every beat wait for the next one (the last: for the end of the
	 * stream).  Features outside the mask are computed as if the stream
	 * ended when the item came out (POST_RR = PRE_RR, and NaN for all
	 * while only one beat is known).  0: items never wait for a beat.
	 */
	uint32_t features;
} bnn_beat_stream_opts;

/* fs_in, bnn_beat_opts_default(), bnn_qrs_opts_default(), features 0. */
void bnn_beat_stream_opts_default(bnn_beat_stream_opts *o, double fs_in);

typedef struct bnn_beat_stream bnn_beat_stream;

/*
 * New beat-item builder.  Errors: BNN_E_INVAL for a rate outside the
 * detector's range or not finite, the options bnn_beats_extract refuses
 * (and a low-pass cut-off not below half the output rate), bad detector
 * options or feature bits; BNN_E_NOMEM.
 */
int bnn_beat_stream_new(const bnn_beat_stream_opts *o, bnn_beat_stream **out,
			bnn_error *err);

/*
 * Feed n samples (x may be NULL when n == 0).  Beats are detected as the
 * samples come (bnn_qrs_push); a beat's item is complete once
 *   - the detector has reported it (typically 0.55 s after the R peak,
 *     at most BNN_QRS_MAX_DELAY_MS),
 *   - the signal covers its window and QRS-amplitude span plus the
 *     filters' support after it (at 360 Hz with baseline and a 35 Hz
 *     low-pass: post + 0.56 s; resampling adds 16 zero crossings of its
 *     kernel),
 *   - and, with POST features, the next beat has been reported.
 * Non-finite samples are refused (BNN_E_RANGE naming the sample; nothing
 * of that push is used: the stream goes on).  BNN_E_STATE after finish
 * or after an earlier failure (out of memory leaves the stream unusable).
 */
int bnn_beat_stream_push(bnn_beat_stream *s, const float *x, size_t n,
			 bnn_error *err);

/* End of the signal: the detector is flushed, the end's edge rule
 * applies, every remaining beat is decided (kept or dropped as
 * bnn_beats_extract would).  Then only _next is allowed. */
int bnn_beat_stream_finish(bnn_beat_stream *s, bnn_error *err);

/* The oldest finished item not yet taken: 1 and *it filled, or 0. */
int bnn_beat_stream_next(bnn_beat_stream *s, bnn_stream_item *it);

typedef struct bnn_beat_stream_stats {
	int64_t samples;	/* pushed */
	size_t beats;		/* detected */
	size_t items;		/* finished (taken or not) */
	size_t dropped;		/* beats whose window leaves the signal */
	size_t late;		/* beats the detector reported after their
				 * samples were released (dropped; none while
				 * it keeps its BNN_QRS_MAX_DELAY_MS bound) */
	size_t queued;		/* finished items not yet taken */
	size_t buffered;	/* bytes held for signal, beats and pending
				 * items (bounded; queued items excluded) */
} bnn_beat_stream_stats;

void bnn_beat_stream_stats_get(const bnn_beat_stream *s,
			       bnn_beat_stream_stats *st);
void bnn_beat_stream_free(bnn_beat_stream *s);

/*
 * The beat items of a whole signal, for recordings that come without
 * beat annotations (an EDF file, a CSV or float32 signal): x[0..n) is one
 * lead in the units the items want (as bnn_beat_stream_push), o->fs_in
 * its rate; the beats are detected and cut exactly as the stream does
 * (bnn_beat_stream_new with o, the samples pushed, finish), which is, bit
 * for bit, bnn_beats_extract over the beats bnn_qrs_detect finds in x.
 * *out gets, for the kept beats in time order: x (len = pre + post
 * samples each, channels 1, at fs = o->beat.fs or fs_in), sample (the
 * detected R peak, input samples from x[0]), rhythm (all
 * BNN_FEAT_COUNT features, final: o->features is not used), code "N" and
 * class BNN_AAMI_N (a detected beat has no class of its own; as the
 * batch path gives detected beats), count[BNN_AAMI_N] = n and
 * dropped[BNN_AAMI_N] = detected beats whose window leaves the signal.
 * No beat at all (flat or very short input) is success with out->n 0.
 * Free with bnn_beats_free().  Errors: those of bnn_beat_stream_new
 * (BNN_E_INVAL: a rate outside BNN_QRS_FS_MIN .. BNN_QRS_FS_MAX, bad
 * window or preprocessing options) and bnn_beat_stream_push (BNN_E_RANGE:
 * a NaN or infinite sample, named), BNN_E_INVAL for n == 0 or NULL,
 * BNN_E_RANGE for more than BNN_MAX_VALUES output values, BNN_E_NOMEM.
 */
int bnn_beats_detect(const float *x, size_t n, const bnn_beat_stream_opts *o,
		     bnn_beats *out, bnn_error *err);

/*
 * Window framer for windowed (e.g. EEG) models: the pushed signal at
 * fs_in resampled to fs_out (0 or equal: none) with `method`, cut into
 * windows of len output samples every hop (window k starts at output
 * sample k * hop), each as soon as it is filled (plus the resampling
 * kernel's 16 zero crossings).  Items: start = k * hop, sample = the
 * input sample at that position (llround), index = k, rhythm NaN.
 * Errors as bnn_resample and bnn_windows (BNN_E_INVAL).
 */
typedef struct bnn_window_stream bnn_window_stream;

int bnn_window_stream_new(double fs_in, double fs_out,
			  bnn_resample_method method, size_t len, size_t hop,
			  bnn_window_stream **out, bnn_error *err);
int bnn_window_stream_push(bnn_window_stream *s, const float *x, size_t n,
			   bnn_error *err);
int bnn_window_stream_finish(bnn_window_stream *s, bnn_error *err);
int bnn_window_stream_next(bnn_window_stream *s, bnn_stream_item *it);
/* Bytes held (bounded by len, hop and the kernel when items are taken). */
size_t bnn_window_stream_buffered(const bnn_window_stream *s);
void bnn_window_stream_free(bnn_window_stream *s);

/* ======================================================================
 * Bonn EEG (bonn.c)
 * ====================================================================== */

enum bnn_bonn_set { BNN_BONN_Z = 0, BNN_BONN_O, BNN_BONN_N, BNN_BONN_F,
		    BNN_BONN_S, BNN_BONN_NSETS };

#define BNN_BONN_SAMPLES 4097		/* samples per segment */
#define BNN_BONN_FS 173.61		/* Hz (Andrzejak et al. 2001) */
#define BNN_BONN_MAX_SAMPLES ((size_t)1 << 20)	/* parser cap (~100 min) */
#define BNN_BONN_MAX_VALUE 16777216	/* |value| cap (exact in float) */

/* 'Z','O','N','F','S' for a set, 0 if out of range. */
char bnn_bonn_set_letter(int set);
/* Set of a letter (case-insensitive), or BNN_E_NOTFOUND. */
int bnn_bonn_set_from_letter(char c);
/* Set named by the folder that holds `path` (".../Z/Z001.txt" -> Z), or
 * BNN_E_NOTFOUND when that folder is not a single letter Z/O/N/F/S. */
int bnn_bonn_set_from_path(const char *path);

/* Set named by a Bonn file name: one set letter, three digits and
 * ".txt", case-insensitive ("Z001.txt", "N100.TXT"); BNN_E_NOTFOUND
 * otherwise (a path: its last component is looked at). */
int bnn_bonn_set_from_name(const char *path);

/*
 * Set of a segment that sits in a real Bonn layout: the folder holding
 * `path` is named by one set letter (see bnn_bonn_set_from_path) AND its
 * parent folder holds at least one other set folder (root/Z/ beside
 * root/S/...).  A lone folder that happens to be called "S" or "N" is no
 * Bonn layout: BNN_E_NOTFOUND.  Looks at the file system (the parent
 * folder of a relative path is resolved against the current one).
 */
int bnn_bonn_layout_set(const char *path);

/*
 * Parse a segment: one integer per line ([+-]?[0-9]+, optional spaces or
 * tabs around it), LF or CRLF line ends, the last line may lack its line
 * end.  `expect` = number of samples required (0: any number >= 1).  *x
 * gets a malloc'ed array of *n floats.  Errors: BNN_E_PARSE (empty or bad
 * line, stray CR, NUL or other control byte), BNN_E_RANGE (|value| >
 * BNN_BONN_MAX_VALUE, more than BNN_BONN_MAX_SAMPLES lines), BNN_E_SIZE
 * (count != expect, empty text, a line longer than 64 bytes),
 * BNN_E_INVAL (expect > BNN_BONN_MAX_SAMPLES, NULL arguments).
 */
int bnn_bonn_parse(const char *text, size_t len, size_t expect, float **x,
		   size_t *n, bnn_error *err);

typedef struct bnn_bonn_segment {
	int set;		/* BNN_BONN_* */
	char name[64];		/* file name, e.g. "Z001.txt" */
	size_t n;
	float *x;
} bnn_bonn_segment;

typedef struct bnn_bonn_dataset {
	size_t n;		/* segments, sorted by set then file name */
	bnn_bonn_segment *seg;
	size_t per_set[BNN_BONN_NSETS];
} bnn_bonn_dataset;

/* Read one segment file; the set comes from its folder (see above). */
int bnn_bonn_read_segment(const char *path, size_t expect,
			  bnn_bonn_segment *out, bnn_error *err);
void bnn_bonn_segment_free(bnn_bonn_segment *s);

/*
 * Load root/{Z,O,N,F,S}/ : every file whose name ends in ".txt"
 * (case-insensitive) is read with expect = BNN_BONN_SAMPLES; other entries
 * and hidden files are ignored.  Every folder must exist and hold at least
 * one segment (BNN_E_NOTFOUND); at most 100000 files per folder
 * (BNN_E_RANGE).
 */
int bnn_bonn_load(const char *root, bnn_bonn_dataset *out, bnn_error *err);
void bnn_bonn_dataset_free(bnn_bonn_dataset *d);

/*
 * Windowing: windows of `win` samples starting every `hop` samples
 * (start = k * hop, only whole windows: count = n < win ? 0 :
 * (n - win) / hop + 1).  E.g. 4097 samples, win 178, hop 178 -> 23.
 * bnn_windows copies them into a malloc'ed count * win array (*out = NULL
 * when count is 0).  Errors: BNN_E_INVAL (win or hop 0, NULL), BNN_E_RANGE
 * (more than BNN_MAX_VALUES values), BNN_E_NOMEM.
 */
int bnn_window_count(size_t n, size_t win, size_t hop, size_t *count,
		     bnn_error *err);
int bnn_windows(const float *x, size_t n, size_t win, size_t hop, float **out,
		size_t *count, bnn_error *err);

/* ======================================================================
 * EDF, EDF+ and BDF(+) (edf.c)
 *
 * European Data Format files read through Debian's EDFlib (libedf-dev,
 * link with -ledf): EDF (16-bit), EDF+C, BDF (24-bit) and BDF+C.
 * EDF+D / BDF+D (discontinuous: records with gaps) are refused, as
 * EDFlib does.  EDFlib keeps a table of open files (at most 64 at once)
 * and is not thread-safe: open, read and close EDF files from one thread.
 * ====================================================================== */

enum bnn_edf_type { BNN_EDF_EDF = 0, BNN_EDF_EDFPLUS = 1, BNN_EDF_BDF = 2,
		    BNN_EDF_BDFPLUS = 3 };

/* Units of bnn_edf_read_signal. */
enum bnn_edf_units {
	BNN_EDF_PHYSICAL = 0,	/* the file's physical dimension, as is */
	BNN_EDF_DIGITAL = 1,	/* raw integers of the file */
	BNN_EDF_MV = 2,		/* millivolts (ECG); needs a voltage */
	BNN_EDF_UV = 3,		/* microvolts (EEG); needs a voltage */
};

#define BNN_EDF_LABEL_MAX 17	/* signal label, incl. NUL */
#define BNN_EDF_UNITS_MAX 9	/* physical dimension, incl. NUL */

typedef struct bnn_edf_signal {
	char label[BNN_EDF_LABEL_MAX];	/* trimmed: "EEG Fpz-Cz", "MLII" */
	char units[BNN_EDF_UNITS_MAX];	/* trimmed: "uV", "mV", "" */
	double fs;		/* samples per record / record duration, Hz */
	int64_t nsamples;	/* samples in the file */
	int samples_per_record;
	double phys_min, phys_max;
	int32_t dig_min, dig_max;
	double resolution;	/* physical units per digital step */
} bnn_edf_signal;

typedef struct bnn_edf_annotation {
	double onset;		/* seconds from the start of the file */
	double duration;	/* seconds; < 0 when the file gives none */
	const char *text;	/* UTF-8, trimmed (in the file's pool) */
} bnn_edf_annotation;

typedef struct bnn_edf_file {
	int type;		/* bnn_edf_type */
	int nsig;		/* data signals (annotation signals left out) */
	bnn_edf_signal *sig;	/* nsig entries */
	double record_s;	/* duration of a data record, s */
	int64_t nrecords;
	double duration_s;	/* of the whole file */
	size_t nann;		/* EDF+ / BDF+ annotations (0 for EDF, BDF) */
	bnn_edf_annotation *ann;	/* in file order */
	char *pool;		/* storage of the texts (internal) */
	int handle;		/* EDFlib's handle (internal) */
	int is_open;		/* 1 from bnn_edf_open to bnn_edf_close */
} bnn_edf_file;

/*
 * Open an EDF / EDF+ / BDF / BDF+ file: header, signal list and every
 * annotation (EDF+ "TAL"s; the time-keeping ones with empty text are
 * left out).  The file stays open for bnn_edf_read_signal until
 * bnn_edf_close.  Errors: BNN_E_IO (cannot open or read), BNN_E_PARSE
 * (not an EDF or BDF file: the first 8 bytes are neither EDF's "0" nor
 * BDF's 0xFF "BIOSEMI"), BNN_E_TRUNCATED (shorter than its header
 * says), BNN_E_CORRUPT (EDFlib finds format errors in the header),
 * BNN_E_UNSUPPORTED (EDF+D / BDF+D), BNN_E_RANGE (no data signal, more
 * than EDFlib's 640, a record duration of 0), BNN_E_BUSY (EDFlib's file
 * table full, or the file already open), BNN_E_NOMEM, BNN_E_INVAL.
 */
int bnn_edf_open(const char *path, bnn_edf_file *out, bnn_error *err);

/*
 * Signal by label, case-insensitive, spaces around ignored: first an
 * exact match, else a label whose part after its first space matches
 * (EDF+ labels are "type sensor": "Fpz-Cz" finds "EEG Fpz-Cz", "MLII"
 * finds "ECG MLII").  Returns the index, BNN_E_NOTFOUND or BNN_E_INVAL.
 * (No lead aliases: WFDB's lead lookup is exact too.)
 */
int bnn_edf_find_signal(const bnn_edf_file *f, const char *label);

/*
 * Signal recording ECG lead `want`: bnn_edf_find_signal's match first,
 * else the rules of bnn_wfdb_find_lead over the labels: the same lead by
 * name ("II" finds "ECG MLII", "ECG II", "Lead 2"; case, blanks, '-',
 * '_', '.' ignored, a leading "ECG" word dropped), and when `want` names
 * an ECG lead and no label does, the first label that says only "ECG"
 * ("ECG", "ECG1", "ECG 2"), with *fallback (may be NULL) set to 1 so the
 * caller can say which channel it took; *fallback is 0 otherwise.
 * Returns the index, BNN_E_NOTFOUND or BNN_E_INVAL (NULL f or want).
 */
int bnn_edf_find_lead(const bnn_edf_file *f, const char *want, int *fallback);

/* Millivolts per unit of a physical dimension: "uV"/"µV" 1e-3, "mV" 1,
 * "V" 1e3, "nV" 1e-6; 0 for anything else. */
double bnn_edf_mv_per_unit(const char *units);

/*
 * Read all samples of signal `sig` as floats (*x malloc'ed, *n values) in
 * `units` (bnn_edf_units): physical values are EDFlib's linear map of the
 * digital ones; MV / UV convert a voltage dimension (bnn_edf_mv_per_unit)
 * and fail with BNN_E_UNSUPPORTED for any other ("bpm", "", ...).
 * Errors: BNN_E_RANGE (no such signal, no samples, more than
 * BNN_MAX_VALUES), BNN_E_IO / BNN_E_TRUNCATED (EDFlib read error or
 * short read), BNN_E_STATE (file closed), BNN_E_INVAL, BNN_E_NOMEM.
 */
int bnn_edf_read_signal(bnn_edf_file *f, int sig, int units, float **x,
			size_t *n, bnn_error *err);

/* Close the file and free everything; NULL and zeroed structs are fine. */
void bnn_edf_close(bnn_edf_file *f);

/* ======================================================================
 * CSV and raw float32 tensors (csv.c)
 * ====================================================================== */

/* Flags for bnn_csv_parse.  At most one delimiter flag; none = detect from
 * the first line: ',' if it has one, else ';' if it has one, else
 * whitespace. */
#define BNN_CSV_HEADER 0x01u	/* first line holds column names */
#define BNN_CSV_COMMA 0x02u
#define BNN_CSV_SEMICOLON 0x04u
#define BNN_CSV_WHITESPACE 0x08u	/* runs of spaces/tabs separate */
#define BNN_CSV_COMMENTS 0x10u	/* skip lines whose first non-blank is '#' */

#define BNN_CSV_MAX_COLS 65536

typedef struct bnn_csv {
	size_t rows, cols;
	double *v;		/* rows * cols, row-major */
	char **names;		/* cols names when BNN_CSV_HEADER, else NULL */
	char delim;		/* ',', ';' or ' ' (whitespace) */
} bnn_csv;

/*
 * Strict numeric CSV.  Fields are numbers as accepted by bnn_parse_f64,
 * optionally surrounded by spaces/tabs; header names may be wrapped in
 * double quotes (no quotes or delimiters inside).  LF or CRLF line ends;
 * the last line may lack one.  Blank lines are allowed only at the end.
 * Errors (BNN_E_PARSE, with line and field number): bad number, empty
 * field or column name, rows of different lengths, stray CR, NUL or other
 * control byte, no data rows; BNN_E_RANGE: a number that overflows a
 * double, more than BNN_CSV_MAX_COLS columns; BNN_E_INVAL: bad flags.
 */
int bnn_csv_parse(const char *text, size_t len, unsigned flags, bnn_csv *out,
		  bnn_error *err);
int bnn_csv_read(const char *path, unsigned flags, bnn_csv *out,
		 bnn_error *err);
void bnn_csv_free(bnn_csv *c);

#define BNN_TENSOR_MAX_DIMS 8
#define BNN_F32_ALLOW_NONFINITE 0x01u	/* accept NaN / Inf values */

/*
 * Raw little-endian IEEE-754 float32 tensor with an explicit shape
 * (ndim 1..BNN_TENSOR_MAX_DIMS, every dimension >= 1): the data must be
 * exactly prod(shape) * 4 bytes (BNN_E_SIZE / BNN_E_TRUNCATED otherwise;
 * BNN_E_RANGE if the product overflows).  NaN/Inf are rejected
 * (BNN_E_RANGE) unless BNN_F32_ALLOW_NONFINITE.  *out is malloc'ed,
 * *count = prod(shape).  Works on any host byte order.
 */
int bnn_f32_parse(const uint8_t *buf, size_t len, const size_t *shape,
		  size_t ndim, unsigned flags, float **out, size_t *count,
		  bnn_error *err);
int bnn_f32_read(const char *path, const size_t *shape, size_t ndim,
		 unsigned flags, float **out, size_t *count, bnn_error *err);
/* Write count floats as little-endian float32 (creates/truncates path). */
int bnn_f32_write(const char *path, const float *v, size_t count,
		  bnn_error *err);

/* ======================================================================
 * Not installed: make install strips everything from the NOT-INSTALLED-BEGIN
 * line to the NOT-INSTALLED-END line (libbnn/libbnn.mk).
 * ====================================================================== */
/* NOT-INSTALLED-BEGIN */
#ifdef BNN_TEST_HOOKS
/*
 * Test hook, only in the test builds of the library (the sanitizer
 * objects, compiled with -DBNN_TEST_HOOKS; never in libbnn.so or
 * libbnn.a).  Not thread-safe: make the n-th library allocation from now
 * on fail (n = 0: the next one), and every later one until reset; n < 0
 * disables (the default).  Lets tests walk every out-of-memory path and
 * check that nothing leaks.
 */
void bnn_test_fail_alloc_after(long n);
#endif

/* Internal: shared by the library's .c files only. */
#ifdef BNN_DATA_INTERNAL
#include <stdarg.h>

/* Set err (may be NULL) to code + formatted message; returns code. */
int bnn__err(bnn_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "<prefix>: " to err->msg (keeps the code); returns err->code. */
int bnn__err_prefix(bnn_error *err, const char *prefix);

/* Copy s[0..len) into dst (cap bytes) for messages: non-printable bytes
 * become '?', long text is cut with "...". */
void bnn__show(char *dst, size_t cap, const char *s, size_t len);

/* Line iterator over text: lines end in LF or CRLF (the last may have no
 * line end). */
struct bnn__lines {
	const char *p, *end;
	size_t lineno;		/* number of the line last returned (1-based) */
};
/* Next line [*s, *e) without its line end: 1 = line, 0 = end, < 0 =
 * error (BNN_E_PARSE for control bytes other than TAB, i.e. NUL and stray
 * CR; BNN_E_SIZE for lines longer than maxlen, 0 = no limit). */
int bnn__next_line(struct bnn__lines *L, const char **s, const char **e,
		   size_t maxlen, bnn_error *err);

/* Allocation wrappers honouring bnn_test_fail_alloc_after(). */
void *bnn__malloc(size_t n);
void *bnn__calloc(size_t n, size_t size);
void *bnn__realloc(void *p, size_t n);

/* a * b with overflow check: 0 on success, -1 on overflow. */
static inline int bnn__mul(size_t a, size_t b, size_t *r)
{
	return __builtin_mul_overflow(a, b, r) ? -1 : 0;
}

/* num / den for the rhythm ratios: 1.0 when den <= 0 or not finite. */
static inline double bnn__rr_ratio(double num, double den)
{
	return (den > 0 && den <= __DBL_MAX__) ? num / den : 1.0;
}

/* Write len bytes to path atomically: a temporary beside the file the
 * path finally names (symlinks followed, dangling ones too), renamed over
 * it when complete; an existing file keeps its mode, a new one gets what a
 * plain open would (0666 & ~umask); anything but a regular file is refused
 * (BNN_E_IO).  A failed write leaves the old file untouched. */
int bnn__write_file(const char *path, const void *data, size_t len,
		    bnn_error *err);

/* Rules 2 and 3 of bnn_wfdb_find_lead (the lead by name with its
 * aliases, then a generic "ECG" signal, *fallback 1) over n names,
 * name(ctx, i) the i-th (wfdb_lead.c; WFDB descriptions, EDF labels). */
int bnn__find_lead_by_name(int n, const char *(*name)(const void *, int),
			   const void *ctx, const char *want, int *fallback);

/* Join dir + "/" + name into buf (cap bytes); BNN_E_RANGE if too long. */
int bnn__path_join(char *buf, size_t cap, const char *dir, const char *name,
		   const char *ext, bnn_error *err);
#endif /* BNN_DATA_INTERNAL */
/* NOT-INSTALLED-END */

#ifdef __cplusplus
}
#endif

#endif /* BNN_DATA_H */
