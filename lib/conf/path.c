/* SPDX-License-Identifier: MIT */
/* Safe opening of paths. Every check is made on the open descriptor (fstat), never on the name
 * alone, and no open can block: a FIFO or a device put where a file is expected is refused, not
 * waited on. The rules: what we only read must be a regular file of root or ours that nobody
 * else may write; what we create or reuse must be a regular object owned by us. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_conf.h"

/* A symbolic link is followed unless its directory is world-writable: there anyone could have
 * put it (or could swap it) to point at a file of their choosing. */
static int link_dir_ok(const char *path)
{
	char copy[4096];
	struct stat st;

	if (strlen(path) >= sizeof(copy))
		return 0;
	memcpy(copy, path, strlen(path) + 1);
	if (stat(dirname(copy), &st) < 0)
		return 0;
	return !(st.st_mode & S_IWOTH);
}

int pe_path_open_read(const char *path, const char **why)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP) {
		if (!link_dir_ok(path)) {
			*why = "is a symbolic link in a world-writable directory (refused)";
			return -ELOOP;
		}
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}
	if (fd < 0) {
		err = errno;
		*why = err == ENOENT   ? "cannot be read: no such file"
		       : err == EACCES ? "cannot be read: permission denied"
				       : "cannot be read";
		return -err;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		*why = "cannot be read";
	} else if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
		*why = S_ISDIR(st.st_mode) ? "is a directory, not a file"
					   : "is not a regular file (a FIFO, socket or device?)";
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		err = EACCES;
		*why = "belongs to another user (must be root's or ours)";
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err = EACCES;
		*why = "is writable by group or others (chmod go-w)";
	} else {
		/* Regular files never block: the flag only guarded the open. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		return fd;
	}
	close(fd);
	return -err;
}

int pe_fd_check_own(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_uid != geteuid())
		return -EACCES;
	return 0;
}

/* A DPDK primary process holds a write lock on part of PREFIX/config while it runs. F_GETLK
 * reports only other processes' locks: 1 when another process holds one. */
static int config_locked_by_other(int dfd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	int fd = openat(dfd, "config", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	int busy;

	if (fd < 0)
		return 0;
	busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return busy;
}

int pe_runtime_dir_remove(const char *dir)
{
	struct stat st;
	struct dirent *e;
	int dfd, rc = 0;
	DIR *d;

	if (!dir || !*dir)
		return -EINVAL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid()) {
		close(dfd);
		return -EACCES;
	}
	/* Another primary with this --file-prefix (our start failed because of it): its files. */
	if (config_locked_by_other(dfd)) {
		close(dfd);
		return -EBUSY;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dfd, e->d_name, 0) < 0 && errno != ENOENT && rc == 0)
			rc = -errno;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && rc == 0)
		rc = -errno;
	return rc;
}
