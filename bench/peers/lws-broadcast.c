/*
 * lws-broadcast: the broadcast server a team would write on bare libwebsockets, as a peer for Tickhub's
 * benchmark suite. One libuv service thread; /stream clients subscribe to symbols, /publish feeds updates,
 * and every update goes to each subscriber as its own text frame (no batching, no conflation).
 *
 *   lws-broadcast [--port N] [--host ADDR]        (build with bench/peers/build.sh)
 */
#include <libwebsockets.h>
#include <uv.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_LIMIT 100000          /* per connection: a stuck client costs at most this many messages */
#define RX_BUFFER (256 * 1024)      /* publisher frames usually arrive in one RECEIVE callback */
#define MAX_MESSAGE (16 * 1024 * 1024)

/* One encoded update, shared by every subscriber queue that holds it; freed when the last one has sent it. */
struct msg {
	unsigned refs;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of headroom for lws's frame header, then the payload */
};

struct conn;

struct symbol {
	char *name;
	size_t len;
	uint32_t hash;
	struct conn **subs;
	int nsubs, cap;
};

/* lws allocates and zeroes this per connection (per_session_data_size). */
struct conn {
	struct lws *wsi;
	int publisher;
	struct msg **q; /* ring of pending messages; capacity is a power of two */
	unsigned qhead, qlen, qcap;
	struct symbol **syms; /* what this connection is subscribed to, to unsubscribe on close */
	int nsyms, symcap;
	char *rx; /* a message being reassembled from fragments */
	size_t rxlen, rxcap;
	int rx_binary, rx_overflow;
};

static struct symbol **table; /* open addressing; symbols are never removed, so no tombstones */
static size_t table_cap, table_used;
static unsigned long long dropped;

static void *check_alloc(void *p)
{
	if (!p) {
		fprintf(stderr, "lws-broadcast: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n) { return check_alloc(realloc(p, n)); }

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct symbol *symbol_find(const char *name, size_t len, int create)
{
	uint32_t h = hash_bytes(name, len);
	size_t i;

	if (create && (table_used + 1) * 10 > table_cap * 7) {
		size_t old_cap = table_cap, ncap = table_cap ? table_cap * 2 : 1024;
		struct symbol **old = table;
		table = check_alloc(calloc(ncap, sizeof(*table)));
		table_cap = ncap;
		for (i = 0; i < old_cap; i++) {
			if (!old[i])
				continue;
			size_t j = old[i]->hash & (ncap - 1);
			while (table[j])
				j = (j + 1) & (ncap - 1);
			table[j] = old[i];
		}
		free(old);
	}
	if (!table_cap)
		return NULL;
	for (i = h & (table_cap - 1); table[i]; i = (i + 1) & (table_cap - 1))
		if (table[i]->hash == h && table[i]->len == len && !memcmp(table[i]->name, name, len))
			return table[i];
	if (!create)
		return NULL;
	struct symbol *s = check_alloc(calloc(1, sizeof(*s)));
	s->name = xrealloc(NULL, len + 1);
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->len = len;
	s->hash = h;
	table[i] = s;
	table_used++;
	return s;
}

static struct msg *msg_new(const char *payload, size_t len)
{
	struct msg *m = xrealloc(NULL, sizeof(*m) + LWS_PRE + len);
	m->refs = 0;
	m->len = len;
	memcpy(m->data + LWS_PRE, payload, len);
	return m;
}

static void msg_release(struct msg *m)
{
	if (--m->refs == 0)
		free(m);
}

static void enqueue(struct conn *c, struct msg *m)
{
	if (c->qlen >= QUEUE_LIMIT) {
		dropped++;
		return;
	}
	if (c->qlen == c->qcap) {
		unsigned ncap = c->qcap ? c->qcap * 2 : 16, i;
		struct msg **nq = xrealloc(NULL, ncap * sizeof(*nq));
		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) & (c->qcap - 1)];
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qlen) & (c->qcap - 1)] = m;
	c->qlen++;
	m->refs++;
	/* A non-empty queue already has a writeable callback pending (see SERVER_WRITEABLE). */
	if (c->qlen == 1)
		lws_callback_on_writable(c->wsi);
}

static void send_error(struct conn *c, const char *why)
{
	char text[512], *p = text + sprintf(text, "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"");
	for (; *why && p < text + sizeof(text) - 4; why++) { /* the reasons are short ASCII; quotes need escaping */
		if (*why == '"' || *why == '\\')
			*p++ = '\\';
		*p++ = *why;
	}
	p += sprintf(p, "\"}");
	struct msg *m = msg_new(text, (size_t)(p - text));
	enqueue(c, m);
	if (!m->refs)
		free(m);
}

static void subscribe(struct conn *c, const char *name, size_t len)
{
	struct symbol *s = symbol_find(name, len, 1);
	int i;
	for (i = 0; i < c->nsyms; i++)
		if (c->syms[i] == s)
			return;
	if (c->nsyms == c->symcap) {
		c->symcap = c->symcap ? c->symcap * 2 : 8;
		c->syms = xrealloc(c->syms, (size_t)c->symcap * sizeof(*c->syms));
	}
	c->syms[c->nsyms++] = s;
	if (s->nsubs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->subs = xrealloc(s->subs, (size_t)s->cap * sizeof(*s->subs));
	}
	s->subs[s->nsubs++] = c;
}

static void unsubscribe_symbol(struct conn *c, struct symbol *s)
{
	int i;
	for (i = 0; i < s->nsubs; i++)
		if (s->subs[i] == c) {
			s->subs[i] = s->subs[--s->nsubs];
			break;
		}
}

static void unsubscribe(struct conn *c, const char *name, size_t len)
{
	struct symbol *s = symbol_find(name, len, 0);
	int i;
	if (!s)
		return;
	for (i = 0; i < c->nsyms; i++)
		if (c->syms[i] == s) {
			c->syms[i] = c->syms[--c->nsyms];
			unsubscribe_symbol(c, s);
			return;
		}
}

/* ---- a strict little JSON reader for client requests (they are tiny and rare) ---- */

struct cur {
	const char *p, *end;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* Symbols are compared as their raw (still escaped) bytes, the same way the publish scanner sees them. */
static int read_string(struct cur *c, const char **s, size_t *n)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	const char *start = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20)
			return -1;
		if (*c->p == '\\' && ++c->p == c->end)
			return -1;
		c->p++;
	}
	if (c->p >= c->end)
		return -1;
	*s = start;
	*n = (size_t)(c->p++ - start);
	return 0;
}

static int skip_value(struct cur *c, int depth)
{
	const char *s;
	size_t n;

	skip_ws(c);
	if (c->p >= c->end || depth > 64)
		return -1;
	if (*c->p == '"')
		return read_string(c, &s, &n);
	if (*c->p == '{' || *c->p == '[') {
		char close = *c->p == '{' ? '}' : ']';
		c->p++;
		skip_ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				skip_ws(c);
				if (read_string(c, &s, &n))
					return -1;
				skip_ws(c);
				if (c->p >= c->end || *c->p++ != ':')
					return -1;
			}
			if (skip_value(c, depth + 1))
				return -1;
			skip_ws(c);
			if (c->p >= c->end)
				return -1;
			if (*c->p == close) {
				c->p++;
				return 0;
			}
			if (*c->p++ != ',')
				return -1;
		}
	}
	static const char *const literals[] = {"true", "false", "null"};
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(literals[i]);
		if ((size_t)(c->end - c->p) >= len && !memcmp(c->p, literals[i], len)) {
			c->p += len;
			return 0;
		}
	}
	s = c->p;
	while (c->p < c->end && strchr("0123456789+-.eE", *c->p))
		c->p++;
	return c->p == s ? -1 : 0;
}

#define BAD_SHAPE "expected {\"op\":\"subscribe\"|\"unsubscribe\",\"symbols\":[...]}"

/* Validates the whole request before applying it, so a bad request changes nothing. */
static const char *handle_request(struct conn *c, const char *text, size_t len)
{
	struct cur cur = {text, text + len};
	const char *key, *op = NULL, *list = NULL, *s;
	size_t klen, oplen = 0, n;

	if (skip_value(&cur, 0))
		return "invalid JSON";
	skip_ws(&cur);
	if (cur.p != cur.end)
		return "invalid JSON";

	/* The text is valid JSON from here on, so this walk needs no bounds or syntax checks of its own. */
	cur.p = text;
	skip_ws(&cur);
	if (*cur.p++ != '{')
		return BAD_SHAPE;
	skip_ws(&cur);
	while (*cur.p != '}') {
		read_string(&cur, &key, &klen);
		skip_ws(&cur);
		cur.p++; /* ':' */
		skip_ws(&cur);
		if (klen == 2 && !memcmp(key, "op", 2)) {
			op = NULL;
			if (*cur.p == '"')
				read_string(&cur, &op, &oplen);
			else
				skip_value(&cur, 1);
		} else {
			if (klen == 7 && !memcmp(key, "symbols", 7))
				list = cur.p;
			skip_value(&cur, 1);
		}
		skip_ws(&cur);
		if (*cur.p == ',')
			cur.p++;
		skip_ws(&cur);
	}

	int sub = op && oplen == 9 && !memcmp(op, "subscribe", 9);
	int unsub = op && oplen == 11 && !memcmp(op, "unsubscribe", 11);
	if (!(sub || unsub) || !list || *list != '[')
		return BAD_SHAPE;
	for (int apply = 0; apply < 2; apply++) {
		struct cur it = {list + 1, text + len};
		skip_ws(&it);
		while (*it.p != ']') {
			if (*it.p != '"')
				return "symbols must be an array of strings";
			read_string(&it, &s, &n);
			if (apply)
				(sub ? subscribe : unsubscribe)(c, s, n);
			skip_ws(&it);
			if (*it.p == ',')
				it.p++;
			skip_ws(&it);
		}
	}
	return NULL;
}

/* ---- the publish path: forward each top-level object's raw bytes, found by a brace/string scanner ---- */

/* p points at '{'. Returns the end of the object (past '}') or NULL if it never closes; *sym is its "symbol". */
static const char *scan_object(const char *p, const char *end, const char **sym, size_t *symlen)
{
	int depth = 0, symbol_key = 0;
	*sym = NULL;
	for (; p < end; p++) {
		switch (*p) {
		case '"': {
			const char *s = ++p;
			while (p < end && *p != '"')
				p += *p == '\\' ? 2 : 1;
			if (p >= end)
				return NULL;
			if (depth != 1)
				break;
			const char *after = p + 1;
			while (after < end && (*after == ' ' || *after == '\t' || *after == '\n' || *after == '\r'))
				after++;
			if (after < end && *after == ':')
				symbol_key = p - s == 6 && !memcmp(s, "symbol", 6);
			else if (symbol_key) {
				*sym = s;
				*symlen = (size_t)(p - s);
				symbol_key = 0;
			}
			break;
		}
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 1)
				symbol_key = 0; /* "symbol" had a non-string value */
			break;
		}
	}
	return NULL;
}

static void publish(const char *p, size_t len)
{
	const char *end = p + len, *sym, *next;
	size_t symlen;

	while (p < end && *p != '{' && *p != '[')
		p++;
	if (p < end && *p == '[')
		p++;
	for (;;) {
		while (p < end && (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != '{' || !(next = scan_object(p, end, &sym, &symlen)))
			return;
		struct symbol *s = sym ? symbol_find(sym, symlen, 0) : NULL;
		if (s && s->nsubs) {
			struct msg *m = msg_new(p, (size_t)(next - p)); /* encoded once, queued for every subscriber */
			for (int i = 0; i < s->nsubs; i++)
				enqueue(s->subs[i], m);
			if (!m->refs)
				free(m);
		}
		p = next;
	}
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct conn *c = user;
	char path[64];

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		/* Plain HTTP is not served here. */
		if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;

	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0 ||
		    (strcmp(path, "/stream") && strcmp(path, "/publish"))) {
			lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
			return 1;
		}
		return 0;

	case LWS_CALLBACK_ESTABLISHED:
		c->wsi = wsi;
		c->publisher = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) > 0 && !strcmp(path, "/publish");
		return 0;

	case LWS_CALLBACK_RECEIVE:
		if (c->rxlen + len > MAX_MESSAGE)
			c->rx_overflow = 1;
		else if (len) {
			if (c->rxlen + len > c->rxcap) {
				c->rxcap = c->rxlen + len > 2 * c->rxcap ? c->rxlen + len : 2 * c->rxcap;
				c->rx = xrealloc(c->rx, c->rxcap);
			}
			memcpy(c->rx + c->rxlen, in, len);
			c->rxlen += len;
		}
		c->rx_binary = lws_frame_is_binary(wsi);
		if (!lws_is_final_fragment(wsi))
			return 0;
		if (c->publisher) {
			if (!c->rx_binary && !c->rx_overflow)
				publish(c->rx, c->rxlen);
		} else {
			const char *why = c->rx_overflow ? "message too large"
			                  : c->rx_binary ? "binary frames are not supported"
			                                 : handle_request(c, c->rx, c->rxlen);
			if (why)
				send_error(c, why);
		}
		c->rxlen = 0;
		c->rx_overflow = 0;
		if (c->rxcap > 64 * 1024) { /* don't keep one large frame's buffer for the connection's lifetime */
			free(c->rx);
			c->rx = NULL;
			c->rxcap = 0;
		}
		return 0;

	case LWS_CALLBACK_SERVER_WRITEABLE: {
		if (!c->qlen)
			return 0;
		struct msg *m = c->q[c->qhead];
		c->qhead = (c->qhead + 1) & (c->qcap - 1);
		c->qlen--;
		/* lws takes one write per writeable callback; it buffers whatever the socket would not accept. */
		int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
		int short_write = n < (int)m->len;
		msg_release(m);
		if (short_write)
			return -1;
		if (c->qlen)
			lws_callback_on_writable(wsi);
		return 0;
	}

	case LWS_CALLBACK_CLOSED:
		for (int i = 0; i < c->nsyms; i++)
			unsubscribe_symbol(c, c->syms[i]);
		while (c->qlen) {
			msg_release(c->q[c->qhead]);
			c->qhead = (c->qhead + 1) & (c->qcap - 1);
			c->qlen--;
		}
		free(c->q);
		free(c->syms);
		free(c->rx);
		return 0;

	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	/* First in the list, so upgrades without a Sec-WebSocket-Protocol header bind to it. */
	{"broadcast", callback, sizeof(struct conn), RX_BUFFER, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(uv_signal_t *handle, int signum)
{
	(void)signum;
	uv_stop(handle->loop);
}

static void close_handle(uv_handle_t *handle, void *arg)
{
	(void)arg;
	if (!uv_is_closing(handle))
		uv_close(handle, NULL);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	int port = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--host") && i + 1 < argc)
			host = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--port N] [--host ADDR]\n", argv[0]);
			return 2;
		}
	}

	lws_set_log_level(LLL_ERR, NULL);
	uv_loop_t loop;
	uv_loop_init(&loop);
	uv_signal_t sigterm, sigint;
	uv_signal_init(&loop, &sigterm);
	uv_signal_init(&loop, &sigint);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_start(&sigint, on_signal, SIGINT);

	void *loops[] = {&loop};
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	/* FAIL_UPON_UNABLE_TO_BIND: a port in use is an error, not something to retry. */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (!strchr(host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.foreign_loops = loops;
	info.pt_serv_buf_size = RX_BUFFER; /* lws reads at most this much from a socket per service */
	struct lws_context *context = lws_create_context(&info);
	/* When the listen socket cannot be bound, lws still creates the context, only without its vhost. */
	struct lws_vhost *vhost = context ? lws_get_vhost_by_name(context, "default") : NULL;
	if (!vhost) {
		fprintf(stderr, "lws-broadcast: could not listen on %s:%d\n", host, port);
		return 1;
	}
	printf("lws-broadcast: listening port=%d\n", lws_get_vhost_listen_port(vhost));
	fflush(stdout);

	uv_run(&loop, UV_RUN_DEFAULT); /* until a signal stops it */

	fprintf(stderr, "lws-broadcast: dropped %llu messages (per-connection queue limit %d)\n", dropped, QUEUE_LIMIT);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	lws_context_destroy(context);
	/* lws closes its libuv handles asynchronously: let that finish, then close anything left over. */
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_walk(&loop, close_handle, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}
