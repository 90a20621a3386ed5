/* OpenMP queries that also compile without OpenMP (serial build). */
#ifndef FASTLOSS_OPENMP_HELPERS_H
#define FASTLOSS_OPENMP_HELPERS_H
#ifdef _OPENMP
#include <omp.h>
/* omp_get_max_threads honours OMP_NUM_THREADS and omp_set_num_threads, which is
   what threadpoolctl's threadpool_limits calls on the loaded OpenMP runtime. */
static inline int fastloss_omp_max_threads(void) { return omp_get_max_threads(); }
static inline int fastloss_openmp_enabled(void) { return 1; }
#else
static inline int fastloss_omp_max_threads(void) { return 1; }
static inline int fastloss_openmp_enabled(void) { return 0; }
#endif
#endif
