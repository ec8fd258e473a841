/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "dp.h"

static bool
arg_present(int argc, char **argv, const char *flag)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return true;
	return false;
}

/* Sum of free hugepages of every size, from sysfs. */
static unsigned long
hugepages_free(void)
{
	const char *base = "/sys/kernel/mm/hugepages";
	unsigned long total = 0;
	struct dirent *de;
	DIR *d = opendir(base);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[512];
		unsigned long n = 0;
		FILE *f;

		if (strncmp(de->d_name, "hugepages-", 10) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", base, de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%lu", &n) == 1)
			total += n;
		fclose(f);
	}
	closedir(d);
	return total;
}

static bool
hugetlbfs_mounted(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

int
dp_eal_init(int argc, char **argv, char *err, size_t errlen)
{
	int ret;

	/* EAL's own messages for missing hugepages are several lines about
	 * hugepage_info and memory segments; say it once, with the fix. */
	if (!arg_present(argc, argv, "--no-huge")) {
		if (hugepages_free() == 0) {
			snprintf(err, errlen,
				 "no free hugepages: reserve some with "
				 "'echo 1024 > /proc/sys/vm/nr_hugepages' (as root), "
				 "or pass --no-huge to EAL for a test run");
			return -ENOMEM;
		}
		if (!arg_present(argc, argv, "--in-memory") && !hugetlbfs_mounted()) {
			snprintf(err, errlen,
				 "hugetlbfs is not mounted: 'mkdir -p /dev/hugepages && "
				 "mount -t hugetlbfs nodev /dev/hugepages' (as root), or pass "
				 "--in-memory to EAL");
			return -ENOENT;
		}
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		snprintf(err, errlen, "EAL failed to start: %s (see the EAL lines above)",
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	return ret;
}

int
dp_lcore_socket(unsigned int lcore_id)
{
	int cpu = rte_lcore_to_cpu_id(lcore_id);
	int node;

	if (cpu >= 0 && numa_available() >= 0) {
		node = numa_node_of_cpu(cpu);
		if (node >= 0)
			return node;
	}
	return (int)rte_lcore_to_socket_id(lcore_id);
}
