#include "samefile.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "le_base.h"

int le_refuse_input_as_output(const char *what, const char *out, const char *const *inputs, int n)
{
    struct stat so, si;
    if (!out || stat(out, &so)) return 0; /* not there yet: it cannot be an input */
    for (int i = 0; i < n; i++) {
        if (!inputs[i] || !strcmp(inputs[i], "-") || stat(inputs[i], &si)) continue;
        if (so.st_dev == si.st_dev && so.st_ino == si.st_ino)
            return le_fail(LE_ERR_USAGE,
                           "%s %s is the input %s: writing it would destroy that input (nothing was written; "
                           "give another output path)",
                           what, out, inputs[i]);
    }
    return 0;
}

int le_refuse_input_in_dir(const char *what, const char *dir, const char *const *names, int n_names,
                           const char *const *inputs, int n)
{
    LE_CHECK(le_refuse_input_as_output(what, dir, inputs, n));
    char path[4400];
    for (int k = 0; k < n_names; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        LE_CHECK(le_refuse_input_as_output(what, path, inputs, n));
    }
    return 0;
}
