# ARCH=arm64 rules: the arm64 test guests (guests/arm64), the built-in configuration and the
# integration tests' arm64 configurations (tests/integration/configs-arm64/<name>.dts ->
# build/config/arm64-test-<name>.dtb, their images from build/arm64/guests).
.PHONY: arm64-guests arm64-test-configs
arm64-guests:
	$(Q)$(MAKE) -s -C guests/arm64 OUT=$(abspath $(ARM64_GUEST_DIR))

$(BUILD)/config/default-arm64.dtb: configs/default-arm64.dts arm64-guests
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(ARM64_GUEST_DIR) $<

ARM64_TEST_DTBS := $(patsubst tests/integration/configs-arm64/%.dts,$(BUILD)/config/arm64-test-%.dtb,\
                   $(wildcard tests/integration/configs-arm64/*.dts))
$(BUILD)/config/arm64-test-%.dtb: tests/integration/configs-arm64/%.dts arm64-guests
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(ARM64_GUEST_DIR) $<

arm64-test-configs: $(ARM64_TEST_DTBS)
guests: arm64-guests
configs: $(BUILTIN_CONFIG) arm64-test-configs

# Linux configurations (tests/integration/configs-arm64-linux/<name>.dts): built from the
# $(KERNEL) suite's arm64 image cache (`make ARCH=arm64 images`), only on request.
$(BUILD)/config/arm64-test-linux-%.dtb: tests/integration/configs-arm64-linux/%.dts arm64-guests \
		$(IMAGE_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(DTB) $@ -i $(ARM64_GUEST_DIR) -i $(IMAGE_DIR) $<

# The same configurations per kernel suite, from the suite's composed images
# ($(LINUX_OUT)/images/<suite>: cached kernel, initramfs + userland layer, and
# svc-initramfs.cpio.gz with ferrovisord for aarch64 once `make ARCH=arm64 images` fetched
# the libraries): build/config/arm64/<suite>/test-linux-<name>.dtb. The service VM tests
# (tests/integration/arm64_hyp.py, svc_config_path) use these; one file per suite, so the
# two suites' tests never share one.
ARM64_LINUX_DTS := $(wildcard tests/integration/configs-arm64-linux/*.dts)
define arm64_suite_config_rules
$(patsubst tests/integration/configs-arm64-linux/%.dts,$(BUILD)/config/arm64/$(1)/test-linux-%.dtb,$(ARM64_LINUX_DTS)): \
		$(BUILD)/config/arm64/$(1)/test-linux-%.dtb: tests/integration/configs-arm64-linux/%.dts \
		arm64-guests $(LINUX_OUT)/images/$(1)/initramfs.cpio.gz
	@mkdir -p $$(dir $$@)
	$$(Q)$$(DTB) $$@ -i $(ARM64_GUEST_DIR) -i $(LINUX_OUT)/images/$(1) $$<
endef
$(foreach s,$(KERNEL_SUITES),$(eval $(call arm64_suite_config_rules,$(s))))
