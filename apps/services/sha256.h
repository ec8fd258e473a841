/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-256 (FIPS 180-4), small and allocation-free, for services that hash
 * (http's work path). Checked against the FIPS 180-2 appendix B vectors in
 * tests/test_sha256.c. Any lcore; the context is the caller's.
 */
#ifndef SL_SHA256_H
#define SL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SL_SHA256_LEN 32

struct sl_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t buf[64];
	uint32_t n; /* bytes waiting in buf */
};

void sl_sha256_init(struct sl_sha256 *s);
void sl_sha256_update(struct sl_sha256 *s, const void *data, size_t len);
void sl_sha256_final(struct sl_sha256 *s, uint8_t out[SL_SHA256_LEN]);
/* @p out gets 64 lowercase hex digits and a NUL. */
void sl_sha256_hex(const uint8_t d[SL_SHA256_LEN], char out[2 * SL_SHA256_LEN + 1]);

#endif /* SL_SHA256_H */
