#!/usr/bin/env python3
"""Writes the demo's traffic (traffic.pcap) and blocklist (blocklist.json).

Deterministic: a fixed seed, no dependencies. 3000 Ethernet frames: TCP and
UDP flows from a few hundred clients to a handful of services, some from
blocklisted networks, plus ARP, IPv6 and truncated frames."""
import json, random, struct, sys

random.seed(1234)
BLOCKED = [("198.51.100.0", 24), ("203.0.113.0", 25), ("10.66.0.0", 16), ("192.0.2.7", 32)]

def ip(s): return bytes(int(x) for x in s.split('.'))

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def frame(src, dst, proto, sport, dport, payload):
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', sport, dport, random.getrandbits(32), 0, 5 << 4, 0x18, 65535, 0, 0) + payload
    else:
        l4 = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), random.getrandbits(16), 0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    eth = bytes.fromhex('02000000000102000000000a') + b'\x08\x00'
    return eth + hdr + l4

def rand_in(net, plen):
    base = struct.unpack('!I', ip(net))[0]
    host = random.getrandbits(32 - plen) if plen < 32 else 0
    return struct.pack('!I', base | host)

services = [(ip("10.0.0.10"), 6, 443), (ip("10.0.0.10"), 6, 80), (ip("10.0.0.53"), 17, 53),
            (ip("10.0.0.20"), 6, 22), (ip("10.0.0.30"), 17, 123)]
clients = [struct.pack('!I', 0xac100000 | random.getrandbits(12)) for _ in range(300)]
pkts = []
for i in range(3000):
    r = random.random()
    if r < 0.02:
        pkts.append(bytes.fromhex('ffffffffffff02000000000a0806') + bytes(28))          # ARP
    elif r < 0.03:
        pkts.append(bytes.fromhex('33330000000102000000000a86dd') + bytes(40))          # IPv6
    elif r < 0.035:
        pkts.append(bytes.fromhex('02000000000102000000000a0800') + b'\x45\x00')        # truncated
    else:
        dst, proto, dport = random.choice(services)
        if r < 0.15:
            net, plen = random.choice(BLOCKED)
            src = rand_in(net, plen)
        else:
            # a few heavy clients make the top-flows table interesting
            src = clients[min(int(random.expovariate(0.05)), len(clients) - 1)]
        sport = 1024 + (src[3] * 7 + dport) % 60000
        pkts.append(frame(src, dst, proto, sport, dport, bytes(random.randrange(0, 1200))))

with open(sys.argv[1] if len(sys.argv) > 1 else 'traffic.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for n, p in enumerate(pkts):
        f.write(struct.pack('<IIII', 1700000000 + n // 1000, (n % 1000) * 1000, len(p), len(p)) + p)

rules = []
for net, plen in BLOCKED:
    key = struct.pack('<I', plen) + ip(net)
    rules.append({"key": key.hex(), "value": struct.pack('<I', plen).hex()})
with open(sys.argv[2] if len(sys.argv) > 2 else 'blocklist.json', 'w') as f:
    json.dump({"blocklist": rules}, f, indent=1)
    f.write('\n')
