/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_transport.h - the output ring between probes and the reader of
 * /proc/MODULE/output.
 *
 * One ring of MSTAP_BUFFER_BYTES (a power of two) holds whole records: a
 * little-endian u16 stream (1 stdout, 2 stderr), a u16 length, then the
 * bytes. `head` and `tail` count bytes ever written and consumed, so the
 * free room is SIZE - (head - tail) and positions are taken modulo SIZE.
 *
 * Producers (probes, any context, NMI included) append under `lock`, an
 * atomic flag they try at most MSTAP_MAXTRYLOCK times with interrupts off:
 * a record that cannot be placed (ring full, or the lock not won) is
 * dropped whole and counted, never torn. The reader holds the same lock
 * only to read `head` and to advance `tail`, each a few instructions with
 * interrupts off; the bytes between tail and head belong to it alone
 * (producers only write past head), so it copies them without the lock.
 * The reader may wait for the lock without a bound: every holder holds it
 * for a bounded time with interrupts off, and cannot be the reader's own
 * CPU (the reader has interrupts off while it tries; only an NMI or a kprobe
 * inside those few instructions can meet a held lock, and such a producer
 * gives up after its attempts and counts an overrun).
 *
 * MSTAP_RING_RESERVE bytes stay free for the runtime's own closing lines
 * (the final WARNING), written in process context when the run stops.
 */
#ifndef MSTAP_TRANSPORT_H
#define MSTAP_TRANSPORT_H

#include "mstap_context.h"

#include <linux/irq_work.h>
#include <linux/irqflags.h>

#define MSTAP_RING_MASK ((u64)MSTAP_BUFFER_BYTES - 1)
#define MSTAP_RING_RESERVE 1024u

static inline bool mstap_ring_try_lock(struct mstap_ring *ring)
{
	u32 attempt;

	for (attempt = 0; attempt < MSTAP_MAXTRYLOCK; attempt++) {
		if (atomic_read(&ring->lock) == 0 &&
		    atomic_cmpxchg(&ring->lock, 0, 1) == 0)
			return true;
		cpu_relax();
	}
	return false;
}

static inline void mstap_ring_unlock(struct mstap_ring *ring)
{
	atomic_set_release(&ring->lock, 0);
}

/* Copies `length` bytes into the ring at byte count `position`. */
static inline void mstap_ring_put(struct mstap_ring *ring, u64 position,
				  const void *bytes, u32 length)
{
	u32 offset = (u32)(position & MSTAP_RING_MASK);
	u32 first = MSTAP_BUFFER_BYTES - offset;

	if (first > length)
		first = length;
	memcpy(ring->data + offset, bytes, first);
	if (length > first)
		memcpy(ring->data, (const char *)bytes + first, length - first);
}

static inline void mstap_ring_get(const struct mstap_ring *ring, u64 position,
				  void *bytes, u32 length)
{
	u32 offset = (u32)(position & MSTAP_RING_MASK);
	u32 first = MSTAP_BUFFER_BYTES - offset;

	if (first > length)
		first = length;
	memcpy(bytes, ring->data + offset, first);
	if (length > first)
		memcpy((char *)bytes + first, ring->data, length - first);
}

static inline void mstap_ring_count_loss(struct mstap_ring *ring, u32 length)
{
	atomic64_inc(&ring->overruns);
	atomic64_add(length, &ring->lost_bytes);
}

/*
 * Appends one record; `reserve` bytes must stay free after it (0 only for
 * the runtime's closing lines). MSTAP_APPEND_DROPPED when it was dropped
 * and counted; MSTAP_APPEND_HALF_FULL when it filled the ring past half.
 * (A status, not an out-parameter: a local whose address is taken would
 * give every probe hit a stack-protector check.)
 */
enum mstap_append_status {
	MSTAP_APPEND_PLACED,
	MSTAP_APPEND_HALF_FULL,
	MSTAP_APPEND_DROPPED,
};

static inline enum mstap_append_status
mstap_ring_append(struct mstap_ring *ring, u16 stream, const char *bytes,
		  u32 length, u32 reserve)
{
	enum mstap_append_status status = MSTAP_APPEND_DROPPED;
	unsigned long flags;
	u8 header[MSTAP_RECORD_HEADER];

	header[0] = (u8)(stream & 0xff);
	header[1] = (u8)(stream >> 8);
	header[2] = (u8)(length & 0xff);
	header[3] = (u8)(length >> 8);
	local_irq_save(flags);
	if (mstap_ring_try_lock(ring)) {
		u64 used = ring->head - ring->tail;

		if ((u64)MSTAP_BUFFER_BYTES - used >=
		    (u64)MSTAP_RECORD_HEADER + length + reserve) {
			mstap_ring_put(ring, ring->head, header, sizeof(header));
			mstap_ring_put(ring, ring->head + MSTAP_RECORD_HEADER, bytes,
				       length);
			ring->head += MSTAP_RECORD_HEADER + length;
			status = used < MSTAP_BUFFER_BYTES / 2 &&
					 ring->head - ring->tail >=
						 MSTAP_BUFFER_BYTES / 2 ?
				 MSTAP_APPEND_HALF_FULL : MSTAP_APPEND_PLACED;
		}
		mstap_ring_unlock(ring);
	}
	local_irq_restore(flags);
	if (status == MSTAP_APPEND_DROPPED)
		mstap_ring_count_loss(ring, length);
	return status;
}

/*
 * Commits `length` bytes to `stream` as records of at most 65535 bytes.
 * Safe in any context: bounded work, no sleeping. No waking either, with
 * one exception: the record that fills the ring past half queues an
 * irq_work (NMI-safe) that wakes the reader at once, so that a burst after
 * an idle spell (when the waker looks only every MSTAP_RECHECK_IDLE_MS)
 * is drained before the ring fills.
 */
static inline void mstap_commit_reserved(u16 stream, const char *bytes,
					 u32 length, u32 reserve)
{
	struct mstap_ring *ring = &mstap_rt.ring;
	bool half_full = false;

	if (!ring->data)
		return;
	while (length > 0) {
		u32 piece = length < MSTAP_RECORD_MAX_DATA ? length :
							      MSTAP_RECORD_MAX_DATA;

		if (mstap_ring_append(ring, stream, bytes, piece, reserve) ==
		    MSTAP_APPEND_HALF_FULL)
			half_full = true;
		bytes += piece;
		length -= piece;
	}
	if (unlikely(half_full))
		irq_work_queue(&mstap_rt.output_kick);
}

static inline void mstap_commit(u16 stream, const char *bytes, u32 length)
{
	mstap_commit_reserved(stream, bytes, length, MSTAP_RING_RESERVE);
}

/* Commits the whole print buffer (the end of a hit, or before a warning). */
static inline void mstap_out_commit_all(struct mstap_out *out)
{
	if (out->used > 0)
		mstap_commit(MSTAP_STREAM_STDOUT, out->data, out->used);
	out->used = 0;
}

/*
 * The flush hook of every context's print buffer, called when a write does
 * not fit: commits the complete lines early and keeps the unfinished one,
 * so that a line is never split across records (a dropped record would
 * tear it). A buffer without a newline is one line longer than the buffer:
 * it goes whole.
 */
static inline void mstap_out_flush_to_ring(struct mstap_out *out)
{
	u32 end = out->used;

	while (end > 0 && out->data[end - 1] != '\n')
		end--;
	if (end == 0 || end == out->used) {
		mstap_out_commit_all(out);
		return;
	}
	mstap_commit(MSTAP_STREAM_STDOUT, out->data, end);
	memmove(out->data, out->data + end, out->used - end);
	out->used -= end;
}

/* Whether records wait to be read (a hint: read without the lock). */
static inline bool mstap_ring_has_data(const struct mstap_ring *ring)
{
	return READ_ONCE(ring->head) != READ_ONCE(ring->tail);
}

/*
 * Reader side (process context, one reader at a time): copies whole
 * records, at most `room` bytes, into `bounce` and consumes them. Returns
 * the number of bytes copied.
 */
static inline u32 mstap_ring_take(struct mstap_ring *ring, char *bounce,
				  u32 room)
{
	unsigned long flags;
	u64 head, tail, position;
	u32 taken = 0;

	local_irq_save(flags);
	while (atomic_cmpxchg(&ring->lock, 0, 1) != 0)
		cpu_relax();
	head = ring->head;
	tail = ring->tail;
	mstap_ring_unlock(ring);
	local_irq_restore(flags);

	/* [tail, head) is ours: producers only ever write past head. */
	position = tail;
	while (position < head) {
		u8 header[MSTAP_RECORD_HEADER];
		u32 record;

		mstap_ring_get(ring, position, header, sizeof(header));
		record = MSTAP_RECORD_HEADER + (header[2] | ((u32)header[3] << 8));
		if (taken + record > room)
			break;
		mstap_ring_get(ring, position, bounce + taken, record);
		taken += record;
		position += record;
	}
	if (taken == 0)
		return 0;

	local_irq_save(flags);
	/* A full barrier: the copies above finish before producers reuse it. */
	while (atomic_cmpxchg(&ring->lock, 0, 1) != 0)
		cpu_relax();
	ring->tail = position;
	mstap_ring_unlock(ring);
	local_irq_restore(flags);
	return taken;
}

#endif /* MSTAP_TRANSPORT_H */
