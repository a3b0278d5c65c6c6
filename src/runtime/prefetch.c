/* Decoding ahead. A program is mapped, then read all over in the order its code runs: one page
 * fault, one FUSE read, one block decoded at a time, while the other CPUs wait. This thread
 * decodes such a file's blocks into the image's shared cache in parallel: the start's program
 * while the container is still being set up, and any ELF file as soon as its first bytes are
 * read. A reader never waits for it: a block not in the cache yet the reader decodes itself,
 * and the copy that comes second is dropped. */
#include "runtime/prefetch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strv.h"

#define QUEUE_LEN 8
#define SEEN_LEN  16
#define HEAD_LEN  4096 /* an ELF header, its program headers and PT_INTERP are in the first page */
#define MAX_HOPS  2    /* a script's interpreter, and that one's ELF interpreter */

struct prefetcher {
	struct imagefile *img;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started, stop;
	bool held;      /* until prefetcher_release: the thread waits, touching nothing */
	char **program; /* where the program may be, in PATH's order; the first file found wins */
	size_t head, n;
	uint64_t queue[QUEUE_LEN];
	uint64_t seen[SEEN_LEN]; /* the files queued last (+1), so that each goes once */
	size_t seen_next;
};

static bool stopping(struct prefetcher *p)
{
	return __atomic_load_n(&p->stop, __ATOMIC_RELAXED);
}

/* Above this share of the last 10 s in which some thread waited for a CPU (the kernel's pressure
 * stall information), CPUs are contended: many starts at once, a busy node. Decoding ahead then
 * only takes time from the readers, and decodes blocks none of them wants (about one in eight
 * of a program's). A single start on an otherwise idle node stays well below it. */
#define CPU_PRESSURE_MAX 20.0

static bool cpus_contended(void)
{
	char text[256];
	cleanup_close int fd = open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (n <= 0)
		return false;
	text[n] = '\0';
	double some;
	return sscanf(text, "some avg10=%lf", &some) == 1 && some >= CPU_PRESSURE_MAX;
}

static bool is_elf(const void *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

/* PT_INTERP's path when it lies in head, for a 64- or 32-bit ELF file of this machine's byte
 * order; false for anything else. */
static bool elf_interp(const unsigned char *head, size_t len, char *out, size_t size)
{
	if (!is_elf(head, len) || len < EI_NIDENT ||
	    head[EI_DATA] != (__BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB))
		return false;
	bool wide = head[EI_CLASS] == ELFCLASS64;
	size_t ehdr = wide ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phdr = wide ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if ((!wide && head[EI_CLASS] != ELFCLASS32) || len < ehdr)
		return false;
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;
	uint64_t phoff;
	size_t phnum, phentsize;
	if (wide) {
		memcpy(&e64, head, sizeof(e64));
		phoff = e64.e_phoff, phnum = e64.e_phnum, phentsize = e64.e_phentsize;
	} else {
		memcpy(&e32, head, sizeof(e32));
		phoff = e32.e_phoff, phnum = e32.e_phnum, phentsize = e32.e_phentsize;
	}
	if (phentsize < phdr || phoff > len)
		return false;
	for (size_t i = 0; i < phnum && phentsize <= (len - phoff) / (i + 1); i++) {
		const unsigned char *ph = head + phoff + i * phentsize;
		uint64_t type, offset, filesz;
		if (wide) {
			Elf64_Phdr p64;
			memcpy(&p64, ph, sizeof(p64));
			type = p64.p_type, offset = p64.p_offset, filesz = p64.p_filesz;
		} else {
			Elf32_Phdr p32;
			memcpy(&p32, ph, sizeof(p32));
			type = p32.p_type, offset = p32.p_offset, filesz = p32.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		if (offset > len || filesz > len - offset || filesz == 0 || filesz > size)
			return false;
		memcpy(out, head + offset, filesz);
		out[filesz - 1] = '\0';
		return out[0] == '/';
	}
	return false;
}

/* A script's interpreter: the first word after "#!" on its first line. */
static bool script_interp(const char *head, size_t len, char *out, size_t size)
{
	if (len < 3 || head[0] != '#' || head[1] != '!')
		return false;
	size_t i = 2;
	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	size_t start = i;
	while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0')
		i++;
	if (i == start || i == len || i - start >= size || head[start] != '/')
		return false;
	memcpy(out, head + start, i - start);
	out[i - start] = '\0';
	return true;
}

bool prefetch_interpreter(const void *head, size_t len, char *out, size_t size)
{
	return elf_interp(head, len, out, size) || script_interp(head, len, out, size);
}

bool prefetcher_wants(const struct prefetcher *p, const struct imagefile_node *file, const void *head,
                      size_t len)
{
	return p && is_elf(head, len) && imagefile_block_count(file) >= 2 &&
	       (uint64_t)file->st.st_size <= imagefile_cache_bytes(p->img) / 2;
}

static void decode_blocks(struct prefetcher *p, struct imagefile_cursor *cur,
                          const struct imagefile_node *file)
{
	size_t n = imagefile_block_count(file);
	for (size_t i = 0; i < n && !stopping(p); i++)
		if (imagefile_prefetch_block(cur, file, i) < 0)
			return;
}

static void decode_path(struct prefetcher *p, struct imagefile_cursor *cur, const char *path, int hops);

/* A regular file, and the interpreter it names, hops levels down at most. */
static void decode_file(struct prefetcher *p, struct imagefile_cursor *cur, const struct imagefile_node *file,
                        int hops)
{
	char head[HEAD_LEN], interp[256];
	long len = imagefile_read(cur, file, 0, head, sizeof(head));
	if (len <= 0)
		return;
	if (prefetcher_wants(p, file, head, (size_t)len))
		decode_blocks(p, cur, file);
	if (hops > 0 && prefetch_interpreter(head, (size_t)len, interp, sizeof(interp)))
		decode_path(p, cur, interp, hops - 1);
}

/* The file at path, when it is a regular one, as decode_file. */
static void decode_path(struct prefetcher *p, struct imagefile_cursor *cur, const char *path, int hops)
{
	struct imagefile_node file;
	if (stopping(p) || imagefile_resolve(cur, path, &file) < 0)
		return;
	if (S_ISREG(file.st.st_mode))
		decode_file(p, cur, &file, hops);
	imagefile_node_free(&file);
}

/* The first regular file of where, as execvp would take it. */
static void decode_program(struct prefetcher *p, struct imagefile_cursor *cur, char **where)
{
	for (size_t i = 0; where[i] && !stopping(p); i++) {
		struct imagefile_node file;
		if (imagefile_resolve(cur, where[i], &file) < 0)
			continue;
		bool found = S_ISREG(file.st.st_mode);
		if (found)
			decode_file(p, cur, &file, MAX_HOPS);
		imagefile_node_free(&file);
		if (found)
			return;
	}
}

static void decode_ref(struct prefetcher *p, struct imagefile_cursor *cur, uint64_t ref)
{
	struct imagefile_node file;
	if (imagefile_node_read(cur, ref, &file) < 0)
		return;
	decode_blocks(p, cur, &file);
	imagefile_node_free(&file);
}

static void *run(void *arg)
{
	struct prefetcher *p = arg;
	pthread_mutex_lock(&p->lock);
	while (p->held && !p->stop)
		pthread_cond_wait(&p->wake, &p->lock);
	pthread_mutex_unlock(&p->lock);
	struct error ignored;
	struct imagefile_cursor *cur =
	        stopping(p) || cpus_contended() ? NULL : imagefile_cursor_new(p->img, &ignored);
	pthread_mutex_lock(&p->lock);
	if (!cur)
		__atomic_store_n(&p->stop, true, __ATOMIC_RELAXED); /* nothing more is queued */
	while (cur) {
		while (!p->stop && !p->program && p->n == 0)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->stop)
			break;
		char **program = steal_pointer(&p->program);
		uint64_t ref = 0;
		bool have_ref = !program;
		if (have_ref) {
			ref = p->queue[p->head];
			p->head = (p->head + 1) % QUEUE_LEN;
			p->n--;
		}
		pthread_mutex_unlock(&p->lock);
		if (program)
			decode_program(p, cur, program);
		else
			decode_ref(p, cur, ref);
		strv_free(program);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	imagefile_cursor_free(cur);
	return NULL;
}

struct prefetcher *prefetcher_new(struct imagefile *img)
{
	struct prefetcher *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->img = img;
	p->held = true;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	return p;
}

void prefetcher_free(struct prefetcher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	__atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	strv_free(p->program);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* With the lock held: the thread runs (started on first use: a start whose program is not in
 * the image pays nothing) and is told there is work. */
static bool wake_locked(struct prefetcher *p)
{
	if (!p->started)
		p->started = pthread_create(&p->thread, NULL, run, p) == 0;
	if (p->started)
		pthread_cond_signal(&p->wake);
	return p->started;
}

void prefetcher_release(struct prefetcher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->held = false;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

void prefetcher_add_program(struct prefetcher *p, const char *argv0, const char *path)
{
	if (!p || !argv0 || argv0[0] == '\0')
		return;
	cleanup_strv char **where = NULL;
	if (strchr(argv0, '/')) {
		if (argv0[0] != '/' || strv_push(&where, argv0) < 0)
			return;
	} else {
		cleanup_free char *dirs = strdup(path);
		char *save = NULL;
		for (char *dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir;
		     dir = strtok_r(NULL, ":", &save)) {
			char *full = NULL;
			if (dir[0] != '/' || asprintf(&full, "%s/%s", dir, argv0) < 0)
				continue;
			if (strv_push(&where, full) < 0) {
				free(full);
				return;
			}
			free(full);
		}
	}
	if (!where)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->stop && !p->program) {
		p->program = steal_pointer(&where);
		wake_locked(p);
	}
	pthread_mutex_unlock(&p->lock);
}

void prefetcher_add_file(struct prefetcher *p, uint64_t ref)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	bool skip = p->n == QUEUE_LEN || p->stop;
	for (size_t i = 0; i < SEEN_LEN && !skip; i++)
		skip = p->seen[i] == ref + 1;
	if (!skip && wake_locked(p)) {
		p->queue[(p->head + p->n++) % QUEUE_LEN] = ref;
		p->seen[p->seen_next++ % SEEN_LEN] = ref + 1;
	}
	pthread_mutex_unlock(&p->lock);
}
