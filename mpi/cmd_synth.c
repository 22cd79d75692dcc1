/* STUB until issue #3's generator lands. */
#include "driver.h"
int le_cmd_synth(int argc, char **argv) { (void)argc; (void)argv; return le_fail(LE_ERR_USAGE, "synth is not built yet (issue #3)"); }
