/* Pre-included (clang -include) by `iss cc --isa corev` into every source; only assembly
 * (.S, preprocessed) sees anything.
 *
 * The compiler's -mcpu leaves out XCVbitmanip: the clang of the ziglang wheel lowers
 * __builtin_clz / llvm.ctlz to a bare cv.fl1 (llvm/llvm-project#197006, fixed upstream by
 * PR #197288), which breaks clz, soft-float and 64-bit division in C and in compiler-rt.
 * Hand-written assembly is not affected, so the assembler accepts cv.ff1, cv.fl1, cv.clb,
 * cv.cnt, cv.ror, cv.bitrev, cv.extract[u][r], cv.insert[r], cv.bset[r], cv.bclr[r] here.
 * (Inline asm in C: wrap the instruction in XP_BITMANIP_ASM from xpulp.h.)
 */
#ifdef __ASSEMBLER__
    .option arch, +xcvbitmanip
#endif
