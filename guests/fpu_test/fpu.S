/* SPDX-License-Identifier: MIT */
/*
 * FP register helpers of fpu_test. Only integer registers besides f0-f31 are used, and no
 * function here touches memory other than its argument array, so the C caller (which never
 * uses FP) cannot disturb the values held in f0-f31 between calls.
 */
	.text

/* void fpu_load(const uint64_t pat[32]): f<i> = pat[i] (raw bits). */
	.globl fpu_load
fpu_load:
	fld	f0, 0(a0)
	fld	f1, 8(a0)
	fld	f2, 16(a0)
	fld	f3, 24(a0)
	fld	f4, 32(a0)
	fld	f5, 40(a0)
	fld	f6, 48(a0)
	fld	f7, 56(a0)
	fld	f8, 64(a0)
	fld	f9, 72(a0)
	fld	f10, 80(a0)
	fld	f11, 88(a0)
	fld	f12, 96(a0)
	fld	f13, 104(a0)
	fld	f14, 112(a0)
	fld	f15, 120(a0)
	fld	f16, 128(a0)
	fld	f17, 136(a0)
	fld	f18, 144(a0)
	fld	f19, 152(a0)
	fld	f20, 160(a0)
	fld	f21, 168(a0)
	fld	f22, 176(a0)
	fld	f23, 184(a0)
	fld	f24, 192(a0)
	fld	f25, 200(a0)
	fld	f26, 208(a0)
	fld	f27, 216(a0)
	fld	f28, 224(a0)
	fld	f29, 232(a0)
	fld	f30, 240(a0)
	fld	f31, 248(a0)
	ret

/* uint64_t fpu_verify(const uint64_t pat[32]): bit i set if f<i> != pat[i] (raw bits). */
	.globl fpu_verify
fpu_verify:
	li	a1, 0
	fmv.x.d	t0, f0
	ld	t1, 0(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 0
	or	a1, a1, t2
1:
	fmv.x.d	t0, f1
	ld	t1, 8(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 1
	or	a1, a1, t2
1:
	fmv.x.d	t0, f2
	ld	t1, 16(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 2
	or	a1, a1, t2
1:
	fmv.x.d	t0, f3
	ld	t1, 24(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 3
	or	a1, a1, t2
1:
	fmv.x.d	t0, f4
	ld	t1, 32(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 4
	or	a1, a1, t2
1:
	fmv.x.d	t0, f5
	ld	t1, 40(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 5
	or	a1, a1, t2
1:
	fmv.x.d	t0, f6
	ld	t1, 48(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 6
	or	a1, a1, t2
1:
	fmv.x.d	t0, f7
	ld	t1, 56(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 7
	or	a1, a1, t2
1:
	fmv.x.d	t0, f8
	ld	t1, 64(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 8
	or	a1, a1, t2
1:
	fmv.x.d	t0, f9
	ld	t1, 72(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 9
	or	a1, a1, t2
1:
	fmv.x.d	t0, f10
	ld	t1, 80(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 10
	or	a1, a1, t2
1:
	fmv.x.d	t0, f11
	ld	t1, 88(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 11
	or	a1, a1, t2
1:
	fmv.x.d	t0, f12
	ld	t1, 96(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 12
	or	a1, a1, t2
1:
	fmv.x.d	t0, f13
	ld	t1, 104(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 13
	or	a1, a1, t2
1:
	fmv.x.d	t0, f14
	ld	t1, 112(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 14
	or	a1, a1, t2
1:
	fmv.x.d	t0, f15
	ld	t1, 120(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 15
	or	a1, a1, t2
1:
	fmv.x.d	t0, f16
	ld	t1, 128(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 16
	or	a1, a1, t2
1:
	fmv.x.d	t0, f17
	ld	t1, 136(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 17
	or	a1, a1, t2
1:
	fmv.x.d	t0, f18
	ld	t1, 144(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 18
	or	a1, a1, t2
1:
	fmv.x.d	t0, f19
	ld	t1, 152(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 19
	or	a1, a1, t2
1:
	fmv.x.d	t0, f20
	ld	t1, 160(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 20
	or	a1, a1, t2
1:
	fmv.x.d	t0, f21
	ld	t1, 168(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 21
	or	a1, a1, t2
1:
	fmv.x.d	t0, f22
	ld	t1, 176(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 22
	or	a1, a1, t2
1:
	fmv.x.d	t0, f23
	ld	t1, 184(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 23
	or	a1, a1, t2
1:
	fmv.x.d	t0, f24
	ld	t1, 192(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 24
	or	a1, a1, t2
1:
	fmv.x.d	t0, f25
	ld	t1, 200(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 25
	or	a1, a1, t2
1:
	fmv.x.d	t0, f26
	ld	t1, 208(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 26
	or	a1, a1, t2
1:
	fmv.x.d	t0, f27
	ld	t1, 216(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 27
	or	a1, a1, t2
1:
	fmv.x.d	t0, f28
	ld	t1, 224(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 28
	or	a1, a1, t2
1:
	fmv.x.d	t0, f29
	ld	t1, 232(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 29
	or	a1, a1, t2
1:
	fmv.x.d	t0, f30
	ld	t1, 240(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 30
	or	a1, a1, t2
1:
	fmv.x.d	t0, f31
	ld	t1, 248(a0)
	beq	t0, t1, 1f
	li	t2, 1
	slli	t2, t2, 31
	or	a1, a1, t2
1:
	mv	a0, a1
	ret

/*
 * void fpu_work(unsigned long rounds): FP arithmetic whose every result is exact, so each
 * register ends bit-identical to how it started: (a + b) - b, (a * b) / b and sqrt(a * a)
 * with a, b > 0 small multiples of 1/4. Raises no exception flag (fflags stays 0).
 */
	.globl fpu_work
fpu_work:
2:
	fadd.d	f0, f0, f1
	fsub.d	f0, f0, f1
	fmul.d	f0, f0, f7
	fdiv.d	f0, f0, f7
	fadd.d	f1, f1, f2
	fsub.d	f1, f1, f2
	fmul.d	f1, f1, f8
	fdiv.d	f1, f1, f8
	fadd.d	f2, f2, f3
	fsub.d	f2, f2, f3
	fmul.d	f2, f2, f9
	fdiv.d	f2, f2, f9
	fadd.d	f3, f3, f4
	fsub.d	f3, f3, f4
	fmul.d	f3, f3, f10
	fdiv.d	f3, f3, f10
	fadd.d	f4, f4, f5
	fsub.d	f4, f4, f5
	fmul.d	f4, f4, f11
	fdiv.d	f4, f4, f11
	fadd.d	f5, f5, f6
	fsub.d	f5, f5, f6
	fmul.d	f5, f5, f12
	fdiv.d	f5, f5, f12
	fadd.d	f6, f6, f7
	fsub.d	f6, f6, f7
	fmul.d	f6, f6, f13
	fdiv.d	f6, f6, f13
	fadd.d	f7, f7, f8
	fsub.d	f7, f7, f8
	fmul.d	f7, f7, f14
	fdiv.d	f7, f7, f14
	fadd.d	f8, f8, f9
	fsub.d	f8, f8, f9
	fmul.d	f8, f8, f15
	fdiv.d	f8, f8, f15
	fadd.d	f9, f9, f10
	fsub.d	f9, f9, f10
	fmul.d	f9, f9, f16
	fdiv.d	f9, f9, f16
	fadd.d	f10, f10, f11
	fsub.d	f10, f10, f11
	fmul.d	f10, f10, f17
	fdiv.d	f10, f10, f17
	fadd.d	f11, f11, f12
	fsub.d	f11, f11, f12
	fmul.d	f11, f11, f18
	fdiv.d	f11, f11, f18
	fadd.d	f12, f12, f13
	fsub.d	f12, f12, f13
	fmul.d	f12, f12, f19
	fdiv.d	f12, f12, f19
	fadd.d	f13, f13, f14
	fsub.d	f13, f13, f14
	fmul.d	f13, f13, f20
	fdiv.d	f13, f13, f20
	fadd.d	f14, f14, f15
	fsub.d	f14, f14, f15
	fmul.d	f14, f14, f21
	fdiv.d	f14, f14, f21
	fadd.d	f15, f15, f16
	fsub.d	f15, f15, f16
	fmul.d	f15, f15, f22
	fdiv.d	f15, f15, f22
	fadd.d	f16, f16, f17
	fsub.d	f16, f16, f17
	fmul.d	f16, f16, f23
	fdiv.d	f16, f16, f23
	fadd.d	f17, f17, f18
	fsub.d	f17, f17, f18
	fmul.d	f17, f17, f24
	fdiv.d	f17, f17, f24
	fadd.d	f18, f18, f19
	fsub.d	f18, f18, f19
	fmul.d	f18, f18, f25
	fdiv.d	f18, f18, f25
	fadd.d	f19, f19, f20
	fsub.d	f19, f19, f20
	fmul.d	f19, f19, f26
	fdiv.d	f19, f19, f26
	fadd.d	f20, f20, f21
	fsub.d	f20, f20, f21
	fmul.d	f20, f20, f27
	fdiv.d	f20, f20, f27
	fadd.d	f21, f21, f22
	fsub.d	f21, f21, f22
	fmul.d	f21, f21, f28
	fdiv.d	f21, f21, f28
	fadd.d	f22, f22, f23
	fsub.d	f22, f22, f23
	fmul.d	f22, f22, f29
	fdiv.d	f22, f22, f29
	fadd.d	f23, f23, f24
	fsub.d	f23, f23, f24
	fmul.d	f23, f23, f30
	fdiv.d	f23, f23, f30
	fadd.d	f24, f24, f25
	fsub.d	f24, f24, f25
	fmul.d	f24, f24, f31
	fdiv.d	f24, f24, f31
	fadd.d	f25, f25, f26
	fsub.d	f25, f25, f26
	fmul.d	f25, f25, f0
	fdiv.d	f25, f25, f0
	fadd.d	f26, f26, f27
	fsub.d	f26, f26, f27
	fmul.d	f26, f26, f1
	fdiv.d	f26, f26, f1
	fadd.d	f27, f27, f28
	fsub.d	f27, f27, f28
	fmul.d	f27, f27, f2
	fdiv.d	f27, f27, f2
	fadd.d	f28, f28, f29
	fsub.d	f28, f28, f29
	fmul.d	f28, f28, f3
	fdiv.d	f28, f28, f3
	fadd.d	f29, f29, f30
	fsub.d	f29, f29, f30
	fmul.d	f29, f29, f4
	fdiv.d	f29, f29, f4
	fadd.d	f30, f30, f31
	fsub.d	f30, f30, f31
	fmul.d	f30, f30, f5
	fdiv.d	f30, f30, f5
	fadd.d	f31, f31, f0
	fsub.d	f31, f31, f0
	fmul.d	f31, f31, f6
	fdiv.d	f31, f31, f6
	fmul.d	f0, f0, f0
	fsqrt.d	f0, f0
	fmul.d	f4, f4, f4
	fsqrt.d	f4, f4
	fmul.d	f8, f8, f8
	fsqrt.d	f8, f8
	fmul.d	f12, f12, f12
	fsqrt.d	f12, f12
	fmul.d	f16, f16, f16
	fsqrt.d	f16, f16
	fmul.d	f20, f20, f20
	fsqrt.d	f20, f20
	fmul.d	f24, f24, f24
	fsqrt.d	f24, f24
	fmul.d	f28, f28, f28
	fsqrt.d	f28, f28
	addi	a0, a0, -1
	bnez	a0, 2b
	ret

/* void fpu_corrupt(unsigned int which): self-test of the checker, f<which> *= 2 for
 * which in {7, 31}; any other value doubles f0. */
	.globl fpu_corrupt
fpu_corrupt:
	li	t0, 7
	beq	a0, t0, 3f
	li	t0, 31
	beq	a0, t0, 4f
	fadd.d	f0, f0, f0
	ret
3:	fadd.d	f7, f7, f7
	ret
4:	fadd.d	f31, f31, f31
	ret

/* unsigned long fpu_read_fcsr(void) / void fpu_write_fcsr(unsigned long) */
	.globl fpu_read_fcsr
fpu_read_fcsr:
	frcsr	a0
	ret
	.globl fpu_write_fcsr
fpu_write_fcsr:
	fscsr	a0
	ret
