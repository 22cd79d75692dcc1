/* keep_plugins: linked into every program of a -DLE_SANITIZE=ON build
 * (CMakeLists.txt), where it stands in for libc's dlclose: a library is
 * never unloaded. Why: Open MPI dlclose()s its plugins in MPI_Finalize, and
 * LeakSanitizer's check at exit then meets stack frames in no loaded module;
 * matching each of the ~3,000 allocations that Open MPI keeps to the end
 * against .ci/lsan.supp re-read /proc/self/maps for every such frame. That
 * was 2 of the 3 CPU seconds of a sanitized `labelease --version`, paid by
 * every rank of every process of the sanitized test phase (measured with
 * perf: __sanitizer::Symbolizer::RefreshModules). With the plugins kept,
 * the frames resolve and the same check takes 1.5 s. Leaks of ours are
 * reported as before (our code is never in a plugin); memory that a plugin
 * still points to at exit counts as reachable, as it would in a program
 * that had not finalised. The program's own definition wins over libc's
 * for every library of the process (ELF symbol interposition). */
int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
