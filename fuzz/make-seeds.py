#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the committed seed corpora under fuzz/corpus/. Event records follow src/bpf/abi.h and
# carry real HTTP/1 plaintext; the text seeds are lines copied from a real /proc.
# Run again only when the ABI changes: python3 fuzz/make-seeds.py
import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
EV_DATA, EV_EXEC, EV_EXIT, EV_LIBS = 1, 2, 3, 4
DATA_F_LAST = 1


def hdr(type_, size, ts, pid, tid, seq, flags=0):
    return struct.pack('<HHIQIIQ', type_, flags, size, ts, pid, tid, seq)


def conn(family, laddr, lport, raddr, rport, role):
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    la = socket.inet_pton(af, laddr).ljust(16, b'\0')
    ra = socket.inet_pton(af, raddr).ljust(16, b'\0')
    return la + ra + struct.pack('<HHHBB', lport, rport, af, role, 0)


def data(pid, tid, seq, ts, payload, captured, offset=0, length=None, dir_=0, attr=1, fd=5,
         comm=b'curl', c=None):
    length = captured if length is None else length
    c = c or conn(4, '127.0.0.1', 50000, '127.0.0.1', 443, 1)
    size = 136 + len(payload)
    flags = DATA_F_LAST if offset + len(payload) == captured else 0
    body = struct.pack('<QQIiIIII', 0x55d0c0ffee00, 7777, 4026531840, fd, length, captured,
                       offset, len(payload))
    body += struct.pack('<BBB5x', 1, dir_, attr) + comm.ljust(16, b'\0') + c
    rec = hdr(EV_DATA, size, ts, pid, tid, seq, flags) + body + payload
    assert len(rec) == size
    return rec


def exec_(pid, ts, comm):
    return hdr(EV_EXEC, 56, ts, pid, pid, 0) + struct.pack('<II', 1, 0) + comm.ljust(16, b'\0')


def exit_(pid, ts):
    return hdr(EV_EXIT, 32, ts, pid, pid, 0)


def libs_(pid, ts):
    return hdr(EV_LIBS, 32, ts, pid, pid, 0)


def ring(*recs):
    """Records as the ring buffer lays them out: each starts 8-aligned."""
    out = b''
    for r in recs:
        out += r + b'\0' * (-len(r) % 8)
    return out


def write(target, name, blob):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(blob)


req = b'GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n'
resp = (b'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n'
        b'Content-Length: 12\r\n\r\nHello world\n')
v6 = conn(6, '::1', 8443, '::1', 51000, 2)
mapped = conn(6, '::ffff:127.0.0.1', 443, '::ffff:127.0.0.1', 40000, 2)

write('fuzz_events', 'request', ring(data(100, 100, 1, 1000, req, len(req))))
write('fuzz_events', 'response-v6-cached',
      ring(data(200, 201, 2, 2000, resp, len(resp), 0, dir_=1, attr=2, comm=b'nginx', c=v6)))
# One call in two chunks, another thread's single-chunk call between them.
write('fuzz_events', 'two-chunks-interleaved',
      ring(data(100, 100, 3, 3000, resp[:40], len(resp), 0, dir_=1),
           data(100, 101, 4, 3001, req, len(req), 0, c=mapped),
           data(100, 100, 3, 3002, resp[40:], len(resp), 40, dir_=1)))
# A call whose tail was lost, the thread's next call, then an orphan chunk.
write('fuzz_events', 'lost-tail-and-orphan',
      ring(data(100, 100, 5, 4000, req[:16], len(req), 0),
           data(100, 100, 6, 4001, b'PING', 4, 0),
           data(100, 102, 7, 4002, req[16:32], len(req), 16)))
# Truncated by --max-capture, unattributed, then the control records.
write('fuzz_events', 'truncated-and-control',
      ring(data(300, 300, 8, 5000, req[:24], 24, 0, length=len(req), attr=0, fd=-1),
           exec_(301, 5001, b'python3'), libs_(301, 5002),
           exit_(300, 5003)))
write('fuzz_events', 'empty-call', ring(data(100, 100, 9, 6000, b'', 0, 0, length=1)))

maps = {
    'libssl': '7f137287f000-7f13728dc000 r-xp 0001f000 fe:00 14884871                   '
              '/usr/lib/x86_64-linux-gnu/libssl.so.3',
    'anonymous': '7fad35725000-7fad357e9000 rw-p 00000000 00:00 0 ',
    'vdso': '7fad35a3f000-7fad35a41000 r-xp 00000000 00:00 0                          [vdso]',
    'deleted-with-spaces': '555e0ad3c000-555e0ad41000 r-xp 00002000 fe:00 10952992          '
                           '         /tmp/with space/my sleep (deleted)',
    'vsyscall': 'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  '
                '[vsyscall]',
}
for name, line in maps.items():
    write('fuzz_maps', name, line.encode())

tcp = {
    'tcp-header': (0, '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when '
                      'retrnsmt   uid  timeout inode'),
    'tcp-listen': (0, '   0: 0100007F:24E3 00000000:0000 0A 00000000:00000000 00:00000000 '
                      '00000000     0        0 7150 1 0000000035258507 100 0 0 10 0'),
    'tcp-time-wait': (0, '   3: 0100007F:9292 0100007F:20FB 06 00000000:00000000 03:00001748 '
                         '00000000     0        0 0 3 00000000d4ae0681'),
    'tcp6-listen-any': (1, '   0: 00000000000000000000000000000000:480B '
                           '00000000000000000000000000000000:0000 0A 00000000:00000000 '
                           '00:00000000 00000000     0        0 10128 1 000000006f79d658 100 '
                           '0 0 10 0'),
    'tcp6-mapped': (1, '   2: 0000000000000000FFFF00000100007F:480B '
                       '0000000000000000FFFF00000100007F:9CFC 01 00000000:00000000 '
                       '00:00000000 00000000     0        0 10133 1 000000003f8542bc 20 0 0 '
                       '10 -1'),
}
for name, (fam, line) in tcp.items():
    write('fuzz_proc_net_tcp', name, bytes([fam]) + line.encode() + b'\n')

write('fuzz_json', 'request', req)
write('fuzz_json', 'response', resp)
write('fuzz_json', 'utf8', 'caf\u00e9 \u20ac \U0001F600 \u00a0\t"quoted" \\'.encode())
write('fuzz_json', 'invalid-utf8', b'\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 \x80\x7f\x00')
write('fuzz_json', 'tls-record', bytes.fromhex('160301020001') + bytes(range(0, 256, 7)))


def split(cuts_a, cuts_b, order, payload):
    """fuzz_reasm input: cut counts, interleaving bits, 16-bit cut points, payload."""
    out = bytes([len(cuts_a), len(cuts_b)]) + struct.pack('<Q', order)
    for c in cuts_a + cuts_b:
        out += struct.pack('<H', c)
    return out + payload


write('fuzz_reasm', 'request-response', split([16, 40], [5, 30, 31], 0x5a5a5a5a5a5a5a5a,
                                              req + resp))
write('fuzz_reasm', 'one-chunk-each', split([], [], 0, req + resp))
write('fuzz_reasm', 'empty-chunks', split([0, 0, 10, 10], [3], 0xff00ff00ff00ff00, req))
write('fuzz_reasm', 'byte-by-byte', split(list(range(1, 16)), list(range(1, 16)),
                                          0xaaaaaaaaaaaaaaaa, b'0123456789abcdefghijklmnopqrstuv'))
