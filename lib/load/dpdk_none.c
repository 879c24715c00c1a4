/* SPDX-License-Identifier: MIT */
/* The DPDK backend's entry points in a build without DPDK: a clear "not supported". */
#include <errno.h>

#include "load_int.h"

int pe_load_dpdk_eal_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return -ENOTSUP;
}

void pe_load_dpdk_cleanup(void)
{
}

int load_dpdk_setup(struct pe_load *l)
{
	(void)l;
	return -ENOTSUP;
}

void load_dpdk_teardown(struct pe_load *l)
{
	(void)l;
}

uint32_t load_dpdk_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now)
{
	(void)w;
	(void)f;
	(void)n;
	(void)now;
	return 0;
}

void load_dpdk_poll(struct load_worker *w, uint64_t wait_ns)
{
	(void)w;
	(void)wait_ns;
}

int load_dpdk_flows(struct pe_load *l)
{
	(void)l;
	return -ENOTSUP;
}
