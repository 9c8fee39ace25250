/* .npy and CSV readers and writers: every valid variant, every broken file.
 * The .npy fixtures come from tools/gen_npy_fixtures.py (NumPy's own writer). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "nabla/matrix_io.h"

static const char *fixture(const char *name) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/npy/%s", test_fixture_dir(), name);
    return buf;
}

/* A[i, j] = 0.5 (4 i + j) - 3, as in the fixture script; ints hold 2 A. */
static double fixture_value(int i, int j, bool ints) { return (ints ? 2 : 1) * (0.5 * (4 * i + j) - 3); }

TEST(npy_reads_every_version_dtype_byte_order_and_memory_order) {
    const char *codes[] = {"f4", "f8", "i4", "i8"}, *orders[] = {"le", "be"}, *mem[] = {"C", "F", "1d"};
    int files = 0;
    for (int v = 1; v <= 3; v++)
        for (int c = 0; c < 4; c++)
            for (int o = 0; o < 2; o++)
                for (int m = 0; m < 3; m++) {
                    char name[64];
                    snprintf(name, sizeof name, "v%d_%s_%s_%s.npy", v, codes[c], orders[o], mem[m]);
                    nb_matrix a;
                    nb_status s = nb_npy_read(&a, fixture(name));
                    CHECK_MSG(s == NB_OK, "%s: %s", name, nb_errmsg());
                    if (s) continue;
                    bool one_d = m == 2;
                    CHECK_MSG(a.rows == (one_d ? 1 : 3) && a.cols == 4, "%s: shape %lldx%lld", name,
                              (long long)a.rows, (long long)a.cols);
                    for (int i = 0; i < a.rows; i++)
                        for (int j = 0; j < a.cols; j++)
                            CHECK_MSG(a.data[i * a.cols + j] == fixture_value(i, j, codes[c][0] == 'i'),
                                      "%s[%d,%d] = %g", name, i, j, a.data[i * a.cols + j]);
                    nb_matrix_free(&a);
                    files++;
                }
    CHECK(files == 72);
}

TEST(npy_rejects_broken_files_with_one_line_naming_file_and_problem) {
    struct {
        const char *name;
        nb_status code;
        const char *substr;
    } bad[] = {
        {"bad_magic.npy", NB_EFORMAT, "wrong magic"},
        {"bad_truncated_data.npy", NB_EFORMAT, "truncated"},
        {"bad_truncated_header.npy", NB_EFORMAT, "truncated"},
        {"bad_short.npy", NB_EFORMAT, "truncated"},
        {"bad_empty.npy", NB_EFORMAT, "empty file"},
        {"bad_string.npy", NB_EFORMAT, "strings"},
        {"bad_3d.npy", NB_EFORMAT, "3 or more dimensions"},
        {"bad_structured.npy", NB_EFORMAT, "structured"},
        {"bad_u1.npy", NB_EFORMAT, "'|u1' is not supported"},
        {"bad_0d.npy", NB_EFORMAT, "0-d"},
        {"bad_nan.npy", NB_ENUM, "NaN at row 2, column 3"},
        {"bad_inf.npy", NB_ENUM, "Inf at row 3, column 1"},
        {"bad_huge_shape.npy", NB_EFORMAT, "header claims 4000000000x4000000000"},
        {"bad_trailing.npy", NB_EFORMAT, "bytes after"},
        {"bad_version.npy", NB_EFORMAT, "version 4.0"},
        {"does_not_exist.npy", NB_EIO, "cannot open"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nb_matrix a = {7, 7, (double *)1};
        nb_clear_error();
        nb_status s = nb_npy_read(&a, fixture(bad[i].name));
        CHECK_MSG(s == bad[i].code && strstr(nb_errmsg(), bad[i].substr) && strstr(nb_errmsg(), bad[i].name) &&
                      !strchr(nb_errmsg(), '\n'),
                  "%s: got %d '%s', expected %d '%s'", bad[i].name, (int)s, nb_errmsg(), (int)bad[i].code,
                  bad[i].substr);
        CHECK_MSG(a.data == NULL && a.rows == 0, "%s: matrix not left empty", bad[i].name);
    }
}

static char *tmp_path(const char *suffix) {
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "/tmp/nabla_mio_%d_%d%s", (int)getpid(), k, suffix);
    return p;
}

static void write_text(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
}

TEST(npy_write_read_round_trip_is_exact) {
    double v[6] = {1.0 / 3, -2.5e-300, 1e308, 0.0, -0.0, 42};
    const char *p = tmp_path(".npy");
    CHECK_OK(nb_npy_write(p, v, 2, 3));
    nb_matrix a;
    CHECK_OK(nb_matrix_read(&a, p));
    CHECK(a.rows == 2 && a.cols == 3);
    if (a.data) CHECK(memcmp(a.data, v, sizeof v) == 0);
    nb_matrix_free(&a);
    // the header is padded so that the data starts on a 64-byte boundary, as NumPy does
    FILE *f = fopen(p, "rb");
    unsigned char h[10];
    CHECK(fread(h, 1, 10, f) == 10);
    fclose(f);
    CHECK((10 + (h[8] | h[9] << 8)) % 64 == 0);
    unlink(p);
}

TEST(csv_reads_with_and_without_header_crlf_and_spaces) {
    const char *p = tmp_path(".csv");
    const char *texts[] = {
        "1,2,3\n4,5,6\n",
        "a,b,c\n1,2,3\n4,5,6\n",
        "a,b,c\r\n1,2,3\r\n4,5,6\r\n",
        " x , y ,z\n 1 , 2,3\n4,5 ,  6",
        "1,2,3\n4,5,6\n\n\n",
        "1e0,0.2e1,3.000\n+4,5,6\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        write_text(p, texts[i], strlen(texts[i]));
        nb_matrix a;
        nb_status s = nb_csv_read(&a, p);
        CHECK_MSG(s == NB_OK, "case %zu: %s", i, nb_errmsg());
        if (s) continue;
        CHECK_MSG(a.rows == 2 && a.cols == 3, "case %zu: %lldx%lld", i, (long long)a.rows, (long long)a.cols);
        for (int k = 0; k < 6 && a.rows == 2 && a.cols == 3; k++) CHECK_MSG(a.data[k] == k + 1, "case %zu [%d]", i, k);
        nb_matrix_free(&a);
    }
    write_text(p, "-1.5\n", 5);
    nb_matrix a;
    CHECK_OK(nb_matrix_read(&a, p));
    CHECK(a.rows == 1 && a.cols == 1 && a.data && a.data[0] == -1.5);
    nb_matrix_free(&a);
    unlink(p);
}

TEST(csv_rejects_broken_files) {
    const char *p = tmp_path(".csv");
    struct {
        const char *text;
        nb_status code;
        const char *substr;
    } bad[] = {
        {"", NB_EFORMAT, "empty file"},
        {"\n\n  \n", NB_EFORMAT, "empty file"},
        {"a,b\n", NB_EFORMAT, "no data rows"},
        {"1,2,3\n4,5\n", NB_EFORMAT, "line 2 has 2 fields, line 1 has 3"},
        {"a,b\n1,2\n3,4,5\n", NB_EFORMAT, "line 3 has 3 fields"},
        {"1,2\n3,x\n", NB_EFORMAT, "line 2, column 2: 'x' is not a number"},
        {"1,2\n3,4abc\n", NB_EFORMAT, "'4abc' is not a number"},
        {"1,2\n3,\n", NB_EFORMAT, "line 2, column 2 is empty"},
        {"1,2\n\n3,4\n", NB_EFORMAT, "line 2 is blank"},
        {"x,1\n2,3\n", NB_EFORMAT, "line 1, column 1: 'x' is not a number"},
        {"1,2\n3,nan\n", NB_ENUM, "line 2, column 2: NaN"},
        {"1,inf\n3,4\n", NB_ENUM, "line 1, column 2: Inf"},
        {"1,2\n3,-Infinity\n", NB_ENUM, "Inf"},
        {"1,2\n3,1e999\n", NB_ENUM, "Inf"},
        {"1;2\n3;4\n", NB_EFORMAT, "line 2, column 1: '3;4' is not a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(p, bad[i].text, strlen(bad[i].text));
        nb_matrix a;
        nb_clear_error();
        nb_status s = nb_csv_read(&a, p);
        CHECK_MSG(s == bad[i].code && strstr(nb_errmsg(), bad[i].substr) && strstr(nb_errmsg(), p),
                  "case %zu: got %d '%s', expected %d '%s'", i, (int)s, nb_errmsg(), (int)bad[i].code, bad[i].substr);
        CHECK(a.data == NULL);
    }
    write_text(p, "1,\0,2\n", 6);
    nb_matrix a;
    CHECK_ERR(nb_csv_read(&a, p), NB_EFORMAT, "binary");
    unlink(p);
    CHECK_ERR(nb_csv_read(&a, p), NB_EIO, "cannot open");
    CHECK_ERR(nb_csv_read(&a, "/tmp"), NB_EIO, "/tmp: not a regular file (a directory)");
}

TEST(csv_write_read_round_trip_is_exact) {
    double v[4] = {1.0 / 3, -2.5e-300, 6.02214076e23, -7};
    const char *p = tmp_path(".csv");
    CHECK_OK(nb_csv_write(p, v, 2, 2, "a,b"));
    nb_matrix a;
    CHECK_OK(nb_csv_read(&a, p));
    CHECK(a.rows == 2 && a.cols == 2);
    if (a.data) CHECK(memcmp(a.data, v, sizeof v) == 0);
    nb_matrix_free(&a);
    unlink(p);
    // a writer that cannot create its file leaves nothing behind and says where
    CHECK_ERR(nb_csv_write("/nonexistent_dir/x.csv", v, 2, 2, NULL), NB_EIO, "/nonexistent_dir/x.csv");
    CHECK_ERR(nb_npy_write("/nonexistent_dir/x.npy", v, 2, 2), NB_EIO, "/nonexistent_dir/x.npy");
}
