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


# Real first flights, captured on loopback between openssl s_client and s_server (3.0),
# cut after the bytes the handshake tracker looks at.
# openssl s_client -servername a.test -alpn h2,http/1.1 (3.0): ClientHello, CCS, Finished
CH13 = bytes.fromhex(
    '1603010145010001410303c04b548978f44405cd57a333ec9b9dbbf5312bb97dec0b171dddb4408415f7fc20'
    '27a84fc134c9360100b3721f2ede64dec3cb158d0cf4543781349be424fc577a003e130213031301c02cc030'
    '009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d'
    '003c0035002f00ff010000ba0000000b0009000006612e74657374000b000403000102000a00160014001d00'
    '17001e0019001801000101010201030104002300000010000e000c02683208687474702f312e310016000000'
    '170000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301030204'
    '0205020602002b0009080304030303020301002d00020101003300260024001d00207d9bdc40a2c3109e218a'
    'e0e22f28465a1db349a8ab10416f6168210e3dc3683814030300010117030300456b513bb5d43478bbcca90b'
    '08c4eb7468c3f3e42dd4aa1aa7f9d50adc79ee7474b304859045991790f8a7da4d54cfc3b6b9333a55398266'
    '003cede7c72895d6b5ee4be21017'
)
# openssl s_server's answer: ServerHello, CCS, the first encrypted record
SH13 = bytes.fromhex(
    '160303007a020000760303a4cdd4e03182e6ff3842c4be9cd9acd7bce127306879784205e68f0431a2f02b20'
    '27a84fc134c9360100b3721f2ede64dec3cb158d0cf4543781349be424fc577a130200002e002b0002030400'
    '330024001d002023f177467171c3dc4c39a038f0d20256e8a2c8c406deb3e6c638ba542eae7e6d1403030001'
    '0117030300172eaded39b50def96a3e119cbae15da88f7d01ba153234c'
)
# the same with -tls1_2: ClientHello, then ClientKeyExchange, CCS, Finished, alert
CH12 = bytes.fromhex(
    '16030100c6010000c2030399577a992e5d3f7cb41cd4fcc93b3457fd4bd747ec3e47bc84e28102cc75fe5e00'
    '0038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033'
    '009d009c003d003c0035002f00ff010000610000000b0009000006612e74657374000b000403000102000a00'
    '0c000a001d0017001e00190018002300000016000000170000000d002a002804030503060308070808080908'
    '0a080b08040805080604010501060103030301030204020502060216030300251000002120af0ef1ef697c4c'
    '4c184c38a3553c971c852225b8f27d4697f81781c8ab79a41e1403030001011603030028450d179451ea5b1c'
    'f096dc069e6c7674a929f3148a7604ce25a4780daec2cbf4a3c9a94463755873150303001a450d179451ea5b'
    '1d680f43d386951d8c8cfae22ac1aff7926aae'
)
# its answer: ServerHello, the start of the Certificate record
SH12 = bytes.fromhex(
    '16030300410200003d0303fd32021259ffbecb3f3c00a3c87b8ded88dd9cf1e895fc5d63b360fabccc123d00'
    'c02c000015ff01000100000b000403000102002300000017000016030301840b00018000017d00017a308201'
    '763082011da00302010202142f2dd72dde7e226284ca63dc5b642424735ffffd300a06082a8648ce3d040302'
    '3011310f300d06035504030c06612e74657374301e170d3236313132333037303932355a170d'
)


def hsflow(mode, cuts_c, cuts_s, copies, order, isn, client, server):
    """fuzz_hsflow input: header, client length, cuts, copies (dir, offset, length), streams."""
    out = bytes([mode, len(cuts_c), len(cuts_s), len(copies)])
    out += struct.pack('<QIH', order, isn, len(client))
    for c in cuts_c + cuts_s:
        out += struct.pack('<H', c)
    for d, off, n in copies:
        out += bytes([(off << 1 | d) & 0xff, off >> 7]) + struct.pack('<H', n - 1)
    return out + client + server


SYN, HAS_START, PATTERN, V6, CLIENT_FIRST, RST = 0, 1, 2, 4, 8, 16
write('fuzz_hsflow', 'tls13-syn-one-segment', hsflow(SYN, [], [], [], 0, 1000, CH13, SH13))
write('fuzz_hsflow', 'tls13-pattern-cut', hsflow(
    PATTERN, [10, 100, 101, 250, 330, 336], [3, 60, 127], [(0, 5, 200), (1, 0, 127)],
    0x0123456789abcdef, 0xfffffff0, CH13, SH13))
write('fuzz_hsflow', 'tls12-has-start-v6-reordered', hsflow(
    HAS_START | V6 | CLIENT_FIRST, list(range(20, 320, 20)), [5, 9, 70, 75], [(0, 203, 40)],
    0xfedcba9876543210, 0x7fffffff, CH12, SH12))
write('fuzz_hsflow', 'tls13-client-only-rst', hsflow(
    PATTERN | RST, [1, 2, 3, 4, 5, 6, 7, 8], [], [(0, 0, 9)], 0x5555aaaa5555aaaa, 42, CH13, b''))
write('fuzz_hsflow', 'server-only-pattern', hsflow(PATTERN, [], [50], [], 7, 9, b'', SH12))
write('fuzz_hsflow', 'http-not-tls', hsflow(SYN, [4], [8], [(1, 2, 3)], 3, 77, req, resp))


def tcp(sport, dport, seq, flags, payload=b'', opts=b''):
    return struct.pack('>HHIIBBHHH', sport, dport, seq, 1, (5 + len(opts) // 4) << 4, flags,
                       65535, 0, 0) + opts + payload


def ip4(l4, frag=0x4000, proto=6, src='127.0.0.1', dst='127.0.0.1'):
    return struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + l4


def ip6(l4, ext=b'', first=6, src='::1', dst='::1'):
    return (struct.pack('>IHBB', 0x60000000, len(ext) + len(l4), first, 64) +
            socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
            ext + l4)


def frames(dlt_index, *fs, step=1):
    """fuzz_pkt input: link type selector, then [length, ts step, frame] per frame."""
    return bytes([dlt_index]) + b''.join(struct.pack('<HB', len(f), step) + f for f in fs)


EN10MB, SLL, SLL2, RAW12, RAW14, RAW101, IPV4, IPV6, NULL, LOOP = range(10)
SYN_OPTS = bytes.fromhex('020440000402080a0000000100000000' '01030307')  # mss, sack, ts, ws
PSHACK, SYNF, SYNACK, RSTF = 0x18, 0x02, 0x12, 0x04


def handshake(wrap, ip=ip4):
    """A loopback connection's first segments, each wrapped into a frame."""
    c, s = 0x11223344, 0xaabbccdd
    return [wrap(ip(tcp(40000, 443, c, SYNF, opts=SYN_OPTS))),
            wrap(ip(tcp(443, 40000, s, SYNACK, opts=SYN_OPTS))),
            wrap(ip(tcp(40000, 443, c + 1, PSHACK, CH13[:200]))),
            wrap(ip(tcp(40000, 443, c + 201, PSHACK, CH13[200:]))),
            wrap(ip(tcp(443, 40000, s + 1, PSHACK, SH13))),
            wrap(ip(tcp(40000, 443, c + 1, PSHACK, CH13[:200])))]  # a retransmission


def ethertype(p):
    return b'\x08\x00' if p[0] >> 4 == 4 else b'\x86\xdd'


def eth(p, tags=b''):
    return b'\x02\0\0\0\0\1\x02\0\0\0\0\2' + tags + ethertype(p) + p


write('fuzz_pkt', 'ethernet-ipv4-handshake', frames(EN10MB, *handshake(eth)))
write('fuzz_pkt', 'qinq-ipv6-handshake', frames(
    EN10MB, *handshake(lambda p: eth(p, b'\x88\xa8\x00\x64\x81\x00\x00\x05'), ip6)))
write('fuzz_pkt', 'sll-ipv4-handshake', frames(
    SLL, *handshake(lambda p: b'\0\0\3\x04\0\6' + b'\0' * 8 + ethertype(p) + p)))
write('fuzz_pkt', 'sll2-ipv6-handshake', frames(
    SLL2, *handshake(lambda p: ethertype(p) + b'\0\0\0\0\0\1\3\x04\0\6' + b'\0' * 8 + p, ip6)))
write('fuzz_pkt', 'raw-ipv4-fragments', frames(
    RAW12, ip4(tcp(1, 2, 3, PSHACK, CH13[:100]), frag=0x2000),
    ip4(tcp(1, 2, 3, PSHACK, CH13[:100]), frag=0x0010), ip4(b'\0' * 8, proto=17)))
hbh_rt_dst = bytes([43, 0, 1, 4, 0, 0, 0, 0, 60, 2] + [0] * 22 + [6, 0, 1, 4, 0, 0, 0, 0])
write('fuzz_pkt', 'raw-ipv6-extension-headers', frames(
    RAW14, ip6(tcp(1, 2, 3, PSHACK, CH12[:203]), hbh_rt_dst, first=0),
    ip6(tcp(1, 2, 3, PSHACK, b'x'), bytes([6, 0, 0, 0, 0, 0, 0, 1]), first=44)))
write('fuzz_pkt', 'linktype-raw-101', frames(RAW101, *handshake(lambda p: p)))
write('fuzz_pkt', 'dlt-ipv4', frames(IPV4, *handshake(lambda p: p)))
write('fuzz_pkt', 'dlt-ipv6', frames(IPV6, *handshake(lambda p: p, ip6)))
write('fuzz_pkt', 'null-little-endian', frames(NULL, *handshake(lambda p: b'\2\0\0\0' + p)))
write('fuzz_pkt', 'loop-ipv6-rst', frames(
    LOOP, *handshake(lambda p: b'\0\0\0\x18' + p, ip6)[:3],
    b'\0\0\0\x18' + ip6(tcp(443, 40000, 0xaabbccde, RSTF)), step=200))
