/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_string.h - the script's strings.
 *
 * Every script string lives in a fixed buffer of MSTAP_MAXSTRINGLEN bytes
 * (locals, globals, map keys and values), so it holds at most
 * MSTAP_MAXSTRINGLEN - 1 bytes and a terminating NUL. Functions that make a
 * string write into such a buffer and cut the result short when it would
 * not fit, as stap does; none of them can overrun, allocate or fail, except
 * strtol with a bad base. Lengths are counted in bytes, as stap counts them.
 *
 * Sources are read only up to MSTAP_MAXSTRINGLEN - 1 bytes, so a source
 * that is longer (a literal, or memory read from the kernel) is treated as
 * if it had been cut there, and the work of each function is bounded.
 */
#ifndef MSTAP_STRING_H
#define MSTAP_STRING_H

#include "mstap_compat.h"

/* The longest string a buffer holds, not counting the NUL. */
#define MSTAP_STRING_LIMIT (MSTAP_MAXSTRINGLEN - 1)

/* strlen, but never past MSTAP_STRING_LIMIT. */
static inline u32 mstap_string_length(const char *text)
{
	u32 length = 0;

	while (length < MSTAP_STRING_LIMIT && text[length] != '\0')
		length++;
	return length;
}

/* destination = source; they may overlap (s = substr of itself). */
static inline void mstap_string_copy(char *destination, const char *source)
{
	u32 length;

	if (destination == source)
		return;
	length = mstap_string_length(source);
	memmove(destination, source, length);
	destination[length] = '\0';
}

/* destination .= source, cut at the buffer's end; source may be destination. */
static inline void mstap_string_append(char *destination, const char *source)
{
	u32 used = mstap_string_length(destination);
	u32 length = mstap_string_length(source);

	if (length > MSTAP_STRING_LIMIT - used)
		length = MSTAP_STRING_LIMIT - used;
	memmove(destination + used, source, length);
	destination[used + length] = '\0';
}

/* strcmp over the bytes as unsigned values: <0, 0 or >0. */
static inline int mstap_string_compare(const char *left, const char *right)
{
	u32 i;

	for (i = 0; i < MSTAP_STRING_LIMIT; i++) {
		u8 a = (u8)left[i];
		u8 b = (u8)right[i];

		if (a != b)
			return a < b ? -1 : 1;
		if (a == '\0')
			return 0;
	}
	return 0;
}

static inline int mstap_string_equal(const char *left, const char *right)
{
	return mstap_string_compare(left, right) == 0;
}

/*
 * substr(source, start, length): the bytes from `start` (counted from 0) on,
 * at most `length` of them. A start outside the string, or a length that is
 * not positive, gives "".
 */
static inline void mstap_string_substr(char *destination, const char *source,
				       s64 start, s64 length)
{
	u32 source_length = mstap_string_length(source);
	u32 take;

	if (start < 0 || length <= 0 || start >= (s64)source_length) {
		destination[0] = '\0';
		return;
	}
	take = source_length - (u32)start;
	if (length < (s64)take)
		take = (u32)length;
	memmove(destination, source + start, take);
	destination[take] = '\0';
}

/* The offset of the first `needle` in `haystack`, or -1; "" is found at 0. */
static inline s64 mstap_string_find(const char *haystack, const char *needle)
{
	u32 haystack_length = mstap_string_length(haystack);
	u32 needle_length = mstap_string_length(needle);
	u32 start;

	if (needle_length > haystack_length)
		return -1;
	for (start = 0; start + needle_length <= haystack_length; start++) {
		if (memcmp(haystack + start, needle, needle_length) == 0)
			return start;
	}
	return -1;
}

/* isinstr(haystack, needle): 1 when needle occurs in haystack, else 0. */
static inline s64 mstap_string_isinstr(const char *haystack, const char *needle)
{
	return mstap_string_find(haystack, needle) >= 0;
}

/*
 * str_replace(source, target, replacement): every occurrence of target,
 * scanning left to right without overlaps, replaced. An empty target
 * replaces nothing. The destination must not overlap the three inputs
 * (the generated code evaluates calls into temporaries).
 */
static inline void mstap_string_replace(char *destination, const char *source,
					const char *target,
					const char *replacement)
{
	u32 source_length = mstap_string_length(source);
	u32 target_length = mstap_string_length(target);
	u32 replacement_length = mstap_string_length(replacement);
	u32 read = 0;
	u32 written = 0;

	if (target_length == 0) {
		mstap_string_copy(destination, source);
		return;
	}
	while (read < source_length && written < MSTAP_STRING_LIMIT) {
		if (read + target_length <= source_length &&
		    memcmp(source + read, target, target_length) == 0) {
			u32 take = replacement_length;

			if (take > MSTAP_STRING_LIMIT - written)
				take = MSTAP_STRING_LIMIT - written;
			memcpy(destination + written, replacement, take);
			written += take;
			read += target_length;
		} else {
			destination[written++] = source[read++];
		}
	}
	destination[written] = '\0';
}

/*
 * The escape text_str() and %#c use for one byte, written to `escape`
 * (at least 5 bytes); returns its length. Printable ASCII stands for
 * itself, except the quote and the backslash, so that the result can be
 * put between quotes; the C escapes are used where C has one, and three
 * octal digits otherwise (\031, \231: stap's testsuite, text_str.exp and
 * char2.exp). `quote` is the quote character to escape ('"' or '\'').
 */
static inline u32 mstap_escape_byte(char *escape, u8 byte, char quote)
{
	char letter = 0;

	switch (byte) {
	case '\a': letter = 'a'; break;
	case '\b': letter = 'b'; break;
	case '\f': letter = 'f'; break;
	case '\n': letter = 'n'; break;
	case '\r': letter = 'r'; break;
	case '\t': letter = 't'; break;
	case '\v': letter = 'v'; break;
	case '\\': letter = '\\'; break;
	default:
		if (byte == (u8)quote)
			letter = quote;
		break;
	}
	if (letter) {
		escape[0] = '\\';
		escape[1] = letter;
		return 2;
	}
	if (byte >= 0x20 && byte < 0x7f) {
		escape[0] = (char)byte;
		return 1;
	}
	escape[0] = '\\';
	escape[1] = (char)('0' + (byte >> 6));
	escape[2] = (char)('0' + ((byte >> 3) & 7));
	escape[3] = (char)('0' + (byte & 7));
	return 4;
}

/*
 * text_str(source): unprintable bytes, quotes and backslashes escaped. An
 * escape that would not fit whole is left out, with everything after it.
 */
static inline void mstap_string_text_str(char *destination, const char *source)
{
	u32 source_length = mstap_string_length(source);
	u32 written = 0;
	u32 i;

	for (i = 0; i < source_length; i++) {
		char escape[5];
		u32 length = mstap_escape_byte(escape, (u8)source[i], '"');

		if (length > MSTAP_STRING_LIMIT - written)
			break;
		memcpy(destination + written, escape, length);
		written += length;
	}
	destination[written] = '\0';
}

/* The value of one digit character in bases up to 36, or 36 when none. */
static inline u32 mstap_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (u32)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (u32)(c - 'a' + 10);
	if (c >= 'A' && c <= 'Z')
		return (u32)(c - 'A' + 10);
	return 36;
}

/*
 * strtol(text, base), as the kernel's simple_strtol that stap calls: an
 * optional '-', then for base 16 an optional "0x"; base 0 picks 16 for
 * "0x" followed by a hex digit, 8 for a leading 0 and 10 otherwise. No
 * white space is skipped; conversion stops at the first byte that is not
 * a digit of the base, and a text without digits is 0. Values past 64 bits
 * wrap. Other bases are an error here (the kernel would carry on with
 * meaningless digits).
 */
static inline s64 mstap_string_strtol(const char *text, s64 base,
				      struct mstap_error *error)
{
	u32 length = mstap_string_length(text);
	u32 i = 0;
	u64 value = 0;
	int negative = 0;

	if (base != 0 && (base < 2 || base > 36)) {
		mstap_raise(error, -EINVAL,
			    "strtol: base must be 0 or between 2 and 36");
		return 0;
	}
	if (i < length && text[i] == '-') {
		negative = 1;
		i++;
	}
	if (base == 0) {
		if (i < length && text[i] == '0') {
			if (i + 2 < length && (text[i + 1] | 0x20) == 'x' &&
			    mstap_digit_value(text[i + 2]) < 16)
				base = 16;
			else
				base = 8;
		} else {
			base = 10;
		}
	}
	if (base == 16 && i + 1 < length && text[i] == '0' &&
	    (text[i + 1] | 0x20) == 'x')
		i += 2;
	for (; i < length; i++) {
		u32 digit = mstap_digit_value(text[i]);

		if (digit >= (u32)base)
			break;
		value = value * (u64)base + digit;
	}
	return negative ? (s64)(0 - value) : (s64)value;
}

/*
 * The digits of `value` in base 8, 10 or 16 (any other base is taken as
 * 10), written backwards so that they
 * end just before `end`; returns where they start. A buffer of 22 bytes
 * holds any 64-bit value in any of these bases.
 */
static inline char *mstap_format_digits(char *end, u64 value, u32 base,
					int uppercase)
{
	const char *digits = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
	char *start = end;

	do {
		u64 quotient;

		/* Constant divisors: shifts, and a multiply for 10. */
		if (base == 16)
			quotient = value >> 4;
		else if (base == 8)
			quotient = value >> 3;
		else
			quotient = mstap_div_u64(value, 10);
		*--start = digits[value - quotient * base];
		value = quotient;
	} while (value != 0);
	return start;
}

/* The decimal text of a number, as the script prints it. */
static inline void mstap_string_from_long(char *destination, s64 value)
{
	char digits[24];
	char *end = digits + sizeof(digits);
	char *start;
	u32 length;

	if (value < 0) {
		start = mstap_format_digits(end, 0 - (u64)value, 10, 0);
		*--start = '-';
	} else {
		start = mstap_format_digits(end, (u64)value, 10, 0);
	}
	length = (u32)(end - start);
	memcpy(destination, start, length);
	destination[length] = '\0';
}

#endif /* MSTAP_STRING_H */
