/* samefile: an output must never be one of the inputs. A stage that writes
 * over the file it reads (propagate -o over the person's labels CSV, ingest
 * -o over a trace file, rootcause --page over the corpus) destroys it, so
 * every command checks its outputs against its inputs before it writes
 * anything. "The same" is the same device and inode (stat follows links),
 * so another spelling of the path, a symbolic or a hard link are caught too;
 * an output that does not exist yet is never an input. */
#ifndef LE_SAMEFILE_H
#define LE_SAMEFILE_H

/* 0 when out is none of inputs[0..n) (NULL entries and "-" are skipped);
 * otherwise LE_ERR_USAGE naming both paths. what names the output in the
 * message ("-o", "--page"). No MPI: every rank sees the same files. */
int le_refuse_input_as_output(const char *what, const char *out, const char *const *inputs, int n);

/* The same for an output directory's files: DIR itself and DIR/NAME for
 * each of names[0..n_names). */
int le_refuse_input_in_dir(const char *what, const char *dir, const char *const *names, int n_names,
                           const char *const *inputs, int n);

#endif
