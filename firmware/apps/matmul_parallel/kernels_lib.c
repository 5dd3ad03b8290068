#include "../../kernels/kernels_all.c"
