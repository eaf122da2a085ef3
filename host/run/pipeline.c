/* pipeline.c - accept, -F, the script's filter and enrich, the sink
 * (pipeline.h). */
#include "run/pipeline.h"

#include "decode/pcap_filter.h"
#include "run/event_metrics.h"
#include "schema/packet_fields.h"
#include "script/lua_script.h"

void gh_pipeline_init(struct gh_pipeline *p, const struct gh_schema *s,
		      const struct gh_filter *filter, struct gh_lua *lua, bool live)
{
	*p = (struct gh_pipeline){.schema = s, .lua = lua};
	if (!gh_filter_empty(filter)) {
		p->filter = filter;
		p->before = gh_filter_has_stage(filter, GH_FILTER_BEFORE_SCRIPT);
		p->after = gh_filter_has_stage(filter, GH_FILTER_AFTER_ENRICH);
	}
	p->use_lua = lua && (live || gh_lua_has_filter(lua) || gh_lua_has_enrich(lua) ||
			     gh_lua_has_format(lua));
}

void gh_pipeline_set_accept(struct gh_pipeline *p, gh_accept_fn fn, void *ctx)
{
	p->accept = fn;
	p->accept_ctx = ctx;
}

void gh_pipeline_set_sink(struct gh_pipeline *p, gh_sink_fn fn, void *ctx)
{
	p->sink = fn;
	p->sink_ctx = ctx;
}

bool gh_pipeline_accept(struct gh_pipeline *p, const struct gh_event *ev)
{
	if (p->accept && !p->accept(p->accept_ctx, ev, p->seq)) {
		p->n.refused++;
		return false;
	}
	return true;
}

static bool packet_passes(struct gh_pipeline *p, const struct gh_event *ev)
{
	struct gh_packet_view v;

	return !gh_packet_view(p->schema, ev, &v) &&
	       gh_pcap_filter_match(p->pcap, v.linktype, v.data, v.caplen, v.len);
}

int gh_pipeline_accepted(struct gh_pipeline *p, struct gh_event *ev)
{
	struct gh_lua *lua = p->lua;
	int ret = 0;

	p->n.received++;
	if (p->pcap && !packet_passes(p, ev)) {
		p->n.dropped++;
		return 0;
	}
	if (p->before &&
	    !gh_filter_match_stage(p->filter, p->schema, ev, GH_FILTER_BEFORE_SCRIPT)) {
		p->n.dropped++;
		return 0;
	}
	if (p->use_lua) {
		const struct gh_filter *in_c = gh_lua_filter_conditions(lua);

		if (in_c ? !gh_filter_match(in_c, p->schema, ev)
			 : gh_lua_has_filter(lua) && gh_lua_filter(lua, ev) <= 0)
			goto drop;
		if (!p->skip_enrich && gh_lua_has_enrich(lua) && gh_lua_enrich(lua, ev) < 0)
			goto drop;
	}
	if (p->after && !gh_filter_match_stage(p->filter, p->schema, ev, GH_FILTER_AFTER_ENRICH))
		goto drop;
	ret = p->sink ? p->sink(p->sink_ctx, ev) : 0;
	if (!ret) {
		p->n.kept++;
		if (p->metrics)
			gh_event_metrics_observe(p->metrics, ev);
	}
	goto done;
drop:
	p->n.dropped++;
done:
	if (p->use_lua)
		gh_lua_event_done(lua);
	return ret < 0 ? ret : 0;
}

int gh_pipeline_event(struct gh_pipeline *p, struct gh_event *ev)
{
	if (!gh_pipeline_accept(p, ev))
		return 0;
	return gh_pipeline_accepted(p, ev);
}
