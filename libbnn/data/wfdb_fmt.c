// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * wfdb_fmt.c - libbnn data: the WFDB signal file formats (signal(5)):
 * how many bytes a run of samples takes and how to unpack it.
 *
 *   0    null signal: no file, every sample invalid
 *   8    8-bit first differences (integrated by the caller per signal)
 *   16   16-bit two's complement, little-endian
 *   24   24-bit two's complement, little-endian
 *   32   32-bit two's complement, little-endian
 *   61   16-bit two's complement, big-endian
 *   80   8-bit offset binary (stored value - 128)
 *   160  16-bit offset binary, little-endian (stored value - 32768)
 *   212  two 12-bit samples in 3 bytes
 *   310  three 10-bit samples in two little-endian 16-bit words: bits 1-10
 *        of each word, the third from bits 11-15 of both (low part first)
 *   311  three 10-bit samples in one little-endian 32-bit word: bits 0-9,
 *        10-19, 20-29
 * Samples of all signals of a file form one flat stream (frame by frame);
 * the packed formats pack that stream, not each signal.
 */
#define BNN_DATA_INTERNAL
#include "wfdb_internal.h"

int bnn__wfdb_fmt_known(int format)
{
	switch (format) {
	case 0: case 8: case 16: case 24: case 32: case 61: case 80:
	case 160: case 212: case 310: case 311:
		return 1;
	}
	return 0;
}

int bnn__wfdb_fmt_bits(int format)
{
	switch (format) {
	case 8: case 80: return 8;
	case 16: case 61: case 160: return 16;
	case 24: return 24;
	case 32: return 32;
	case 212: return 12;
	case 310: case 311: return 10;
	}
	return 0;
}

int bnn__wfdb_fmt_res(int format, int *max_res)
{
	int bits = bnn__wfdb_fmt_bits(format);
	/* Differences and null signals say nothing about the ADC's width. */
	if (format == 8 || format == 0) {
		*max_res = 32;
		return format == 8 ? 8 : 12;
	}
	*max_res = bits;
	return bits;
}

int32_t bnn__wfdb_fmt_invalid(int format)
{
	switch (format) {
	case 80: return -128;
	case 212: return -2048;
	case 310: case 311: return -512;
	case 24: return -(1 << 23);
	case 32: return INT32_MIN;
	}
	/* 16, 61, 160; and the WFDB library's WFDB_INVALID_SAMPLE for the
	 * formats without a reserved code (0, 8). */
	return -32768;
}

int bnn__wfdb_fmt_bytes(int format, uint64_t n, uint64_t *min, uint64_t *max)
{
	uint64_t q, r, blk;
	if (n > ((uint64_t)1 << 60))
		return -1;
	switch (format) {
	case 0:
		*min = *max = 0;
		return 0;
	case 8: case 80:
		*min = *max = n;
		return 0;
	case 16: case 61: case 160:
		*min = *max = 2 * n;
		return 0;
	case 24:
		*min = *max = 3 * n;
		return 0;
	case 32:
		*min = *max = 4 * n;
		return 0;
	case 212:
		q = n / 2, r = n % 2;
		*min = 3 * q + (r ? 2 : 0);
		*max = 3 * q + (r ? 3 : 0);
		return 0;
	case 310:
	case 311:
		q = n / 3, r = n % 3;
		blk = 4 * q;
		/* 310: the second sample needs both words; 311: the second
		 * sample ends in the third byte. */
		*min = blk + (r == 0 ? 0 : r == 1 ? 2 : format == 310 ? 4 : 3);
		*max = blk + (r ? 4 : 0);
		return 0;
	}
	return -1;
}

int bnn__wfdb_fmt_fit(int format, uint64_t len, uint64_t *n)
{
	uint64_t q, r;
	switch (format) {
	case 0:
		*n = 0;
		return 0;
	case 8: case 80:
		*n = len;
		return 0;
	case 16: case 61: case 160:
		*n = len / 2;
		return len % 2 ? -1 : 0;
	case 24:
		*n = len / 3;
		return len % 3 ? -1 : 0;
	case 32:
		*n = len / 4;
		return len % 4 ? -1 : 0;
	case 212:
		q = len / 3, r = len % 3;
		*n = 2 * q + (r == 2);
		return r == 1 ? -1 : 0;
	case 310:
	case 311:
		/* A whole last block counts as 3 samples (its padding cannot be
		 * told apart from data). */
		q = len / 4, r = len % 4;
		*n = 3 * q + (r >= 2) + (format == 311 && r == 3);
		return r == 1 || (format == 310 && r == 3) ? -1 : 0;
	}
	return -1;
}

static int32_t sext(uint32_t v, int bits)
{
	uint32_t m = 1u << (bits - 1);
	return (int32_t)((v ^ m) - m);
}

void bnn__wfdb_fmt_unpack(int format, const uint8_t *b, size_t n,
			  int32_t *out)
{
	size_t i = 0;
	switch (format) {
	case 8:
		for (; i < n; i++)
			out[i] = (int8_t)b[i];
		break;
	case 80:
		for (; i < n; i++)
			out[i] = (int32_t)b[i] - 128;
		break;
	case 16:
		for (; i < n; i++, b += 2)
			out[i] = (int16_t)(uint16_t)(b[0] | b[1] << 8);
		break;
	case 61:
		for (; i < n; i++, b += 2)
			out[i] = (int16_t)(uint16_t)(b[1] | b[0] << 8);
		break;
	case 160:
		for (; i < n; i++, b += 2)
			out[i] = (int32_t)(b[0] | b[1] << 8) - 32768;
		break;
	case 24:
		for (; i < n; i++, b += 3)
			out[i] = sext((uint32_t)b[0] | (uint32_t)b[1] << 8 |
				      (uint32_t)b[2] << 16, 24);
		break;
	case 32:
		for (; i < n; i++, b += 4)
			out[i] = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 |
					   (uint32_t)b[2] << 16 |
					   (uint32_t)b[3] << 24);
		break;
	case 212:
		for (; i + 1 < n; i += 2, b += 3) {
			out[i] = sext(b[0] | (b[1] & 0x0fu) << 8, 12);
			out[i + 1] = sext(b[2] | (b[1] & 0xf0u) << 4, 12);
		}
		if (i < n)
			out[i] = sext(b[0] | (b[1] & 0x0fu) << 8, 12);
		break;
	case 310:
		for (; i < n; i += 3, b += 4) {
			uint32_t w0 = b[0] | (uint32_t)b[1] << 8;
			uint32_t w1 = i + 1 < n ? b[2] | (uint32_t)b[3] << 8 : 0;
			out[i] = sext((w0 >> 1) & 0x3ff, 10);
			if (i + 1 < n)
				out[i + 1] = sext((w1 >> 1) & 0x3ff, 10);
			if (i + 2 < n)
				out[i + 2] = sext((w0 >> 11) | (w1 >> 11) << 5, 10);
		}
		break;
	case 311:
		for (; i < n; i += 3, b += 4) {
			/* Only the bytes the samples need are read. */
			uint32_t w = b[0] | (uint32_t)b[1] << 8;
			if (i + 1 < n)
				w |= (uint32_t)b[2] << 16;
			if (i + 2 < n)
				w |= (uint32_t)b[3] << 24;
			out[i] = sext(w & 0x3ff, 10);
			if (i + 1 < n)
				out[i + 1] = sext((w >> 10) & 0x3ff, 10);
			if (i + 2 < n)
				out[i + 2] = sext((w >> 20) & 0x3ff, 10);
		}
		break;
	default:	/* 0: nothing stored */
		for (; i < n; i++)
			out[i] = -32768;
		break;
	}
}
