/* SPDX-License-Identifier: MIT */
/* lib/conf: what every program shares about files. The --file parser (one format, one set of
 * errors for pktecho, pktecho-dpdk and pktecho-load), the safe opening of paths (what we only
 * read, what we create), and the removal of an EAL runtime directory at exit. No DPDK here. */
#ifndef PE_CONF_H
#define PE_CONF_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#define PE_CONF_MAX_BYTES (1024 * 1024) /* a --file larger than this is refused */
#define PE_CONF_LINE_MAX  1023		/* bytes per line, without the newline */
#define PE_CONF_MAX_FILES 8		/* --file options per run */
#define PE_CONF_MAX_EAL	  128		/* EAL arguments from `eal` lines */

/* Applies one option read from a file: val is the option's getopt value, value its argument (a
 * string that lives until pe_conf_free) or NULL for an option without one. Returns 0 or the exit
 * code (2) after printing one line; pe_conf_where() names the file and line meanwhile. */
typedef int (*pe_conf_apply_fn)(void *arg, int val, char *value);

struct pe_conf {
	const char *prog;	   /* "pktecho-dpdk": the first word of every message */
	const struct option *opts; /* the program's getopt_long table: the names a line may use */
	int file_val;		   /* the value of "file" in opts (refused inside a file) */
	pe_conf_apply_fn apply;	   /* NULL: only collect `eal` lines, skip options */
	void *arg;
	bool eal_lines;		 /* collect `eal ARGS...` lines; false: ignore them if
				    apply is NULL, refuse them otherwise */
	const char *eal_refusal; /* why `eal` lines are refused, e.g. "only with --dpdk" */
	int eal_argc;		 /* the arguments of every `eal` line, in order */
	char *eal_argv[PE_CONF_MAX_EAL];
	unsigned n_bufs; /* file contents, kept until pe_conf_free (values point into them) */
	char *bufs[PE_CONF_MAX_FILES];
};

/* Sets the fields above that every program sets (the others stay as they are). */
void pe_conf_setup(struct pe_conf *c, const char *prog, const struct option *opts, int file_val,
		   pe_conf_apply_fn apply, void *arg);

/* Reads path: one "option [value]" per line, '#' comments, blank lines. Regular files only (of
 * root or us, not group/world-writable), at most PE_CONF_MAX_BYTES, lines of at most
 * PE_CONF_LINE_MAX bytes, no control bytes. Returns 0, or 2 after one line on stderr naming the
 * file and line (bytes that are not printable ASCII shown as \xNN). */
int pe_conf_read(struct pe_conf *c, const char *path);
void pe_conf_free(struct pe_conf *c);
/* "--file F:N: " while a line of F is applied, "" otherwise: option errors start with it. */
const char *pe_conf_where(void);

/* The `eal` lines of every --file F / --file=F among argv[from..argc), for programs that must
 * start the EAL before they parse their options. Returns 0 or 2 (message printed). */
int pe_conf_eal_scan(struct pe_conf *c, int argc, char **argv, int from);

/* Copies in (len bytes) to out with every byte that is not printable ASCII as \xNN; always
 * terminated, truncated with "..." when out is too short. Returns out. */
char *pe_conf_escape(const char *in, size_t len, char *out, size_t out_len);

/* Opens a file we only read (a config): O_RDONLY|O_NONBLOCK|O_CLOEXEC, and checks on the
 * descriptor that it is a regular file owned by root or our euid and not group- or world-
 * writable (sshd's StrictModes). A symbolic link is followed unless it sits in a world-writable
 * directory. Returns the fd, or -errno with *why set to a reason for the user. */
int pe_path_open_read(const char *path, const char **why);
/* Checks an fd that names an object we create or reuse as ours (a shared-memory segment, a
 * queue): a regular object owned by our euid. 0, -EINVAL (not a regular object), -EACCES (owned
 * by someone else), or -errno of fstat. */
int pe_fd_check_own(int fd);
/* Removes an EAL runtime directory (/var/run/dpdk/PREFIX) and the files and sockets in it, once
 * the EAL is cleaned up or failed to start: only a directory owned by us whose config no other
 * process holds locked (a running primary), only its direct entries (no recursion).
 * 0, -EBUSY (a live primary's), or -errno of the first failure (the rest is still tried). */
int pe_runtime_dir_remove(const char *dir);

#endif
