/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "pe_drop.h"

static const char *const drop_names[PE_DROP_MAX] = {
#define PE_DROP_NAME_(sym, name, desc) [PE_DROP_##sym] = name,
	PE_DROP_REASONS(PE_DROP_NAME_)
#undef PE_DROP_NAME_
};

static const char *const drop_descs[PE_DROP_MAX] = {
#define PE_DROP_DESC_(sym, name, desc) [PE_DROP_##sym] = desc,
	PE_DROP_REASONS(PE_DROP_DESC_)
#undef PE_DROP_DESC_
};

const char *pe_drop_name(enum pe_drop d)
{
	return (unsigned)d < PE_DROP_MAX ? drop_names[d] : "unknown";
}

const char *pe_drop_desc(enum pe_drop d)
{
	return (unsigned)d < PE_DROP_MAX ? drop_descs[d] : "unknown drop reason";
}

enum pe_drop pe_drop_from_name(const char *name)
{
	for (unsigned i = 0; i < PE_DROP_MAX; i++)
		if (strcmp(drop_names[i], name) == 0)
			return (enum pe_drop)i;
	return PE_DROP_MAX;
}
