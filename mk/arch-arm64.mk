# ARCH=arm64: the ARM64 port (EL2 on qemu-system-aarch64 -M virt,virtualization=on) is not
# written yet (issue #16 item 3). Core is ready for it: docs/architecture.md lists the hooks
# and headers hyp/arch/arm64 must provide and the variables this file must set (see
# mk/arch-riscv64.mk).
$(error ARCH=arm64: not yet: the ARM64 port (hyp/arch/arm64) does not exist yet; build ARCH=riscv64)
