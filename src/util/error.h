/* Errors carried up from library code to the one place that prints them.
 * Library functions fill a struct error and return -1 (or NULL); only entry points print. */
#pragma once

#include <stdarg.h>

#define ERROR_MSG_MAX 1024

struct error {
	int code; /* errno value, or 0 when the failure has no errno */
	char msg[ERROR_MSG_MAX];
};

/* Set the message; returns -1 so callers can write `return error_set(...)`. */
int error_set(struct error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like error_set with code = errno, appending ": strerror(errno)". */
int error_errno(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add context in front of an existing message: "prefix: old message". */
void error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_clear(struct error *err);
