/* Opening an input: never blocks, and only regular files get through. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nabla/io.h"

static const char *kind_of(mode_t m) {
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
         : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a plain file";
}

int nb_input_open(const char *path, int64_t *size) {
    if (!path) {
        nb_fail(NB_EINVAL, "open input: path is NULL");
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO with no writer (or some devices) would
     * otherwise wait forever; the check below refuses them anyway. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        int e = errno;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) /* a socket cannot be opened at all */
            nb_fail(NB_EIO, "%s: not a regular file (%s)", path, kind_of(st.st_mode));
        else nb_fail(NB_EIO, "%s: cannot open: %s", path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        nb_fail(NB_EIO, "%s: not a regular file (%s)", path, kind_of(st.st_mode));
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (size) *size = (int64_t)st.st_size;
    return fd;
}

FILE *nb_input_fopen(const char *path, int64_t *size) {
    int fd = nb_input_open(path, size);
    if (fd < 0) return NULL;
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        nb_fail(NB_EIO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}
