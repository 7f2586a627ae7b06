#pragma once
// OpenBLAS's CBLAS (Debian's libopenblas-dev; pkg-config "openblas" adds its include and library folders),
// with openblas_set_num_threads: seeder runs its own threads and keeps each BLAS call on the calling thread.
#include <cblas.h>
