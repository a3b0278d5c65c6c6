/* burrow login [-u USER] [--password-stdin] REGISTRY and burrow logout REGISTRY: the user's
 * entry for a registry in burrow's credentials file, checked with the registry before it is
 * written. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/auth.h"
#include "image/reference.h"
#include "image/registry.h"
#include "util/cleanup.h"

#define PASSWORD_MAX (64u << 10)

static void free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
}
#define cleanup_secret __attribute__((cleanup(free_secret)))

/* The terminal's settings while echo is off, for the signal handler that restores them: a
 * password prompt left by Ctrl-C must not leave the user's shell without echo. */
static struct termios saved_termios;

static void restore_and_reraise(int sig)
{
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void strip_newline(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* A line from the terminal on stdin, after prompt on stderr; echo off for a password. */
static char *prompt_line(const char *prompt, bool secret, struct error *err)
{
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
	struct sigaction restore = {.sa_handler = restore_and_reraise}, old[5];
	bool quiet = false;
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (secret && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
		struct termios noecho = saved_termios;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		noecho.c_lflag |= ECHONL;
		for (size_t i = 0; i < 5; i++)
			sigaction(signals[i], &restore, &old[i]);
		/* TCSANOW, not TCSAFLUSH: a password typed ahead is kept, not thrown away. */
		quiet = tcsetattr(STDIN_FILENO, TCSANOW, &noecho) == 0;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (quiet)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	if (secret && quiet)
		for (size_t i = 0; i < 5; i++)
			sigaction(signals[i], &old[i], NULL);
	if (n < 0) {
		free(line);
		error_set(err, EIO, "no %s given on the terminal", secret ? "password" : "user name");
		return NULL;
	}
	strip_newline(line);
	return line;
}

/* All of stdin (docker login --password-stdin's convention): trailing newlines dropped. */
static char *read_stdin(struct error *err)
{
	char *buf = malloc(PASSWORD_MAX + 1);
	size_t len = 0;
	if (!buf) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + len, PASSWORD_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno(err, "read the password from stdin");
			break;
		}
		len += (size_t)n;
		if (n == 0 || len == PASSWORD_MAX) {
			buf[len] = '\0';
			if (n != 0)
				error_set(err, EFBIG, "the password on stdin is longer than %u bytes",
				          PASSWORD_MAX);
			else if (strlen(buf) != len)
				error_set(err, EINVAL, "the password on stdin holds a NUL byte");
			else {
				strip_newline(buf);
				return buf;
			}
			break;
		}
	}
	explicit_bzero(buf, len);
	free(buf);
	return NULL;
}

int cmd_login(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"username", required_argument, NULL, 'u'},
	        {"password-stdin", no_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *user_opt = NULL;
	bool from_stdin = false;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+u:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			user_opt = optarg;
			break;
		case 's':
			from_stdin = true;
			break;
		case 'h':
			printf("usage: burrow login [-u USER] [--password-stdin] REGISTRY\n\n"
			       "Check a user name and password with REGISTRY (host[:port]) and save them in\n"
			       "burrow's credentials file ($XDG_CONFIG_HOME/burrow/.credentials, mode "
			       "0600).\n"
			       "The password is asked on the terminal without echo, or read from stdin.\n\n"
			       "  -u, --username USER   the user name (asked on the terminal when not "
			       "given)\n"
			       "      --password-stdin  read the password from stdin\n");
			return 0;
		default:
			return cli_usage_error("login", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("login", "expected one REGISTRY");
	bool tty = isatty(STDIN_FILENO);
	if (!from_stdin && !tty)
		return cli_usage_error("login", "stdin is not a terminal: give the password with "
		                                "--password-stdin");
	if (from_stdin && !user_opt)
		return cli_usage_error("login", "--password-stdin needs -u USER");
	struct error err;
	error_clear(&err);
	cleanup_free char *host = reference_registry_host(argv[optind], &err);
	cleanup_free char *path = host ? credentials_file(&err) : NULL;
	cleanup_secret char *user = NULL;
	cleanup_secret char *password = NULL;
	if (!host || !path)
		goto fail;
	user = user_opt ? strdup(user_opt) : prompt_line("Username: ", false, &err);
	if (!user)
		goto fail;
	password = from_stdin ? read_stdin(&err) : prompt_line("Password: ", true, &err);
	if (!password)
		goto fail;
	if (!*user || !*password) {
		error_set(&err, EINVAL, "login %s: the %s is empty", host, *user ? "password" : "user name");
		goto fail;
	}
	int checked = registry_check_login(host, user, password, &err);
	if (checked < 0) {
		error_prefix(&err, "login %s: nothing saved", host);
		goto fail;
	}
	if (credentials_save(host, user, password, &err) < 0)
		goto fail;
	if (checked)
		printf("Logged in to %s as %s: the registry accepted the password; saved in %s\n", host, user,
		       path);
	else
		printf("Saved the password for %s as %s in %s; the registry asks for no login, so it "
		       "was not checked\n",
		       host, user, path);
	return 0;
fail:
	cli_report(&err);
	return 1;
}

int cmd_logout(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: burrow logout REGISTRY\n\n"
		       "Remove REGISTRY's entry from burrow's credentials file. Credentials in docker's\n"
		       "config.json (or REGISTRY_AUTH_FILE) are not touched.\n");
		return 0;
	}
	if (argc != 2)
		return cli_usage_error("logout", "expected one REGISTRY");
	struct error err;
	error_clear(&err);
	cleanup_free char *host = reference_registry_host(argv[1], &err);
	cleanup_free char *path = host ? credentials_file(&err) : NULL;
	int removed = path ? credentials_forget(host, &err) : -1;
	if (removed < 0) {
		cli_report(&err);
		return 1;
	}
	if (removed == 0) {
		fprintf(stderr, "burrow: no credentials for %s in %s: nothing to remove\n", host, path);
		return 1;
	}
	printf("Removed the credentials for %s from %s\n", host, path);
	return 0;
}
