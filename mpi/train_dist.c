/* The distributed trainer (mpi/train_dist.h). */
#include "train_dist.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adam.h"
#include "checkpoint.h"
#include "comm.h"
#include "encoder.h"
#include "gat_data.h"
#include "hash.h"
#include "interrupt.h"
#include "model.h"
#include "rng.h"
#include "train_pool.h"
#include "triplet.h"

static le_enc_cfg encoder_cfg(const le_train_opts *o, int32_t n_vocab)
{
    le_enc_cfg c = {.feat = {.n_vocab = n_vocab,
                             .d_op = (int32_t)o->dims,
                             .d_tok = (int32_t)o->dims,
                             .n_buckets = (int32_t)o->buckets,
                             .salt = 0x6c6162656c656173ULL /* "labeleas" */},
                    .layers = (int32_t)o->layers,
                    .heads = (int32_t)o->heads,
                    .hc = (int32_t)o->hidden,
                    .out_dim = 64};
    return c;
}

#define FIX_SCALE 4294967296.0            /* 2^32: gradient fixed point */
#define ACC_EXTRA (2 + LE_INTERRUPT_NSIG) /* after the gradient: loss, correct triplets, ranks interrupted by each signal */

static void accumulate_fixed(int64_t *acc, const float *g, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double x = (double)g[i] * FIX_SCALE;
        acc[i] += isfinite(x) && fabs(x) < 4e18 ? llrint(x) : 0;
    }
}

typedef struct trainer {
    le_encoder enc;
    float *params, *grad, *dO;
    int64_t *acc; /* [P + ACC_EXTRA]: gradient, loss, correct triplets, interrupt slots */
    int32_t *trip;
    le_adam adam;
    le_graphbatch gb;
    le_enc_ws ws;
    char *send, *recv; /* this step's micro-batch records, by destination / by source */
    size_t send_cap, recv_cap;
    int *scount, *sdispl, *rcount, *rdispl; /* [p] */
} trainer;

/* Micro-batch record: int32 m, int32 traces (3K), then the trace records
 * (anchor, positive, negative of each triplet; gat_data.h). */
static void pack_micro(trainer *t, size_t *len, const le_train_slot *sl, const le_train_opts *o, le_rng *r, int32_t m)
{
    const int32_t head[2] = {m, (int32_t)(3 * o->micro)};
    if (*len + sizeof head > t->send_cap) t->send_cap = 2 * (*len + sizeof head), t->send = le_realloc(t->send, t->send_cap);
    memcpy(t->send + *len, head, sizeof head), *len += sizeof head;
    for (int64_t k = 0; k < o->micro; k++) {
        int32_t tr[3];
        le_triplet_sample(&sl->win, r, (float)o->far, (float)o->hard, tr);
        for (int q = 0; q < 3; q++) le_trace_record_pack(&t->send, len, &t->send_cap, &sl->blk, &sl->feat, tr[q]);
    }
}

/* Step s: draw every micro-batch's slot; for the slots this rank owns, sample
 * the triplets and pack them for rank m mod p, grouped by destination. */
static int pack_step(trainer *t, const le_train_data *d, const le_train_opts *o, int64_t s)
{
    const int64_t M = o->batch / o->micro, p = le_world.size;
    size_t len = 0;
    for (int64_t dest = 0; dest < p; dest++) {
        size_t start = len;
        for (int64_t m = dest; m < M; m += p) {
            le_rng r;
            le_rng_init(&r, (uint64_t)o->seed, (uint64_t)(s * M + m), 0x54524950u /* "TRIP" */);
            int64_t j = (int64_t)le_rng_below(&r, (uint32_t)d->pool);
            if (j % p == le_world.rank) pack_micro(t, &len, &d->slots[j / p], o, &r, (int32_t)m);
        }
        if (len - start > INT32_MAX || len > INT32_MAX)
            return le_fail(LE_ERR_USAGE, "train: micro-batch records past 2 GiB; lower --micro");
        t->scount[dest] = (int)(len - start), t->sdispl[dest] = (int)start;
    }
    return 0;
}

/* Records to the ranks that compute them: counts, then the bytes. */
static int exchange(trainer *t)
{
    const int p = le_world.size;
    LE_MPI(MPI_Alltoall(t->scount, 1, MPI_INT, t->rcount, 1, MPI_INT, le_world.comm));
    size_t total = 0;
    for (int r = 0; r < p; r++) t->rdispl[r] = (int)total, total += (size_t)t->rcount[r];
    if (total > INT32_MAX) return le_fail(LE_ERR_USAGE, "train: micro-batch records past 2 GiB; lower --micro");
    if (total > t->recv_cap) t->recv_cap = 2 * total, t->recv = le_realloc(t->recv, t->recv_cap);
    LE_MPI(MPI_Alltoallv(t->send, t->scount, t->sdispl, MPI_BYTE, t->recv, t->rcount, t->rdispl, MPI_BYTE, le_world.comm));
    return 0;
}

/* One micro-batch record at rec: forward, loss (scaled 1/B), backward, gradient into t->acc. Returns its size. */
static size_t micro_batch(trainer *t, const le_train_data *d, const le_train_opts *o, const char *rec)
{
    int32_t head[2];
    memcpy(head, rec, sizeof head);
    size_t used = sizeof head;
    const int K = head[1] / 3, out = t->enc.cfg.out_dim;
    le_gb_reset(&t->gb);
    for (int32_t k = 0; k < head[1]; k++) used += le_gb_add_record(&t->gb, rec + used), t->trip[k] = k;
    le_enc_forward(&t->enc, t->params, &d->map, &t->gb, &t->ws);
    memset(t->dO, 0, sizeof(float) * (size_t)(3 * K * out));
    int ok = 0;
    double loss = le_triplet_loss(out, t->ws.O, K, t->trip, (float)o->margin, (float)(1.0 / (double)o->batch), t->dO, &ok);
    memset(t->grad, 0, sizeof(float) * (size_t)t->enc.n_params);
    le_enc_backward(&t->enc, t->params, &d->map, &t->gb, &t->ws, t->dO, t->grad);
    accumulate_fixed(t->acc, t->grad, t->enc.n_params);
    t->acc[t->enc.n_params] += llrint(loss * FIX_SCALE);
    t->acc[t->enc.n_params + 1] += ok;
    return used;
}

/* One optimiser step; returns the global mean loss and accuracy, and in *sig
 * the signal some rank had received before the allreduce (0: none; the flag
 * rides in the step's allreduce, so every rank gets the same answer). */
static int train_step(trainer *t, const le_train_data *d, const le_train_opts *o, int64_t step, double *loss, double *acc,
                      int *sig)
{
    const int64_t P = t->enc.n_params;
    memset(t->acc, 0, sizeof(int64_t) * (size_t)(P + ACC_EXTRA));
    LE_CHECK(le_agree(pack_step(t, d, o, step)));
    LE_CHECK(exchange(t));
    size_t total = (size_t)t->rdispl[le_world.size - 1] + (size_t)t->rcount[le_world.size - 1];
    for (size_t at = 0; at < total;) at += micro_batch(t, d, o, t->recv + at);
    le_interrupt_fold(t->acc + P + 2);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, t->acc, (int)(P + ACC_EXTRA), MPI_INT64_T, MPI_SUM, le_world.comm));
    *sig = le_interrupt_unfold(t->acc + P + 2);
    for (int64_t i = 0; i < P; i++) t->grad[i] = (float)((double)t->acc[i] / FIX_SCALE);
    le_adam_step(&t->adam, t->params, t->grad);
    *loss = (double)t->acc[P] / FIX_SCALE;
    *acc = (double)t->acc[P + 1] / (double)o->batch;
    return 0;
}

static void trainer_init(trainer *t, const le_train_opts *o)
{
    const int64_t P = t->enc.n_params;
    const size_t p = (size_t)le_world.size;
    t->params = le_malloc(sizeof(float) * (size_t)P);
    t->grad = le_malloc(sizeof(float) * (size_t)P);
    t->acc = le_malloc(sizeof(int64_t) * (size_t)(P + ACC_EXTRA));
    t->dO = le_malloc(sizeof(float) * (size_t)(3 * o->micro * t->enc.cfg.out_dim));
    t->trip = le_malloc(sizeof(int32_t) * (size_t)(3 * o->micro));
    t->scount = le_malloc(sizeof(int) * p), t->sdispl = le_malloc(sizeof(int) * p);
    t->rcount = le_malloc(sizeof(int) * p), t->rdispl = le_malloc(sizeof(int) * p);
    le_enc_init_params(&t->enc, t->params, (uint64_t)o->seed);
    le_adam_init(&t->adam, P, (float)o->lr);
    le_gb_init(&t->gb);
    le_enc_ws_init(&t->ws);
}

static void trainer_free(trainer *t)
{
    free(t->params), free(t->grad), free(t->acc), free(t->dO), free(t->trip), free(t->send), free(t->recv);
    free(t->scount), free(t->sdispl), free(t->rcount), free(t->rdispl);
    le_adam_free(&t->adam);
    le_gb_free(&t->gb);
    le_enc_ws_free(&t->ws);
}

typedef struct progress {
    double t_start, loss_sum, acc_sum;
    int64_t n, start;           /* start: the step this process began at (> 0 when resumed) */
    double last_loss, last_acc; /* means over the last logging interval */
} progress;

static void log_progress(progress *p, const le_train_opts *o, int64_t step, int64_t steps)
{
    p->last_loss = p->loss_sum / (double)p->n, p->last_acc = p->acc_sum / (double)p->n;
    double el = le_now() - p->t_start, rate = 3.0 * (double)o->batch * (double)(step + 1 - p->start) / el;
    double eta = el / (double)(step + 1 - p->start) * (double)(steps - step - 1);
    le_info("train: step %lld/%lld loss %.4f triplet_acc %.3f traces/s %.0f eta %.0fs", (long long)(step + 1),
            (long long)steps, p->last_loss, p->last_acc, rate, eta);
    p->loss_sum = p->acc_sum = 0, p->n = 0;
}

static int write_model(const le_train_opts *o, const le_corpus_meta *meta, const le_train_data *d, const trainer *t,
                       const progress *p)
{
    if (le_world.rank != 0) return 0;
    le_model m = {.enc = t->enc,
                  .params = t->params,
                  .mean = d->mean,
                  .std = d->std,
                  .seed = o->seed,
                  .steps = o->steps,
                  .batch = o->batch,
                  .lr = o->lr,
                  .margin = o->margin,
                  .final_loss = p->last_loss,
                  .final_accuracy = p->last_acc};
    snprintf(m.corpus, sizeof m.corpus, "%s", o->corpus);
    memcpy(m.corpus_fp, meta->fingerprint, sizeof m.corpus_fp);
    m.vocab_services = le_malloc(sizeof(char *) * (size_t)(d->n_vocab + 1));
    m.vocab_operations = le_malloc(sizeof(char *) * (size_t)(d->n_vocab + 1));
    for (int32_t i = 0; i < meta->n_operations; i++)
        if (d->vocab_of[i] < d->n_vocab) {
            m.vocab_services[d->vocab_of[i]] = meta->services[meta->operation_service[i]];
            m.vocab_operations[d->vocab_of[i]] = meta->operations[i];
        }
    int rc = le_model_write(o->out, &m);
    free(m.vocab_services), free(m.vocab_operations);
    return rc;
}

/* ---- checkpoints (io/checkpoint.h) ---- */

static uint64_t mix_str(uint64_t h, const char *s) { return le_mix64(h ^ le_hash64(s, strlen(s))); }

/* Everything that fixes the trajectory from a given state: the options as
 * resolved for this corpus, and a fingerprint of the corpus — its sizes, a
 * hash of its name tables, and a hash of the time statistics (exact integer
 * sums, so the same at any rank count). Not --chunk or --log-every, which
 * change nothing. A checkpoint is resumed only when all of them are equal. */
static void ckpt_keys(le_ckpt *k, const le_train_opts *o, const le_corpus_meta *m, const le_train_data *d, const trainer *t)
{
    const le_enc_cfg *e = &t->enc.cfg;
    le_ckpt_key_int(k, "corpus_fingerprint", (int64_t)strtoull(m->fingerprint, NULL, 16)); /* io/fingerprint.h */
    le_ckpt_key_int(k, "corpus_traces", m->n_traces);
    le_ckpt_key_int(k, "corpus_spans", m->n_spans);
    le_ckpt_key_int(k, "corpus_services", m->n_services);
    le_ckpt_key_int(k, "corpus_operations", m->n_operations);
    le_ckpt_key_int(k, "corpus_vocabulary", d->n_vocab);
    uint64_t h = 0x6e616d6573ULL; /* "names" */
    for (int32_t i = 0; i < m->n_services; i++) h = mix_str(h, m->services[i]);
    for (int32_t i = 0; i < m->n_operations; i++)
        h = le_mix64(mix_str(h, m->operations[i]) ^ (uint64_t)m->operation_service[i]);
    le_ckpt_key_int(k, "corpus_names_hash", (int64_t)h);
    const size_t rows = LE_NTIME * (size_t)(d->n_vocab + 1) * sizeof(float);
    le_ckpt_key_int(k, "corpus_time_stats_hash",
                    (int64_t)le_mix64(le_hash64(d->mean, rows) ^ le_mix64(le_hash64(d->std, rows))));
    le_ckpt_key_int(k, "seed", o->seed);
    le_ckpt_key_int(k, "steps", o->steps);
    le_ckpt_key_int(k, "batch", o->batch);
    le_ckpt_key_int(k, "micro", o->micro);
    le_ckpt_key_int(k, "window", o->window);
    le_ckpt_key_int(k, "pool", d->pool);
    le_ckpt_key_int(k, "pool_steps", d->pool_steps);
    le_ckpt_key_real(k, "lr", o->lr);
    le_ckpt_key_real(k, "margin", o->margin);
    le_ckpt_key_real(k, "far", o->far);
    le_ckpt_key_real(k, "hard", o->hard);
    le_ckpt_key_int(k, "layers", e->layers);
    le_ckpt_key_int(k, "heads", e->heads);
    le_ckpt_key_int(k, "hidden", e->hc);
    le_ckpt_key_int(k, "embed_dims", e->feat.d_op);
    le_ckpt_key_int(k, "buckets", e->feat.n_buckets);
    le_ckpt_key_int(k, "out_dim", e->out_dim);
    le_ckpt_key_int(k, "token_salt", (int64_t)e->feat.salt);
    k->n_params = t->enc.n_params;
}

/* Rank 0 writes the state after `next` steps; collective (the ranks agree on the outcome). */
static int save_checkpoint(const le_train_opts *o, const le_corpus_meta *m, const le_train_data *d, const trainer *t,
                           const progress *p, int64_t next)
{
    int rc = 0;
    if (le_world.rank == 0) {
        le_ckpt c = {0};
        ckpt_keys(&c, o, m, d, t);
        c.next_step = next, c.adam_t = t->adam.t;
        c.params = t->params, c.adam_m = t->adam.m, c.adam_v = t->adam.v;
        c.log_loss_sum = p->loss_sum, c.log_acc_sum = p->acc_sum, c.log_n = p->n;
        c.last_loss = p->last_loss, c.last_acc = p->last_acc;
        snprintf(c.corpus, sizeof c.corpus, "%s", o->corpus);
        double t0 = le_now();
        rc = le_ckpt_write(o->ckpt, &c);
        if (!rc) le_debug("train: checkpoint %s at step %lld (%.3f s)", o->ckpt, (long long)next, le_now() - t0);
    }
    return le_agree(rc);
}

/* When --checkpoint names an existing file, rank 0 reads and checks it and
 * every rank takes its state; *start = the step to go on from (0 without
 * one). Collective. */
static int resume(const le_train_opts *o, const le_corpus_meta *m, const le_train_data *d, trainer *t, progress *p,
                  int64_t *start)
{
    *start = 0;
    if (!o->ckpt) return 0;
    int exists = 0, rc = 0;
    le_ckpt got = {0};
    if (le_world.rank == 0 && access(o->ckpt, F_OK) == 0) {
        le_ckpt want = {0};
        ckpt_keys(&want, o, m, d, t);
        exists = 1;
        rc = le_ckpt_read(o->ckpt, &want, &got);
    } else if (le_world.rank == 0) { /* fail now, not at the first checkpoint */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", o->ckpt);
        if (access(dirname(dir), W_OK | X_OK))
            rc = le_fail(LE_ERR_IO, "--checkpoint %s: cannot write in %s: %s", o->ckpt, dir, strerror(errno));
    }
    LE_CHECK(le_agree(rc));
    if ((rc = LE_MPI_RC(MPI_Bcast(&exists, 1, MPI_INT, 0, le_world.comm)))) {
        if (le_world.rank == 0 && exists) le_ckpt_free(&got);
        return rc;
    }
    if (!exists) {
        le_info("train: no checkpoint at %s yet: starting at step 0", o->ckpt);
        return 0;
    }
    int64_t head[3] = {got.next_step, got.adam_t, got.log_n};
    double prog[4] = {got.log_loss_sum, got.log_acc_sum, got.last_loss, got.last_acc};
    const int P = (int)t->enc.n_params;
    if (le_world.rank == 0) {
        memcpy(t->params, got.params, sizeof(float) * (size_t)P);
        memcpy(t->adam.m, got.adam_m, sizeof(float) * (size_t)P);
        memcpy(t->adam.v, got.adam_v, sizeof(float) * (size_t)P);
        le_ckpt_free(&got);
    }
    LE_MPI(MPI_Bcast(head, 3, MPI_INT64_T, 0, le_world.comm));
    LE_MPI(MPI_Bcast(prog, 4, MPI_DOUBLE, 0, le_world.comm));
    LE_MPI(MPI_Bcast(t->params, P, MPI_FLOAT, 0, le_world.comm));
    LE_MPI(MPI_Bcast(t->adam.m, P, MPI_FLOAT, 0, le_world.comm));
    LE_MPI(MPI_Bcast(t->adam.v, P, MPI_FLOAT, 0, le_world.comm));
    *start = head[0], t->adam.t = head[1], p->n = head[2];
    p->loss_sum = prog[0], p->acc_sum = prog[1], p->last_loss = prog[2], p->last_acc = prog[3];
    le_info("train: resuming from %s at step %lld/%lld (%lld done)", o->ckpt, (long long)*start + 1, (long long)o->steps,
            (long long)*start);
    return 0;
}

/* Stopped by a signal after `done` steps. Only rank 0 records the message
 * and returns LE_EXIT_INTERRUPTED; the others return 0 and get the status
 * and the message from the caller's le_agree (every rank prints it). */
static int interrupted(const le_train_opts *o, int sig, int64_t done)
{
    if (le_world.rank != 0) return 0;
    if (o->ckpt)
        return le_fail(LE_EXIT_INTERRUPTED,
                       "train: interrupted by %s after step %lld/%lld; checkpoint %s written; "
                       "re-run the same command to resume",
                       le_interrupt_name(sig), (long long)done, (long long)o->steps, o->ckpt);
    return le_fail(LE_EXIT_INTERRUPTED,
                   "train: interrupted by %s after step %lld/%lld; nothing was saved (no --checkpoint FILE) "
                   "and %s was not written",
                   le_interrupt_name(sig), (long long)done, (long long)o->steps, o->out);
}

/* Steps start..steps-1. A signal seen by any rank (it rides in the step's
 * allreduce) ends the loop at that step's end: checkpoint, then
 * LE_EXIT_INTERRUPTED; on the last step it changes nothing. */
static int run_training(le_corpus *c, const le_train_opts *o, le_train_data *d, trainer *t, progress *p, int64_t start)
{
    int64_t steps = o->steps;
    p->t_start = le_now(), p->start = start;
    for (int64_t s = start; s < steps; s++) {
        double loss = 0, acc = 0;
        int sig = 0;
        LE_CHECK(le_train_pool_enter(c, o, d, s));
        LE_CHECK(train_step(t, d, o, s, &loss, &acc, &sig));
        p->loss_sum += loss, p->acc_sum += acc, p->n++;
        if ((s + 1) % o->log_every == 0 || s + 1 == steps) log_progress(p, o, s, steps);
        const int stop = sig && s + 1 < steps;
        if (sig && !stop) le_info("train: %s during the last step: finishing", le_interrupt_name(sig));
        if (o->ckpt && (stop || s + 1 == steps || (o->ckpt_every && (s + 1) % o->ckpt_every == 0)))
            LE_CHECK(save_checkpoint(o, &c->meta, d, t, p, s + 1));
        if (stop) return interrupted(o, sig, s + 1);
    }
    return 0;
}

static void fill_result(le_train_result *r, const le_train_data *d, const trainer *t, const progress *p, double secs)
{
    *r = (le_train_result){.n_windows = d->n_windows,
                           .pool = d->pool,
                           .pool_steps = d->pool_steps,
                           .n_params = t->enc.n_params,
                           .resumed_at = p->start,
                           .n_vocab = d->n_vocab,
                           .final_loss = p->last_loss,
                           .triplet_accuracy = p->last_acc,
                           .seconds = secs};
}

int le_train(le_corpus *c, le_train_opts *o, le_train_result *res)
{
    le_train_data d = {0};
    trainer t = {0};
    progress p = {0};
    int rc = le_agree(le_train_data_load(c, o, encoder_cfg(o, 0).feat, &d));
    if (!rc && o->epochs > 0) o->steps = (int64_t)ceil(o->epochs * (double)c->meta.n_traces / (double)o->batch);
    le_enc_cfg cfg = encoder_cfg(o, d.n_vocab);
    if (!rc) rc = le_agree(le_enc_layout(&t.enc, &cfg));
    if (!rc && c->meta.n_traces == 0) rc = le_agree(le_fail(LE_ERR_USAGE, "%s has no traces to train on", o->corpus));
    if (!rc) {
        trainer_init(&t, o);
        le_info(
            "train: %lld traces, %lld windows (pool %lld, %lld steps each), vocabulary %d, %lld parameters, %lld steps of "
            "%lld triplets on %d ranks",
            (long long)c->meta.n_traces, (long long)d.n_windows, (long long)d.pool, (long long)d.pool_steps, d.n_vocab,
            (long long)t.enc.n_params, (long long)o->steps, (long long)o->batch, le_world.size);
        int64_t start = 0;
        rc = le_agree(resume(o, &c->meta, &d, &t, &p, &start));
        double t0 = le_now();
        if (!rc) rc = le_agree(run_training(c, o, &d, &t, &p, start));
        double secs = le_now() - t0;
        if (!rc) rc = le_agree(write_model(o, &c->meta, &d, &t, &p));
        if (!rc) fill_result(res, &d, &t, &p, secs);
        trainer_free(&t);
    }
    le_train_data_free(&d);
    return rc;
}
