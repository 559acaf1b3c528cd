"""Re-create the bundled history slices from the shared originals (run once by hand, not by tests).

    python calibration/data/make_slices.py /path/to/shared/data

Lines are copied byte for byte (CRLF, spaces and all), header first, in their original order, so
every quirk a loader must handle is still there. README.md beside this file says what each slice is.
"""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

HERE = Path(__file__).parent

BANK_WEEK = ("990118", "990124")                            # Monday to Sunday, by `date`
BANK_FEBRUARY_LINES = [(2, 301), (2630, 2645)]              # file lines, inclusive
BANK_OCTOBER_LINES = [(7310, 7320), (14242, 14252)]         # the two space-separated lines +-5
BANK_JANUARY_AA_LINES = [(21551, 21555), (29006, 29010)]    # the two type-AA calls +-2
SERVICENOW_FIRST_LINES = 444                                # whole incidents up to INC0000164
SERVICENOW_EXTRA = ("INC0028089", "INC0030413")             # the incidents in state -100
ITALY_FIRST_LINES = 300                                     # whole cases starting before it
ITALY_EXTRA = ("Case462", "Case3779", "Case342", "Case4536")
BPIC13_FIRST_LINES = 300
BPIC13_EXTRA = ("1-722103633", "1-732526526", "1-730644761", "1-732469478", "1-541468268",
                "1-736504398")


def _lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.read().splitlines(keepends=True)


def _by_ranges(lines: list[bytes], ranges) -> list[bytes]:
    """Header plus the given 1-based inclusive line ranges."""
    return [lines[0]] + [lines[n - 1] for first, last in ranges for n in range(first, last + 1)]


def _whole_cases(lines: list[bytes], column: int, first_lines: int, extra) -> list[bytes]:
    """Header plus every row of the cases seen in the first lines, and of the extra cases."""
    case_of = [line.split(b",")[column].decode() for line in lines[1:]]
    wanted = set(case_of[: first_lines - 1]) | set(extra)
    return [lines[0]] + [line for line, case in zip(lines[1:], case_of) if case in wanted]


def make_slices(shared: Path) -> None:
    bank = shared / "anonymous_bank_1999"
    january = _lines(bank / "1999-01.txt")
    week = [line for line in january[1:] if BANK_WEEK[0] <= line.split(b"\t")[5].decode() <= BANK_WEEK[1]]
    (HERE / "bank_1999-01_week.txt").write_bytes(b"".join([january[0]] + week))
    (HERE / "bank_1999-01_type_aa.txt").write_bytes(b"".join(_by_ranges(january, BANK_JANUARY_AA_LINES)))
    february = _lines(bank / "1999-02.txt")
    (HERE / "bank_1999-02_slice.txt").write_bytes(b"".join(_by_ranges(february, BANK_FEBRUARY_LINES)))
    october = _lines(bank / "1999-10.txt")
    (HERE / "bank_1999-10_spaces.txt").write_bytes(b"".join(_by_ranges(october, BANK_OCTOBER_LINES)))
    incidents = _lines(shared / "servicenow_incidents" / "incident_event_log.csv.gz")
    chosen = _whole_cases(incidents, 0, SERVICENOW_FIRST_LINES, SERVICENOW_EXTRA)
    with gzip.GzipFile(HERE / "servicenow_incidents_slice.csv.gz", "wb", mtime=0) as handle:
        handle.write(b"".join(chosen))
    italy = _lines(shared / "helpdesk_italy" / "helpdesk_events.csv")
    (HERE / "helpdesk_italy_slice.csv").write_bytes(
        b"".join(_whole_cases(italy, 6, ITALY_FIRST_LINES, ITALY_EXTRA)))
    volvo = _lines(shared / "bpic13_volvo" / "bpic13_incidents.csv")
    (HERE / "bpic13_slice.csv").write_bytes(
        b"".join(_whole_cases(volvo, 0, BPIC13_FIRST_LINES, BPIC13_EXTRA)))


if __name__ == "__main__":
    make_slices(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data")
