/* labelease: git-style subcommands, each an MPI job over MPI_COMM_WORLD. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "interrupt.h"

typedef struct cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cmd;

static const cmd commands[] = {
    {"synth", le_cmd_synth, "generate the synthetic benchmark corpus (Online Boutique with faults)"},
    {"ingest", le_cmd_ingest, "convert Jaeger/Zipkin/OTLP JSON and CSV traces into a corpus"},
    {"info", le_cmd_info, "summarise a labelease HDF5 file"},
    {"train", le_cmd_train, "train the GAT trace encoder with triplet loss"},
    {"embed", le_cmd_embed, "embed every trace with a trained model"},
    {"select", le_cmd_select, "pick representative traces for labeling (hybrid k-means)"},
    {"label", le_cmd_label, "label the representatives (oracle, terminal or page)"},
    {"propagate", le_cmd_propagate, "propagate representative labels to every trace"},
    {"rootcause", le_cmd_rootcause, "fault periods and SBFL service ranking, with the root-cause page"},
    {"label-rootcause", le_cmd_label_rootcause, "confirm each period's root cause in a terminal (SSH)"},
    {"export", le_cmd_export, "write the labeled dataset (HDF5, CSV, JSON)"},
    {"eval", le_cmd_eval, "score labels against ground truth"},
    {"run", le_cmd_run, "run every stage from a config file, restartable (docs/run.md)"},
};
enum { NCMD = sizeof commands / sizeof commands[0] };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: labelease COMMAND [options]   (run under mpirun/srun with any number of ranks)\n"
            "\n"
            "Label microservice traces at scale with the LabelEase method.\n"
            "\n"
            "commands:\n");
    for (int i = 0; i < NCMD; i++) fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "'labelease COMMAND --help' describes each command's options.\n"
            "Reports are key: value lines on stdout from rank 0 (--json for JSON);\n"
            "progress and errors go to stderr. Exit status is 0 on success.\n"
            "version %s\n",
            LE_VERSION);
}

/* A failure outside any subcommand (MPI_Init, the errhandler, MPI_Finalize),
 * which the per-rank report in main does not cover. */
static int print_failure(int rc)
{
    fprintf(stderr, "labelease: error: %s\n", le_errmsg());
    return rc;
}

int main(int argc, char **argv)
{
    int rc = LE_MPI_RC(MPI_Init(&argc, &argv));
    if (rc) return print_failure(rc);
    le_stage = "startup";
    rc = le_world_init();
    le_stage = NULL;
    if (rc) return print_failure(rc);

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        if (le_world.rank == 0) usage(argc < 2 ? stderr : stdout);
        rc = argc < 2 ? LE_ERR_USAGE : 0;
    } else if (!strcmp(argv[1], "--version")) {
        if (le_world.rank == 0) printf("labelease %s\n", LE_VERSION);
    } else {
        const cmd *c = NULL;
        for (int i = 0; i < NCMD; i++)
            if (!strcmp(argv[1], commands[i].name)) c = &commands[i];
        if (!c) {
            rc = le_fail(LE_ERR_USAGE, "unknown command '%s' (labelease --help lists them)", argv[1]);
        } else {
            rc = le_cmd_call(c->run, argc - 1, argv + 1);
        }
        /* 75: stopped by a signal with a checkpoint written, not an error,
         * said once by the rank that wrote it; a rank that stopped for
         * another's error gives that one's reason */
        /* ingest's outcomes (10 no trace, 11 most rows dropped) are the same
         * on every rank: said once, by rank 0, so that no other rank's line
         * lands inside rank 0's warning */
        int outcome = rc == LE_ERR_EMPTY_CORPUS || rc == LE_ERR_MOSTLY_DROPPED;
        if (rc && !(rc == LE_EXIT_INTERRUPTED && le_failed_elsewhere()) && !(outcome && le_world.rank != 0)) {
            const char *what = rc == LE_EXIT_INTERRUPTED || le_failed_elsewhere() ? "stopped" : "error";
            if (le_world.size > 1)
                fprintf(stderr, "labelease: %s (rank %d): %s\n", what, le_world.rank, le_errmsg());
            else
                fprintf(stderr, "labelease: %s: %s\n", what, le_errmsg());
        }
    }
    fflush(stdout);
    int frc = LE_MPI_RC(MPI_Finalize());
    if (frc && !rc) return print_failure(frc);
    return rc;
}
