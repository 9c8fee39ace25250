/* Naive reference linear algebra for the tests (row-major, f64). */
#ifndef NABLA_TEST_REF_LINALG_H
#define NABLA_TEST_REF_LINALG_H

/* C (m,p) = A (m,k) B (k,p) */
void ref_mm(int m, int k, int p, const double *A, const double *B, double *C);
/* At (n,m) = A (m,n)^T */
void ref_transpose(int m, int n, const double *A, double *At);
/* inv = A^-1 by Gauss-Jordan with partial pivoting, A (d,d) */
void ref_inverse(int d, const double *A, double *inv);

#endif
