# Host tool `ferrovisor` (tools/): YAML configuration, boot bundle, QEMU launcher; and the
# fuzzer of its YAML loader. Included from the top Makefile (needs BUILD and Q).
#   make tools         build/tools/ferrovisor
#   make fuzz          fuzz the configuration loader and the control protocol decoder,
#                      FUZZ_SECONDS (default 30) each
TOOLS_CC      ?= cc
TOOLS_OUT     := $(BUILD)/tools
TOOLS_BIN     := $(TOOLS_OUT)/ferrovisor
TOOLS_VERSION := 0.1.0$(shell git rev-parse --short HEAD >/dev/null 2>&1 && echo "-g$$(git rev-parse --short HEAD)")
TOOLS_WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
                 -Wvla -Wimplicit-fallthrough -Wundef
TOOLS_CFLAGS  := -std=c11 -O2 -g -D_DEFAULT_SOURCE -Ihyp $(TOOLS_WARN) -MMD -MP
TOOLS_LDLIBS  := -lyaml -lfdt -lcurl -lcjson -lnettle -lpthread
# The hypervisor's own configuration parser, linked unchanged: the tool checks every blob
# it writes with it, so the two can never disagree about what is valid.
TOOLS_HYP_SRC := hyp/core/config.c hyp/core/guest_layout.c hyp/lib/fdt.c hyp/lib/printf.c \
                 hyp/core/ctl_proto.c hyp/core/dump_frame.c \
                 hyp/arch/riscv/guest_map.c hyp/arch/arm64/guest_map.c
# The audit log's hash chain, shared with ferrovisord (`ferrovisor audit verify`).
# The crash-dump writer and the DUMP_INFO decoder, shared with ferrovisord (`run --dump-dir`).
TOOLS_SRC     := $(wildcard tools/*.c) tools/ferrovisord/fvd_chain.c tools/ferrovisord/fvd_core.c \
                 tools/ferrovisord/fvd_core_va.c tools/ferrovisord/fvd_dump_wire.c
TOOLS_OBJ     := $(patsubst %.c,$(TOOLS_OUT)/obj/%.o,$(TOOLS_SRC) $(TOOLS_HYP_SRC))

.PHONY: tools fuzz fuzz-build

tools: $(TOOLS_BIN)

# Tool sources are also held to -Wconversion (the hypervisor sources are not, yet).
$(TOOLS_OUT)/obj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(Q)$(TOOLS_CC) $(TOOLS_CFLAGS) -Wconversion -DFV_TOOL_VERSION='"$(TOOLS_VERSION)"' \
		-c $< -o $@

$(TOOLS_OUT)/obj/hyp/%.o: hyp/%.c
	@mkdir -p $(dir $@)
	$(Q)$(TOOLS_CC) $(TOOLS_CFLAGS) -c $< -o $@

$(TOOLS_BIN): $(TOOLS_OBJ)
	$(Q)$(TOOLS_CC) -o $@ $(TOOLS_OBJ) $(TOOLS_LDLIBS)
	@echo "built $@"

# The unit test of the tool's configuration code links tools/*.c (tests/unit/*.src); the
# generic unit rule only watches hyp/ and tests/unit/, so rebuild it when tools/ changes.
build/unit/test_cli_config: $(wildcard tools/*.c tools/*.h)

# Fuzzing the loader and resolver (no file access): libFuzzer when clang has it, else a
# standalone driver (tests/fuzz/driver.c) that replays the corpus and mutates it, under
# ASan/UBSan with the host compiler.
FUZZ_OUT     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 30
FUZZ_CLANG   := $(shell command -v clang 2>/dev/null)
FUZZ_HAS_LIBFUZZER := $(if $(FUZZ_CLANG),$(shell printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' | $(FUZZ_CLANG) -x c - -fsanitize=fuzzer -o /dev/null 2>/dev/null && echo yes))
FUZZ_LIB_SRC := tools/model.c tools/diag.c tools/scalar.c tools/paths.c tools/images.c \
                tools/yaml_load.c tools/yaml_value.c tools/resolve.c tools/svc_tokens.c \
                tools/arch_map.c $(TOOLS_HYP_SRC)
FUZZ_CFLAGS  := -std=c11 -g -O1 -D_DEFAULT_SOURCE -Ihyp -Itools $(TOOLS_WARN) \
                -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(FUZZ_HAS_LIBFUZZER),yes)
FUZZ_CC      := $(FUZZ_CLANG)
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined
FUZZ_DRIVER  :=
FUZZ_KIND    := libFuzzer
FUZZ_RUN      = $(FUZZ_OUT)/fuzz_yaml -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
                -dict=tests/fuzz/yaml.dict -artifact_prefix=$(FUZZ_OUT)/ \
                $(FUZZ_OUT)/corpus tests/fuzz/corpus
FUZZ_RUN_CTL  = $(FUZZ_OUT)/fuzz_ctl -max_total_time=$(FUZZ_SECONDS) -max_len=20000 -timeout=10 \
                -artifact_prefix=$(FUZZ_OUT)/ctl- $(FUZZ_OUT)/corpus_ctl tests/fuzz/corpus_ctl
FUZZ_RUN_GDB  = $(FUZZ_OUT)/fuzz_gdb -max_total_time=$(FUZZ_SECONDS) -max_len=20000 -timeout=10 \
                -artifact_prefix=$(FUZZ_OUT)/gdb- $(FUZZ_OUT)/corpus_gdb tests/fuzz/corpus_gdb
FUZZ_RUN_SNAP = $(FUZZ_OUT)/fuzz_snap -max_total_time=$(FUZZ_SECONDS) -max_len=40000 -timeout=10 \
                -artifact_prefix=$(FUZZ_OUT)/snap- $(FUZZ_OUT)/corpus_snap tests/fuzz/corpus_snap
else
FUZZ_CC      := $(TOOLS_CC)
FUZZ_SAN     := -fsanitize=address,undefined
FUZZ_DRIVER  := tests/fuzz/driver.c
FUZZ_KIND    := standalone driver
FUZZ_RUN      = cd $(FUZZ_OUT) && ./fuzz_yaml -t $(FUZZ_SECONDS) $(abspath tests/fuzz/corpus)
FUZZ_RUN_CTL  = cd $(FUZZ_OUT) && ./fuzz_ctl -t $(FUZZ_SECONDS) $(abspath tests/fuzz/corpus_ctl)
FUZZ_RUN_GDB  = cd $(FUZZ_OUT) && ./fuzz_gdb -t $(FUZZ_SECONDS) $(abspath tests/fuzz/corpus_gdb)
FUZZ_RUN_SNAP = cd $(FUZZ_OUT) && ./fuzz_snap -t $(FUZZ_SECONDS) $(abspath tests/fuzz/corpus_snap)
endif

$(FUZZ_OUT)/fuzz_yaml: tests/fuzz/fuzz_yaml.c $(FUZZ_DRIVER) $(FUZZ_LIB_SRC) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_yaml.c $(FUZZ_DRIVER) \
		$(FUZZ_LIB_SRC) -lyaml

# The control protocol decoder (hyp/core/ctl_proto.c): bytes from the service VM.
$(FUZZ_OUT)/fuzz_ctl: tests/fuzz/fuzz_ctl.c $(FUZZ_DRIVER) hyp/core/ctl_proto.c hyp/core/ctl_proto.h
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_ctl.c $(FUZZ_DRIVER) \
		hyp/core/ctl_proto.c

# The snapshot parser (hyp/core/snap_fmt.c): a snapshot file is hostile input; DEVICE sections
# go through the virtio transport loader (hyp/vdev/virtio_snap.c), UART sections through the
# PL011 decoder (hyp/core/snap_pl011.c).
FUZZ_SNAP_DEV := hyp/vdev/virtio_snap.c hyp/vdev/virtio_mmio.c hyp/vdev/virtq.c \
                 hyp/core/snap_pl011.c hyp/vdev/vpl011.c
$(FUZZ_OUT)/fuzz_snap: tests/fuzz/fuzz_snap.c $(FUZZ_DRIVER) hyp/core/snap_fmt.c \
		hyp/core/snap_fmt.h hyp/core/ctl_proto.c $(FUZZ_SNAP_DEV)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/unit -DFV_HOST_TEST $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_snap.c \
		$(FUZZ_DRIVER) hyp/core/snap_fmt.c hyp/core/ctl_proto.c $(FUZZ_SNAP_DEV)

# The gdb stub (hyp/core/gdb_rsp.c, gdb_stub.c): bytes from the gdb channel.
FUZZ_GDB_SRC := hyp/core/gdb_rsp.c hyp/core/gdb_stub.c hyp/lib/printf.c hyp/lib/fv_err.c
$(FUZZ_OUT)/fuzz_gdb: tests/fuzz/fuzz_gdb.c $(FUZZ_DRIVER) $(FUZZ_GDB_SRC) hyp/core/gdb_stub.h \
		hyp/core/gdb_rsp.h
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DFV_HOST_TEST $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_gdb.c \
		$(FUZZ_DRIVER) $(FUZZ_GDB_SRC)

fuzz-build: $(FUZZ_OUT)/fuzz_yaml $(FUZZ_OUT)/fuzz_ctl $(FUZZ_OUT)/fuzz_gdb $(FUZZ_OUT)/fuzz_snap

fuzz: $(FUZZ_OUT)/fuzz_yaml $(FUZZ_OUT)/fuzz_ctl $(FUZZ_OUT)/fuzz_gdb $(FUZZ_OUT)/fuzz_snap
	@mkdir -p $(FUZZ_OUT)/corpus $(FUZZ_OUT)/corpus_ctl $(FUZZ_OUT)/corpus_gdb \
		$(FUZZ_OUT)/corpus_snap
	$(Q)$(FUZZ_RUN)
	$(Q)$(FUZZ_RUN_CTL)
	$(Q)$(FUZZ_RUN_GDB)
	$(Q)$(FUZZ_RUN_SNAP)
	@echo "fuzz: ok ($(FUZZ_SECONDS) s, $(FUZZ_KIND))"

-include $(TOOLS_OBJ:.o=.d)

# The REST client's unit test links tools/api_client.c, which the generic unit rule does not watch.
build/unit/test_api_client: tools/api_client.c tools/api_client.h

# The CLI's event-stream parser (tests/unit/test_api_sse.c).
build/unit/test_api_sse: tools/api_sse.c tools/api_sse.h
build/unit/test_prof_report: tools/prof_sym.c tools/prof_sym.h tools/prof_report.c tools/prof_report.h

# The host dump stream: the hypervisor's encoder against the tool's receiver and core writer.
build/unit/test_hostdump_stream: tools/dump_recv.c tools/dump_recv.h \
	$(wildcard tools/ferrovisord/fvd_core*.[ch] tools/ferrovisord/fvd_dump_wire.[ch])
