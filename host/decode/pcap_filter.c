/* pcap_filter.c - pcap filter expressions through libpcap (pcap_filter.h). */
#include "decode/pcap_filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "base/dlib.h"
#include "base/err.h"
#include "base/log.h"

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101 /* libpcap's DLT_RAW: a file says 101, the API 12 (or 14) */
#define COMPILE_SNAPLEN 262144

#define PCAP_FNS(X) X(pcap_open_dead) X(pcap_compile) X(pcap_geterr) X(pcap_freecode) \
	X(pcap_close) X(pcap_offline_filter)
PCAP_FNS(GH_DLIB_STATIC_FN)
static const struct gh_dlib_sym pcap_syms[] = {PCAP_FNS(GH_DLIB_SYM)};
GH_DLIB_DEFINE(pcap_lib, "libpcap.so.0.8", "--pf filter expressions", pcap_syms);

struct compiled {
	uint32_t linktype;
	bool ok;
	struct bpf_program prog;
};

struct gh_pcap_filter {
	char *expr;
	struct compiled *progs; /* one per link type met */
	size_t n_progs;
};

static int compile(const char *expr, uint32_t linktype, struct bpf_program *prog, char *err,
		   size_t errlen)
{
	pcap_t *p = sym_pcap_open_dead(linktype == LINKTYPE_RAW ? DLT_RAW : (int)linktype,
					COMPILE_SNAPLEN);
	int ret = 0;

	if (!p)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	if (sym_pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN))
		ret = gh_err(err, errlen, -EINVAL, "%s", sym_pcap_geterr(p));
	sym_pcap_close(p);
	return ret;
}

static struct compiled *add(struct gh_pcap_filter *f, uint32_t linktype, char *err,
			    size_t errlen)
{
	struct compiled *grown = realloc(f->progs, (f->n_progs + 1) * sizeof(*grown)), *c;

	if (!grown)
		return NULL;
	f->progs = grown;
	c = &f->progs[f->n_progs++];
	memset(c, 0, sizeof(*c));
	c->linktype = linktype;
	c->ok = !compile(f->expr, linktype, &c->prog, err, errlen);
	return c;
}

int gh_pcap_filter_new(struct gh_pcap_filter **out, const char *expr, char *err,
		       size_t errlen)
{
	struct gh_pcap_filter *f;
	struct compiled *c;
	int ret;

	*out = NULL;
	ret = gh_dlib_open(&pcap_lib, err, errlen);
	if (ret)
		return ret;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->expr = strdup(expr))) {
		free(f);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	c = add(f, LINKTYPE_ETHERNET, err, errlen);
	if (!c || !c->ok) {
		gh_pcap_filter_free(f);
		return c ? -EINVAL : gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	*out = f;
	return 0;
}

bool gh_pcap_filter_match(struct gh_pcap_filter *f, uint32_t linktype, const uint8_t *data,
			  uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = {.caplen = caplen, .len = len};
	struct compiled *c = NULL;
	char why[256];

	for (size_t i = 0; i < f->n_progs && !c; i++)
		if (f->progs[i].linktype == linktype)
			c = &f->progs[i];
	if (!c) {
		why[0] = '\0';
		c = add(f, linktype, why, sizeof(why));
		if (c && !c->ok)
			gh_log(GH_LOG_WARNING, "--pf: not for link type %u (%s): its packets are "
			       "left out", linktype, why);
	}
	if (!c || !c->ok)
		return false;
	return sym_pcap_offline_filter(&c->prog, &h, data) != 0;
}

void gh_pcap_filter_free(struct gh_pcap_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_progs; i++)
		if (f->progs[i].ok)
			sym_pcap_freecode(&f->progs[i].prog);
	free(f->progs);
	free(f->expr);
	free(f);
}
