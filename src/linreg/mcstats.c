/* Streaming Monte Carlo statistics in constant memory, the same bits for any
 * block size and thread count.
 *
 * The design. The statistics are a function of the trial index alone:
 *   - trial t draws its noise from its own stream (nb_rng_stream(key, t)), so
 *     it can be drawn in any block, on any thread;
 *   - trials fold, in index order, into leaves of LR_LEAF consecutive trials
 *     by Welford's update (per test input: running mean and sum of squared
 *     deviations);
 *   - leaves merge by Chan's formula in a fixed tree: a binary counter over
 *     the leaves of a node (aligned runs of 2^m leaves, at most LR_NODES
 *     nodes), then a fixed binary tree over the nodes.
 * The block size and the thread count only choose who computes which node
 * when; the operations and their order do not change. Under mpirun the
 * ranks likewise take contiguous runs of nodes and exchange their results
 * before the tree. The node results are also the batches of the standard
 * errors (batch means). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "linreg/linreg_internal.h"

void lr_mc_plan(lr_mc *mc, int64_t T, int64_t K, int ns) {
    memset(mc, 0, sizeof *mc);
    mc->T = T, mc->K = K, mc->kp = (K + 7) / 8 * 8, mc->ns = ns;
    int64_t leaves = (T + LR_LEAF - 1) / LR_LEAF;
    // fewer nodes for many inputs: their results are stored, ns kp of each
    int64_t cap = (int64_t)(((int64_t)64 << 20) / (16 * mc->kp * ns));
    cap = cap < 2 ? 2 : cap > LR_NODES ? LR_NODES : cap;
    mc->node_leaves = 1;
    while ((leaves + mc->node_leaves - 1) / mc->node_leaves > cap) mc->node_leaves *= 2;
    mc->nnodes = (leaves + mc->node_leaves - 1) / mc->node_leaves;
}

nb_status lr_mc_alloc(lr_mc *mc) {
    size_t per = (size_t)(mc->ns * mc->kp);
    mc->nmean = calloc((size_t)mc->nnodes * per * 2, sizeof(double));
    mc->ncnt = calloc((size_t)mc->nnodes, sizeof(int64_t));
    if (!mc->nmean || !mc->ncnt) {
        lr_mc_free(mc);
        return nb_fail(NB_ENOMEM, "Monte Carlo: out of memory for %lld batches", (long long)mc->nnodes);
    }
    mc->nm2 = mc->nmean + (size_t)mc->nnodes * per;
    return NB_OK;
}

void lr_mc_free(lr_mc *mc) {
    free(mc->nmean);
    free(mc->ncnt);
    mc->nmean = mc->nm2 = NULL;
    mc->ncnt = NULL;
}

void lr_mc_part(const lr_mc *mc, bool ranks, int64_t *n0, int64_t *n1) {
    int64_t P = ranks ? nb_dist_size() : 1, r = ranks ? nb_dist_rank() : 0;
    *n0 = mc->nnodes * r / P, *n1 = mc->nnodes * (r + 1) / P; /* the split of nb__allgather_blocks */
}

nb_status lr_mc_share(lr_mc *mc, bool ranks, nb_status s) {
    if (!ranks || nb_dist_size() == 1) return s;
    if ((s = nb_dist_agree(s))) return s;
    size_t per = (size_t)(mc->ns * mc->kp) * sizeof(double);
    nb__allgather_blocks(mc->nmean, mc->nnodes, per);
    nb__allgather_blocks(mc->nm2, mc->nnodes, per);
    nb__allgather_blocks(mc->ncnt, mc->nnodes, sizeof *mc->ncnt);
    return NB_OK;
}

void lr_mc_node_range(const lr_mc *mc, int64_t node, int64_t *t0, int64_t *t1) {
    int64_t span = mc->node_leaves * LR_LEAF;
    *t0 = node * span;
    *t1 = *t0 + span < mc->T ? *t0 + span : mc->T;
}

/* ---- a worker: one node at a time ---- */

nb_status lr_mcw_init(lr_mcw *w, const lr_mc *mc) {
    memset(w, 0, sizeof *w);
    w->mc = mc;
    int lv = 2;
    for (int64_t l = mc->node_leaves; l > 1; l /= 2) lv++;
    w->levels = lv;
    size_t per = (size_t)mc->kp;
    // per series: the leaf (mean, m2), then the stack of (mean, m2)
    w->buf = calloc((size_t)mc->ns * (size_t)(1 + lv) * 2 * per + per, sizeof(double));
    w->ecnt = calloc((size_t)mc->ns * (size_t)lv * 2, sizeof(int64_t));
    w->state = calloc((size_t)mc->ns * 3, sizeof(int64_t));
    if (!w->buf || !w->ecnt || !w->state) {
        lr_mcw_free(w);
        return nb_fail(NB_ENOMEM, "Monte Carlo: out of memory");
    }
    w->p = w->buf + (size_t)mc->ns * (size_t)(1 + lv) * 2 * per;
    for (int c = 0; c < LR_LEAF; c++) w->inv[c] = 1.0 / (double)(c + 1);
    return NB_OK;
}

void lr_mcw_free(lr_mcw *w) {
    free(w->buf);
    free(w->ecnt);
    free(w->state);
    w->buf = NULL, w->ecnt = NULL, w->state = NULL;
}

static double *leaf_mean(lr_mcw *w, int s) { return w->buf + (size_t)s * (size_t)(1 + w->levels) * 2 * (size_t)w->mc->kp; }
static double *entry_mean(lr_mcw *w, int s, int e) { return leaf_mean(w, s) + (size_t)(1 + e) * 2 * (size_t)w->mc->kp; }

/* Chan: (a) <- (a) then (b), na and nb trials. */
static void chan(int64_t kp, double *ma, double *m2a, int64_t na, const double *mb, const double *m2b, int64_t nb) {
    double n = (double)(na + nb), f = (double)nb / n, g = (double)na * (double)nb / n;
    for (int64_t k = 0; k < kp; k++) {
        double delta = mb[k] - ma[k];
        ma[k] += delta * f;
        m2a[k] += m2b[k] + delta * delta * g;
    }
}

void lr_mcw_begin(lr_mcw *w) {
    int64_t kp = w->mc->kp;
    for (int s = 0; s < w->mc->ns; s++) {
        double *lm = leaf_mean(w, s);
        memset(lm, 0, 2 * (size_t)kp * sizeof *lm);
        w->state[3 * s] = 0;     // values in the leaf
        w->state[3 * s + 1] = 0; // stack height
    }
}

double *lr_mcw_leaf(lr_mcw *w, int s, double *inv, double **m2) {
    double *lm = leaf_mean(w, s);
    *m2 = lm + w->mc->kp;
    *inv = w->inv[w->state[3 * s]];
    return lm;
}

void lr_mcw_folded(lr_mcw *w, int s, int64_t t) {
    int64_t *st = w->state + 3 * s;
    st[0]++;
    if (st[0] < LR_LEAF && t + 1 < w->mc->T) return;
    // a finished leaf goes onto the binary counter, merging equal runs
    int64_t kp = w->mc->kp, *ec = w->ecnt + (size_t)s * (size_t)w->levels * 2;
    int top = (int)st[1];
    double *lm = leaf_mean(w, s), *e = entry_mean(w, s, top);
    memcpy(e, lm, 2 * (size_t)kp * sizeof *e);
    ec[2 * top] = 1, ec[2 * top + 1] = st[0];
    top++;
    while (top >= 2 && ec[2 * (top - 2)] == ec[2 * (top - 1)]) {
        double *a = entry_mean(w, s, top - 2), *b = entry_mean(w, s, top - 1);
        chan(kp, a, a + kp, ec[2 * (top - 2) + 1], b, b + kp, ec[2 * (top - 1) + 1]);
        ec[2 * (top - 2)] *= 2;
        ec[2 * (top - 2) + 1] += ec[2 * (top - 1) + 1];
        top--;
    }
    st[1] = top;
    st[0] = 0;
    memset(lm, 0, 2 * (size_t)kp * sizeof *lm);
}

void lr_mcw_end(lr_mcw *w, int64_t node) {
    const lr_mc *mc = w->mc;
    int64_t kp = mc->kp;
    for (int s = 0; s < mc->ns; s++) {
        int64_t *ec = w->ecnt + (size_t)s * (size_t)w->levels * 2;
        int top = (int)w->state[3 * s + 1];
        while (top >= 2) { // the rest of the counter, right to left
            double *a = entry_mean(w, s, top - 2), *b = entry_mean(w, s, top - 1);
            chan(kp, a, a + kp, ec[2 * (top - 2) + 1], b, b + kp, ec[2 * (top - 1) + 1]);
            ec[2 * (top - 2) + 1] += ec[2 * (top - 1) + 1];
            top--;
        }
        size_t at = ((size_t)node * (size_t)mc->ns + (size_t)s) * (size_t)kp;
        double *e = entry_mean(w, s, 0);
        memcpy(mc->nmean + at, e, (size_t)kp * sizeof *e);
        memcpy(mc->nm2 + at, e + kp, (size_t)kp * sizeof *e);
        mc->ncnt[node] = ec[1];
    }
}

/* ---- the estimates ---- */

void lr_estimates(int64_t K, int64_t T, const double *m, const double *m2, const double *ybar, const double *noise0,
                  nb_biasvar *out, double *D) {
    // per input: D = mean prediction - mean fresh target; ddof-1 variances;
    // bias^2 less the variance of D (var/T + noise/T): all three unbiased, and
    // still bias2 + variance + noise = the pair average of (y - p)^2 exactly
    double Tm1 = T > 1 ? (double)(T - 1) : 1, b2 = 0, var = 0, nz = 0, mse = 0;
    for (int64_t k = 0; k < K; k++) {
        double v1 = T > 1 ? m2[k] / Tm1 : 0, n1 = T > 1 ? noise0[k] * (double)T / Tm1 : 0;
        D[k] = m[k] - ybar[k];
        b2 += D[k] * D[k] - (v1 + n1) / (double)T;
        var += v1;
        nz += n1;
        mse += noise0[k] + m2[k] / (double)T + D[k] * D[k];
    }
    out->bias2 = b2 / (double)K, out->variance = var / (double)K, out->noise = nz / (double)K, out->mse = mse / (double)K;
}

/* ---- the nodes' tree, and the standard errors ---- */

/* Nodes [lo, hi) of series s merged into (m, m2); the split at the largest
 * power of two below hi - lo, so the tree depends on the node count only. */
static int64_t tree(const lr_mc *mc, int s, int64_t lo, int64_t hi, double *m, double *m2, double *tmp) {
    int64_t kp = mc->kp;
    if (hi - lo == 1) {
        size_t at = ((size_t)lo * (size_t)mc->ns + (size_t)s) * (size_t)kp;
        memcpy(m, mc->nmean + at, (size_t)kp * sizeof *m);
        memcpy(m2, mc->nm2 + at, (size_t)kp * sizeof *m);
        return mc->ncnt[lo];
    }
    int64_t half = 1;
    while (2 * half < hi - lo) half *= 2;
    int64_t na = tree(mc, s, lo, lo + half, m, m2, tmp);
    int64_t nb = tree(mc, s, lo + half, hi, tmp, tmp + kp, tmp + 2 * kp);
    chan(kp, m, m2, na, tmp, tmp + kp, nb);
    return na + nb;
}

nb_status lr_mc_estimate(const lr_mc *mc, int s, const double *ybar, const double *noise0, nb_biasvar *out,
                         nb_biasvar *se) {
    int64_t K = mc->K, kp = mc->kp, T = mc->T, nn = mc->nnodes;
    int depth = 1;
    for (int64_t h = 1; h < nn; h *= 2) depth++;
    double *buf = malloc((size_t)(2 * kp + 3 * kp * depth + K) * sizeof *buf);
    if (!buf) return nb_fail(NB_ENOMEM, "Monte Carlo: out of memory");
    double *m = buf, *m2 = m + kp, *D = m2 + kp, *tmp = D + K;
    tree(mc, s, 0, nn, m, m2, tmp);
    lr_estimates(K, T, m, m2, ybar, noise0, out, D);
    double Tm1 = T > 1 ? (double)(T - 1) : 1;
    if (se) {
        // noise: the K inputs' noise estimates are independent
        double nsd = 0;
        for (int64_t k = 0; k < K; k++) {
            double n1 = T > 1 ? noise0[k] * (double)T / Tm1 : 0;
            nsd += (n1 - out->noise) * (n1 - out->noise);
        }
        se->noise = K > 1 ? sqrt(nsd / (double)(K - 1) / (double)K) : NAN;
        // variance, bias^2 (linearised in the mean predictions) and mse: batch
        // means over the nodes; the fresh targets' part of bias^2 added apart
        double sv = 0, sb = 0, sm = 0, W = 0;
        int used = 0;
        for (int64_t j = 0; j < nn; j++) {
            int64_t c = mc->ncnt[j];
            if (c < 2) continue;
            const double *mj = mc->nmean + ((size_t)j * (size_t)mc->ns + (size_t)s) * (size_t)kp;
            const double *m2j = mc->nm2 + ((size_t)j * (size_t)mc->ns + (size_t)s) * (size_t)kp;
            double Vj = 0, Gj = 0;
            for (int64_t k = 0; k < K; k++) {
                Vj += m2j[k] / (double)(c - 1);
                Gj += 2 * D[k] * (mj[k] - m[k]);
            }
            Vj /= (double)K, Gj /= (double)K;
            double dv = Vj - out->variance;
            sv += (double)c * dv * dv, sb += (double)c * Gj * Gj, sm += (double)c * (dv + Gj) * (dv + Gj);
            W += (double)c;
            used++;
        }
        double yb = 0;
        for (int64_t k = 0; k < K; k++) yb += 4 * D[k] * D[k] * (T > 1 ? noise0[k] / Tm1 : 0);
        yb /= (double)K * (double)K;
        // sb + yb estimates 4 D^T S D / K^2, S = (C + sigma^2 I)/T the covariance of
        // D; Var(bias2) = (4 b^T S b + 2 tr S^2) / K^2 and E[D^T S D] = b^T S b + tr S^2,
        // so subtract 2 tr S^2 / K^2, and keep at least that much (b^T S b >= 0).
        // tr C^2 from pairs of batches: E[(dm_i . dm_j)^2] = tr C^2 / (c_i c_j).
        double trC2 = 0, pairs = 0;
        for (int64_t i = 0; i < nn; i++)
            for (int64_t j = i + 1; j < nn; j++) {
                const double *mi = mc->nmean + ((size_t)i * (size_t)mc->ns + (size_t)s) * (size_t)kp;
                const double *mj = mc->nmean + ((size_t)j * (size_t)mc->ns + (size_t)s) * (size_t)kp;
                double dot = 0;
                for (int64_t k = 0; k < K; k++) dot += (mi[k] - m[k]) * (mj[k] - m[k]);
                trC2 += (double)mc->ncnt[i] * (double)mc->ncnt[j] * dot * dot;
                pairs++;
            }
        double s2 = out->noise, trS2 = 0;
        if (pairs > 0) {
            trC2 /= pairs;
            trS2 = (trC2 + 2 * s2 * out->variance * (double)K + (double)K * s2 * s2) / ((double)T * (double)T);
        }
        double floor2 = 2 * trS2 / ((double)K * (double)K);
        if (used >= 2) {
            double den = (double)(used - 1) * W;
            se->variance = sqrt(sv / den);
            se->bias2 = sqrt(fmax(sb / den + yb - floor2, floor2));
            se->mse = sqrt(fmax(sm / den + yb - floor2, sv / den + floor2) + se->noise * se->noise);
        } else {
            se->variance = se->bias2 = se->mse = NAN;
        }
    }
    free(buf);
    return NB_OK;
}
