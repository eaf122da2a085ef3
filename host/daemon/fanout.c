/* fanout.c - one node's lines into the merged output. */
#include "daemon/fanout.h"

#include <errno.h>
#include <string.h>

#include "output/out.h"

int gh_fanout_format_parse(const char *name, enum gh_fanout_format *fmt)
{
	if (!strcmp(name, "columns"))
		*fmt = GH_FANOUT_COLUMNS;
	else if (!strcmp(name, "json"))
		*fmt = GH_FANOUT_JSON;
	else
		return -EINVAL;
	return 0;
}

/* Past the JSON string starting at s[i] == '"'; len if unterminated. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

static size_t skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i;
}

/* The offset just past the '{' of the top-level "k8s" object, or 0. */
static size_t find_k8s_object(const char *s, size_t len)
{
	int depth = 0;
	bool expect_key = false;

	for (size_t i = 0; i < len;) {
		char c = s[i];

		if (c == '"') {
			size_t end = skip_string(s, len, i);

			if (depth == 1 && expect_key && end - i == 5 && !memcmp(s + i, "\"k8s\"", 5)) {
				size_t j = skip_space(s, len, end);

				if (j < len && s[j] == ':') {
					j = skip_space(s, len, j + 1);
					if (j < len && s[j] == '{')
						return j + 1;
				}
			}
			expect_key = false;
			i = end;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
			expect_key = depth == 1 && c == '{';
		} else if (c == '}' || c == ']') {
			depth--;
			expect_key = false;
		} else if (c == ',') {
			expect_key = depth == 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			expect_key = false;
		}
		i++;
	}
	return 0;
}

int gh_fanout_json_node(struct gh_buf *out, const char *line, size_t len, const char *node)
{
	size_t at = find_k8s_object(line, len);
	size_t open, next;
	int ret;

	if (at) {
		next = skip_space(line, len, at);

		ret = gh_buf_append(out, line, at);
		ret = ret ? ret : gh_buf_puts(out, "\"node\":");
		ret = ret ? ret : gh_json_put_string(out, node, strlen(node));
		if (!ret && next < len && line[next] != '}')
			ret = gh_buf_putc(out, ',');
		return ret ? ret : gh_buf_append(out, line + at, len - at);
	}
	open = skip_space(line, len, 0);
	if (open >= len || line[open] != '{') /* not an object: as it is */
		return gh_buf_append(out, line, len);
	ret = gh_buf_append(out, line, open + 1);
	ret = ret ? ret : gh_buf_puts(out, "\"k8s\":{\"node\":");
	ret = ret ? ret : gh_json_put_string(out, node, strlen(node));
	ret = ret ? ret : gh_buf_putc(out, '}');
	next = skip_space(line, len, open + 1);
	if (!ret && next < len && line[next] != '}')
		ret = gh_buf_putc(out, ',');
	return ret ? ret : gh_buf_append(out, line + open + 1, len - open - 1);
}

static int put_padded(struct gh_buf *b, const char *text, size_t width)
{
	return gh_col_put(b, text, strlen(text), (unsigned)width, 0);
}

static int merge_line(struct gh_fanout *f, struct gh_fanout_source *src, const char *line,
		      size_t len)
{
	int ret;

	if (f->fmt == GH_FANOUT_JSON) {
		ret = gh_fanout_json_node(&f->out, line, len, src->node);
		return ret ? ret : gh_buf_putc(&f->out, '\n');
	}
	if (!src->header_seen) {
		src->header_seen = true;
		if (f->header_printed)
			return 0;
		f->header_printed = true;
		ret = put_padded(&f->out, "K8S.NODE", f->node_width);
	} else {
		ret = put_padded(&f->out, src->node, f->node_width);
	}
	ret = ret ? ret : gh_buf_putc(&f->out, ' ');
	ret = ret ? ret : gh_buf_append(&f->out, line, len);
	return ret ? ret : gh_buf_putc(&f->out, '\n');
}

int gh_fanout_feed(struct gh_fanout *f, struct gh_fanout_source *src, const char *data,
		   size_t len)
{
	const char *nl;
	int ret = 0;

	while (!ret && (nl = memchr(data, '\n', len))) {
		size_t n = (size_t)(nl - data);

		if (src->partial.len) {
			ret = gh_buf_append(&src->partial, data, n);
			if (!ret)
				ret = merge_line(f, src, src->partial.p, src->partial.len);
			gh_buf_reset(&src->partial);
		} else {
			ret = merge_line(f, src, data, n);
		}
		data += n + 1;
		len -= n + 1;
	}
	if (!ret && len)
		ret = gh_buf_append(&src->partial, data, len);
	return ret;
}

int gh_fanout_end(struct gh_fanout *f, struct gh_fanout_source *src)
{
	int ret = 0;

	if (src->partial.len)
		ret = merge_line(f, src, src->partial.p, src->partial.len);
	gh_buf_free(&src->partial);
	return ret;
}
