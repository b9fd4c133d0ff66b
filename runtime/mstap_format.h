/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_format.h - printf and sprintf: a format and an array of tagged
 * arguments, formatted into a bounded output.
 *
 * Numbers follow C's printf byte for byte (every number is 64 bits, and
 * length modifiers such as l or ll are accepted and mean nothing), and the
 * conversions stap adds follow stap:
 *
 *   %p  "0x" and the hexadecimal digits, with no padding to 16 digits: stap
 *       padded only up to version 1.2 (its testsuite's ptr-1.2 checks
 *       0x0000000000000001 under --compatible=1.2, while ptr-1.3 checks 0x1
 *       for 1.3 and later, and stap(1) shows %p of 0x1234abcd printing
 *       0x1234abcd). The width counts the "0x"; the precision is the least
 *       number of digits; the 0 flag pads with zeros after the "0x", as for
 *       %#x in C.
 *   %b  the value's bytes in the machine's byte order; the width says how
 *       many (1, 2, 4 or 8, the default). Another width is an error.
 *   %c  the byte; with '#', the escape of an unprintable byte (\n, \000...).
 *   %m  the bytes at a kernel address, read safely; the precision says how
 *       many (default 1), the width pads the field with spaces.
 *   %M  the same bytes as pairs of lowercase hex digits; the field's
 *       natural length is twice the precision.
 *
 * Widths and precisions, from the format or from a '*' argument, are
 * limited to MSTAP_FORMAT_MAX_FIELD (4096, pass 2's limit for literal ones)
 * so that one directive does bounded work; a negative '*' width means
 * left-justify, a negative '*' precision means none, as in C.
 *
 * Output that does not fit is cut short and marks the output truncated,
 * unless the output has a flush hook that makes room.
 */
#ifndef MSTAP_FORMAT_H
#define MSTAP_FORMAT_H

#include "mstap_compat.h"
#include "mstap_string.h"

#ifndef MSTAP_FORMAT_MAX_FIELD
#define MSTAP_FORMAT_MAX_FIELD 4096
#endif

/*
 * A bounded output: the per-CPU print buffer, or a string being built by
 * sprintf. `flush`, when set, is called when a write does not fit; it must
 * hand data[0..used) on and reset `used` (the transport does that).
 */
struct mstap_out {
	char *data;
	u32 size;
	u32 used;
	u32 truncated;
	void (*flush)(struct mstap_out *out);
	void *flush_context;
};

static inline void mstap_out_init(struct mstap_out *out, char *data, u32 size)
{
	out->data = data;
	out->size = size;
	out->used = 0;
	out->truncated = 0;
	out->flush = NULL;
	out->flush_context = NULL;
}

/* An output that fills a script string: room for the text and its NUL. */
static inline void mstap_out_init_string(struct mstap_out *out, char *string)
{
	mstap_out_init(out, string, MSTAP_STRING_LIMIT);
	string[0] = '\0';
}

/* Ends a string output with its NUL (the room was kept for it). */
static inline void mstap_out_terminate(struct mstap_out *out)
{
	out->data[out->used] = '\0';
}

static inline u32 mstap_out_room(struct mstap_out *out, u32 wanted)
{
	if (out->size - out->used < wanted && out->flush && out->used > 0)
		out->flush(out);
	return out->size - out->used;
}

static inline void mstap_out_write(struct mstap_out *out, const char *bytes,
				   u32 length)
{
	if (mstap_likely(out->size - out->used >= length)) {
		memcpy(out->data + out->used, bytes, length);
		out->used += length;
		return;
	}
	while (length > 0) {
		u32 room = mstap_out_room(out, length);
		u32 take = length < room ? length : room;

		if (take == 0) {
			out->truncated = 1;
			return;
		}
		memcpy(out->data + out->used, bytes, take);
		out->used += take;
		bytes += take;
		length -= take;
	}
}

static inline void mstap_out_fill(struct mstap_out *out, char byte, u32 count)
{
	while (count > 0) {
		u32 room = mstap_out_room(out, count);
		u32 take = count < room ? count : room;

		if (take == 0) {
			out->truncated = 1;
			return;
		}
		memset(out->data + out->used, byte, take);
		out->used += take;
		count -= take;
	}
}

static inline void mstap_out_string(struct mstap_out *out, const char *text)
{
	mstap_out_write(out, text, mstap_string_length(text));
}

static inline void mstap_out_char(struct mstap_out *out, char byte)
{
	mstap_out_write(out, &byte, 1);
}

/* A number right-aligned in a field of `width` (the histogram columns). */
static inline void mstap_out_long_aligned(struct mstap_out *out, s64 value,
					  u32 width)
{
	char text[24];
	u32 length;

	mstap_string_from_long(text, value);
	length = mstap_string_length(text);
	if (width > length)
		mstap_out_fill(out, ' ', width - length);
	mstap_out_write(out, text, length);
}

/* ------------------------------------------------------------ arguments */

#define MSTAP_ARG_LONG 1
#define MSTAP_ARG_STRING 2

/* One printf argument: a long or a string, tagged. */
struct mstap_arg {
	u32 type;
	s64 number;
	const char *string;
};

static inline struct mstap_arg mstap_arg_long(s64 number)
{
	struct mstap_arg arg;

	arg.type = MSTAP_ARG_LONG;
	arg.number = number;
	arg.string = NULL;
	return arg;
}

static inline struct mstap_arg mstap_arg_string(const char *string)
{
	struct mstap_arg arg;

	arg.type = MSTAP_ARG_STRING;
	arg.number = 0;
	arg.string = string;
	return arg;
}

/* ----------------------------------------------------------- directives */

#define MSTAP_FLAG_LEFT 0x01
#define MSTAP_FLAG_PLUS 0x02
#define MSTAP_FLAG_SPACE 0x04
#define MSTAP_FLAG_ALTERNATE 0x08
#define MSTAP_FLAG_ZERO 0x10

/* One parsed conversion; width and precision are -1 when absent. */
struct mstap_directive {
	u32 flags;
	s32 width;
	s32 precision;
	char conversion;
};

/*
 * One integer field, as C lays it out: [padding][sign or prefix][zeros]
 * [digits][padding]. `prefix` is "", "-", "+", " ", "0x" or "0X".
 */
static inline void mstap_format_integer_field(struct mstap_out *out,
					      const struct mstap_directive *d,
					      const char *prefix,
					      const char *digits,
					      u32 digit_count)
{
	u32 prefix_length = mstap_string_length(prefix);
	u32 zeros = 0;
	u32 length;
	u32 padding = 0;

	if (d->precision >= 0 && (u32)d->precision > digit_count)
		zeros = (u32)d->precision - digit_count;
	length = prefix_length + zeros + digit_count;
	if (d->width >= 0 && (u32)d->width > length) {
		padding = (u32)d->width - length;
		/* C: 0 pads with zeros unless '-' or a precision is given. */
		if ((d->flags & MSTAP_FLAG_ZERO) &&
		    !(d->flags & MSTAP_FLAG_LEFT) && d->precision < 0) {
			zeros += padding;
			padding = 0;
		}
	}
	if (!(d->flags & MSTAP_FLAG_LEFT))
		mstap_out_fill(out, ' ', padding);
	mstap_out_write(out, prefix, prefix_length);
	mstap_out_fill(out, '0', zeros);
	mstap_out_write(out, digits, digit_count);
	if (d->flags & MSTAP_FLAG_LEFT)
		mstap_out_fill(out, ' ', padding);
}

static inline void mstap_format_integer(struct mstap_out *out,
					const struct mstap_directive *d,
					s64 value)
{
	char buffer[24];
	char *end = buffer + sizeof(buffer);
	char *digits;
	const char *prefix = "";
	u32 base = 10;
	u64 magnitude = (u64)value;
	int uppercase = 0;

	switch (d->conversion) {
	case 'd':
	case 'i':
		if (value < 0) {
			magnitude = 0 - (u64)value;
			prefix = "-";
		} else if (d->flags & MSTAP_FLAG_PLUS) {
			prefix = "+";
		} else if (d->flags & MSTAP_FLAG_SPACE) {
			prefix = " ";
		}
		break;
	/*
	 * stap's '#' marks every number, zero included (%#x of 0 is "0x0",
	 * %#o of 0 is "00"), unlike C's printf, which leaves 0 bare.
	 */
	case 'o':
		base = 8;
		if (d->flags & MSTAP_FLAG_ALTERNATE)
			prefix = "0";
		break;
	case 'x':
		base = 16;
		if (d->flags & MSTAP_FLAG_ALTERNATE)
			prefix = "0x";
		break;
	case 'X':
		base = 16;
		uppercase = 1;
		if (d->flags & MSTAP_FLAG_ALTERNATE)
			prefix = "0X";
		break;
	case 'p':
		base = 16;
		prefix = "0x";
		break;
	default: /* 'u' */
		break;
	}
	digits = mstap_format_digits(end, magnitude, base, uppercase);
	/* C: a precision of 0 prints no digits for 0 ... */
	if (magnitude == 0 && d->precision == 0)
		digits = end;
	mstap_format_integer_field(out, d, prefix, digits, (u32)(end - digits));
}

/* Pads around a field of `length` bytes; call before and after it. */
static inline void mstap_format_pad(struct mstap_out *out,
				    const struct mstap_directive *d,
				    u32 length, int after)
{
	u32 padding;

	if (d->width < 0 || (u32)d->width <= length)
		return;
	padding = (u32)d->width - length;
	if (!!(d->flags & MSTAP_FLAG_LEFT) == !!after)
		mstap_out_fill(out, ' ', padding);
}

static inline void mstap_format_string(struct mstap_out *out,
				       const struct mstap_directive *d,
				       const char *text)
{
	u32 length = mstap_string_length(text);

	if (d->precision >= 0 && (u32)d->precision < length)
		length = (u32)d->precision;
	mstap_format_pad(out, d, length, 0);
	mstap_out_write(out, text, length);
	mstap_format_pad(out, d, length, 1);
}

static inline void mstap_format_char(struct mstap_out *out,
				     const struct mstap_directive *d, s64 value)
{
	char escape[5];
	u32 length = 1;

	escape[0] = (char)(u8)value;
	if (d->flags & MSTAP_FLAG_ALTERNATE)
		length = mstap_escape_byte(escape, (u8)value, '\'');
	mstap_format_pad(out, d, length, 0);
	mstap_out_write(out, escape, length);
	mstap_format_pad(out, d, length, 1);
}

static inline int mstap_format_binary(struct mstap_out *out,
				      const struct mstap_directive *d,
				      s64 value, struct mstap_error *error)
{
	u8 byte = (u8)value;
	u16 half = (u16)value;
	u32 word = (u32)value;
	u64 whole = (u64)value;

	switch (d->width) {
	case 1:
		mstap_out_write(out, (const char *)&byte, 1);
		return 0;
	case 2:
		mstap_out_write(out, (const char *)&half, 2);
		return 0;
	case 4:
		mstap_out_write(out, (const char *)&word, 4);
		return 0;
	case -1:
	case 0:
	case 8:
		mstap_out_write(out, (const char *)&whole, 8);
		return 0;
	default:
		return mstap_raise(error, -EINVAL,
				   "printf: the width of %b must be 1, 2, 4 or 8");
	}
}

/* %m and %M: the memory is read in small pieces, so the stack stays small. */
static inline int mstap_format_memory(struct mstap_out *out,
				      const struct mstap_directive *d,
				      s64 address, struct mstap_error *error)
{
	static const char hex_digits[] = "0123456789abcdef";
	u32 count = d->precision >= 0 ? (u32)d->precision : 1;
	u32 length = d->conversion == 'M' ? 2 * count : count;
	u32 done = 0;
	u8 piece[32];
	char hex[2 * sizeof(piece)];

	mstap_format_pad(out, d, length, 0);
	while (done < count) {
		u32 take = count - done;
		u32 i;

		if (take > sizeof(piece))
			take = sizeof(piece);
		if (mstap_read_kernel_memory(piece, (u64)address + done, take))
			return mstap_raise_address(error, -EFAULT,
						   "kernel read fault at ",
						   (u64)address + done);
		if (d->conversion == 'M') {
			for (i = 0; i < take; i++) {
				hex[2 * i] = hex_digits[piece[i] >> 4];
				hex[2 * i + 1] = hex_digits[piece[i] & 0xf];
			}
			mstap_out_write(out, hex, 2 * take);
		} else {
			mstap_out_write(out, (const char *)piece, take);
		}
		done += take;
	}
	mstap_format_pad(out, d, length, 1);
	return 0;
}

/* A field count from the format: digits, or '*' taking the next argument. */
static inline int mstap_format_parse_count(const char **cursor, s32 *count,
					   const struct mstap_arg *args,
					   u32 arg_count, u32 *next_arg,
					   int is_width, u32 *flags,
					   struct mstap_error *error)
{
	const char *p = *cursor;

	if (*p == '*') {
		s64 value;

		if (*next_arg >= arg_count ||
		    args[*next_arg].type != MSTAP_ARG_LONG)
			return mstap_raise(error, -EINVAL,
					   "printf: '*' needs a long argument");
		value = args[(*next_arg)++].number;
		if (value < 0) {
			if (is_width) {
				*flags |= MSTAP_FLAG_LEFT;
				value = value == (s64)((u64)1 << 63) ?
					MSTAP_FORMAT_MAX_FIELD : -value;
			} else {
				value = -1;
			}
		}
		if (value > MSTAP_FORMAT_MAX_FIELD)
			value = MSTAP_FORMAT_MAX_FIELD;
		*count = (s32)value;
		*cursor = p + 1;
		return 0;
	}
	if (*p >= '0' && *p <= '9') {
		s32 value = 0;

		while (*p >= '0' && *p <= '9') {
			if (value <= MSTAP_FORMAT_MAX_FIELD)
				value = value * 10 + (*p - '0');
			p++;
		}
		if (value > MSTAP_FORMAT_MAX_FIELD)
			value = MSTAP_FORMAT_MAX_FIELD;
		*count = value;
	}
	*cursor = p;
	return 0;
}

/*
 * printf: formats `args` by `format` into `out`. Returns 0, or a negative
 * errno with the message in `error` (a format or argument that does not
 * match, which pass 2 normally rules out, or a fault reading memory).
 */
static inline int mstap_format(struct mstap_out *out, const char *format,
			       const struct mstap_arg *args, u32 arg_count,
			       struct mstap_error *error)
{
	const char *p = format;
	u32 next_arg = 0;

	while (*p) {
		struct mstap_directive d;
		const struct mstap_arg *arg;
		const char *literal = p;
		int status;

		while (*p && *p != '%')
			p++;
		mstap_out_write(out, literal, (u32)(p - literal));
		if (!*p)
			break;
		p++;
		if (*p == '%') {
			mstap_out_char(out, '%');
			p++;
			continue;
		}
		d.flags = 0;
		d.width = -1;
		d.precision = -1;
		for (;; p++) {
			if (*p == '-')
				d.flags |= MSTAP_FLAG_LEFT;
			else if (*p == '+')
				d.flags |= MSTAP_FLAG_PLUS;
			else if (*p == ' ')
				d.flags |= MSTAP_FLAG_SPACE;
			else if (*p == '#')
				d.flags |= MSTAP_FLAG_ALTERNATE;
			else if (*p == '0')
				d.flags |= MSTAP_FLAG_ZERO;
			else
				break;
		}
		status = mstap_format_parse_count(&p, &d.width, args, arg_count,
						  &next_arg, 1, &d.flags, error);
		if (status)
			return status;
		if (*p == '.') {
			p++;
			d.precision = 0;
			status = mstap_format_parse_count(&p, &d.precision, args,
							  arg_count, &next_arg,
							  0, &d.flags, error);
			if (status)
				return status;
		}
		while (*p == 'h' || *p == 'l' || *p == 'L' || *p == 'q' ||
		       *p == 'j' || *p == 'z' || *p == 't')
			p++;
		d.conversion = *p;
		if (!*p)
			return mstap_raise(error, -EINVAL,
					   "printf: format ends inside a conversion");
		p++;
		if (next_arg >= arg_count)
			return mstap_raise(error, -EINVAL,
					   "printf: too few arguments for the format");
		arg = &args[next_arg++];
		if ((d.conversion == 's') != (arg->type == MSTAP_ARG_STRING))
			return mstap_raise(error, -EINVAL,
					   "printf: argument type does not match the format");
		switch (d.conversion) {
		case 'd':
		case 'i':
		case 'u':
		case 'o':
		case 'x':
		case 'X':
		case 'p':
			mstap_format_integer(out, &d, arg->number);
			break;
		case 's':
			mstap_format_string(out, &d,
					    arg->string ? arg->string : "");
			break;
		case 'c':
			mstap_format_char(out, &d, arg->number);
			break;
		case 'b':
			status = mstap_format_binary(out, &d, arg->number, error);
			if (status)
				return status;
			break;
		case 'm':
		case 'M':
			status = mstap_format_memory(out, &d, arg->number, error);
			if (status)
				return status;
			break;
		default:
			return mstap_raise(error, -EINVAL,
					   "printf: unknown conversion in format");
		}
	}
	return 0;
}

/*
 * sprintf into a script string: formats, cuts at the buffer, terminates.
 * The destination must not be one of the arguments (the generated code
 * formats into a temporary).
 */
static inline int mstap_sprintf(char *destination, const char *format,
				const struct mstap_arg *args, u32 arg_count,
				struct mstap_error *error)
{
	struct mstap_out out;
	int status;

	mstap_out_init_string(&out, destination);
	status = mstap_format(&out, format, args, arg_count, error);
	mstap_out_terminate(&out);
	return status;
}

#endif /* MSTAP_FORMAT_H */
