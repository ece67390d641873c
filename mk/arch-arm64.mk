# ARCH=arm64: Ferrovisor at EL2 on qemu-system-aarch64 -M virt,virtualization=on (QEMU loads
# build/arm64/ferrovisor.bin as a Linux arm64 Image and enters it at EL2 with x0 = the DTB).
# Same variables as mk/arch-riscv64.mk (docs/architecture.md, "Adding an architecture");
# the port itself is described in docs/arm64.md.
ARCH_DIR      := hyp/arch/arm64
ARCH_HYP_DIRS := $(ARCH_DIR)
ARCH_INC      := -I$(ARCH_DIR)/include
ARCH_LDS      := $(ARCH_DIR)/linker.ld
# Integer only: the hypervisor never touches FP/SIMD registers (guests own them).
# armv8.1-a: LSE atomics for the spinlocks (QEMU's -cpu max has them).
ARCH_CFLAGS   := -march=armv8.1-a -mgeneral-regs-only -mstrict-align -mcmodel=small
ARCH_ASFLAGS  := -march=armv8.1-a
ARCH_CPPCHECK := -D__aarch64__
DEB_ARCH      := arm64
CROSS         ?= aarch64-linux-gnu-
QEMU          ?= qemu-system-aarch64
ARCH_QEMU_ARGS := -M virt,virtualization=on,gic-version=3 -cpu max
# The built-in configuration (boots the arm64 hello guest) and the arm64 test guests and
# test configurations (mk/arch-arm64-rules.mk, included after the Makefile's own rules).
BUILTIN_CONFIG := $(BUILD)/config/default-arm64.dtb
ARM64_GUEST_DIR := $(BUILD)/arm64/guests
GNU_TRIPLET   := aarch64-linux-gnu
# The Linux guests' layers and composed images (service VM initramfs) go to build/arm64/
# (build/ holds riscv64's). The userland layer is empty on arm64: the cross compiler has no
# static arm64 libc (ferrovisord links against the fetched Debian sysroot instead).
LINUX_OUT     := $(BUILD)/arm64
ARCH_USERLAND := no
ARCH_ALL_EXTRA := tools ferrovisord userland
