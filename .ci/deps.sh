#!/usr/bin/env bash
# .ci/deps.sh — the one list of Debian 12 packages labelease needs.
#
#   .ci/deps.sh [--slurm] [--list] [--help]
#
# Checks each package with dpkg-query and installs only the missing ones with
# `apt-get install -y --no-install-recommends` (running `apt-get update` first,
# only when something is missing). Never prompts (DEBIAN_FRONTEND=noninteractive).
# Not root and something missing: prints the exact sudo line and exits 1.
#
#   (no option)  build + run: compilers, MPI, parallel HDF5, BLAS/ScaLAPACK, libs
#   --tests      also what the tests and benchmarks need: python3-torch,
#                scikit-learn, faiss, Chromium, tmux, clang + libFuzzer, valgrind, and munge + Slurm (the
#                single-node test cluster of tests/e2e/slurm.sh) with the PMIx
#                library srun --mpi=pmix loads (--slurm is the old name)
#   --list       print the packages that would be checked, one a line, and exit
#
# Also usable as `source .ci/deps.sh [--slurm]`: it then returns instead of exiting.

le_deps_main() {
    # --- build and run -------------------------------------------------------
    local base=(
        build-essential cmake pkg-config
        openmpi-bin libopenmpi-dev
        libhdf5-openmpi-dev hdf5-tools
        libopenblas-dev libscalapack-openmpi-dev
        libcmocka-dev libyajl-dev libcsv-dev
        zlib1g-dev libzstd-dev
        python3-h5py python3-numpy
    )
    # --- test and benchmark extras (--tests) -----------------------------------
    # PyTorch: the GAT reference test; scikit-learn and faiss: the k-means
    # comparisons; Chromium and tmux: the labeling page and terminal tests;
    # gnuplot: the plots of the benchmarks and scaling runs; clang and
    # libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes): tests/e2e/fuzz_smoke.sh;
    # clang-format: .ci/format.sh, the style check of check.sh;
    # valgrind: tests/e2e/valgrind.sh (memcheck of a small pipeline);
    # zstd: the command that makes the .zst inputs of tests/e2e/ingest_inputs.sh.
    local reference=(
        python3-torch python3-sklearn python3-faiss
        chromium tmux gnuplot-nox
        clang libclang-rt-14-dev clang-format
        valgrind zstd
    )
    # --- Slurm test extras (--slurm) --------------------------------------------
    # Slurm's mpi/pmix plugin (slurm-wlm-basic-plugins) dlopens libpmix.so,
    # which only libpmix-dev ships (pmix2/lib/libpmix.so); without it
    # `srun --mpi=pmix` fails.
    local slurm=(munge slurmctld slurmd slurm-client slurm-wlm-basic-plugins libpmix-dev)

    local want_slurm=0 list_only=0 a
    for a in "$@"; do
        case "$a" in
            --tests|--slurm) want_slurm=1 ;;
            --list) list_only=1 ;;
            -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
            *) echo "deps.sh: unknown option '$a' (--help)" >&2; return 2 ;;
        esac
    done

    local pkgs=("${base[@]}")
    [ "$want_slurm" = 1 ] && pkgs+=("${reference[@]}" "${slurm[@]}")
    if [ "$list_only" = 1 ]; then printf '%s\n' "${pkgs[@]}"; return 0; fi

    local missing=() p st
    for p in "${pkgs[@]}"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "deps.sh: all ${#pkgs[@]} packages installed$([ "$want_slurm" = 1 ] && echo ' (with Slurm extras)')"
        return 0
    fi
    echo "deps.sh: missing: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "deps.sh: not root; install them with:" >&2
        echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "+ apt-get update"
    apt-get update -qq || return 1
    echo "+ apt-get install -y --no-install-recommends ${missing[*]}"
    apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null || return 1
    echo "deps.sh: installed ${#missing[@]} package(s)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -uo pipefail
    le_deps_main "$@"
    exit $?
fi
le_deps_main "$@"
