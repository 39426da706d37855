#!/usr/bin/env python3
"""Judges one outcome of the hostile corpus (issue 12) against its line of expect.tsv.
Usage: judge.py EXPECT_TSV FILE MODE(check|run) EXIT STDERR_FILE [RESULTS_JSON]
Prints one line 'ok ...' or 'FAIL ...' and exits 0 or 1."""
import json
import math
import os
import re
import sys


def load_row(tsv, name):
    with open(tsv) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            cols = line.rstrip('\n').split('\t')
            if cols[0] == name:
                return cols + [''] * (6 - len(cols))
    return None


def get(doc, path):
    cur = doc
    for part in path.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


def honesty(doc, assertions):
    """Generic rules first (an operation that completed nothing cannot be intact), then
    the file's own assertions."""
    bad = []
    for wid, w in (doc.get('workloads') or {}).items():
        if not isinstance(w, dict):
            continue
        if w.get('data_intact') is True and (w.get('completed') == 0 or w.get('bytes') == 0):
            bad.append('workloads.%s.data_intact is true with completed=%s bytes=%s'
                       % (wid, w.get('completed'), w.get('bytes')))
    for a in filter(None, (x.strip() for x in assertions.split(';'))):
        try:
            if a.startswith('done:'):
                wid, n = a[5:].split('=')
                w = get(doc, 'workloads.' + wid)
                # Every operation accounted for: completed, in error, or unfinished (still in
                # flight, or never posted because its connection never opened); what is in
                # flight is part of what is unfinished.
                in_flight = w.get('in_flight', 0) or 0
                unfinished = w.get('unfinished', 0) or 0
                total = (w.get('completed') or 0) + (w.get('errors') or 0) + unfinished
                if total != int(n) or in_flight > unfinished:
                    bad.append('%s: completed %s + errors %s + unfinished %s (in_flight %s) = %s, want %s'
                               % (wid, w.get('completed'), w.get('errors'), unfinished,
                                  w.get('in_flight', 'absent'), total, n))
            elif '!=' in a:
                path, want = a.split('!=', 1)
                got = get(doc, path)
                if got == json.loads(want):
                    bad.append('%s is %s' % (path, json.dumps(got)))
            else:
                path, want = a.split('=', 1)
                got = get(doc, path)
                if got != json.loads(want):
                    bad.append('%s is %s, want %s' % (path, json.dumps(got), want))
        except KeyError as e:
            bad.append('results.json has no %s' % e)
    return bad


def main():
    """A sixth column in expect.tsv marks a known defect (its text says which, as
    docs/status.md lists it; 'run: ' first when only the run shows it): its failure prints KNOWN and passes, and once the defect is
    fixed the file passing fails until the mark goes (a strict expected failure)."""
    tsv, name, mode = sys.argv[1:4]
    row = load_row(tsv, name)
    known = row[5].strip() if row else ''
    if known.startswith('run: '):  # a defect of the run only: check is judged as usual
        known = known[5:] if mode == 'run' else ''
    if not known:
        return judge()
    import io
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = judge()
    line = out.getvalue().strip()
    if rc == 0:
        print('FAIL %s %s: passes now, but expect.tsv marks it a known defect (%s): remove the mark' % (mode, name, known))
        return 1
    print('KNOWN %s (%s)' % (line[5:], known))
    return 0


def judge():
    tsv, name, mode, code, err_file = sys.argv[1:6]
    results = sys.argv[6] if len(sys.argv) > 6 else ''
    code = int(code)
    row = load_row(tsv, name)
    if row is None:
        print('FAIL %s %s: not listed in expect.tsv' % (mode, name))
        return 1
    allowed = [int(x) for x in row[1 if mode == 'check' else 2].split(',')]
    with open(err_file, 'rb') as f:
        err = f.read()
    text = err.decode('utf-8', 'replace')
    head = text[:300].replace('\n', ' | ')
    if code == 124 or code == 137:
        print('FAIL %s %s: no end within %s s (timeout)'
              % (mode, name, os.environ.get('RNICSIM_HOSTILE_SECONDS', '20')))
        return 1
    if code > 128:
        print('FAIL %s %s: killed by signal %d; stderr: %s' % (mode, name, code - 128, head))
        return 1
    if code not in allowed:
        print('FAIL %s %s: exit %d, want one of %s; stderr: %s' % (mode, name, code, row[1 if mode == 'check' else 2], head))
        return 1
    if len(err) > (1 << 20):
        print('FAIL %s %s: %d bytes on stderr (over 1 MiB)' % (mode, name, len(err)))
        return 1
    if code == 2:
        fname = re.escape(name)
        regexes = row[3] if row[3] not in ('', '-') else '{f}:[0-9]+:[0-9]+: error: '
        missing = [r for r in (x.strip() for x in regexes.split(' && '))
                   if not re.search(r.replace('{f}', fname), text)]
        if missing:
            print('FAIL %s %s: exit 2 but no %s; stderr: %s' % (mode, name, ' nor '.join(missing), head))
            return 1
        print('ok   %s %s: exit 2 with its locations' % (mode, name))
        return 0
    if mode == 'run' and code in (0, 1):
        try:
            with open(results) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print('FAIL run %s: exit %d but results.json unreadable: %s' % (name, code, e))
            return 1
        bad = honesty(doc, row[4])
        if bad:
            print('FAIL run %s: exit %d, dishonest: %s' % (name, code, '; '.join(bad)))
            return 1
    if code == 4 and not text.strip():
        print('FAIL %s %s: exit 4 naming nothing' % (mode, name))
        return 1
    print('ok   %s %s: exit %d' % (mode, name, code))
    return 0


if __name__ == '__main__':
    sys.exit(main())
