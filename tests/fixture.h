/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test fixtures shared by the cmocka binaries: EAL start without
 * hugepages and with a unique --file-prefix (tests never collide with each
 * other or with a running sluice), mempools whose in-use count teardown
 * checks, and packet builders.
 */
#ifndef SL_FIXTURE_H
#define SL_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Start EAL once per process: -l 0 --no-huge --no-pci --in-memory
 * --file-prefix=sl_<name>_<pid> --log-level=*:error, plus @extra
 * (NULL-terminated, may be NULL) e.g. "--vdev=net_ring0". Aborts the test
 * binary with a message if EAL cannot start. */
void fx_eal_init(const char *name, const char *const *extra);

/* A pktmbuf pool of @n mbufs (2 KiB data room) on socket 0. */
struct rte_mempool *fx_mempool(const char *name, unsigned int n);

/* mbufs currently taken from @mp (caches included). */
unsigned int fx_in_use(const struct rte_mempool *mp);

/* Assert that @mp is back at @baseline in-use mbufs. */
#define fx_assert_baseline(mp, baseline) assert_int_equal(fx_in_use(mp), (baseline))

#endif /* SL_FIXTURE_H */
