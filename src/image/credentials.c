/* A user's registry credentials: burrow's netrc file (as Enroot keeps it), docker's config.json,
 * docker credential helpers, and the edits of burrow login/logout. Not challenges or base64 (auth.c). */
#include <stddef.h> /* auth.h uses size_t without including it */

#include "image/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/paths.h"

/* Credential files are small; a larger one is a mistake, not a file to load. */
#define CONFIG_FILE_MAX    (4u << 20)
#define HELPER_OUTPUT_MAX  (64u << 10)
#define HELPER_STDERR_KEPT 512
#define HELPER_NAME_MAX    64
#define HOST_MAX           1024
/* Hosts, keys and names are cut to this in messages. */
#define SHOWN_MAX 100

/* docker's server address for Docker Hub: the key `docker login` writes and helpers store. */
#define DOCKER_HUB_SERVER "https://index.docker.io/v1/"

/* Secrets are wiped before their memory goes back to the allocator. */
static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void cleanup_secret_fn(char **s)
{
	free_secret(*s);
}
#define cleanup_secret __attribute__((cleanup(cleanup_secret_fn)))

static void cleanup_json_fn(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(cleanup_json_fn)))

void credentials_free(struct credentials *c)
{
	if (!c)
		return;
	free_secret(c->user);
	free_secret(c->secret);
	c->user = NULL;
	c->secret = NULL;
}

static int set_credentials(struct credentials *c, const char *user, size_t user_len, const char *secret,
                           struct error *err)
{
	c->user = strndup(user, user_len);
	c->secret = strdup(secret);
	if (!c->user || !c->secret) {
		credentials_free(c);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 1;
}

/* s made printable and cut to fit messages: hosts and names come from files and programs. */
static const char *shown(const char *s, char buf[SHOWN_MAX + 4])
{
	size_t n = 0;
	for (; s[n] && n < SHOWN_MAX; n++)
		buf[n] = (unsigned char)s[n] < 0x20 || (unsigned char)s[n] >= 0x7f ? '?' : s[n];
	strcpy(buf + n, s[n] ? "..." : "");
	return buf;
}

static bool is_docker_hub_n(const char *host, size_t n)
{
	static const char *const names[] = {"docker.io", "index.docker.io", "registry-1.docker.io"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncmp(host, names[i], n) == 0)
			return true;
	return false;
}

static bool is_docker_hub(const char *host)
{
	return is_docker_hub_n(host, strlen(host));
}

/* ---- netrc ---- */

enum netrc_kind {
	NETRC_MACHINE,
	NETRC_DEFAULT
};

struct netrc_entry {
	enum netrc_kind kind;
	char *host, *login, *password;
	size_t start, end; /* the entry's words in the text, from "machine" to its last value */
	unsigned line;
};

struct netrc {
	struct netrc_entry *entries;
	size_t n, cap;
	bool open_macdef; /* the text ends inside a macdef body that no blank line closed */
};

struct netrc_lexer {
	const char *text;
	size_t pos, line_start;
	unsigned line;
};

struct netrc_word {
	char *value;
	size_t start, end;
	unsigned line, column;
};

static void netrc_release(struct netrc *nr)
{
	for (size_t i = 0; i < nr->n; i++) {
		free(nr->entries[i].host);
		free_secret(nr->entries[i].login);
		free_secret(nr->entries[i].password);
	}
	free(nr->entries);
	memset(nr, 0, sizeof(*nr));
}

static bool netrc_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static void lexer_newline(struct netrc_lexer *lx)
{
	lx->pos++;
	lx->line++;
	lx->line_start = lx->pos;
}

/* The next word: 1, 0 at the end, -1 malformed. Where a keyword is expected, '#' starts a
 * comment to the end of the line; where a value is expected it is part of the value, so a
 * password may begin with '#'. A value in double quotes may hold spaces; inside it a backslash
 * takes the next character as it is. */
static int netrc_next(struct netrc_lexer *lx, bool want_value, struct netrc_word *w, struct error *err)
{
	const char *t = lx->text;
	for (;;) {
		while (netrc_space(t[lx->pos])) {
			if (t[lx->pos] == '\n')
				lexer_newline(lx);
			else
				lx->pos++;
		}
		if (t[lx->pos] == '\0')
			return 0;
		if (want_value || t[lx->pos] != '#')
			break;
		while (t[lx->pos] && t[lx->pos] != '\n')
			lx->pos++;
	}
	w->start = lx->pos;
	w->line = lx->line;
	w->column = (unsigned)(lx->pos - lx->line_start + 1);
	size_t p = lx->pos;
	if (t[p] != '"') {
		while (t[p] && !netrc_space(t[p]))
			p++;
		w->value = strndup(t + lx->pos, p - lx->pos);
	} else {
		size_t raw_end = p + 1;
		while (t[raw_end] && t[raw_end] != '\n' && t[raw_end] != '"')
			raw_end += t[raw_end] == '\\' && t[raw_end + 1] && t[raw_end + 1] != '\n' ? 2 : 1;
		if (t[raw_end] != '"')
			return error_set(err, EINVAL, "line %u, column %u: unterminated quoted value",
			                 w->line, w->column);
		if (t[raw_end + 1] && !netrc_space(t[raw_end + 1]))
			return error_set(err, EINVAL,
			                 "line %u, column %u: a space must follow a quoted value", w->line,
			                 w->column);
		w->value = malloc(raw_end - p);
		if (w->value) {
			size_t o = 0;
			for (size_t i = p + 1; i < raw_end; i++) {
				if (t[i] == '\\')
					i++;
				w->value[o++] = t[i];
			}
			w->value[o] = '\0';
		}
		p = raw_end + 1;
	}
	if (!w->value)
		return error_set(err, ENOMEM, "out of memory");
	lx->pos = p;
	w->end = p;
	return 1;
}

/* After "macdef NAME": the macro runs to the end of the line and on to the next blank line. */
static void netrc_skip_macro(struct netrc_lexer *lx, struct netrc *nr)
{
	const char *t = lx->text;
	while (t[lx->pos] && t[lx->pos] != '\n')
		lx->pos++;
	if (t[lx->pos] == '\0') {
		nr->open_macdef = true;
		return;
	}
	lexer_newline(lx);
	for (;;) {
		if (t[lx->pos] == '\0') {
			nr->open_macdef = true;
			return;
		}
		size_t p = lx->pos;
		while (t[p] == ' ' || t[p] == '\t' || t[p] == '\r')
			p++;
		if (t[p] == '\0') {
			lx->pos = p;
			nr->open_macdef = true;
			return;
		}
		bool blank = t[p] == '\n';
		while (t[p] && t[p] != '\n')
			p++;
		lx->pos = p;
		if (t[p] == '\n')
			lexer_newline(lx);
		if (blank)
			return;
	}
}

static struct netrc_entry *netrc_add(struct netrc *nr, enum netrc_kind kind, const struct netrc_word *w)
{
	if (nr->n == nr->cap) {
		size_t cap = nr->cap ? nr->cap * 2 : 8;
		struct netrc_entry *e = realloc(nr->entries, cap * sizeof(*e));
		if (!e)
			return NULL;
		nr->entries = e;
		nr->cap = cap;
	}
	struct netrc_entry *e = &nr->entries[nr->n++];
	*e = (struct netrc_entry){.kind = kind, .start = w->start, .end = w->end, .line = w->line};
	return e;
}

/* The whole text is parsed, so a file is either good or reported, wherever its fault lies. */
static int netrc_parse(const char *text, struct netrc *nr, struct error *err)
{
	memset(nr, 0, sizeof(*nr));
	struct netrc_lexer lx = {.text = text, .line = 1};
	struct netrc_entry *cur = NULL;
	for (;;) {
		struct netrc_word kw = {0};
		int r = netrc_next(&lx, false, &kw, err);
		if (r <= 0)
			return r;
		cleanup_free char *keyword = kw.value;
		bool is_machine = strcmp(keyword, "machine") == 0;
		char **field = NULL;
		if (is_machine || strcmp(keyword, "default") == 0) {
			cur = netrc_add(nr, is_machine ? NETRC_MACHINE : NETRC_DEFAULT, &kw);
			if (!cur)
				return error_set(err, ENOMEM, "out of memory");
			if (!is_machine)
				continue;
			field = &cur->host;
		} else if (strcmp(keyword, "login") == 0 || strcmp(keyword, "password") == 0 ||
		           strcmp(keyword, "account") == 0) {
			if (!cur)
				return error_set(err, EINVAL,
				                 "line %u, column %u: '%s' outside a machine entry", kw.line,
				                 kw.column, keyword);
			field = keyword[0] == 'l' ? &cur->login : keyword[0] == 'p' ? &cur->password : NULL;
		} else if (strcmp(keyword, "macdef") != 0) {
			/* The word itself is not shown: it may be half of a password that holds a space. */
			return error_set(
			        err, EINVAL,
			        "line %u, column %u: unexpected word; expected machine, default, login, "
			        "password, account or macdef (quote values that contain spaces)",
			        kw.line, kw.column);
		}
		struct netrc_word val = {0};
		r = netrc_next(&lx, true, &val, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return error_set(err, EINVAL, "line %u, column %u: '%s' without a value", kw.line,
			                 kw.column, keyword);
		if (strcmp(keyword, "macdef") == 0) {
			free(val.value);
			cur = NULL;
			netrc_skip_macro(&lx, nr);
			continue;
		}
		if (field) {
			free_secret(*field);
			*field = val.value;
		} else {
			free_secret(val.value);
		}
		cur->end = val.end;
	}
}

static bool login_matches(const struct netrc_entry *e, const char *user)
{
	return !user || (e->login && strcmp(e->login, user) == 0);
}

/* The length of host without its ":PORT" ("[::1]:5000" → 5). */
static size_t host_name_len(const char *host)
{
	const char *colon = strrchr(host, ':');
	const char *bracket = strrchr(host, ']');
	if (!colon || (bracket && colon < bracket) || (!bracket && strchr(host, ':') != colon))
		return strlen(host);
	return (size_t)(colon - host);
}

/* The first machine entry for host ("HOST:PORT" as written), then for its name without the port
 * (curl's netrc, and so Enroot's, knows no ports), else the first default entry; user, when
 * given, must be the entry's login. */
static const struct netrc_entry *netrc_find(const struct netrc *nr, const char *host, const char *user)
{
	for (size_t i = 0; i < nr->n; i++)
		if (nr->entries[i].kind == NETRC_MACHINE && strcmp(nr->entries[i].host, host) == 0 &&
		    login_matches(&nr->entries[i], user))
			return &nr->entries[i];
	size_t name_len = host_name_len(host);
	for (size_t i = 0; name_len < strlen(host) && i < nr->n; i++)
		if (nr->entries[i].kind == NETRC_MACHINE && strlen(nr->entries[i].host) == name_len &&
		    strncmp(nr->entries[i].host, host, name_len) == 0 && login_matches(&nr->entries[i], user))
			return &nr->entries[i];
	for (size_t i = 0; i < nr->n; i++)
		if (nr->entries[i].kind == NETRC_DEFAULT && login_matches(&nr->entries[i], user))
			return &nr->entries[i];
	return NULL;
}

static int netrc_take(const struct netrc_entry *e, struct credentials *c, struct error *err)
{
	if (!e->login || !e->password) {
		char buf[SHOWN_MAX + 4];
		return error_set(err, EINVAL, "line %u: the %s%s entry has no %s (run 'burrow login' again)",
		                 e->line, e->kind == NETRC_DEFAULT ? "default" : "machine ",
		                 e->kind == NETRC_DEFAULT ? "" : shown(e->host, buf),
		                 e->login ? "password" : "login");
	}
	return set_credentials(c, e->login, strlen(e->login), e->password, err);
}

int credentials_from_netrc(const char *text, const char *host, struct credentials *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	struct netrc nr;
	if (netrc_parse(text, &nr, err) < 0) {
		netrc_release(&nr);
		return -1;
	}
	const struct netrc_entry *e = netrc_find(&nr, host, NULL);
	int rc = e ? netrc_take(e, c, err) : 0;
	netrc_release(&nr);
	return rc;
}

/* ---- docker's config.json ---- */

static bool helper_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > HELPER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_' || name[i] == '.' || name[i] == '-'))
			return false;
	return true;
}

/* An auths or credHelpers key names host when, without its scheme and path, it is host, or
 * when both are names of Docker Hub. */
static bool key_matches(const char *key, const char *host)
{
	const char *h = strstr(key, "://");
	h = h ? h + 3 : key;
	size_t n = strcspn(h, "/");
	if (strlen(host) == n && strncmp(h, host, n) == 0)
		return true;
	return is_docker_hub(host) && is_docker_hub_n(h, n);
}

/* The value for host in obj: a key spelled exactly as host first, then the first that matches. */
static json_t *find_host(json_t *obj, const char *host, const char **key_out)
{
	json_t *v = json_object_get(obj, host);
	if (v) {
		*key_out = host;
		return v;
	}
	const char *key;
	json_object_foreach(obj, key, v)
	{
		if (key_matches(key, host)) {
			*key_out = key;
			return v;
		}
	}
	return NULL;
}

static int take_helper(const char *name, const char *what, char **helper, struct error *err)
{
	char buf[SHOWN_MAX + 4];
	if (!helper_name_valid(name))
		return error_set(err, EINVAL,
		                 "%s: invalid credential helper name '%s' (a-z, 0-9, '_', '.', '-' only)",
		                 what, shown(name, buf));
	if (!helper)
		return 0;
	*helper = strdup(name);
	return *helper ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* A string member of an auths entry: NULL when absent, null or empty; -1 when of another type. */
static int auth_field(json_t *entry, const char *key, const char *field, const char **out, struct error *err)
{
	json_t *v = json_object_get(entry, field);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		char buf[SHOWN_MAX + 4];
		return error_set(err, EINVAL, "auths.%s.%s: not a string", shown(key, buf), field);
	}
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

/* An identity token (an OAuth refresh token from `docker login`) comes back as user "<token>",
 * docker's own convention: the token endpoint is then asked with grant_type=refresh_token. It
 * wins over "auth" because docker stores an empty password next to it. */
static int auths_entry(json_t *entry, const char *key, struct credentials *c, struct error *err)
{
	char buf[SHOWN_MAX + 4];
	if (!json_is_object(entry))
		return error_set(err, EINVAL, "auths.%s: not an object", shown(key, buf));
	const char *token, *auth, *username, *password;
	if (auth_field(entry, key, "identitytoken", &token, err) < 0 ||
	    auth_field(entry, key, "auth", &auth, err) < 0 ||
	    auth_field(entry, key, "username", &username, err) < 0 ||
	    auth_field(entry, key, "password", &password, err) < 0)
		return -1;
	if (token)
		return set_credentials(c, "<token>", 7, token, err);
	if (auth) {
		size_t len = 0;
		cleanup_secret char *pair = base64_decode(auth, &len);
		const char *colon = pair && strlen(pair) == len ? strchr(pair, ':') : NULL;
		if (!colon)
			return error_set(err, EINVAL, "auths.%s.auth: not the base64 of \"user:password\"",
			                 shown(key, buf));
		return set_credentials(c, pair, (size_t)(colon - pair), colon + 1, err);
	}
	if (username && password)
		return set_credentials(c, username, strlen(username), password, err);
	return 0;
}

/* Precedence: credHelpers[host], then credentials written in auths[host], then credsStore.
 * Docker itself asks credsStore even when auths holds credentials (it then ignores them);
 * here credentials a file spells out win, so a config.json copied from a laptop with
 * credsStore "desktop" still works on a cluster where it has inline credentials. */
int credentials_from_docker_config(const char *text, const char *host, struct credentials *c, char **helper,
                                   struct error *err)
{
	memset(c, 0, sizeof(*c));
	if (helper)
		*helper = NULL;
	json_error_t jerr;
	cleanup_json json_t *root = json_loads(text, 0, &jerr);
	if (!root)
		return error_set(err, EINVAL, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root))
		return error_set(err, EINVAL, "not a JSON object");

	json_t *helpers = json_object_get(root, "credHelpers");
	if (helpers && !json_is_null(helpers)) {
		if (!json_is_object(helpers))
			return error_set(err, EINVAL, "credHelpers: not an object");
		const char *key;
		json_t *name = find_host(helpers, host, &key);
		char buf[SHOWN_MAX + 4], what[SHOWN_MAX + 32];
		snprintf(what, sizeof(what), "credHelpers.%s", name ? shown(key, buf) : "");
		if (name && !json_is_string(name))
			return error_set(err, EINVAL, "%s: not a string", what);
		if (name && json_string_length(name) > 0)
			return take_helper(json_string_value(name), what, helper, err);
	}

	json_t *auths = json_object_get(root, "auths");
	if (auths && !json_is_null(auths)) {
		if (!json_is_object(auths))
			return error_set(err, EINVAL, "auths: not an object");
		const char *key;
		json_t *entry = find_host(auths, host, &key);
		int rc = entry ? auths_entry(entry, key, c, err) : 0;
		if (rc != 0)
			return rc;
	}

	json_t *store = json_object_get(root, "credsStore");
	if (store && !json_is_null(store)) {
		if (!json_is_string(store))
			return error_set(err, EINVAL, "credsStore: not a string");
		if (json_string_length(store) > 0)
			return take_helper(json_string_value(store), "credsStore", helper, err);
	}
	return 0;
}

/* ---- docker credential helpers ---- */

/* The executable named file in PATH's directories (empty entries and relative ones skipped:
 * the current directory is no place to find a program that receives secrets). */
static char *find_on_path(const char *file)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0 && p[0] == '/') {
			char *full = NULL;
			if (asprintf(&full, "%.*s/%s", (int)n, p, file) < 0)
				return NULL;
			if (fs_is_file(full) && access(full, X_OK) == 0)
				return full;
			free(full);
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

struct helper_output {
	char *out;
	size_t out_len;
	bool out_too_large;
	char err[HELPER_STDERR_KEPT + 1];
	size_t err_len;
};

/* Read the helper's stdout and stderr together until both close (so that neither can fill and
 * stall it). Returns 0, or -1 with errno. */
static int read_helper(int out_fd, int err_fd, struct helper_output *ho)
{
	struct pollfd fds[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
	ho->out = malloc(HELPER_OUTPUT_MAX + 1);
	if (!ho->out) {
		errno = ENOMEM;
		return -1;
	}
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			char discard[4096];
			char *buf = discard;
			size_t room = sizeof(discard);
			if (i == 0 && ho->out_len < HELPER_OUTPUT_MAX + 1) {
				buf = ho->out + ho->out_len;
				room = HELPER_OUTPUT_MAX + 1 - ho->out_len;
			} else if (i == 1 && ho->err_len < HELPER_STDERR_KEPT) {
				buf = ho->err + ho->err_len;
				room = HELPER_STDERR_KEPT - ho->err_len;
			}
			ssize_t n = read(fds[i].fd, buf, room);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0)
				return -1;
			if (n == 0) {
				fds[i].fd = -1;
				continue;
			}
			if (i == 0 && buf != discard)
				ho->out_len += (size_t)n;
			else if (i == 1 && buf != discard)
				ho->err_len += (size_t)n;
			if (i == 0 && ho->out_len > HELPER_OUTPUT_MAX) {
				ho->out_too_large = true;
				return 0;
			}
		}
	}
	return 0;
}

/* The first line of what the helper said, printable and short, for a message. */
static const char *helper_said(const struct helper_output *ho, char buf[SHOWN_MAX + 4])
{
	const char *s = ho->err;
	size_t n = ho->err_len;
	if (n == 0 || strspn(s, " \t\r\n") == n) {
		s = ho->out;
		n = ho->out_len;
	}
	char line[SHOWN_MAX + 1];
	size_t o = 0;
	for (size_t i = 0; i < n && o < SHOWN_MAX; i++) {
		if (s[i] == '\n' && o > 0)
			break;
		if (s[i] != '\n')
			line[o++] = s[i];
	}
	line[o] = '\0';
	return shown(line, buf);
}

static int parse_helper_json(const char *name, const struct helper_output *ho, struct credentials *c,
                             struct error *err)
{
	json_error_t jerr;
	cleanup_json json_t *doc = json_loadb(ho->out, ho->out_len, 0, &jerr);
	json_t *user = doc ? json_object_get(doc, "Username") : NULL;
	json_t *secret = doc ? json_object_get(doc, "Secret") : NULL;
	if (!json_is_object(doc) || !json_is_string(secret) || (user && !json_is_string(user)))
		return error_set(
		        err, EPROTO,
		        "docker-credential-%s: its output is not {\"Username\": ..., \"Secret\": ...}", name);
	const char *u = user ? json_string_value(user) : "";
	/* An empty secret is how some helpers say they have nothing. */
	if (json_string_length(secret) == 0)
		return 0;
	return set_credentials(c, u, strlen(u), json_string_value(secret), err);
}

static void cleanup_helper_output(struct helper_output *ho)
{
	if (ho->out) {
		explicit_bzero(ho->out, ho->out_len);
		free(ho->out);
	}
}

int credentials_from_helper(const char *name, const char *host, struct credentials *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	char buf[SHOWN_MAX + 4];
	if (!helper_name_valid(name))
		return error_set(err, EINVAL,
		                 "invalid credential helper name '%s' (a-z, 0-9, '_', '.', '-' only)",
		                 shown(name, buf));
	size_t host_len = strlen(host);
	if (host_len == 0 || host_len > HOST_MAX)
		return error_set(err, EINVAL, "docker-credential-%s: invalid registry host", name);
	cleanup_free char *file = NULL;
	if (asprintf(&file, "docker-credential-%s", name) < 0)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_free char *exe = find_on_path(file);
	if (!exe)
		return error_set(err, ENOENT,
		                 "%s not found on PATH: install it, or remove it from the docker config "
		                 "(credsStore, credHelpers)",
		                 file);

	/* stdin is a socket so that writing to a helper that never reads fails with EPIPE
	 * (MSG_NOSIGNAL) instead of killing us with SIGPIPE. */
	int in[2], out[2], errp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return error_errno(err, "%s: socketpair", file);
	if (pipe2(out, O_CLOEXEC) < 0) {
		int rc = error_errno(err, "%s: pipe", file);
		close(in[0]);
		close(in[1]);
		return rc;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		int rc = error_errno(err, "%s: pipe", file);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return rc;
	}
	static char verb[] = "get";
	char *const argv[] = {exe, verb, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls here. The copies above 2 keep one pipe from being
		 * overwritten by another when the parent had 0, 1 or 2 closed. */
		int fds[3] = {in[1], out[1], errp[1]};
		for (int i = 0; i < 3; i++)
			if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
				_exit(127);
		for (int i = 0; i < 3; i++)
			if (dup2(fds[i], i) < 0)
				_exit(127);
		execve(exe, argv, environ);
		_exit(127);
	}
	int fork_errno = errno;
	close(in[1]);
	close(out[1]);
	close(errp[1]);
	cleanup_close int to_child = in[0], from_child = out[0], err_from_child = errp[0];
	if (pid < 0) {
		errno = fork_errno;
		return error_errno(err, "%s: fork", file);
	}

	/* docker sends the server address without a newline; a helper that exits without reading
	 * it is judged by its exit status below. */
	for (size_t done = 0; done < host_len;) {
		ssize_t n = send(to_child, host + done, host_len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		done += (size_t)n;
	}
	close(steal_fd(&to_child));

	__attribute__((cleanup(cleanup_helper_output))) struct helper_output ho = {0};
	int read_rc = read_helper(from_child, err_from_child, &ho);
	int read_errno = errno;
	if (read_rc < 0 || ho.out_too_large)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return error_errno(err, "%s: wait", file);
	}
	if (read_rc < 0) {
		errno = read_errno;
		return error_errno(err, "%s: read its output", file);
	}
	if (ho.out_too_large)
		return error_set(err, EPROTO, "%s: output larger than %u bytes", file, HELPER_OUTPUT_MAX);
	ho.out[ho.out_len] = '\0';
	ho.err[ho.err_len] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return parse_helper_json(name, &ho, c, err);
	/* docker's helpers answer a host they hold nothing for this way ("credentials not found in
	 * native keychain"), with a non-zero status. */
	if (memmem(ho.out, ho.out_len, "credentials not found", 21))
		return 0;
	if (WIFSIGNALED(status))
		return error_set(err, EPROTO, "%s: killed by signal %d", file, WTERMSIG(status));
	return error_set(err, EPROTO, "%s: exit status %d: %s", file, WEXITSTATUS(status),
	                 helper_said(&ho, buf));
}

/* ---- where the files are, and the lookup ---- */

/* $XDG_CONFIG_HOME/burrow, else ~/.config/burrow (malloc'd). */
static char *config_dir(struct error *err)
{
	char *out = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/') {
		if (asprintf(&out, "%s/burrow", xdg) < 0)
			out = NULL;
	} else {
		cleanup_free char *home = paths_home();
		if (!home) {
			error_set(err, ENOENT, "cannot find the home directory: set HOME or XDG_CONFIG_HOME");
			return NULL;
		}
		if (asprintf(&out, "%s/.config/burrow", home) < 0)
			out = NULL;
	}
	if (!out)
		error_set(err, ENOMEM, "out of memory");
	return out;
}

static char *credentials_path(struct error *err)
{
	cleanup_free char *dir = config_dir(err);
	char *out = NULL;
	if (dir && asprintf(&out, "%s/.credentials", dir) < 0) {
		error_set(err, ENOMEM, "out of memory");
		out = NULL;
	}
	return out;
}

char *credentials_file(struct error *err)
{
	return credentials_path(err);
}

/* 1 with *text, 0 when path does not exist, -1 when it cannot be read. */
static int read_text(const char *path, char **text, struct error *err)
{
	size_t len = 0;
	*text = fs_read_file_at(AT_FDCWD, path, false, CONFIG_FILE_MAX, &len, err);
	if (!*text && err->code == ENOENT) {
		error_clear(err);
		return 0;
	}
	if (!*text)
		return -1;
	if (strlen(*text) != len) {
		free_secret(*text);
		*text = NULL;
		return error_set(err, EINVAL, "%s: holds a NUL byte: it is not a text file", path);
	}
	return 1;
}

static int lookup_netrc_file(const char *path, const char *host, const char *user, struct credentials *c,
                             struct error *err)
{
	cleanup_secret char *text = NULL;
	int rc = read_text(path, &text, err);
	if (rc <= 0)
		return rc;
	struct netrc nr;
	if (netrc_parse(text, &nr, err) < 0) {
		netrc_release(&nr);
		error_prefix(err, "%s", path);
		return -1;
	}
	/* Docker Hub goes by several names; Enroot's documentation writes auth.docker.io. */
	static const char *const hub[] = {"docker.io", "registry-1.docker.io", "index.docker.io",
	                                  "auth.docker.io"};
	const struct netrc_entry *e = netrc_find(&nr, host, user);
	if ((!e || e->kind == NETRC_DEFAULT) && is_docker_hub(host)) {
		for (size_t i = 0; i < sizeof(hub) / sizeof(hub[0]); i++) {
			const struct netrc_entry *alias = netrc_find(&nr, hub[i], user);
			if (alias && alias->kind == NETRC_MACHINE) {
				e = alias;
				break;
			}
		}
	}
	rc = e ? netrc_take(e, c, err) : 0;
	if (rc < 0)
		error_prefix(err, "%s", path);
	netrc_release(&nr);
	return rc;
}

static int lookup_docker_file(const char *path, const char *host, const char *user, struct credentials *c,
                              struct error *err)
{
	cleanup_secret char *text = NULL;
	int rc = read_text(path, &text, err);
	if (rc <= 0)
		return rc;
	cleanup_free char *helper = NULL;
	rc = credentials_from_docker_config(text, host, c, &helper, err);
	if (rc == 0 && helper)
		rc = credentials_from_helper(helper, is_docker_hub(host) ? DOCKER_HUB_SERVER : host, c, err);
	if (rc < 0) {
		error_prefix(err, "%s", path);
		return -1;
	}
	if (rc == 1 && user && strcmp(user, c->user) != 0) {
		credentials_free(c);
		return 0;
	}
	return rc;
}

int credentials_lookup(const char *host, const char *user, struct credentials *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	/* No home directory means no file of ours, not a failure: anonymous pulls still work. */
	cleanup_free char *own = credentials_path(err);
	if (!own && err->code != ENOENT)
		return -1;
	int rc = own ? lookup_netrc_file(own, host, user, c, err) : 0;
	if (rc != 0)
		return rc;

	const char *auth_file = getenv("REGISTRY_AUTH_FILE");
	if (auth_file && *auth_file) {
		rc = lookup_docker_file(auth_file, host, user, c, err);
		if (rc != 0)
			return rc;
	}

	cleanup_free char *docker = NULL;
	const char *docker_dir = getenv("DOCKER_CONFIG");
	if (docker_dir && *docker_dir) {
		if (asprintf(&docker, "%s/config.json", docker_dir) < 0)
			docker = NULL;
	} else {
		cleanup_free char *home = paths_home();
		if (!home)
			return 0;
		if (asprintf(&docker, "%s/.docker/config.json", home) < 0)
			docker = NULL;
	}
	if (!docker)
		return error_set(err, ENOMEM, "out of memory");
	return lookup_docker_file(docker, host, user, c, err);
}

/* ---- burrow login / logout ---- */

static bool host_valid(const char *host)
{
	size_t n = strlen(host);
	if (n == 0 || n > HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		      (host[i] >= '0' && host[i] <= '9') || strchr(".-_:[]", host[i])))
			return false;
	return true;
}

static bool value_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A value as a netrc word: quoted (with '"' and '\' escaped) when it holds a space, could be
 * read as a comment by other netrc readers, or starts with a quote. Returns the bytes written. */
static size_t put_word(char *out, const char *s)
{
	bool quote = s[0] == '"' || s[0] == '#' || strpbrk(s, " \t\r\n\f\v") != NULL;
	size_t o = 0;
	if (!quote) {
		o = strlen(s);
		memcpy(out, s, o);
		return o;
	}
	out[o++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	return o;
}

static char *format_entry(const char *host, const char *user, const char *secret)
{
	char *out = malloc(40 + 2 * (strlen(host) + strlen(user) + strlen(secret)));
	if (!out)
		return NULL;
	size_t o = 0;
	memcpy(out + o, "machine ", 8);
	o += 8;
	o += put_word(out + o, host);
	memcpy(out + o, " login ", 7);
	o += 7;
	o += put_word(out + o, user);
	memcpy(out + o, " password ", 10);
	o += 10;
	o += put_word(out + o, secret);
	out[o] = '\0';
	return out;
}

/* The bytes to cut for an entry that goes: its whole line when nothing else is on it. */
static void removal_span(const char *text, size_t len, const struct netrc_entry *e, size_t *from, size_t *to)
{
	size_t s = e->start, t = e->end;
	while (s > 0 && (text[s - 1] == ' ' || text[s - 1] == '\t'))
		s--;
	while (t < len && (text[t] == ' ' || text[t] == '\t' || text[t] == '\r'))
		t++;
	if ((s == 0 || text[s - 1] == '\n') && (t == len || text[t] == '\n')) {
		*from = s;
		*to = t < len ? t + 1 : t;
	} else {
		*from = e->start;
		*to = e->end;
	}
}

/* text with host's machine entries replaced by entry (the first in place, the others removed),
 * or removed when entry is NULL. Other lines, comments included, stay byte for byte. A new
 * entry goes before a "default" entry (which other netrc readers want last), else at the end. */
static char *netrc_edit(const char *text, const struct netrc *nr, const char *host, const char *entry,
                        size_t *out_len, bool *changed)
{
	size_t len = strlen(text), entry_len = entry ? strlen(entry) : 0;
	char *out = malloc(len + entry_len + 4);
	if (!out)
		return NULL;
	size_t o = 0, pos = 0;
	bool placed = false;
	const struct netrc_entry *first_default = NULL;
	*changed = false;
	for (size_t i = 0; i < nr->n; i++) {
		const struct netrc_entry *e = &nr->entries[i];
		if (e->kind == NETRC_DEFAULT && !first_default)
			first_default = e;
		if (e->kind != NETRC_MACHINE || strcmp(e->host, host) != 0)
			continue;
		*changed = true;
		size_t from = e->start, to = e->end;
		if (!entry || placed)
			removal_span(text, len, e, &from, &to);
		memcpy(out + o, text + pos, from - pos);
		o += from - pos;
		if (entry && !placed) {
			memcpy(out + o, entry, entry_len);
			o += entry_len;
			placed = true;
		}
		pos = to;
	}
	if (entry && !placed && first_default) {
		size_t at = first_default->start, line_start = at;
		while (line_start > 0 && (text[line_start - 1] == ' ' || text[line_start - 1] == '\t'))
			line_start--;
		bool own_line = line_start == 0 || text[line_start - 1] == '\n';
		at = own_line ? line_start : at;
		memcpy(out + o, text, at);
		o += at;
		memcpy(out + o, entry, entry_len);
		o += entry_len;
		out[o++] = own_line ? '\n' : ' ';
		pos = at;
		placed = true;
	}
	memcpy(out + o, text + pos, len - pos);
	o += len - pos;
	if (entry && !placed) {
		if (o > 0 && out[o - 1] != '\n')
			out[o++] = '\n';
		if (nr->open_macdef)
			out[o++] = '\n';
		memcpy(out + o, entry, entry_len);
		o += entry_len;
		out[o++] = '\n';
	}
	out[o] = '\0';
	*changed = *changed || (entry != NULL);
	*out_len = o;
	return out;
}

/* Check the edit before it replaces the file: host's entry is the new one, or gone. */
static bool edit_verified(const char *text, const char *host, const char *user, const char *secret)
{
	struct netrc nr;
	struct error ignored;
	bool ok = false;
	if (netrc_parse(text, &nr, &ignored) == 0) {
		const struct netrc_entry *e = netrc_find(&nr, host, NULL);
		if (!user)
			ok = !e || e->kind != NETRC_MACHINE;
		else
			ok = e && e->kind == NETRC_MACHINE && e->login && e->password &&
			     strcmp(e->login, user) == 0 && strcmp(e->password, secret) == 0;
	}
	netrc_release(&nr);
	return ok;
}

/* Edit burrow's credentials file under an exclusive flock of its directory, so that two logins
 * at once cannot lose each other's entries. Returns 1 changed, 0 nothing to do, -1. */
static int edit_file(const char *host, const char *user, const char *secret, struct error *err)
{
	char buf[SHOWN_MAX + 4];
	if (!host_valid(host))
		return error_set(
		        err, EINVAL,
		        "invalid registry host '%s' (expected a name such as nvcr.io or localhost:5000)",
		        shown(host, buf));
	if (user && !value_valid(user))
		return error_set(err, EINVAL,
		                 "%s: the user name must not be empty nor hold control characters", host);
	if (user && !value_valid(secret))
		return error_set(err, EINVAL,
		                 "%s: the password must not be empty nor hold control characters", host);
	cleanup_free char *dir = config_dir(err);
	if (!dir)
		return -1;
	if (!user && !fs_is_dir(dir))
		return 0;
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	cleanup_close int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return error_errno(err, "open %s", dir);
	while (flock(dir_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return error_errno(err, "lock %s", dir);
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/.credentials", dir) < 0)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_secret char *text = NULL;
	int rc = read_text(path, &text, err);
	if (rc < 0)
		return -1;
	if (rc == 0 && !user)
		return 0;
	if (rc == 0 && !(text = strdup("")))
		return error_set(err, ENOMEM, "out of memory");
	struct netrc nr;
	if (netrc_parse(text, &nr, err) < 0) {
		netrc_release(&nr);
		char msg[ERROR_MSG_MAX];
		memcpy(msg, err->msg, sizeof(msg));
		return error_set(err, err->code, "%s: %.900s; fix or remove the file", path, msg);
	}
	cleanup_secret char *entry = user ? format_entry(host, user, secret) : NULL;
	size_t out_len = 0;
	bool changed = false;
	cleanup_secret char *out =
	        user && !entry ? NULL : netrc_edit(text, &nr, host, entry, &out_len, &changed);
	netrc_release(&nr);
	if (!out)
		return error_set(err, ENOMEM, "out of memory");
	if (!changed)
		return 0;
	if (!edit_verified(out, host, user, secret))
		return error_set(
		        err, EINVAL,
		        "%s: the new entry for %s would not read back as written; file left unchanged", path,
		        host);
	if (fs_write_file_atomic(path, out, out_len, 0600, err) < 0)
		return -1;
	return 1;
}

int credentials_save(const char *host, const char *user, const char *secret, struct error *err)
{
	if (!user || !secret)
		return error_set(err, EINVAL, "%s: a user name and a password are needed", host);
	return edit_file(host, user, secret, err) < 0 ? -1 : 0;
}

int credentials_forget(const char *host, struct error *err)
{
	return edit_file(host, NULL, NULL, err);
}
