/* SPDX-License-Identifier: MIT */
/* The --file parser shared by every program: the whole file is read once (bounded), checked line
 * by line, and each "option [value]" handed to the program's own option code, so a value from a
 * file gets exactly the checks and messages of the command line, prefixed by file and line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pe_conf.h"

/* "--file F:N: " while a line is applied (the programs' messages start with it). */
static char where[PE_CONF_LINE_MAX + 64];

const char *pe_conf_where(void)
{
	return where;
}

char *pe_conf_escape(const char *in, size_t len, char *out, size_t out_len)
{
	size_t o = 0;

	if (out_len == 0)
		return out;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)in[i];
		size_t need = (b >= 0x20 && b < 0x7f) ? 1 : 4;

		if (o + need + 4 > out_len) { /* room for "..." and the terminator */
			if (o + 4 <= out_len)
				memcpy(out + o, "...", 3), o += 3;
			break;
		}
		if (need == 1)
			out[o++] = (char)b;
		else
			o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", b);
	}
	out[o] = '\0';
	return out;
}

static int fail_file(const struct pe_conf *c, const char *path, const char *why)
{
	char safe[256];

	fprintf(stderr, "%s: --file: '%s' %s\n", c->prog,
		pe_conf_escape(path, strlen(path), safe, sizeof(safe)), why);
	return 2;
}

static int fail_line(const struct pe_conf *c, const char *path, unsigned line, const char *fmt,
		     const char *text, size_t text_len)
{
	char safe_path[256], safe[96];

	fprintf(stderr, "%s: --file %s:%u: ", c->prog,
		pe_conf_escape(path, strlen(path), safe_path, sizeof(safe_path)), line);
	fprintf(stderr, fmt, pe_conf_escape(text, text_len, safe, sizeof(safe)));
	fputc('\n', stderr);
	return 2;
}

/* The whole file, terminated, in a buffer of ours. 0 or 2 (message printed). */
static int slurp(const struct pe_conf *c, const char *path, char **buf_out, size_t *len_out)
{
	const char *why = NULL;
	int fd = pe_path_open_read(path, &why);
	size_t len = 0;
	char *buf;

	if (fd < 0)
		return fail_file(c, path, why);
	buf = malloc(PE_CONF_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return fail_file(c, path, "cannot be read: out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, PE_CONF_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			free(buf);
			return fail_file(c, path, "cannot be read");
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > PE_CONF_MAX_BYTES) {
			close(fd);
			free(buf);
			return fail_file(c, path, "is larger than 1 MiB (the limit for a --file)");
		}
	}
	close(fd);
	buf[len] = '\0';
	*buf_out = buf;
	*len_out = len;
	return 0;
}

static int eal_add(struct pe_conf *c, const char *path, unsigned line_no, char *args)
{
	for (char *tok = strtok(args, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (c->eal_argc == PE_CONF_MAX_EAL)
			return fail_line(c, path, line_no, "more than 128 EAL arguments%s", "", 0);
		c->eal_argv[c->eal_argc++] = tok;
	}
	return 0;
}

static const struct option *find_opt(const struct option *opts, const char *name)
{
	for (; opts->name; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

static int apply_line(struct pe_conf *c, const char *path, unsigned line_no, char *line)
{
	char *name = line + strspn(line, " \t"), *value, *end;
	const struct option *o;
	int rc;

	end = name + strlen(name);
	while (end > name && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	if (*name == '\0' || *name == '#')
		return 0;
	value = name + strcspn(name, " \t");
	if (*value != '\0')
		*value++ = '\0';
	value += strspn(value, " \t");
	if (strcmp(name, "eal") == 0) {
		if (c->eal_lines)
			return *value ? eal_add(c, path, line_no, value)
				      : fail_line(c, path, line_no, "'eal' needs arguments%s", "",
						  0);
		if (c->apply && c->eal_refusal)
			return fail_line(c, path, line_no, "'eal' lines: %s", c->eal_refusal,
					 strlen(c->eal_refusal));
		return 0;
	}
	if (!c->apply)
		return 0; /* an EAL scan: the options are applied later */
	o = find_opt(c->opts, name);
	if (!o || o->val == c->file_val || !strcmp(name, "help") || !strcmp(name, "version"))
		return fail_line(c, path, line_no, "unknown option '%s'", name, strlen(name));
	if ((o->has_arg == required_argument) != (*value != '\0'))
		return fail_line(c, path, line_no,
				 o->has_arg == required_argument ? "'%s' needs a value"
								 : "'%s' takes no value",
				 name, strlen(name));
	{
		char safe[256];

		snprintf(where, sizeof(where),
			 "--file %s:%u: ", pe_conf_escape(path, strlen(path), safe, sizeof(safe)),
			 line_no);
	}
	rc = c->apply(c->arg, o->val, *value ? value : NULL);
	where[0] = '\0';
	return rc;
}

void pe_conf_setup(struct pe_conf *c, const char *prog, const struct option *opts, int file_val,
		   pe_conf_apply_fn apply, void *arg)
{
	c->prog = prog;
	c->opts = opts;
	c->file_val = file_val;
	c->apply = apply;
	c->arg = arg;
}

int pe_conf_read(struct pe_conf *c, const char *path)
{
	char *buf = NULL, *line;
	size_t len = 0;
	unsigned line_no = 0;
	int rc;

	if (c->n_bufs == PE_CONF_MAX_FILES)
		return fail_file(c, path, "is one --file too many (at most 8)");
	rc = slurp(c, path, &buf, &len);
	if (rc)
		return rc;
	c->bufs[c->n_bufs++] = buf;
	/* Check every line before applying any: a bad file changes nothing. */
	for (line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);

		line_no++;
		if (n > PE_CONF_LINE_MAX)
			return fail_line(c, path, line_no, "line longer than 1023 bytes: '%s'",
					 line, 40);
		for (size_t i = 0; i < n; i++) {
			unsigned char b = (unsigned char)line[i];

			if ((b < 0x20 && b != '\t' && !(b == '\r' && i == n - 1)) || b == 0x7f)
				return fail_line(c, path, line_no,
						 "control byte in '%s' (a text file?)", line, n);
		}
		line += n + 1;
	}
	line_no = 0;
	for (line = buf; line < buf + len && rc == 0;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		char *next = nl ? nl + 1 : buf + len;

		if (nl)
			*nl = '\0';
		rc = apply_line(c, path, ++line_no, line);
		line = next;
	}
	return rc;
}

int pe_conf_eal_scan(struct pe_conf *c, int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++) {
		const char *path = NULL;
		int rc;

		if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--file=", 7) == 0)
			path = argv[i] + 7;
		if (!path)
			continue;
		rc = pe_conf_read(c, path);
		if (rc)
			return rc;
	}
	return 0;
}

void pe_conf_free(struct pe_conf *c)
{
	for (unsigned i = 0; i < c->n_bufs; i++)
		free(c->bufs[i]);
	c->n_bufs = 0;
	c->eal_argc = 0;
}
