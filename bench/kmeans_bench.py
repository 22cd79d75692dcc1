"""Lloyd iteration of labelease k-means vs faiss and scikit-learn, one core,
same data and same initial centroids (bench/kmeans.sh runs it).

Data: N x D float32 rows around K Gaussian blobs (seeded); the initial
centroids are K rows drawn from the data. Each library runs ITERS Lloyd
iterations from those centroids; the time per iteration includes the
assignment and the centroid update (and, for labelease, the allreduce).
"""
import os, subprocess, sys, time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
from threadpoolctl import threadpool_limits

bench, work = sys.argv[1], sys.argv[2]
N, D, K, ITERS = (int(v) for v in sys.argv[3:7])
rng = np.random.default_rng(7)
centres = rng.normal(0, 3, (K, D)).astype(np.float32)
x = (centres[rng.integers(0, K, N)] + rng.normal(0, 1, (N, D))).astype(np.float32)
init = x[rng.choice(N, K, replace=False)].copy()
x.tofile(f"{work}/x.f32"); init.tofile(f"{work}/c.f32")
flop = 2.0 * N * K * D

def best_of(f, reps=3):
    return min(f() for _ in range(reps))

def run_labelease():
    out = subprocess.run([bench, f"{work}/x.f32", f"{work}/c.f32", str(N), str(D), str(K), str(ITERS)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split("seconds_per_iteration:")[1].split()[0])

def run_sklearn():
    from sklearn.cluster import KMeans
    with threadpool_limits(1):
        km = KMeans(n_clusters=K, init=init, n_init=1, max_iter=ITERS, tol=0, algorithm="lloyd")
        t = time.perf_counter(); km.fit(x); t = time.perf_counter() - t
    return t / km.n_iter_

def run_faiss():
    import faiss
    faiss.omp_set_num_threads(1)
    km = faiss.Kmeans(D, K, niter=ITERS, verbose=False, seed=1, max_points_per_centroid=N)
    t = time.perf_counter(); km.train(x, init_centroids=init); t = time.perf_counter() - t
    return t / ITERS

le = best_of(run_labelease)
sk = best_of(run_sklearn)
fa = best_of(run_faiss)
print(f"points: {N}\ndim: {D}\nk: {K}\niterations: {ITERS}\ncores: 1")
for name, s in (("labelease", le), ("faiss", fa), ("sklearn", sk)):
    print(f"{name}_seconds_per_iteration: {s:.5f}\n{name}_gflops: {flop / s / 1e9:.1f}")
print(f"kmeans_speedup_vs_faiss: {fa / le:.2f}\nkmeans_speedup_vs_sklearn: {sk / le:.2f}")
