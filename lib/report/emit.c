/* SPDX-License-Identifier: MIT */
/* The shared emitter: UTF-8 validation and escaping, C-locale numbers, JSON scalars. */
#include <math.h>
#include <stdio.h>

#include "report_priv.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
size_t report_utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* The one UTF-8 walk behind JSON strings and Prometheus label values: ASCII bytes go through esc
 * (its replacement, or NULL to write the byte as it is), well-formed multi-byte sequences are
 * written as they are, and every byte that is not part of one is written as bad. Strings reach
 * the reports from the apps and, through a segment, from another process: output must be UTF-8. */
void report_emit_utf8(FILE *f, const char *s, report_escape_fn esc, const char *bad)
{
	char tmp[8];

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n;
		const char *r;

		if (*p < 0x80) {
			r = esc(*p, tmp);
			if (r)
				fputs(r, f);
			else
				fputc(*p, f);
		} else if ((n = report_utf8_len(p)) != 0) {
			fwrite(p, 1, n, f);
			p += n - 1;
		} else {
			fputs(bad, f);
		}
	}
}

/* JSON: quote, backslash, the short escapes, \u00XX for the other control characters. */
static const char *json_escape(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, 8, "\\u%04x", c);
			return tmp;
		}
		return NULL;
	}
}

/* A byte that is not part of a well-formed UTF-8 sequence becomes U+FFFD. */
void pe_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	report_emit_utf8(f, s, json_escape, "\\ufffd");
	fputc('"', f);
}

/* "%.*f" in the C locale whatever LC_NUMERIC says: printf writes the locale's radix character
 * (a comma in de_DE, possibly several bytes), which JSON does not accept. Without the ' flag the
 * output is [-]digits[radix digits], so any run of other bytes is the radix. */
void report_fmt_fixed(char *buf, size_t len, double v, int decimals)
{
	char tmp[400];
	size_t o = 0;

	if (!isfinite(v))
		v = 0.0; /* JSON has no NaN or infinity */
	snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	for (const char *p = tmp; *p && o + 1 < len; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '-')
			buf[o++] = *p;
		else if (o > 0 && buf[o - 1] != '.')
			buf[o++] = '.';
	}
	buf[o] = '\0';
}

void pe_json_double(FILE *f, double v, int decimals)
{
	char buf[400];

	/* JSON has no NaN or infinity: a rate that cannot be computed is 0. */
	report_fmt_fixed(buf, sizeof(buf), v, decimals);
	fputs(buf, f);
}
