// SPDX-License-Identifier: BSD-3-Clause
// Google Benchmark shim of bench/sluice-micro: one generic driver and the
// registrations. Set-up, the measured code and the checks are C
// (micro_c.c); see micro_c.h for what each case measures.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "micro_c.h"
#include "micro_kv.h"

static bool failed;

static void
run_case(benchmark::State &st, bench_kind kind, int nargs)
{
	int64_t a[3] = {0, 0, 0};
	for (int i = 0; i < nargs; i++)
		a[i] = st.range(i);

	bench_case *c = bench_setup(kind, a[0], a[1], a[2]);
	if (c == nullptr) {
		st.SkipWithError(bench_error());
		failed = true;
		return;
	}
	uint64_t items = 0;
	uint64_t t0 = bench_tsc();
	for (auto _ : st)
		items += bench_run(c);
	uint64_t t1 = bench_tsc();

	st.SetItemsProcessed(static_cast<int64_t>(items));
	st.counters["cycles/pkt"] =
		benchmark::Counter(items != 0 ? double(t1 - t0) / double(items) : 0.0);
	if (bench_teardown(c) != 0) {
		st.SkipWithError(bench_error());
		failed = true;
	}
}

/* kv: the shared table against forwarding to the key's owner (micro_kv.h) */
static void
run_kv(benchmark::State &st, bench_kv_kind kind)
{
	bench_kv *b = bench_kv_setup(kind, st.range(0));
	if (b == nullptr) {
		st.SkipWithError(bench_kv_error());
		failed = true;
		return;
	}
	uint64_t items = 0;
	uint64_t t0 = bench_tsc();
	for (auto _ : st)
		items += bench_kv_run(b);
	uint64_t t1 = bench_tsc();

	st.SetItemsProcessed(static_cast<int64_t>(items));
	st.counters["cycles/op"] =
		benchmark::Counter(items != 0 ? double(t1 - t0) / double(items) : 0.0);
	bench_kv_teardown(b);
}

static benchmark::internal::Benchmark *
reg(const char *name, bench_kind kind, const std::vector<std::string> &arg_names)
{
	auto *b = benchmark::RegisterBenchmark(name, run_case, kind,
					       static_cast<int>(arg_names.size()));
	if (!arg_names.empty())
		b->ArgNames(arg_names);
	return b;
}

static void
register_all()
{
	reg("BM_ip4_cksum", BENCH_IP4_CKSUM, {});
	reg("BM_ip4_hdr_cksum_ok", BENCH_IP4_HDR_OK, {});
	for (auto kind : {BENCH_UDP_CKSUM, BENCH_UDP_OK})
		reg(kind == BENCH_UDP_CKSUM ? "BM_udp_cksum" : "BM_udp4_cksum_ok", kind,
		    {"payload"})
			->Arg(18)
			->Arg(64)
			->Arg(65)
			->Arg(1471)
			->Arg(1472);
	reg("BM_input_reset", BENCH_INPUT_RESET, {"burst", "payload"})
		->Args({1, 18})
		->Args({8, 18})
		->Args({32, 18})
		->Args({32, 1472});
	reg("BM_input", BENCH_INPUT, {"burst", "payload", "offload"})
		->Args({1, 18, 0})
		->Args({8, 18, 0})
		->Args({32, 18, 0})
		->Args({32, 18, 1})
		->Args({32, 1472, 0})
		->Args({32, 1472, 1});
	reg("BM_input_pagepool", BENCH_INPUT_PAGE_POOL, {"burst", "payload"})
		->Args({8, 18})
		->Args({32, 18});
	for (auto kind : {BENCH_ARP_HIT, BENCH_ARP_MISS})
		reg(kind == BENCH_ARP_HIT ? "BM_arp_lookup_hit" : "BM_arp_lookup_miss", kind,
		    {"entries"})
			->Arg(16)
			->Arg(1024)
			->Arg(65536);
	reg("BM_ring_spsc_burst32", BENCH_RING, {});
	reg("BM_rxtx_move", BENCH_RXTX_MOVE, {"burst"})->Arg(32);
	reg("BM_rxtx", BENCH_RXTX, {"burst"})->Arg(8)->Arg(32);
	reg("BM_rxtx_txbuf", BENCH_RXTX_TXBUF, {"burst"})->Arg(32);
	for (auto kind : {BENCH_KV_GET_SHARED, BENCH_KV_SET_SHARED, BENCH_KV_GET_FORWARDED})
		benchmark::RegisterBenchmark(kind == BENCH_KV_GET_SHARED   ? "BM_kv_get_shared"
					     : kind == BENCH_KV_SET_SHARED ? "BM_kv_set_shared"
									   : "BM_kv_get_forwarded",
					     run_kv, kind)
			->ArgNames({"keys"})
			->Arg(100000)
			->UseRealTime();
}

int
main(int argc, char **argv)
{
	register_all();
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	if (bench_init(argv[0]) != 0)
		return 1;
	benchmark::AddCustomContext("tsc_hz", std::to_string(bench_tsc_hz()));
	benchmark::AddCustomContext("mbuf_stride", std::to_string(bench_mbuf_stride(0)));
	benchmark::AddCustomContext("mbuf_stride_pagepool", std::to_string(bench_mbuf_stride(1)));
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	bench_fini();
	return failed ? 1 : 0;
}
