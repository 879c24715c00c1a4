/* SPDX-License-Identifier: MIT */
/* IO models not built yet. */
#include <errno.h>

#include "sock_int.h"

static int stub_start(struct pe_sock_server *srv, const char **what)
{
	return -ENOTSUP;
}

static void stub_stop(struct pe_sock_server *srv)
{
}

const struct model_ops pe_model_uring = {.start = stub_start, .stop = stub_stop};
