/* The whole kernel library as one translation unit: apps of firmware/apps/ (built with only
 * their own directory on the include path) add a one-line source
 *     #include "../../kernels/kernels_all.c"
 * so that tools/build_firmware.py and the firmware_elf test fixture can build them. */
#include "kernels.c"
#include "kernels_ref.c"
