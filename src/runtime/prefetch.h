/* Decoding an image file's blocks ahead of the reads that will want them, on a thread of its own:
 * the program a start runs (found as execvp would, with its ELF or script interpreter) and every
 * program or library the container maps later. Not the reading itself (image/imagefile.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/imagefile.h"

struct prefetcher;

/* NULL when out of memory: nothing is then decoded ahead, which only costs time. The thread
 * (started with the first file queued) waits, holding no lock, until prefetcher_release: a
 * process cloned meanwhile must not inherit a lock (malloc's) taken by a thread it lacks. */
struct prefetcher *prefetcher_new(struct imagefile *img);
void prefetcher_release(struct prefetcher *p);
/* Stops the thread (after the block it is on) and frees p. */
void prefetcher_free(struct prefetcher *p);

/* Queue the program argv0 names, looked up in path (a PATH value) unless it holds a '/'; a
 * relative path is left alone (the working directory is not known yet). */
void prefetcher_add_program(struct prefetcher *p, const char *argv0, const char *path);
/* Whether a file whose first len bytes are head is worth decoding ahead once it is read: a
 * program or a shared library (ELF), bigger than one block and at most half the cache. */
bool prefetcher_wants(const struct prefetcher *p, const struct imagefile_node *file, const void *head,
                      size_t len);
/* The interpreter the first len bytes of a file name, as an absolute path in out (size bytes):
 * an ELF file's PT_INTERP (when it lies in those bytes), or a script's "#!" word. */
bool prefetch_interpreter(const void *head, size_t len, char *out, size_t size);
/* Queue the file at inode reference ref; each file goes once. */
void prefetcher_add_file(struct prefetcher *p, uint64_t ref);
