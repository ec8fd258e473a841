/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apps/services/sha256.c against the FIPS 180-2 appendix B vectors (one
 * block, two blocks, a million 'a'), the empty message, and every split of
 * a message into two updates (the buffering path) against one update.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void
hash_hex(const void *p, size_t n, char out[65])
{
	struct sl_sha256 s;
	uint8_t d[SL_SHA256_LEN];

	sl_sha256_init(&s);
	sl_sha256_update(&s, p, n);
	sl_sha256_final(&s, d);
	sl_sha256_hex(d, out);
}

static void
test_fips_vectors(void **state)
{
	char hex[65];

	(void)state;
	hash_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_million_a_in_pieces(void **state)
{
	static uint8_t a[1001];
	struct sl_sha256 s;
	uint8_t d[SL_SHA256_LEN];
	char hex[65];
	int i;

	(void)state;
	memset(a, 'a', sizeof(a));
	sl_sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sl_sha256_update(&s, a, i % 2 ? 1001 : 999); /* uneven pieces, 10^6 in all */
	sl_sha256_final(&s, d);
	sl_sha256_hex(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_split_updates_agree(void **state)
{
	uint8_t msg[200], d1[SL_SHA256_LEN], d2[SL_SHA256_LEN];
	struct sl_sha256 s;
	size_t n, k;

	(void)state;
	for (n = 0; n < sizeof(msg); n++)
		msg[n] = (uint8_t)(n * 7 + 3);
	for (n = 0; n <= sizeof(msg); n += 13)
		for (k = 0; k <= n; k++) {
			sl_sha256_init(&s);
			sl_sha256_update(&s, msg, n);
			sl_sha256_final(&s, d1);
			sl_sha256_init(&s);
			sl_sha256_update(&s, msg, k);
			sl_sha256_update(&s, msg + k, n - k);
			sl_sha256_final(&s, d2);
			assert_memory_equal(d1, d2, SL_SHA256_LEN);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_million_a_in_pieces),
		cmocka_unit_test(test_split_updates_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
