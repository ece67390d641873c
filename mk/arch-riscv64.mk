# ARCH=riscv64 (the default): RISC-V 64 HS-mode payload of OpenSBI on QEMU virt.
# Each mk/arch-<ARCH>.mk sets the same variables; the Makefile uses nothing else that is
# architecture-specific for the hypervisor (docs/architecture.md, "Adding an architecture").
ARCH_DIR      := hyp/arch/riscv
ARCH_HYP_DIRS := $(ARCH_DIR) $(ARCH_DIR)/sbi
ARCH_INC      := -I$(ARCH_DIR)/include
ARCH_LDS      := $(ARCH_DIR)/linker.ld
ARCH_CFLAGS   := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
ARCH_ASFLAGS  := -march=rv64imac_zicsr_zifencei -mabi=lp64
# What cppcheck must assume about the target (it does not run the cross compiler).
ARCH_CPPCHECK := -D__riscv
# Debian's name of the architecture (guest images, service VM libraries).
DEB_ARCH      := riscv64
# GNU's name (library and header directories of the service VM's Debian sysroot).
GNU_TRIPLET   := riscv64-linux-gnu
CROSS         ?= riscv64-linux-gnu-
QEMU          ?= qemu-system-riscv64
# The machine `make run-builtin` / `run-debug` boot (plus -smp, -m, -nographic, -kernel).
ARCH_QEMU_ARGS := -M virt -cpu rv64 -bios default
