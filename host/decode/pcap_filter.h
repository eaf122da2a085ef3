/* pcap_filter.h - a pcap filter expression ("tcp port 80"), compiled by
 * libpcap and run by libpcap's own interpreter on captured bytes
 * (pcap_offline_filter), as tcpdump would run it.
 *
 * libpcap is opened at first use (base/dlib.h): a run without --pf does
 * not load it.  The expression is compiled once per link type met (an
 * Ethernet frame and a raw IP packet need different programs); a link
 * type it cannot be compiled for (`ether host` on raw IP) matches nothing.
 */
#ifndef GH_PCAP_FILTER_H
#define GH_PCAP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gh_pcap_filter;

/* Compile expr for Ethernet: 0, or -EINVAL with libpcap's message in err
 * (-ENOENT: no libpcap). */
int gh_pcap_filter_new(struct gh_pcap_filter **out, const char *expr, char *err,
		       size_t errlen);
/* Whether the packet (caplen bytes captured of len) passes. */
bool gh_pcap_filter_match(struct gh_pcap_filter *f, uint32_t linktype, const uint8_t *data,
			  uint32_t caplen, uint32_t len);
void gh_pcap_filter_free(struct gh_pcap_filter *f);

#endif
