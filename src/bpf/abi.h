/* SPDX-License-Identifier: MIT */
/*
 * The event ABI shared by the BPF programs and user space. Every record in the ring buffer
 * starts with struct event_hdr; hdr.size is the whole record. Fixed-width fields only,
 * explicit padding, sizes pinned by _Static_assert so both compilers agree.
 */
#ifndef TLSSCOPE_ABI_H
#define TLSSCOPE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TASK_COMM_LEN 16

/* One ring-buffer record carries at most this much payload; larger calls are chunked. */
#define CHUNK_MAX 16384
/* Bounds the chunk loop so the verifier can see it ends: 64 Ki chunks = 1 GiB per call. */
#define MAX_CHUNKS 65536
/* Default per-call capture limit (--max-capture). */
#define DEFAULT_MAX_CAPTURE 16384

enum event_type {
	EV_DATA = 1, /* a chunk of one TLS call's plaintext */
	EV_EXEC = 2, /* a process called execve: look for new TLS code */
	EV_EXIT = 3, /* a process (thread group leader) exited */
	EV_LIBS = 4, /* the dynamic loader changed the process's libraries */
	EV_WIRE = 5, /* bytes of a TLS hello seen on an interface (TC classifier) */
	EV_BIND = 6, /* an ssl's connection, learned from the ciphertext its write produced */
	EV__MAX,
};

/* Which library moved the bytes; rides in the BPF cookie. */
enum tls_lib {
	LIB_UNKNOWN = 0,
	LIB_OPENSSL = 1,
	LIB_GNUTLS = 2,
	LIB_WOLFSSL = 3,
	LIB_MBEDTLS = 4,
	LIB_BORINGSSL = 5,
	LIB_NSS = 6,
	LIB__MAX,
};

enum data_dir {
	DIR_EGRESS = 0,	 /* written by the process */
	DIR_INGRESS = 1, /* read by the process */
};

enum attribution {
	ATTR_UNATTRIBUTED = 0, /* no trustworthy fd: conn is unknown */
	ATTR_SYSCALL = 1,      /* fd seen in a socket syscall inside this very call */
	ATTR_CACHED = 2,       /* fd remembered for this ssl from an earlier call */
	ATTR_CORRELATED = 3,   /* memory BIO: the ciphertext of its writes went out on fd */
};

enum conn_role {
	ROLE_UNKNOWN = 0, /* socket older than the agent: user space decides */
	ROLE_CLIENT = 1,  /* the socket connected */
	ROLE_SERVER = 2,  /* the socket was accepted */
};

/* Cookie layout: bits 0-7 library, bit 8 direction, bit 9 "_ex" (length via out-pointer). */
#define COOKIE_LIB(c)		  ((__u32)(c)&0xff)
#define COOKIE_DIR(c)		  (((__u32)(c) >> 8) & 1)
#define COOKIE_EX(c)		  (((__u32)(c) >> 9) & 1)
#define MAKE_COOKIE(lib, dir, ex) ((__u64)(lib) | ((__u64)(dir) << 8) | ((__u64)(ex) << 9))

/* Loss and accounting counters, one per-CPU array slot each; user space sums them. */
enum counter {
	CNT_CALLS,	     /* TLS calls that returned */
	CNT_CALLS_FAILED,    /* calls that returned <= 0: no data */
	CNT_EVENTS,	     /* data records submitted */
	CNT_BYTES,	     /* payload bytes submitted */
	CNT_LOST_RINGBUF,    /* calls whose record was dropped whole: ring buffer full */
	CNT_LOST_PARTIAL,    /* calls whose record lost its tail: ring full or read fault */
	CNT_LOST_BYTES,	     /* captured bytes that never reached user space */
	CNT_TRUNCATED,	     /* calls cut by --max-capture */
	CNT_TRUNCATED_BYTES, /* bytes not captured because of --max-capture */
	CNT_MAP_FULL,	     /* a call could not be tracked: in-flight map full */
	CNT_READ_FAULT,	     /* calls dropped whole: their plaintext could not be read */
	CNT_INTEGRITY,	     /* a call's syscalls touched more than one fd */
	CNT_UNATTRIBUTED,    /* records with no connection */
	CNT_NESTED,	     /* a call began while another was in flight on the thread */
	CNT_LOST_OTHER,	     /* exec/exit/libs records dropped: ring buffer full */
	CNT_WIRE_EVENTS,     /* hello slices handed over by the classifier */
	CNT_WIRE_FLOWS,	     /* hello starts the classifier recognised */
	CNT_LOST_WIRE,	     /* hello slices dropped: ring buffer full */
	CNT_BIO_BOUND,	     /* ssls bound to a connection by the ciphertext of their writes */
	CNT_BIO_MISMATCH,    /* a socket write after unattributed writes did not match them */
	CNT__MAX,
};

struct event_hdr {
	__u16 type;
	__u16 flags;
	__u32 size; /* whole record: header, body and payload */
	__u64 ts;   /* CLOCK_MONOTONIC ns */
	__u32 pid;  /* thread group id */
	__u32 tid;
	__u64 seq; /* EV_DATA: the thread's call number, shared by all chunks of the call */
};
_Static_assert(sizeof(struct event_hdr) == 32, "event_hdr layout");

/* The connection as the kernel's socket describes it. Addresses in network order. */
struct conn_tuple {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;  /* host order */
	__u16 rport;  /* host order */
	__u16 family; /* AF_INET, AF_INET6, or 0 when unknown */
	__u8 role;
	__u8 _pad;
};
_Static_assert(sizeof(struct conn_tuple) == 40, "conn_tuple layout");

#define DATA_F_LAST 0x1 /* hdr.flags: final chunk of the call */

struct data_event {
	struct event_hdr hdr;
	__u64 ssl; /* the library's connection handle, opaque */
	__u64 cgroup_id;
	__u32 netns;	 /* network namespace inode of the process */
	__s32 fd;	 /* -1 when unattributed */
	__u32 len;	 /* bytes the call moved */
	__u32 captured;	 /* bytes the call's record carries in all chunks */
	__u32 offset;	 /* where this chunk's bytes start in the call */
	__u32 chunk_len; /* bytes in data[] */
	__u8 lib;
	__u8 dir;
	__u8 attribution;
	__u8 _pad[5];
	char comm[TASK_COMM_LEN];
	struct conn_tuple conn;
	__u8 data[];
};
_Static_assert(sizeof(struct data_event) == 136, "data_event layout");

struct exec_event {
	struct event_hdr hdr;
	__u32 ppid;
	__u32 _pad;
	char comm[TASK_COMM_LEN];
};
_Static_assert(sizeof(struct exec_event) == 56, "exec_event layout");

struct exit_event {
	struct event_hdr hdr;
};

/* The loader reports every change to its list of libraries (dlopen included). */
struct libs_event {
	struct event_hdr hdr;
};

/*
 * A library that works over memory BIOs (node, Envoy) encrypts in the TLS call and leaves the
 * socket write to its event loop. When the thread's next socket write after its unattributed
 * writes on one ssl is exactly their ciphertext (plaintext + one record overhead per 16 KiB
 * or part, for the AEAD record layouts), the ssl is on that socket: records of the ssl that
 * user space held back are attributed to conn.
 */
struct bind_event {
	struct event_hdr hdr;
	__u64 ssl;
	__s32 fd;
	__u32 _pad;
	struct conn_tuple conn;
};
_Static_assert(sizeof(struct bind_event) == 88, "bind_event layout");

/* Bytes of a hello per wire record; a longer hello takes several records. */
#define WIRE_SLICE 1024
/* The classifier follows a hello for at most this many stream bytes (HSF_MAX_BYTES). */
#define WIRE_MAX_WANT (16384 + 5 + 64)

#define WIRE_F_EGRESS 0x1 /* hdr.flags: the segment was leaving through the interface */
#define WIRE_F_TASK   0x2 /* hdr.flags: sent in its process's context: hdr.pid, comm are it */

/*
 * A slice of a TCP segment's payload that lies in the first flight of a direction, from
 * the TC classifier. hdr.pid/tid/comm are 0 unless WIRE_F_TASK.
 */
struct wire_event {
	struct event_hdr hdr;
	__u64 cgroup_id;  /* of the sending socket when it is known, else 0 */
	__u32 ifindex;	  /* where it was seen */
	__u32 dev_netns;  /* that interface's network namespace */
	__u32 peer_netns; /* a veth's other end's namespace, else 0 */
	__u32 sk_netns;	  /* the sending socket's namespace, when it is known; else 0 */
	__u32 seq;	  /* TCP sequence number of data[0] */
	__u32 start_seq;  /* where the hello starts in this direction's stream */
	__u16 sport, dport;
	__u16 len; /* bytes in data[] */
	__u8 family;
	__u8 tcp_flags;
	__u8 saddr[16], daddr[16];
	char comm[TASK_COMM_LEN];
	__u8 data[];
};
_Static_assert(sizeof(struct wire_event) == 120, "wire_event layout");

#endif
