/*
 * ct.h - constant-time helpers for the code that handles what a private
 * key revealed (SPEC section 8, steps 2-4): comparisons and selections
 * that compute a mask instead of branching, so the path taken and the
 * time spent do not depend on a secret.
 *
 * A mask is 0 or all ones (uint32_t).  The inputs of ct_lt are below
 * 2^31; every other helper takes any value.
 */
#ifndef SMIME_CT_H
#define SMIME_CT_H

#include <stddef.h>
#include <stdint.h>

/* All ones when x is 0. */
static inline uint32_t ct_zero_mask(uint32_t x)
{
	return (uint32_t)0 - (((x | ((uint32_t)0 - x)) >> 31) ^ 1u);
}

/* All ones when a == b. */
static inline uint32_t ct_eq_mask(uint32_t a, uint32_t b)
{
	return ct_zero_mask(a ^ b);
}

/* All ones when a < b (a, b < 2^31). */
static inline uint32_t ct_lt_mask(uint32_t a, uint32_t b)
{
	return (uint32_t)0 - ((a - b) >> 31);
}

/* a where mask is all ones, b where it is 0. */
static inline uint32_t ct_select(uint32_t mask, uint32_t a, uint32_t b)
{
	return (a & mask) | (b & ~mask);
}

/* All ones when the n bytes of a and b are equal; every byte is read. */
static inline uint32_t ct_mem_eq_mask(const unsigned char *a,
				      const unsigned char *b, size_t n)
{
	uint32_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint32_t)(a[i] ^ b[i]);
	return ct_zero_mask(d);
}

/* dst[i] = src[i] where mask is all ones, for n bytes; dst kept else. */
static inline void ct_copy_masked(unsigned char *dst, const unsigned char *src,
				  size_t n, uint32_t mask)
{
	unsigned char m = (unsigned char)(mask & 0xff);

	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)((src[i] & m) |
					 (dst[i] & (unsigned char)~m));
}

#endif
