/* Which instruction-set variant of the kernels this CPU can run. */
#ifndef FASTLOSS_CPU_FEATURES_H
#define FASTLOSS_CPU_FEATURES_H
#ifndef FASTLOSS_ISA
#define FASTLOSS_ISA "baseline"
#endif
static inline const char* fastloss_build_isa(void) { return FASTLOSS_ISA; }

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
/* __builtin_cpu_supports also checks that the OS saves the vector registers. */
static inline int fastloss_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static inline int fastloss_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return fastloss_cpu_has_avx2() && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw");
}
#else
static inline int fastloss_cpu_has_avx2(void) { return 0; }
static inline int fastloss_cpu_has_avx512(void) { return 0; }
#endif
#endif
