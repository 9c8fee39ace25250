/* Naive reference linear algebra for the tests: nothing clever, so that it
 * can stand as an independent check of the library's products and solves. */
#include <math.h>
#include <stdlib.h>

#include "ref_linalg.h"

void ref_mm(int m, int k, int p, const double *A, const double *B, double *C) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < p; j++) {
            double s = 0;
            for (int l = 0; l < k; l++) s += A[i * k + l] * B[l * p + j];
            C[i * p + j] = s;
        }
}

void ref_transpose(int m, int n, const double *A, double *At) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) At[j * m + i] = A[i * n + j];
}

void ref_inverse(int d, const double *A, double *inv) {
    double *a = malloc(sizeof(double) * d * 2 * d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < 2 * d; j++) a[i * 2 * d + j] = j < d ? A[i * d + j] : (j - d == i);
    for (int c = 0; c < d; c++) {
        int piv = c;
        for (int r = c + 1; r < d; r++)
            if (fabs(a[r * 2 * d + c]) > fabs(a[piv * 2 * d + c])) piv = r;
        for (int j = 0; j < 2 * d; j++) {
            double t = a[c * 2 * d + j];
            a[c * 2 * d + j] = a[piv * 2 * d + j];
            a[piv * 2 * d + j] = t;
        }
        double p = a[c * 2 * d + c];
        for (int j = 0; j < 2 * d; j++) a[c * 2 * d + j] /= p;
        for (int r = 0; r < d; r++) {
            if (r == c) continue;
            double f = a[r * 2 * d + c];
            for (int j = 0; j < 2 * d; j++) a[r * 2 * d + j] -= f * a[c * 2 * d + j];
        }
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) inv[i * d + j] = a[i * 2 * d + d + j];
    free(a);
}
