# Host unit tests: tests/unit/test_<name>.c (cmocka) plus tests/unit/test_<name>.src,
# a list of product sources (paths from the repo root, whitespace separated) linked into it,
# and optionally tests/unit/test_<name>.libs with extra host libraries (e.g. -lfdt).
# They build with the host compiler under ASan/UBSan from unchanged product sources.
HOST_CC      ?= cc
HOST_CFLAGS  := -std=c11 -g -O1 -Ihyp -Itests/unit -DFV_HOST_TEST -D_DEFAULT_SOURCE \
                -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                -Wvla -Wimplicit-fallthrough -Wundef \
                -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_LDLIBS  := -lcmocka

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRCS))
HYP_ALL_SRC := $(shell find hyp tests/unit -name '*.[ch]' 2>/dev/null)

build/unit/%: tests/unit/%.c tests/unit/%.src $(HYP_ALL_SRC)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(shell cat tests/unit/$*.src) $(HOST_LDLIBS) \
		$(shell cat tests/unit/$*.libs 2>/dev/null)

.PHONY: unit-build unit
unit-build: $(UNIT_BINS)

# Run each unit binary; cmocka prints its own summary per binary.
unit: unit-build
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

# test_sbi_table links the real SBI table (sbi_table.c needs the RISC-V vCPU layout) with
# handler fakes generated from the prototypes in sbi_ext.h.
build/unit/test_sbi_table: HOST_CFLAGS += -Ihyp/arch/riscv/include
# ctl.c includes core/vm.h, which includes the arch VM/vCPU headers.
build/unit/test_ctl: HOST_CFLAGS += -Ihyp/arch/riscv/include
# Core's vCPU/scheduler code on the fake architecture (tests/unit/fake_arch: arch/*.h, hooks).
build/unit/test_vcpu_sched: HOST_CFLAGS += -Itests/unit/fake_arch
# The boot-CPU work queue (core) on the fake architecture too.
build/unit/test_bootwork: HOST_CFLAGS += -Itests/unit/fake_arch
build/unit/test_vm_lifecycle: HOST_CFLAGS += -Itests/unit/fake_arch
# The debugger's run control with fake channel and scheduler calls (struct vm/vcpu of the fake arch).
build/unit/test_gdb_runctl: HOST_CFLAGS += -Itests/unit/fake_arch
# The RISC-V host DT parser fills core/platform.h's arch part (arch/platform.h).
build/unit/test_platform: HOST_CFLAGS += -Ihyp/arch/riscv/include
build/unit/test_snap_vm: HOST_CFLAGS += -Ihyp/arch/riscv/include
# The arm64 host DT parser: its arch/platform.h (GICv3, timer PPIs, PSCI conduit).
build/unit/test_arm64_platform: HOST_CFLAGS += -Ihyp/arch/arm64/include
# Core's shared DT walk (platform_fdt.c) on the fake architecture's struct platform_arch.
build/unit/test_platform_fdt: HOST_CFLAGS += -Itests/unit/fake_arch
build/unit/test_sbi_table: build/unit/gen/sbi_fakes.c
build/unit/gen/sbi_fakes.c: hyp/arch/riscv/sbi/sbi_ext.h tests/unit/gen_sbi_fakes.py
	@mkdir -p $(dir $@)
	$(Q)python3 tests/unit/gen_sbi_fakes.py $< $@
# arm64 snapshots on the host: the arm64 struct vcpu/vm, the hooks they call faked in the test.
build/unit/test_snap_arm64: HOST_CFLAGS += -Ihyp/arch/arm64/include
