/* SPDX-License-Identifier: MIT */
/* The DPDK backend in a build without DPDK: a clear "not supported". */
#include <errno.h>

#include "load_priv.h"

int pe_load_dpdk_eal_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return -ENOTSUP;
}

void pe_load_dpdk_cleanup(void)
{
}

static int dpdk_setup(struct pe_load *l)
{
	(void)l;
	return -ENOTSUP;
}

/* Never called: setup fails first. */
const struct load_backend load_backend_dpdk = {
	.mode = "dpdk",
	.setup = dpdk_setup,
};
