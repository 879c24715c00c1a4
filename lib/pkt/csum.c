/* SPDX-License-Identifier: MIT */
/* Exported checksum helpers. Internally sums run in native byte order (pkt_internal.h); these
 * convert once per call to the network-order convention of the interface. */
#include "pkt_internal.h"

uint32_t pe_csum_partial(const void *data, uint32_t len, uint32_t sum)
{
	uint16_t native = pe_csum_fold64(pe_csum_words(data, len, 0));
	uint16_t host;
	uint8_t be[2];

	/* The native-order sum stored to memory is the big-endian sum's byte image. */
	pe_st16(be, native);
	host = pe_be16(be);
	return (uint32_t)((uint64_t)sum + host > 0xffffffffu ? pe_csum_fold64((uint64_t)sum + host)
							     : sum + host);
}

uint16_t pe_csum_fold(uint32_t sum)
{
	return (uint16_t)~pe_csum_fold64(sum);
}
