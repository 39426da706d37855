#!/usr/bin/env python3
"""Writes the generated part of the hostile corpus (issue 12) into DIR: files too large
to commit, and files whose exact bytes (tabs, CRLF, BOM, NUL, invalid UTF-8) must not
depend on git's line-ending handling. Usage: gen.py DIR"""
import os
import sys

HOSTS = (b'hosts:\n'
         b'  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}\n'
         b'  - {name: bob, ip: 10.0.0.2/24, mac: "02:00:00:00:00:02"}\n')
LINK = b'links:\n  - {ends: [alice, bob], rate: 25Gbps, delay: 1us}\n'
CONN = b'connections:\n  - {id: c1, from: alice, to: bob, port: 5000}\n'
WORK = b'workloads:\n  - {id: w1, conn: c1, op: write, size: 4KiB, count: 4}\n'


def valid(name):
    return b'name: ' + name.encode() + b'\n' + HOSTS + LINK + CONN + WORK


def files():
    # Nesting: 100,000 flow sequences inside one another, then 200 block mappings.
    yield 'g_deep_flow.yaml', b'name: g_deep_flow\ndescription: ' + b'[' * 100000 + b']' * 100000 + b'\n'
    deep = b''.join(b'  ' * i + b'k%d:\n' % i for i in range(200)) + b'  ' * 200 + b'x\n'
    yield 'g_deep_block.yaml', b'name: g_deep_block\ndescription:\n' + b''.join(b'  ' + l + b'\n' for l in deep.splitlines())
    # Scalars past 64 KiB: a 1 MiB key, a 5 MB host name.
    yield 'g_huge_key.yaml', b'name: g_huge_key\n' + b'k' * (1 << 20) + b': 1\n' + HOSTS
    yield 'g_huge_name.yaml', (b'name: g_huge_name\nhosts:\n  - {name: ' + b'a' * 5000000 +
                               b', ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}\n')
    # A 60,000-byte value, below the 64 KiB bound: quoted by its first bytes and size.
    yield 'g_long_value.yaml', (b'name: g_long_value\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", mtu: ' +
                                b'9' * 60000 + b'}\n')
    # Wide alias expansion: one list of 1,000 values named 2,000 times (2,000,000 values).
    anchor = b'[' + b', '.join([b'x'] * 1000) + b']'
    yield 'g_alias_wide.yaml', (b'name: g_alias_wide\ndescription:\n  a: &a ' + anchor + b'\n  b: [' +
                                b', '.join([b'*a'] * 2000) + b']\n' + HOSTS)
    # Invalid UTF-8: a key (C3 28), a surrogate in an expect string (ED A0 80), an
    # overlong slash in the description (C0 AF), a lone continuation byte in a host name.
    yield 'g_utf8_key.yaml', (b'name: g_utf8_key\nhosts:\n  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", m\xc3\x28u: 1}\n')
    yield 'g_utf8_expect.yaml', (valid('g_utf8_expect') +
                                 b'expect:\n  - {metric: connections.c1.state, eq: "estab\xed\xa0\x80lished"}\n')
    yield 'g_utf8_overlong.yaml', b'name: g_utf8_overlong\ndescription: "a\xc0\xafb"\n' + HOSTS
    yield 'g_utf8_name.yaml', b'name: g_utf8_name\nhosts:\n  - {name: al\x80ice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}\n'
    # A NUL byte inside a value; a BOM before a valid file; CRLF line ends.
    yield 'g_nul_byte.yaml', b'name: g_nul_byte\ndescription: abc\x00def\n' + HOSTS + LINK
    yield 'g_bom.yaml', b'\xef\xbb\xbf' + valid('g_bom')
    yield 'g_crlf.yaml', valid('g_crlf').replace(b'\n', b'\r\n')
    yield 'g_crlf_error.yaml', (b'name: g_crlf_error\r\n' + HOSTS.replace(b'\n', b'\r\n') +
                                b'links:\r\n  - {ends: [alice, bob], rate: 25Gbps, delay: 1}\r\n')
    yield 'g_tab_in_flow.yaml', b'name: g_tab_in_flow\nhosts:\n\t- {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}\n'
    # Scale: 2,500 connections on one server port, 2,000 hosts on one switch,
    # 10,000 link events.
    out = [b'name: g_conns_2500\nstop: {after: 20ms}\n', HOSTS, LINK, b'connections:\n']
    out += [b'  - {id: c%d, from: alice, to: bob, port: 5000}\n' % i for i in range(2500)]
    out.append(b'workloads:\n  - {id: w1, conn: c7, op: write, size: 4KiB, count: 2}\n')
    yield 'g_conns_2500.yaml', b''.join(out)
    out = [b'name: g_hosts_2000\nstop: {after: 20ms}\nhosts:\n']
    out += [b'  - {name: h%d, ip: 10.0.%d.%d/16, mac: "02:00:00:00:%02x:%02x"}\n'
            % (i, i // 250, i % 250 + 1, i // 256, i % 256) for i in range(2000)]
    out.append(b'switches:\n  - {name: sw0}\nlinks:\n')
    out += [b'  - {ends: [h%d, sw0]}\n' % i for i in range(2000)]
    out.append(b'connections:\n  - {id: c1, from: h0, to: h1999, port: 5000}\n')
    out.append(b'workloads:\n  - {id: w1, conn: c1, op: write, size: 4KiB, count: 2}\n')
    yield 'g_hosts_2000.yaml', b''.join(out)
    out = [b'name: g_events_10000\nstop: {after: 20ms}\n', HOSTS, LINK, CONN,
           b'workloads:\n  - {id: w1, conn: c1, op: write, size: 64KiB, count: 32, depth: 4}\nevents:\n']
    out += [b'  - {at: %dns, link: alice_bob, kind: set, loss: %s}\n' % (i * 1000, b'0.01' if i % 2 else b'0')
            for i in range(10000)]
    yield 'g_events_10000.yaml', b''.join(out)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, data in files():
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
