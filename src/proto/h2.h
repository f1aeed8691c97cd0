/* SPDX-License-Identifier: MIT */
/*
 * A passive HTTP/2 parser for one direction of one connection: the plaintext byte stream, fed
 * in chunks cut anywhere, becomes frames, header blocks (decoded with libnghttp2's HPACK
 * inflater) and DATA. The callbacks depend only on the bytes and on where h2_gap() was called,
 * never on how the bytes were cut into chunks.
 *
 * What is certain and what is not. The parser is in one of two frame states:
 *  - in step: it knows where each frame begins and reports every frame;
 *  - lost: it joined mid-connection, or bytes were lost, or a frame header broke the framing
 *    rules. It buffers up to resync_window bytes and looks for a frame boundary: a 9-byte
 *    header that passes every rule (known type, length within limits, reserved bit clear,
 *    stream id zero or not and odd in the client direction as the type demands, flags and
 *    fixed lengths of the type, padding inside the frame) followed by H2_RESYNC_FRAMES - 1
 *    more such headers where the lengths say they begin, all within the window. Until then
 *    nothing is reported; the bytes skipped are counted.
 * Independently, the HPACK state is known (from the first header block of the connection, or
 * after a dynamic table size update to 0) or not (after a join, a gap, a lost frame boundary, a
 * header block not decoded, or a reference to a dynamic table entry the parser never saw).
 * Every header block is decoded field by field against a table that holds what this parser saw
 * inserted. HPACK's dynamic table is first-in first-out, so index 62 + i always names the
 * (i + 1)-th most recent insertion the encoder still holds: the entries this parser saw are
 * right whenever they are in range, and only references past them, or to entries whose names
 * it never saw, are unknown. Such fields are left out of the block (H2_HDR_PARTIAL); no
 * value is ever guessed. DATA lengths, END_STREAM, RST_STREAM and GOAWAY do not depend on
 * HPACK and are reported whenever the frames are in step.
 */
#ifndef TLSSCOPE_PROTO_H2_H
#define TLSSCOPE_PROTO_H2_H

#include <stddef.h>
#include <stdint.h>

struct nghttp2_hd_inflater;

enum h2_dir {
	H2_CLIENT, /* client -> server: starts with the 24-byte connection preface */
	H2_SERVER, /* server -> client: starts with a SETTINGS frame */
};

/* Headers that confirm a frame boundary while lost (the candidate and those after it). */
#define H2_RESYNC_FRAMES 3
/* Bytes of a control frame's payload kept (SETTINGS: 64 entries; GOAWAY debug data cut). */
#define H2_CTL_MAX 384

/* Zero fields take the defaults. */
struct h2_limits {
	uint32_t max_frame_size;   /* frame length ceiling; default (and most) 2^24 - 1 */
	uint32_t max_header_block; /* encoded header block (all its frames); default 64 KiB */
	uint32_t max_header_list;  /* decoded names and values of one block; default 64 KiB */
	uint32_t max_fields;	   /* fields of one block; default 256 */
	uint32_t max_table_size;   /* HPACK dynamic table ceiling; default 64 KiB */
	uint32_t max_streams;	   /* open streams remembered (for trailers); default 256 */
	uint32_t resync_window;	   /* bytes buffered while lost; default 64 KiB, at least 1 KiB */
};

enum h2_error {
	H2_ERR_JOIN,	     /* no preface (client) or SETTINGS (server) first: joined midway */
	H2_ERR_GAP,	     /* h2_gap(): bytes were lost */
	H2_ERR_FRAME,	     /* a frame header that breaks the framing rules: lost */
	H2_ERR_FRAME_SIZE,   /* a frame longer than SETTINGS_MAX_FRAME_SIZE or the limit: lost */
	H2_ERR_CONTINUATION, /* a header block cut by another frame, or a stray CONTINUATION */
	H2_ERR_PADDING,	     /* a pad length past the end of its frame: frame skipped */
	H2_ERR_BLOCK_SIZE,   /* a header block over max_header_block: not decoded */
	H2_ERR_HPACK,	     /* a malformed header block */
	H2_ERR_HPACK_REF,    /* a field refers to a table entry never seen: HPACK state unknown */
	H2_ERR_FIELDS,	     /* a block over max_fields or max_header_list: fields dropped */
	H2_ERR_NO_MEMORY,
	H2_ERR__MAX,
};

enum h2_counter {
	H2_C_BYTES,	      /* bytes fed */
	H2_C_FRAMES,	      /* frames reported (on_frame) */
	H2_C_HEADER_BLOCKS,   /* header blocks reported (on_headers) */
	H2_C_PARTIAL_BLOCKS,  /* of which some fields were unknown (H2_HDR_PARTIAL) */
	H2_C_FIELDS_UNKNOWN,  /* fields left out because they refer to HPACK state never seen */
	H2_C_DATA_BYTES,      /* DATA payload reported (padding excluded) */
	H2_C_SKIPPED_BYTES,   /* bytes dropped while lost */
	H2_C_LOST,	      /* times the frame boundaries were lost */
	H2_C_RESYNC,	      /* times a frame boundary was found again */
	H2_C_DESYNC,	      /* times the HPACK state became unknown */
	H2_C_HPACK_RESYNC,    /* times it became known again (a table size update to 0) */
	H2_C_STREAMS_EVICTED, /* open streams forgotten to stay within max_streams */
	/* errors, one per enum h2_error in its order (each also passed to on_error) */
	H2_C_ERR_JOIN,
	H2_C_ERR_GAP,
	H2_C_ERR_FRAME,
	H2_C_ERR_FRAME_SIZE,
	H2_C_ERR_CONTINUATION,
	H2_C_ERR_PADDING,
	H2_C_ERR_BLOCK_SIZE,
	H2_C_ERR_HPACK,
	H2_C_ERR_HPACK_REF,
	H2_C_ERR_FIELDS,
	H2_C_ERR_NO_MEMORY,
	H2_C__MAX,
};

/* "bytes", "frames", ..., "err_join", ...; NULL if out of range. */
const char *h2_counter_name(enum h2_counter c);
/* "join", "gap", ...; NULL if out of range. */
const char *h2_error_name(enum h2_error e);

/* One decoded field; name and value are NUL-terminated (and may hold other NULs). */
struct h2_header {
	const char *name;
	const char *value;
	uint32_t name_len;
	uint32_t value_len;
};

/* Bytes of the stream (offsets count every byte fed since h2_init). */
struct h2_span {
	uint64_t at;
	uint32_t len;
};

struct h2_setting {
	uint16_t id;
	uint32_t value;
};

/* on_headers flags */
#define H2_HDR_END_STREAM 0x01 /* the HEADERS frame carried END_STREAM */
#define H2_HDR_TRAILERS	  0x02 /* a block after the final headers or DATA of the stream */
#define H2_HDR_PARTIAL	  0x04 /* fields that could not be decoded were left out */
#define H2_HDR_TRUNCATED  0x08 /* fields past max_fields / max_header_list were dropped */
#define H2_HDR_PROMISE	  0x10 /* a PUSH_PROMISE: stream_id is the promised stream */

/*
 * Every member may be NULL. Pointers are valid during the call only, and a callback must not
 * call h2_feed() or h2_gap() on the parser that called it. The order of the calls
 * is the order of the bytes: on_frame when a frame's header is read, then what its payload
 * says (on_headers once the block's last frame is read, on_rst_stream, on_goaway and
 * on_settings when their frame is whole).
 */
struct h2_callbacks {
	void (*on_frame)(void *ctx, uint8_t type, uint8_t flags, uint32_t stream_id,
			 uint32_t length);
	void (*on_headers)(void *ctx, uint32_t stream_id, const struct h2_header *hdrs, size_t n,
			   unsigned int flags);
	/*
	 * A DATA frame's payload as it arrives, padding removed, in one or more calls; the call
	 * that completes the payload of an END_STREAM frame has end_stream set (len 0 when the
	 * payload is empty or could not be read).
	 */
	void (*on_data)(void *ctx, uint32_t stream_id, const uint8_t *data, size_t len,
			int end_stream);
	void (*on_rst_stream)(void *ctx, uint32_t stream_id, uint32_t error_code);
	void (*on_goaway)(void *ctx, uint32_t last_stream_id, uint32_t error_code);
	void (*on_settings)(void *ctx, const struct h2_setting *s, size_t n, int ack);
	void (*on_error)(void *ctx, enum h2_error cause);
	/*
	 * Where a field sent as a literal lies in the stream, for masking it in place: called
	 * after the field is decoded (before on_headers), with its name, the offset of the
	 * first byte of its value's length prefix (the byte with the Huffman bit), and its
	 * value's encoded bytes in n contiguous pieces (a block may span frames).
	 */
	void (*on_literal)(void *ctx, const char *name, size_t name_len, uint64_t prefix_at,
			   const struct h2_span *value, size_t n);
};

struct h2_stream_state;

/* Embed it; the members are private. */
struct h2_parser {
	struct h2_limits lim;
	enum h2_dir dir;
	uint8_t state;	  /* enum in h2.c */
	uint8_t hpack_ok; /* the HPACK state is known */
	uint8_t first;	  /* no frame read yet (the server's first must be SETTINGS) */
	uint8_t preface_pos;
	uint32_t peer_max_frame; /* the receiver's SETTINGS_MAX_FRAME_SIZE, 0 if unknown */
	struct nghttp2_hd_inflater *hd;
	const struct h2_callbacks *cb;
	void *ctx;
	uint64_t abs;		  /* bytes consumed (reported or skipped) */
	uint64_t last_resync_abs; /* where the last boundary was found */

	/* the frame being read */
	uint8_t hdr[9];
	uint8_t hdr_len;
	uint8_t type, flags;
	uint8_t bad;	 /* payload skipped (pad length past the end) */
	uint8_t pre_len; /* pad length, priority and promised id bytes */
	uint8_t end_sent;
	uint8_t pre[6];
	uint32_t sid, len, pos, body_end;
	uint8_t ctl[H2_CTL_MAX];

	/* the header block being collected */
	uint8_t in_block; /* a CONTINUATION must come next */
	uint8_t blk_drop; /* not decoded (too large, padding) */
	uint8_t blk_flags;
	uint32_t blk_sid, blk_promised;
	uint8_t *blk;
	uint32_t blk_len, blk_cap;
	uint64_t body_at;	 /* stream offset of the payload bytes being read */
	struct h2_blk_seg *segs; /* where each run of the block's bytes lies in the stream */
	uint32_t nsegs, cap_segs;

	/* fields of the block being decoded: offsets into arena, then pointers in out */
	struct h2_header *out;
	uint32_t *offs; /* name and value of field i at arena + offs[2i], offs[2i + 1] */
	uint32_t nfields, cap_fields, cap_offs, list_bytes;
	char *arena;
	uint32_t arena_len, arena_cap;

	struct h2_stream_state *streams;
	uint32_t nstreams, cap_streams;

	/* while lost: bytes [sb_off, sb_len) wait to be scanned, or replayed once in step */
	uint8_t *sb;
	uint32_t sb_off, sb_len;
	const uint8_t *requeue; /* bytes to put back in front of sb when lost */
	uint32_t requeue_len;

	uint64_t counters[H2_C__MAX];
};

/* lim may be NULL (defaults). Returns 0 or -ENOMEM. */
int h2_init(struct h2_parser *p, enum h2_dir dir, const struct h2_limits *lim);
/* Releases what p holds (the inflater, buffers); p may then be h2_init()ed again. */
void h2_free(struct h2_parser *p);
/* Feeds the next len bytes of the stream; calls back synchronously. */
void h2_feed(struct h2_parser *p, const uint8_t *data, size_t len, const struct h2_callbacks *cb,
	     void *ctx);
/*
 * Bytes were lost before the next h2_feed(): the frame in progress and the HPACK state are
 * dropped and the parser is lost (counted as H2_ERR_GAP; on_error is not called).
 */
void h2_gap(struct h2_parser *p);
/*
 * The other direction's SETTINGS (its on_settings): the SETTINGS_MAX_FRAME_SIZE in them
 * bounds this direction's frames. Without it, frames up to max_frame_size are accepted while
 * in step, and up to 16384 bytes (the protocol's default) while looking for a boundary.
 */
void h2_peer_settings(struct h2_parser *p, const struct h2_setting *s, size_t n);

/*
 * 1 if s is whole frames end to end that pass every rule of a frame boundary search (see the
 * top of this file; frames up to the protocol's default 16384 bytes): how a connection joined
 * midway, whose preface was never seen, is recognised. 0 otherwise.
 */
int h2_frames_at(enum h2_dir dir, const uint8_t *s, size_t n);

/* Nonzero while header fields may be left out (HPACK state unknown or not yet known). */
int h2_hpack_desynced(const struct h2_parser *p);
/* Nonzero while looking for a frame boundary (nothing is reported). */
int h2_frames_lost(const struct h2_parser *p);
const uint64_t *h2_counters(const struct h2_parser *p); /* H2_C__MAX entries */

#endif
