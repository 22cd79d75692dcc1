/* labelease label-rootcause: confirm each fault period's root cause and
 * fault type at a terminal (over SSH), the terminal twin of rootcause.html.
 * It writes the same rootcause-labels.csv the page exports, so `labelease
 * export` reads either. Rank 0 does the work; other ranks only agree on
 * errors (run it without mpirun: it needs the terminal on stdin). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "rc_tui.h"
#include "samefile.h"

static const char usage[] =
    "usage: labelease label-rootcause ROOTCAUSE.h5 -o ROOTCAUSE-LABELS.csv\n"
    "\n"
    "Confirm the root cause of each fault period in this terminal (works over\n"
    "SSH): the periods, the ranked services of the current one (score, abnormal\n"
    "traces through each, period latency against the corpus) and its invocation\n"
    "edges. The labels file is the one the root-cause page exports,\n"
    "period,start_us,end_us,service,fault_type,note, read by 'labelease export'.\n"
    "Its period column numbers the periods from 0, and so does the screen\n"
    "(\"period 0\" is the file's 0). It is rewritten after every confirm or undo,\n"
    "and an existing file is resumed.\n"
    "\n"
    "keys (the root-cause page's too; ? shows them all): 1-9 pick suspect #1-#9;\n"
    "h/l or Left/Right move the pick (every service); t/T next/previous fault type;\n"
    "c confirm, then the next unconfirmed period; s skip as unsure (not written);\n"
    "j/k or Down/Up next/previous period; Enter the next unconfirmed period;\n"
    "u undo; f filter (all, unconfirmed); o type the other fault type; n note;\n"
    "PgDn/PgUp scroll the edges; q quit.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   the root-cause labels CSV (required)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  labelease label-rootcause rootcause.h5 -o rootcause-labels.csv\n";

typedef struct lrc_opts {
    const char *rc, *out;
} lrc_opts;

static int parse(int argc, char **argv, lrc_opts *o)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'}, LE_COMMON_LONGOPTS, {0}};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return -1;
        if (c == 'o')
            o->out = optarg;
        else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"ROOTCAUSE.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 1, 1, NULL));
    o->rc = argv[optind];
    if (!o->out) return le_fail(LE_ERR_USAGE, "-o ROOTCAUSE-LABELS.csv is required (labelease label-rootcause --help)");
    const char *const inputs[] = {o->rc};
    return le_refuse_input_as_output("-o", o->out, inputs, 1);
}

static int run_rank0(const lrc_opts *o)
{
    le_rc rc;
    memset(&rc, 0, sizeof rc);
    le_rc_labels l;
    memset(&l, 0, sizeof l);
    int err = le_rc_read(o->rc, &rc);
    if (!err) err = le_rc_labels_open(&l, &rc, o->out);
    if (!err) err = le_rc_tui(&l, o->rc);
    if (!err) {
        le_report_begin();
        le_report_str("rootcause", o->rc);
        le_report_str("labels", o->out);
        le_report_int("periods", rc.n_periods);
        le_report_int("labelled", le_rc_labels_count(&l));
        le_report_end();
    }
    le_rc_labels_free(&l);
    le_rc_free(&rc);
    return err;
}

int le_cmd_label_rootcause(int argc, char **argv)
{
    lrc_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc < 0) return le_usage(usage, 0);
    if (rc) return rc;
    if (le_world.rank == 0) rc = run_rank0(&o);
    return le_agree(rc);
}
