/* lua_filter_c.c - a field-comparing filter(ev) as -F conditions
 * (lua_filter_c.h). */
#include "script/lua_filter_c.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "base/read_file.h"
#include "script/lua_guard.h"

#define MAX_CONDS 16
#define MAX_SOURCE (1 << 20)

enum tok_kind { T_END, T_NAME, T_INT, T_STR, T_SYM, T_BAD };

struct tok {
	enum tok_kind kind;
	const char *p; /* in the text; a string's contents without its quotes */
	size_t len;
};

struct lexer {
	const char *p, *end;
};

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The next token; comments and anything unusual are T_BAD (the filter
 * then stays a Lua call). */
static struct tok next(struct lexer *lx)
{
	struct tok t = {T_END, NULL, 0};
	const char *p = lx->p;

	while (p < lx->end && isspace((unsigned char)*p))
		p++;
	t.p = p;
	if (p >= lx->end) {
		lx->p = p;
		return t;
	}
	if (isalpha((unsigned char)*p) || *p == '_') {
		while (p < lx->end && is_name_char(*p))
			p++;
		t.kind = T_NAME;
	} else if (isdigit((unsigned char)*p)) {
		while (p < lx->end && is_name_char(*p))
			p++;
		t.kind = T_INT; /* checked by the caller (strtoll) */
	} else if (*p == '"' || *p == '\'') {
		char q = *p++;

		t.p = p;
		while (p < lx->end && *p != q && *p != '\\' && *p >= 0x20 && *p < 0x7f)
			p++;
		if (p >= lx->end || *p != q) {
			t.kind = T_BAD;
		} else {
			t.kind = T_STR;
			t.len = (size_t)(p - t.p);
			lx->p = p + 1;
			return t;
		}
	} else if (p + 1 < lx->end && strchr("=~<>", *p) && p[1] == '=') {
		p += 2;
		t.kind = T_SYM;
	} else if (*p == '-' && p + 1 < lx->end && p[1] == '-') {
		t.kind = T_BAD; /* a comment */
	} else if (strchr("().<>-", *p)) {
		p++;
		t.kind = T_SYM;
	} else {
		t.kind = T_BAD;
	}
	if (t.kind != T_STR)
		t.len = (size_t)(p - t.p);
	lx->p = p;
	return t;
}

static bool is(const struct tok *t, enum tok_kind kind, const char *text)
{
	return t->kind == kind && (!text || (strlen(text) == t->len && !memcmp(t->p, text, t->len)));
}

struct cond_text {
	int field;
	char op[3];
	char value[64];
};

/* -F's operator for Lua's, with the sides swapped or not. */
static const char *op_of(const struct tok *t, bool swapped)
{
	static const char *const ops[][3] = {
		{"==", "==", "=="}, {"~=", "!=", "!="}, {"<", "<", ">"},
		{"<=", "<=", ">="}, {">", ">", "<"},   {">=", ">=", "<="},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (is(t, T_SYM, ops[i][0]))
			return ops[i][swapped ? 2 : 1];
	return NULL;
}

/* Whether -F judges field f as Lua's view sees it (lua_filter_c.h).  Not
 * the record's last member: a variable length record may end before it,
 * and an absent member is nil to Lua (an error to order) but "" to -F. */
static bool comparable(const struct gh_schema *s, const struct gh_field *f, bool string)
{
	if (f->kind == GH_KIND_VIRTUAL || f->map_source >= 0 || f->source ||
	    f->offset + f->size >= s->struct_size)
		return false;
	if (string)
		return f->kind == GH_KIND_STRING && f->special == GH_SPECIAL_NONE &&
		       f->lua_format_ref < 0;
	switch (f->special) {
	case GH_SPECIAL_NONE:
	case GH_SPECIAL_PORT:
	case GH_SPECIAL_UID:
	case GH_SPECIAL_GID:
		break;
	default:
		return false;
	}
	return f->kind == GH_KIND_INT || (f->kind == GH_KIND_UINT && f->size <= 4);
}

/* P.NAME: false when the next tokens are not the parameter's member */
static bool parse_member(struct lexer *lx, const struct tok *param, struct tok *name)
{
	struct tok p = next(lx), dot = next(lx);

	*name = next(lx);
	return p.kind == T_NAME && p.len == param->len && !memcmp(p.p, param->p, p.len) &&
	       is(&dot, T_SYM, ".") && name->kind == T_NAME;
}

/* CONST: an integer (maybe negative) or a string */
static bool parse_const(struct lexer *lx, struct tok *k, bool *neg)
{
	*k = next(lx);
	*neg = is(k, T_SYM, "-");
	if (*neg)
		*k = next(lx);
	return k->kind == T_INT || (k->kind == T_STR && !*neg);
}

/* One comparison, P.NAME OP CONST or CONST OP P.NAME; false: not one. */
static bool parse_cond(struct lexer *lx, const struct tok *param, const struct gh_schema *s,
		       struct cond_text *c)
{
	struct lexer peek = *lx;
	struct tok first = next(&peek), name, op, k;
	bool swapped = first.kind != T_NAME, neg;
	char fname[64];
	const char *fop;
	int idx;

	if (!swapped) {
		if (!parse_member(lx, param, &name))
			return false;
		op = next(lx);
		if (!parse_const(lx, &k, &neg))
			return false;
	} else {
		if (!parse_const(lx, &k, &neg))
			return false;
		op = next(lx);
		if (!parse_member(lx, param, &name))
			return false;
	}
	fop = op_of(&op, swapped);
	if (!fop || name.len >= sizeof(fname) || k.len + 2 > sizeof(c->value))
		return false;
	memcpy(fname, name.p, name.len);
	fname[name.len] = '\0';
	idx = gh_schema_find(s, fname);
	if (idx < 0 || !comparable(s, &s->fields[idx], k.kind == T_STR))
		return false;
	if (k.kind == T_STR) {
		/* Lua orders strings by the locale; "" is also an absent
		 * member's text to -F */
		if ((strcmp(fop, "==") && strcmp(fop, "!=")) || !k.len)
			return false;
		memcpy(c->value, k.p, k.len);
		c->value[k.len] = '\0';
	} else {
		char digits[64], *end;
		long long v;

		snprintf(digits, sizeof(digits), "%.*s", (int)k.len, k.p);
		errno = 0;
		v = strtoll(digits, &end, 0);
		/* decimal or 0x hex as Lua reads them (0 followed by digits is
		 * decimal in Lua, octal for strtoll) */
		if (errno || *end || (digits[0] == '0' && isdigit((unsigned char)digits[1])))
			return false;
		snprintf(c->value, sizeof(c->value), "%lld", neg ? -v : v);
	}
	c->field = idx;
	snprintf(c->op, sizeof(c->op), "%s", fop);
	return true;
}

/* `function [a.b.c] (P) return C {and C} end` from lx; *body: the text
 * from "(" to "end" included. */
static int parse_function(struct lexer *lx, const struct gh_schema *s, struct cond_text *conds,
			  const char **body, const char **body_end)
{
	struct tok t = next(lx), param;
	int n = 0;

	if (!is(&t, T_NAME, "function"))
		return 0;
	t = next(lx);
	while (t.kind == T_NAME) { /* function g.filter(ev) */
		t = next(lx);
		if (!is(&t, T_SYM, "."))
			break;
		t = next(lx);
	}
	if (!is(&t, T_SYM, "("))
		return 0;
	*body = t.p;
	param = next(lx);
	t = next(lx);
	if (param.kind != T_NAME || !is(&t, T_SYM, ")"))
		return 0;
	t = next(lx);
	if (!is(&t, T_NAME, "return"))
		return 0;
	do {
		if (n == MAX_CONDS || !parse_cond(lx, &param, s, &conds[n++]))
			return 0;
		t = next(lx);
	} while (is(&t, T_NAME, "and"));
	if (!is(&t, T_NAME, "end"))
		return 0;
	*body_end = t.p + t.len;
	return n;
}

struct dump {
	char *p;
	size_t len, cap;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct dump *d = ud;

	(void)L;
	if (d->len + sz > d->cap) {
		size_t cap = (d->len + sz) * 2;
		char *np = realloc(d->p, cap);

		if (!np)
			return 1;
		d->p = np;
		d->cap = cap;
	}
	memcpy(d->p + d->len, p, sz);
	d->len += sz;
	return 0;
}

/* Whether "return function" + body, on line `line`, compiles to the
 * function at the top of the stack: the same bytecode, stripped. */
static bool same_function(lua_State *L, int line, const char *body, size_t len)
{
	struct dump a = {0}, b = {0};
	luaL_Buffer chunk;
	bool same = false;
	int top = lua_gettop(L);

	luaL_buffinit(L, &chunk);
	for (int i = 1; i < line; i++)
		luaL_addchar(&chunk, '\n');
	luaL_addstring(&chunk, "return function");
	luaL_addlstring(&chunk, body, len);
	luaL_pushresult(&chunk);
	if (luaL_loadbufferx(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=filter", "t") == LUA_OK &&
	    lua_pcall(L, 0, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TFUNCTION &&
	    !lua_dump(L, dump_writer, &b, 1)) {
		lua_pushvalue(L, top);
		same = !lua_dump(L, dump_writer, &a, 1) && a.len == b.len && !memcmp(a.p, b.p, a.len);
	}
	lua_settop(L, top);
	free(a.p);
	free(b.p);
	return same;
}

/* The chunk's text the function was defined in: a file's (read again:
 * same_function() tells whether it is still the same), a string chunk's
 * own; NULL when there is none.  A client's code (the sandbox) names its
 * chunks as it likes with load(): no file is read for it, so a remote
 * script cannot make the run open a path.  *owned: to free. */
static const char *chunk_text(const lua_Debug *ar, char **owned, size_t *len)
{
	const struct gh_lua_config *c = gh_lua_config();

	*owned = NULL;
	if (ar->source[0] == '@') {
		if (c->sandbox_script || c->sandbox_layers)
			return NULL;
		if (gh_read_regular_file(ar->source + 1, MAX_SOURCE, owned, len))
			return NULL;
		return *owned;
	}
	if (ar->source[0] == '=') { /* a name: a --lua layer's, or no text */
		const char *code = gh_lua_layer_code(ar->source);

		*len = code ? strlen(code) : 0;
		return code;
	}
	*len = strlen(ar->source);
	return ar->source;
}

int gh_lua_filter_c(lua_State *L, const struct gh_schema *s, struct gh_filter **out,
		    struct gh_buf *desc)
{
	struct cond_text conds[MAX_CONDS];
	const char *text, *line, *line_end, *end, *body = NULL, *body_end = NULL;
	char *owned;
	size_t len;
	lua_Debug ar;
	int n = 0, ret;

	*out = NULL;
	lua_pushvalue(L, -1);
	if (!lua_getinfo(L, ">S", &ar) || strcmp(ar.what, "Lua") || ar.linedefined <= 0)
		return gh_buf_puts(desc, "not a Lua function") ? -ENOMEM : 0;
	text = chunk_text(&ar, &owned, &len);
	if (!text)
		return gh_buf_puts(desc, "its source text is not at hand") ? -ENOMEM : 0;
	end = text + len;
	line = text;
	for (int i = 1; i < ar.linedefined && line < end; i++) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));

		line = nl ? nl + 1 : end;
	}
	line_end = memchr(line, '\n', (size_t)(end - line));
	line_end = line_end ? line_end : end;
	/* each "function" that starts on its first line, until one is it */
	for (const char *p = line; p < line_end && !n; p++) {
		struct lexer lx = {p, end};

		if (strncmp(p, "function", 8) || (p > text && is_name_char(p[-1])))
			continue;
		n = parse_function(&lx, s, conds, &body, &body_end);
		if (n && !same_function(L, ar.linedefined, body, (size_t)(body_end - body)))
			n = 0;
	}
	free(owned);
	if (!n)
		return gh_buf_puts(desc, "not only comparisons of record members with constants")
			       ? -ENOMEM : 0;
	*out = gh_filter_new();
	ret = *out ? 0 : -ENOMEM;
	for (int i = 0; i < n && !ret; i++) {
		ret = gh_filter_add_cond(*out, s, conds[i].field, conds[i].op, conds[i].value);
		ret = ret ? ret : gh_buf_printf(desc, "%s%s%s%s", i ? "," : "",
						s->fields[conds[i].field].name, conds[i].op,
						conds[i].value);
	}
	if (ret) {
		gh_filter_free(*out);
		*out = NULL;
		return ret == -EINVAL ? 0 : ret;
	}
	return 1;
}
