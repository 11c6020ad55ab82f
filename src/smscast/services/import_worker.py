"""The validating half of a large CSV import, run as a child process.

Parsing and validating a row (csv, phonenumbers, field checks) is pure Python and holds the
GIL; so does much of writing it. In one process the two halves take turns; in two, a child
validates batch N+1 on the second core while the parent writes batch N. The child reads
the file itself and sends each batch to standard output as one JSON line (no pickle).

    python -m smscast.services.import_worker FILE LABEL_TYPES_JSON
"""

from __future__ import annotations

import csv
import gc
import json
import sys

from smscast.domain.contacts import LabelType, RowReader, csv_header
from smscast.services.contact_import import BATCH, ImportSummary, _batches, _read_batch


def main(argv: list[str]) -> int:
    # Every row makes a few short-lived containers, none in a cycle: reference counting frees
    # them all, while the cyclic collector would walk every live object again and again
    # (measured: it took 40% of the time spent validating).
    gc.disable()
    path, types_json = argv[1], argv[2]
    label_types = {name: LabelType(kind) for name, kind in json.loads(types_json).items()}
    summary = ImportSummary()
    seen: set[str] = set()
    out = sys.stdout
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header, _ = csv_header(next(reader))
        rows = RowReader(header, label_types)
        for batch in _batches(reader, BATCH):
            invalid, duplicates, listed = summary.invalid, summary.duplicates, len(summary.problems)
            read = _read_batch(rows, batch, seen, summary)
            message = {
                "size": read.size,
                "rows": [list(row) for row in read.rows.values()],
                "first": sorted(read.first_here),
                "invalid": summary.invalid - invalid,
                "duplicates": summary.duplicates - duplicates,
                "problems": [[p.line, p.problem] for p in summary.problems[listed:]],
            }
            out.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
