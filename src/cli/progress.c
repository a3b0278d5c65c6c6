/* Drawing pull progress on a terminal: the download threads report, one of them redraws the
 * block of layer lines when 200 ms have passed since the last drawing, and the end draws once
 * more so that the final state stays on screen. */
#include "cli/progress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "image/digest.h"

#define REDRAW_NS 200000000LL /* at most five drawings a second */

struct layer_line {
	char digest[DIGEST_STRING_LEN + 1];
	uint64_t done;
	int64_t total;
	enum pull_layer_state state;
	int64_t started_ns; /* of the first bytes */
};

struct layer_view {
	FILE *out;
	pthread_mutex_t lock;
	struct layer_line *lines;
	size_t n;
	bool drawn; /* the block is on screen: a redraw first moves up over it */
	int64_t drawn_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void draw_line(const struct layer_view *v, size_t i, int64_t now)
{
	const struct layer_line *l = &v->lines[i];
	char total[32], done[32], rate[32];
	uint64_t size = l->total > 0 ? (uint64_t)l->total : 0;
	/* "\r\033[K": back to the line's start and clear it, so a shorter line leaves nothing. */
	fprintf(v->out, "\r\033[Klayer %zu/%zu %.19s  ", i + 1, v->n, l->digest[0] ? l->digest : "");
	switch (l->state) {
	case PULL_LAYER_DONE:
		fprintf(v->out, "%s  done\n", cli_human_bytes(size, total));
		return;
	case PULL_LAYER_CACHED:
		fprintf(v->out, "%s  in the cache\n", cli_human_bytes(size, total));
		return;
	case PULL_LAYER_WAITING:
		fprintf(v->out, "%s  waiting\n", cli_human_bytes(size, total));
		return;
	case PULL_LAYER_FETCHING:
		break;
	}
	double seconds = (double)(now - l->started_ns) / 1e9;
	uint64_t per_second = seconds > 0.05 ? (uint64_t)((double)l->done / seconds) : 0;
	fprintf(v->out, "%s / %s  %s/s\n", cli_human_bytes(l->done, done), cli_human_bytes(size, total),
	        cli_human_bytes(per_second, rate));
}

static void draw(struct layer_view *v, int64_t now)
{
	if (v->drawn)
		fprintf(v->out, "\033[%zuA", v->n);
	for (size_t i = 0; i < v->n; i++)
		draw_line(v, i, now);
	fflush(v->out);
	v->drawn = true;
	v->drawn_ns = now;
}

struct layer_view *layer_view_new(FILE *out)
{
	struct layer_view *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->out = out;
	pthread_mutex_init(&v->lock, NULL);
	return v;
}

void layer_view_update(void *ctx, const struct pull_layer_progress *p)
{
	struct layer_view *v = ctx;
	pthread_mutex_lock(&v->lock);
	if (!v->lines && p->n_layers > 0) {
		v->lines = calloc(p->n_layers, sizeof(*v->lines));
		v->n = v->lines ? p->n_layers : 0;
	}
	if (p->index < v->n) {
		struct layer_line *l = &v->lines[p->index];
		int64_t now = now_ns();
		snprintf(l->digest, sizeof(l->digest), "%s", p->digest);
		l->total = p->total;
		if (p->state == PULL_LAYER_FETCHING && l->state != PULL_LAYER_FETCHING)
			l->started_ns = now;
		l->state = p->state;
		l->done = p->done;
		/* The first drawing waits for every layer's WAITING report, which come together. */
		bool all_known = p->state != PULL_LAYER_WAITING || p->index + 1 == v->n;
		if (all_known && (!v->drawn || now - v->drawn_ns >= REDRAW_NS))
			draw(v, now);
	}
	pthread_mutex_unlock(&v->lock);
}

void layer_view_finish(struct layer_view *v)
{
	if (!v)
		return;
	if (v->drawn)
		draw(v, now_ns());
	pthread_mutex_destroy(&v->lock);
	free(v->lines);
	free(v);
}
