/* Unit tests for prefetch.c's reading of a program's first bytes: the ELF interpreter
 * (PT_INTERP) and a script's "#!" line, including headers that point outside what was read. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/prefetch.h"

#define INTERP "/lib64/ld-linux-x86-64.so.2"

/* A 64-bit ELF head of this machine's byte order: a PT_LOAD, then PT_INTERP at interp_off. */
static size_t make_elf(unsigned char *head, size_t size, uint64_t interp_off, uint64_t interp_len)
{
	memset(head, 0, size);
	Elf64_Ehdr e = {.e_type = ET_EXEC,
	                .e_phoff = sizeof(Elf64_Ehdr),
	                .e_phentsize = sizeof(Elf64_Phdr),
	                .e_phnum = 2};
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_ident[EI_DATA] = __BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB;
	memcpy(head, &e, sizeof(e));
	Elf64_Phdr load = {.p_type = PT_LOAD, .p_offset = 0, .p_filesz = 4096};
	Elf64_Phdr interp = {.p_type = PT_INTERP, .p_offset = interp_off, .p_filesz = interp_len};
	memcpy(head + e.e_phoff, &load, sizeof(load));
	memcpy(head + e.e_phoff + sizeof(load), &interp, sizeof(interp));
	if (interp_off + sizeof(INTERP) <= size)
		memcpy(head + interp_off, INTERP, sizeof(INTERP));
	return size;
}

static void test_an_elf_programs_interpreter(void **state)
{
	unsigned char head[1024];
	char out[256];
	size_t len = make_elf(head, sizeof(head), 512, sizeof(INTERP));
	assert_true(prefetch_interpreter(head, len, out, sizeof(out)));
	assert_string_equal(out, INTERP);
}

static void test_elf_headers_pointing_past_what_was_read_name_nothing(void **state)
{
	unsigned char head[1024];
	char out[256];
	/* PT_INTERP past the bytes, longer than them, longer than out, empty. */
	assert_false(prefetch_interpreter(head, make_elf(head, sizeof(head), 4000, sizeof(INTERP)), out,
	                                  sizeof(out)));
	assert_false(prefetch_interpreter(head, make_elf(head, sizeof(head), 512, 600), out, sizeof(out)));
	assert_false(prefetch_interpreter(head, make_elf(head, sizeof(head), 512, sizeof(INTERP)), out, 8));
	assert_false(prefetch_interpreter(head, make_elf(head, sizeof(head), 512, 0), out, sizeof(out)));
	/* Program headers past the bytes, or cut short by them. */
	make_elf(head, sizeof(head), 512, sizeof(INTERP));
	Elf64_Ehdr e;
	memcpy(&e, head, sizeof(e));
	e.e_phoff = 5000;
	memcpy(head, &e, sizeof(e));
	assert_false(prefetch_interpreter(head, sizeof(head), out, sizeof(out)));
	make_elf(head, sizeof(head), 512, sizeof(INTERP));
	assert_false(
	        prefetch_interpreter(head, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 10, out, sizeof(out)));
	/* A relative interpreter, a header too short, a foreign class. */
	make_elf(head, sizeof(head), 512, 4);
	memcpy(head + 512, "lib", 4);
	assert_false(prefetch_interpreter(head, sizeof(head), out, sizeof(out)));
	assert_false(prefetch_interpreter(head, 20, out, sizeof(out)));
	make_elf(head, sizeof(head), 512, sizeof(INTERP));
	head[EI_CLASS] = 7;
	assert_false(prefetch_interpreter(head, sizeof(head), out, sizeof(out)));
}

static void test_a_scripts_interpreter(void **state)
{
	char out[64];
	const char *script = "#! /usr/bin/env python3\nprint(1)\n";
	assert_true(prefetch_interpreter(script, strlen(script), out, sizeof(out)));
	assert_string_equal(out, "/usr/bin/env");
	script = "#!/bin/sh\necho\n";
	assert_true(prefetch_interpreter(script, strlen(script), out, sizeof(out)));
	assert_string_equal(out, "/bin/sh");
	/* No line end in what was read, a relative word, no word, too long, no "#!". */
	assert_false(prefetch_interpreter("#!/bin/sh", 9, out, sizeof(out)));
	assert_false(prefetch_interpreter("#!sh\n", 5, out, sizeof(out)));
	assert_false(prefetch_interpreter("#! \n", 4, out, sizeof(out)));
	assert_false(prefetch_interpreter("#!/a/very/long/interpreter/name\n", 32, out, 8));
	assert_false(prefetch_interpreter("echo hi\n", 8, out, sizeof(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_an_elf_programs_interpreter),
	        cmocka_unit_test(test_elf_headers_pointing_past_what_was_read_name_nothing),
	        cmocka_unit_test(test_a_scripts_interpreter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
