/* Learning-rate schedules (PyTorch's closed forms) and gradient clipping. */
#include <math.h>

#include "nabla/optim.h"

#define PI 3.14159265358979323846

nb_status nb_schedule_lr(const nb_schedule *s, double lr0, int64_t e, double *lr) {
    if (!s || !lr) return nb_fail(NB_EINVAL, "nb_schedule_lr: NULL argument");
    if (!(isfinite(lr0) && lr0 > 0)) return nb_fail(NB_EINVAL, "nb_schedule_lr: base lr must be > 0 and finite, got %g", lr0);
    if (e < 0) return nb_fail(NB_EINVAL, "nb_schedule_lr: epoch must be >= 0, got %lld", (long long)e);
    bool uses_gamma = s->kind == NB_SCHED_STEP || s->kind == NB_SCHED_MULTISTEP || s->kind == NB_SCHED_EXPONENTIAL;
    if (uses_gamma && !(isfinite(s->gamma) && s->gamma > 0))
        return nb_fail(NB_EINVAL, "nb_schedule_lr: gamma must be > 0 and finite, got %g", s->gamma);
    switch (s->kind) {
    case NB_SCHED_CONSTANT: *lr = lr0; break;
    case NB_SCHED_STEP:
        if (s->step_size < 1) return nb_fail(NB_EINVAL, "nb_schedule_lr: step_size must be >= 1, got %lld", (long long)s->step_size);
        /* lr0 gamma^floor(e / step_size) */
        *lr = lr0 * pow(s->gamma, (double)(e / s->step_size));
        break;
    case NB_SCHED_MULTISTEP: {
        if (s->nmilestones < 0 || (s->nmilestones > 0 && !s->milestones))
            return nb_fail(NB_EINVAL, "nb_schedule_lr: bad milestones");
        int passed = 0; /* bisect_right: milestones <= e */
        for (int i = 0; i < s->nmilestones; i++) {
            if (i > 0 && s->milestones[i] < s->milestones[i - 1])
                return nb_fail(NB_EINVAL, "nb_schedule_lr: milestones must be nondecreasing");
            if (s->milestones[i] <= e) passed++;
        }
        /* lr0 gamma^(milestones passed) */
        *lr = lr0 * pow(s->gamma, (double)passed);
        break;
    }
    case NB_SCHED_EXPONENTIAL: *lr = lr0 * pow(s->gamma, (double)e); break; /* lr0 gamma^e */
    case NB_SCHED_LINEAR:
        if (!(s->start_factor > 0 && s->start_factor <= 1))
            return nb_fail(NB_EINVAL, "nb_schedule_lr: start_factor must be in (0, 1], got %g", s->start_factor);
        if (!(s->end_factor >= 0 && s->end_factor <= 1))
            return nb_fail(NB_EINVAL, "nb_schedule_lr: end_factor must be in [0, 1], got %g", s->end_factor);
        if (s->total < 1) return nb_fail(NB_EINVAL, "nb_schedule_lr: total iterations must be >= 1, got %lld", (long long)s->total);
        /* lr0 (s + (f - s) min(e, T) / T) */
        *lr = lr0 * (s->start_factor +
                     (s->end_factor - s->start_factor) * (double)(e < s->total ? e : s->total) / (double)s->total);
        break;
    case NB_SCHED_COSINE:
        if (s->total < 1) return nb_fail(NB_EINVAL, "nb_schedule_lr: T_max must be >= 1, got %lld", (long long)s->total);
        if (!(isfinite(s->eta_min) && s->eta_min >= 0))
            return nb_fail(NB_EINVAL, "nb_schedule_lr: eta_min must be >= 0 and finite, got %g", s->eta_min);
        /* eta_min + (lr0 - eta_min)(1 + cos(pi e / T_max)) / 2 */
        *lr = s->eta_min + (lr0 - s->eta_min) * (1 + cos(PI * (double)e / (double)s->total)) / 2;
        break;
    default: return nb_fail(NB_EINVAL, "nb_schedule_lr: unknown schedule %d", (int)s->kind);
    }
    return NB_OK;
}

nb_status nb_clip_grad_norm(nb_dtype dt, int64_t n, void *grad, double max_norm, double p, double *total_out) {
    if (n < 0 || (n > 0 && !grad)) return nb_fail(NB_EINVAL, "nb_clip_grad_norm: bad buffer");
    if (dt != NB_F32 && dt != NB_F64) return nb_fail(NB_EDTYPE, "nb_clip_grad_norm: dtype must be f32 or f64");
    if (!(isfinite(max_norm) && max_norm >= 0))
        return nb_fail(NB_EINVAL, "nb_clip_grad_norm: max_norm must be >= 0 and finite, got %g", max_norm);
    if (p != 2 && p != INFINITY) return nb_fail(NB_EINVAL, "nb_clip_grad_norm: norm type must be 2 or inf, got %g", p);
    double total = 0;
    if (p == 2) {
        double ssq = 0, mx = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = dt == NB_F64 ? ((double *)grad)[i] : (double)((float *)grad)[i];
            ssq += v * v;
        }
        total = sqrt(ssq);
        if ((isinf(total) || (total < 1e-150 && total > 0))) {
            /* over- or underflow: again, scaled by the largest magnitude */
            for (int64_t i = 0; i < n; i++) {
                double v = fabs(dt == NB_F64 ? ((double *)grad)[i] : (double)((float *)grad)[i]);
                if (v > mx) mx = v;
            }
            if (isfinite(mx) && mx > 0) {
                ssq = 0;
                for (int64_t i = 0; i < n; i++) {
                    double v = (dt == NB_F64 ? ((double *)grad)[i] : (double)((float *)grad)[i]) / mx;
                    ssq += v * v;
                }
                total = mx * sqrt(ssq);
            }
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            double v = fabs(dt == NB_F64 ? ((double *)grad)[i] : (double)((float *)grad)[i]);
            if (v > total || isnan(v)) total = v;
        }
    }
    if (total_out) *total_out = total;
    double coef = max_norm / (total + 1e-6);
    if (coef < 1) {
        for (int64_t i = 0; i < n; i++) {
            if (dt == NB_F64) ((double *)grad)[i] *= coef;
            else ((float *)grad)[i] = (float)(((float *)grad)[i] * (float)coef);
        }
    }
    return NB_OK;
}

nb_status nb_clip_grad_value(nb_dtype dt, int64_t n, void *grad, double clip) {
    if (n < 0 || (n > 0 && !grad)) return nb_fail(NB_EINVAL, "nb_clip_grad_value: bad buffer");
    if (dt != NB_F32 && dt != NB_F64) return nb_fail(NB_EDTYPE, "nb_clip_grad_value: dtype must be f32 or f64");
    if (!(isfinite(clip) && clip >= 0)) return nb_fail(NB_EINVAL, "nb_clip_grad_value: clip must be >= 0 and finite, got %g", clip);
    for (int64_t i = 0; i < n; i++) {
        if (dt == NB_F64) {
            double *g = grad;
            g[i] = g[i] > clip ? clip : g[i] < -clip ? -clip : g[i];
        } else {
            float *g = grad, c = (float)clip;
            g[i] = g[i] > c ? c : g[i] < -c ? -c : g[i];
        }
    }
    return NB_OK;
}
