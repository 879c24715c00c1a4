/* SPDX-License-Identifier: MIT */
/* lib/stats internals: the segment layout (documented in docs/reports.md) and the handle. */
#ifndef PE_STATS_PRIV_H
#define PE_STATS_PRIV_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pe_stats.h"

#define PE_STATS_SHM_MAGIC   0x3153544345454b50ull /* "PKEECTS1" little-endian */
#define PE_STATS_SHM_VERSION 1

/* The first 256 bytes of a segment; the blocks follow. Fixed-width fields only, so that a reader
 * built separately agrees on every offset. A new layout bumps the version. */
struct pe_stats_shm_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size; /* sizeof(struct pe_stats_shm_hdr) */
	uint64_t size;	   /* bytes of the whole segment */
	uint32_t n_blocks;
	uint32_t block_size; /* sizeof(struct pe_stats_block) */
	int32_t owner_pid;
	uint32_t state;		  /* enum pe_stats_state, stored last on create with release */
	uint64_t owner_starttime; /* /proc/<pid>/stat field 22: tells a reused pid apart */
	uint64_t start_unix_ns;	  /* CLOCK_REALTIME at create */
	char service[PE_STATS_META_LEN];
	char mode[PE_STATS_META_LEN];
	char name[PE_STATS_NAME_MAX + 1];
	uint8_t reserved[256 - 56 - 32 - 32 - (PE_STATS_NAME_MAX + 1)];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct pe_stats_shm_hdr) == 256, "segment header is 256 bytes");
/* The first 56 bytes keep their place in every version (stale detection reads them). */
_Static_assert(offsetof(struct pe_stats_shm_hdr, start_unix_ns) == 48, "fixed header prefix");
_Static_assert(offsetof(struct pe_stats_shm_hdr, service) == 56, "documented offsets");
_Static_assert(offsetof(struct pe_stats_shm_hdr, name) == 120, "documented offsets");
_Static_assert(sizeof(struct pe_stats_block) % 64 == 0, "blocks are whole cache lines");

struct pe_stats {
	unsigned n_blocks;
	int owner;    /* created the segment: marks it closed and unlinks it on destroy */
	int readonly; /* attached with PROT_READ */
	void *map;
	size_t map_len;
	struct pe_stats_shm_hdr *hdr;
	struct pe_stats_block *blocks;
	char path[PE_STATS_NAME_MAX + 16];
	dev_t dev; /* the owner's segment: unlink the name only while it still means this one */
	ino_t ino;
};

size_t stats_map_size(unsigned n_blocks);
void stats_init_blocks(struct pe_stats_block *blocks, unsigned n);
struct pe_stats *stats_shm_create(unsigned n_blocks, const char *shm_name);
void stats_shm_release(struct pe_stats *s);

#endif
