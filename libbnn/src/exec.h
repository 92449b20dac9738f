/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * exec.h - libbnn internal: the host executor ("hnet").  Runs any range of
 * a model's layers on a batch of items on the CPU.  It is the whole `cpu`
 * backend, and the host part (float layers, SIGN/QUANT, input
 * normalisation) of the `emu` and `rbnn` backends, so every backend shares
 * one implementation of everything that is not on the card.
 *
 * Binary layers follow the card's semantics exactly (rbnn-device.rst,
 * "Sums, thresholds and scores"): S = sum over valid fan-in bits of
 * w_j * x_j (padded positions contribute 0), k-bit inputs bit-serially
 * S = sum_p 2^p (2 M_p - n_valid), bit = (S >= threshold), scores = S
 * saturated to int32, converted to float.  MAXPOOL1D on bits is an OR.
 *
 * Boundary b (0..nlayers) is the input of layer b (b = nlayers: the
 * model's output).  Items crossing a boundary use the card's item layouts:
 *   float:  e float32 values (boundary 0: the raw user item of
 *           item_floats = e + nfeatures floats, whose e signal floats the
 *           executor normalises; boundary nlayers: the class scores);
 *   bits:   ALIGN(ceil(e / 8), 8) bytes, element e = bit e % 8 of byte
 *           e / 8 (padding bits ignored on input, written 0);
 *   quant:  ALIGN(e, 8) bytes, one q per element (high bits ignored).
 * so a backend can hand items straight to and from the card.
 *
 * An hnet is immutable once built and may be shared by threads; each
 * thread runs it with its own scratch (bnn__hscratch).
 */
#ifndef BNN_EXEC_H
#define BNN_EXEC_H

#include "kernels.h"
#include "model.h"

struct bnn__hnet;
struct bnn__hscratch;

/* Build from a model (cloned: `m` may be freed afterwards). */
int bnn__hnet_new(const struct bnn_model *m, const struct bnn__kernels *k,
		  struct bnn__hnet **out, bnn_error *err);
void bnn__hnet_free(struct bnn__hnet *h);

/* The hnet's own copy of the model. */
const struct bnn_model *bnn__hnet_model(const struct bnn__hnet *h);

/* Value kind (bnn_value_kind), bits per value, elements and byte size of
 * one item at boundary b. */
int bnn__hnet_io(const struct bnn__hnet *h, uint32_t b, int *vk,
		 uint32_t *bits, size_t *elems, size_t *bytes);

int bnn__hscratch_new(const struct bnn__hnet *h, struct bnn__hscratch **out);
void bnn__hscratch_free(struct bnn__hscratch *s);

/*
 * Run layers [first, last) on n items: `in` holds n items of boundary
 * `first`, `out` receives n items of boundary `last` (layouts above; items
 * packed back to back).  `user` is the first of the n user items (boundary
 * 0 layout, item_floats floats each) that these n items come from: a JOIN
 * layer in the range reads each item's feature values there (for first ==
 * 0 it is `in` itself).  It may be NULL when the range has no JOIN.
 * Cannot fail for valid arguments.
 */
void bnn__hnet_run(const struct bnn__hnet *h, struct bnn__hscratch *s,
		   uint32_t first, uint32_t last, const void *in, size_t n,
		   void *out, const float *user);

/* Floats per user item (boundary 0): channels * length + nfeatures. */
size_t bnn__hnet_item_floats(const struct bnn__hnet *h);

/* Input normalisation of one item (in place), as the model describes. */
void bnn__normalize_item(const bnn_input_desc *d, float *x);

#endif /* BNN_EXEC_H */
