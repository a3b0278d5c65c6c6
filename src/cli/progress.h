/* burrow pull's per-layer progress on a terminal: a line per layer with bytes done, total and
 * rate, redrawn in place at most five times a second. Not the plain -v lines (cli/pull.c). */
#pragma once

#include <stdio.h>

#include "image/pull.h"

struct layer_view;

/* A view drawing on out (a terminal); NULL when out of memory. */
struct layer_view *layer_view_new(FILE *out);
/* pull_options.layer_progress, with the view as its ctx: thread-safe. */
void layer_view_update(void *view, const struct pull_layer_progress *p);
/* Draw the last state (when anything was drawn) and free the view; NULL is fine. */
void layer_view_finish(struct layer_view *view);
