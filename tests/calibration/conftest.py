"""Fixtures for the history loaders: the bundled real slices, and writers for small made-up files
that carry faults the real slices do not (times that do not parse, tickets resolved before opened)."""
from pathlib import Path

import pytest

from calibration.loaders import load_history
from calibration.loaders.bank import BANK_FIELDS

BUNDLED = Path(__file__).resolve().parents[2] / "calibration" / "data"

# A bank call that queued 20 s and was served 100 s by DORIT, in the file's own field order.
BANK_CALL = dict(zip(BANK_FIELDS, (
    "AA0101", "1", "12345", "2", "PS", "990118", "10:00:00", "10:00:10", "10", "10:00:10",
    "10:00:30", "20", "AGENT", "10:00:30", "10:02:10", "100", "DORIT")))


@pytest.fixture(scope="session")
def bundled() -> Path:
    return BUNDLED


@pytest.fixture(scope="session")
def bank_week():
    """The bundled full January week, loaded once for the whole session (it is the biggest slice)."""
    return load_history(BUNDLED / "bank_1999-01_week.txt", "anonymous-bank")


@pytest.fixture
def write_bank(tmp_path):
    """Write a bank file from calls given as overrides of `BANK_CALL`; returns its path."""
    def write(*calls, name="bank.txt", header=BANK_FIELDS):
        lines = ["\t".join(header)]
        for number, call in enumerate(calls, start=1):
            if isinstance(call, str):
                lines.append(call)
                continue
            fields = {**BANK_CALL, "call_id": str(number), **call}
            lines.append("\t".join(fields[name] for name in header))
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path
    return write


@pytest.fixture
def write_text(tmp_path):
    """Write any small text file (CSV, YAML) into the test's own directory; returns its path."""
    def write(name: str, text: str):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write
