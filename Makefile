# Ferrovisor: build, run and test.
#   make / make quick-build   hypervisor + test guests + default configuration
#   make run                  boot the default configuration under QEMU
#   make test                 host unit tests + QEMU integration tests
#   make ci                   exactly what CI runs (format, cppcheck, -Werror build, tests)
# Options: FEATURES=debug,trace,pmu,verbose  CROSS=riscv64-linux-gnu-  SMP=2  MEM=1G
#          KERNEL=stable|unstable (Debian kernel suite of `make run`)
#          ARCH=riscv64 (default; mk/arch-$(ARCH).mk sets directories, flags, linker script, QEMU)

ARCH     ?= riscv64
BUILD    ?= build
B        := $(BUILD)/$(ARCH)
SMP      ?= 2
MEM      ?= 2G
FEATURES ?=
Q        ?= @
# Device tree blobs replaced only when their bytes change (scripts/dtb.sh).
DTB      := sh scripts/dtb.sh

ifeq ($(wildcard mk/arch-$(ARCH).mk),)
$(error ARCH=$(ARCH): unknown architecture (known: $(patsubst mk/arch-%.mk,%,$(wildcard mk/arch-*.mk))))
endif
include mk/arch-$(ARCH).mk
# The configuration blob the hypervisor incbin's as its built-in one (an arch may name its own).
BUILTIN_CONFIG ?= $(BUILD)/config/default.dtb

CC      := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy

HYP_DIRS := hyp/core hyp/lib hyp/drivers hyp/vdev $(ARCH_HYP_DIRS)
HYP_C    := $(foreach d,$(HYP_DIRS),$(wildcard $(d)/*.c))
HYP_S    := $(foreach d,$(HYP_DIRS),$(wildcard $(d)/*.S))
HYP_OBJ  := $(patsubst %,$(B)/obj/%.o,$(HYP_C) $(HYP_S))

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
        -Wimplicit-fallthrough -Wundef
OPT  := -O2
# comma before FEAT_DEFS (:= expands at once): FEATURES=a,b must split into two defines.
comma := ,
FEAT_DEFS := $(foreach f,$(subst $(comma), ,$(FEATURES)),-DFV_FEATURE_$(shell echo $(f) | tr a-z A-Z)=1)
ifneq ($(filter debug,$(subst $(comma), ,$(FEATURES))),)
OPT := -Og
endif
HYP_CFLAGS := -std=c11 -ffreestanding -nostdlib -fno-builtin -fno-common -fno-stack-protector \
              -fno-pic $(ARCH_CFLAGS) -g $(OPT) \
              $(WARN) -Ihyp $(ARCH_INC) $(FEAT_DEFS) -MMD -MP
HYP_ASFLAGS := $(ARCH_ASFLAGS) -Ihyp $(ARCH_INC) \
               -DFV_BUILTIN_CONFIG='"$(BUILTIN_CONFIG)"' -MMD -MP
HYP_LDFLAGS := -nostdlib -static -Wl,-T,$(ARCH_LDS) -Wl,--build-id=none \
               -Wl,--no-warn-rwx-segments

GUEST_NAMES := hello sbi_test timer_test smp_test fpu_test spin hostile bench_sbi cpu_bench echo bench_irq bench_mmio bench_scale dtb_reboot spin_count gdb_target dump_target
GUEST_BINS  := $(patsubst %,$(BUILD)/guests/%.bin,$(GUEST_NAMES))

.PHONY: all quick-build release hyp guests configs run run-builtin run-debug test test-unit test-integration \
        unit ci format format-check cppcheck check-neutral deps benchmark images clean
# What `all` builds beside the hypervisor: the host tool, ferrovisord and the Linux guests'
# userland layer (an architecture without Linux guest images yet leaves the last two out).
ARCH_ALL_EXTRA ?= tools ferrovisord userland
all: hyp guests configs $(ARCH_ALL_EXTRA)
quick-build: all

release:
	$(MAKE) clean
	$(MAKE) all OPT=-O2

deps:
	$(Q)if [ -z "$$CI_SKIP_DEPS" ]; then sh scripts/install-deps.sh; fi

hyp: $(B)/ferrovisor.bin

$(B)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HYP_CFLAGS) -c $< -o $@

# memset/memcpy/memmove must not call themselves (see hyp/lib/string.c).
$(B)/obj/hyp/lib/string.c.o: hyp/lib/string.c scripts/check-no-self-calls.sh
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HYP_CFLAGS) -fno-tree-loop-distribute-patterns -c $< -o $@
	$(Q)sh scripts/check-no-self-calls.sh $(CROSS)objdump $@

$(B)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HYP_ASFLAGS) -c $< -o $@

# The built-in configuration is incbin'd: rebuild when it changes.
$(B)/obj/hyp/core/config_builtin.S.o: $(BUILTIN_CONFIG)

$(B)/ferrovisor.elf: $(HYP_OBJ) $(ARCH_LDS)
	$(Q)$(CC) $(HYP_CFLAGS) $(HYP_LDFLAGS) -o $@ $(HYP_OBJ)

$(B)/ferrovisor.bin: $(B)/ferrovisor.elf
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

guests:
	$(Q)$(MAKE) -s -C guests OUT=$(abspath $(BUILD)/guests)

$(GUEST_BINS): guests

configs: $(BUILD)/config/default.dtb

$(BUILD)/config/%.dtb: configs/%.dts guests
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(BUILD)/guests $<

# Debian guest images (kernel, initramfs) live in a cache outside the repository, one
# directory per kernel suite: stable (trixie, or trixie-security when its kernel is newer;
# never sid) and unstable (sid). `make images` fetches both (a suite that cannot be fetched
# keeps its earlier set or records unavailable.txt; it fails only if neither is usable).
# KERNEL picks the suite of `make run` and of the flat build/config/test-linux-*.dtb.
FERROVISOR_CACHE ?= $(HOME)/.cache/ferrovisor
IMAGES_CACHE  := $(FERROVISOR_CACHE)/images/$(DEB_ARCH)
KERNEL_SUITES := stable unstable
KERNEL        ?= stable
ifeq ($(filter $(KERNEL),$(KERNEL_SUITES)),)
$(error KERNEL=$(KERNEL): one of $(KERNEL_SUITES))
endif
IMAGE_DIR   := $(IMAGES_CACHE)/$(KERNEL)
IMAGE_STAMP := $(IMAGE_DIR)/manifest.txt
# Suites with a complete cache when make starts (the manifest is written last). `make test`
# runs `make images` first and then a sub-make, which sees the result.
SUITES_CACHED := $(foreach s,$(KERNEL_SUITES),$(if $(wildcard $(IMAGES_CACHE)/$(s)/manifest.txt),$(s)))

images:
	$(Q)sh scripts/fetch-guest-images.sh --arch $(DEB_ARCH) --matrix --cache $(IMAGES_CACHE)
	$(Q)sh scripts/fetch-guest-libs.sh --arch $(DEB_ARCH) --cache $(FERROVISOR_CACHE)/userland/$(DEB_ARCH) || \
		echo "images: service VM libraries not fetched (service VM tests will be skipped)"

# The arm64 port's Linux guests (tests/integration/test_arm64_linux.py) for `make test`:
# the same matrix and the arm64 service VM's libraries (the arm64 runs of ARCH_MATRIX
# management tests); a failed fetch only skips those tests.
.PHONY: images-arm64
images-arm64:
	$(Q)sh scripts/fetch-guest-images.sh --arch arm64 --matrix \
		--cache $(FERROVISOR_CACHE)/images/arm64 || \
		echo "images: arm64 guest images not fetched (arm64 Linux tests will be skipped)"
	$(Q)sh scripts/fetch-guest-libs.sh --arch arm64 --cache $(FERROVISOR_CACHE)/userland/arm64 || \
		echo "images: arm64 service VM libraries not fetched (arm64 service VM tests will be skipped)"

$(foreach s,$(KERNEL_SUITES),$(IMAGES_CACHE)/$(s)/manifest.txt): \
		$(IMAGES_CACHE)/%/manifest.txt: scripts/fetch-guest-images.sh
	$(Q)sh scripts/fetch-guest-images.sh --arch $(DEB_ARCH) --kernel $* --cache $(IMAGES_CACHE)/$*

# The guest userland layer: every guests/linux-userland/<prog>.c, linked statically for the
# Linux guests, becomes /usr/bin/<prog> of a cpio layer appended to each suite's cached
# initramfs in build/images/<suite>/ (beside a link to its Image), the `dtc -i` directory of
# the test configurations. See guests/linux-userland/README.md.
# LINUX_OUT: where the Linux guests' layers and composed images go (build/ for riscv64,
# build/arm64/ for arm64: mk/arch-<ARCH>.mk); ARCH_USERLAND=no leaves the programs out (an
# empty layer: the cross compiler has no static libc of that architecture).
LINUX_OUT       ?= $(BUILD)
ARCH_USERLAND   ?= yes
USERLAND_SRC    := $(if $(filter yes,$(ARCH_USERLAND)),$(wildcard guests/linux-userland/*.c))
USERLAND_BINS   := $(patsubst guests/linux-userland/%.c,$(LINUX_OUT)/userland/bin/%,$(USERLAND_SRC))
USERLAND_CFLAGS := -static -O2 -Wall -Wextra -Werror
USERLAND_LAYER  := $(LINUX_OUT)/userland/layer.cpio.gz
# The service VM layer (ferrovisord and its libraries, mk/ferrovisord.mk), appended in
# $(LINUX_OUT)/images/<suite>/svc-initramfs.cpio.gz once its libraries are cached.
SVC_LAYER       := $(LINUX_OUT)/svc/layer.cpio.gz
SVC_CACHED      := $(wildcard $(FERROVISOR_CACHE)/userland/$(DEB_ARCH)/manifest.txt)

.PHONY: userland test-configs FORCE
userland: $(USERLAND_LAYER)

$(LINUX_OUT)/userland/bin/%: guests/linux-userland/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USERLAND_CFLAGS) -s -o $@ $< -lm

# Always run (a program removed from the directory must leave the layer); the script keeps
# the file, and so its date, when the bytes are unchanged.
$(USERLAND_LAYER): $(USERLAND_BINS) scripts/userland-layer.py FORCE
	$(Q)python3 scripts/userland-layer.py layer --out $@ $(USERLAND_BINS) >/dev/null

# Static patterns: the targets are named, so make prefers these rules to test-%.dtb below.
$(foreach s,$(KERNEL_SUITES),$(LINUX_OUT)/images/$(s)/initramfs.cpio.gz): \
		$(LINUX_OUT)/images/%/initramfs.cpio.gz: $(IMAGES_CACHE)/%/manifest.txt $(USERLAND_LAYER) \
		scripts/userland-layer.py $(if $(SVC_CACHED),$(SVC_LAYER))
	$(Q)python3 scripts/userland-layer.py compose --cache $(IMAGES_CACHE)/$* \
		--layer $(USERLAND_LAYER) --out $(LINUX_OUT)/images/$* \
		$(if $(SVC_CACHED),--svc-layer $(SVC_LAYER))

FORCE:

# Configurations with Linux guests embed the cached images.
$(BUILD)/config/linux%.dtb: configs/linux%.dts guests $(IMAGE_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(BUILD)/guests -i $(IMAGE_DIR) $<

# Integration tests build extra configurations from tests/integration/configs. The Linux
# ones (linux*.dts) are built once per kernel suite, build/config/<suite>/test-linux*.dtb,
# from the suite's kernel and layered initramfs (hyp.config_path() picks the test's suite);
# build/config/test-linux*.dtb are copies of the $(KERNEL) ones.
LINUX_TEST_DTS := $(wildcard tests/integration/configs/linux*.dts)
suite_linux_dtbs = $(patsubst tests/integration/configs/%.dts,$(BUILD)/config/$(1)/test-%.dtb,$(LINUX_TEST_DTS))

define suite_config_rules
$(call suite_linux_dtbs,$(1)): $(BUILD)/config/$(1)/test-%.dtb: tests/integration/configs/%.dts \
		guests $(BUILD)/images/$(1)/initramfs.cpio.gz
	@mkdir -p $$(dir $$@)
	$$(Q)$$(DTB) $$@ -i $(BUILD)/guests -i $(BUILD)/images/$(1) $$<
endef
$(foreach s,$(KERNEL_SUITES),$(eval $(call suite_config_rules,$(s))))

$(patsubst tests/integration/configs/%.dts,$(BUILD)/config/test-%.dtb,$(LINUX_TEST_DTS)): \
		$(BUILD)/config/test-%.dtb: $(BUILD)/config/$(KERNEL)/test-%.dtb
	$(Q)cp $< $@

$(BUILD)/config/test-%.dtb: tests/integration/configs/%.dts guests
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(BUILD)/guests $<

# Bare-metal configurations, and the Linux ones of every suite that is cached (of $(KERNEL)
# when none is yet: building those fetches it).
TEST_DTS  := $(filter-out $(LINUX_TEST_DTS),$(wildcard tests/integration/configs/*.dts))
TEST_DTBS := $(patsubst tests/integration/configs/%.dts,$(BUILD)/config/test-%.dtb,$(TEST_DTS)) \
             $(foreach s,$(or $(SUITES_CACHED),$(KERNEL)),$(call suite_linux_dtbs,$(s)))

test-configs: $(TEST_DTBS)

# make run: the operator path, `ferrovisor run --config RUN_YAML` (default: a Debian Linux
# VM with 2 vCPUs beside a bare-metal VM and the service VM, whose ferrovisord is the REST API
# on 127.0.0.1:8080; its initramfs is composed here, in a sub-make so that the libraries
# `images` just fetched are seen). RUN_YAML=examples/baremetal.yaml needs no
# downloads; `make run-builtin` boots the hypervisor's built-in 3-VM configuration.
RUN_YAML ?= examples/multi-vm.yaml
QEMU_ARGS := $(ARCH_QEMU_ARGS) -smp $(SMP) -m $(MEM) -nographic -kernel $(B)/ferrovisor.bin

# The examples name the kernel as ${FERROVISOR_KERNEL:-stable}: `KERNEL=unstable make run`.
run: deps all $(if $(findstring multi-vm,$(RUN_YAML))$(findstring vm-config,$(RUN_YAML)),images)
	$(Q)if grep -q FERROVISOR_KERNEL $(RUN_YAML) && [ ! -f $(IMAGE_STAMP) ]; then \
		echo "make run: the $(KERNEL) kernel is not available:" \
			"$$(head -n 1 $(IMAGE_DIR)/unavailable.txt 2>/dev/null || echo 'run make images')"; \
		exit 1; fi
	$(Q)if grep -q svc-initramfs $(RUN_YAML); then \
		$(MAKE) --no-print-directory $(BUILD)/images/$(KERNEL)/initramfs.cpio.gz && \
		test -f $(BUILD)/images/$(KERNEL)/svc-initramfs.cpio.gz || { echo "make run:" \
			"no service VM initramfs (the $(DEB_ARCH) libraries were not fetched: make images)"; \
			exit 1; }; fi
	FERROVISOR_KERNEL=$(KERNEL) $(TOOLS_BIN) run --config $(RUN_YAML)

run-builtin: deps all
	@echo "Ferrovisor: Ctrl-] n switches console focus, Ctrl-] 0 is the hypervisor shell, Ctrl-A x quits QEMU"
	$(QEMU) $(QEMU_ARGS)

# The arm64 port's built-in configuration (docs/arm64.md), from any ARCH.
.PHONY: run-arm64
run-arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 run-builtin

run-debug: deps all
	@echo "QEMU waits for gdb on :1234 (gdb-multiarch $(B)/ferrovisor.elf -ex 'target remote :1234')"
	$(QEMU) $(QEMU_ARGS) -S -s

include mk/unit.mk
# Rules only one architecture has (e.g. mk/arch-arm64-rules.mk: its guests and configurations).
-include mk/arch-$(ARCH)-rules.mk
include mk/tools.mk
include mk/ferrovisord.mk

# The YAML loader is fuzzed for FUZZ_SECONDS first, so the runner's summary line
# ("N passed, N failed, N skipped") is the last thing `make test` prints.
# The arm64 hypervisor, guests and test configurations are built here too, before tests
# run in parallel (arm64_hyp.build() then finds them up to date).
# Both kernel suites: `make images`, then a sub-make that sees which suites are cached builds
# their configurations; the runner runs every Linux test once per suite (an unavailable suite's
# tests are skipped with the reason from its unavailable.txt).
test: deps all unit-build
	$(Q)$(MAKE) -s images
	$(Q)$(MAKE) -s images-arm64
	$(Q)$(MAKE) -s ARCH=arm64 hyp arm64-test-configs
	$(Q)$(MAKE) -s test-configs
	$(Q)$(MAKE) -s fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(Q)python3 tests/run_tests.py

test-unit: deps unit-build
	$(Q)python3 tests/run_tests.py --unit-only

test-integration: deps all
	$(Q)$(MAKE) -s images
	$(Q)$(MAKE) -s images-arm64
	$(Q)$(MAKE) -s test-configs
	$(Q)python3 tests/run_tests.py --integration-only

SRC_FILES = $(shell git ls-files -co --exclude-standard '*.c' '*.h' | grep -v '^guests/linux/')

format:
	$(Q)clang-format -i $(SRC_FILES)

format-check:
	$(Q)clang-format --dry-run --Werror $(SRC_FILES)
	@echo "format-check: ok"

cppcheck:
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -Ihyp $(ARCH_INC) \
		$(ARCH_CPPCHECK) -DFV_BUILTIN_CONFIG hyp
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -Ihyp -Itools tools tests/fuzz
	@echo "cppcheck: ok"

# Code outside hyp/arch names no architecture (issue #16): scripts/check-core-neutral.sh.
check-neutral:
	$(Q)sh scripts/check-core-neutral.sh

ci: deps format-check cppcheck check-neutral
	$(Q)$(MAKE) all
	$(Q)$(MAKE) test

BENCH_DTBS := $(patsubst bench/configs/%.dts,$(BUILD)/config/bench-%.dtb,$(wildcard bench/configs/*.dts))
$(BUILD)/config/bench-%.dtb: bench/configs/%.dts guests
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(BUILD)/guests $<

benchmark: deps all $(BENCH_DTBS)
	$(Q)sh bench/run.sh


clean:
	rm -rf $(BUILD)

-include $(HYP_OBJ:.o=.d)
