/* SPDX-License-Identifier: MIT */
/* Exported checksum helpers. Internally sums run in native byte order (pkt_priv.h); these
 * convert once per call to the network-order convention of the interface. */
#include "pkt_priv.h"

uint32_t pe_csum_partial(const void *data, uint32_t len, uint32_t sum)
{
	uint8_t be[2];
	uint64_t total;

	/* The native-order sum stored to memory is the big-endian sum's byte image. */
	pe_st16(be, pe_csum_fold64(pe_csum_words(data, len, 0)));
	total = (uint64_t)sum + pe_be16(be);
	return (uint32_t)total + (uint32_t)(total >> 32); /* end-around carry: no overflow */
}

uint16_t pe_csum_fold(uint32_t sum)
{
	return (uint16_t)~pe_csum_fold64(sum);
}
