# A thin wrapper over Meson for people who type `make`.
#   make                  build into build/
#   make check            every test (tests/run: installs test dependencies with apt-get)
#   make install PREFIX=  install burrow, its burrow-runc symlink and manual page (default /usr/local)
#   make format           rewrite the C sources with .clang-format
PREFIX ?= /usr/local
BUILD ?= build

.PHONY: all check install format clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

check:
	tests/run

install: all
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD) --no-rebuild

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
