#include "driver.h"
int le_cmd_ingest(int argc, char **argv) { (void)argc; (void)argv; return le_fail(LE_ERR_USAGE, "ingest: in progress"); }
