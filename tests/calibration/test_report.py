"""`calibration.report`: writing the report tells its progress."""
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from calibration.loaders import load_history
from calibration.profile import calibrate
from calibration.report import write_report

matplotlib.use("Agg")
DATA = Path(__file__).resolve().parents[2] / "calibration" / "data"


@pytest.fixture(scope="module")
def profile():
    return calibrate(load_history(DATA / "bank_1999-02_slice.txt", "anonymous-bank"), np.random.default_rng(1),
                     1800.0, 0, 20, resamples=0)


def test_writing_the_report_tells_its_progress(profile, tmp_path):
    seen = []
    write_report(profile, tmp_path, progress=lambda label, done, total: seen.append((label, done, total)))
    total = len(profile.contacts)
    assert seen == [(f"{c.name}: plots", i, total) for i, c in enumerate(profile.contacts)] + [("done", total, total)]


def test_patience_section_leads_with_what_the_data_show(profile, tmp_path):
    text = write_report(profile, tmp_path).read_text(encoding="utf-8")
    for contact in profile.contacts:
        section = text.split(f"## Contact type `{contact.name}`")[1].split("### Patience")[1]
        headline = f"**{contact.patience.headline()}.**"
        assert section.index(headline) < section.index("Best by AIC")
        assert headline.startswith(f"**median {contact.patience.median():.0f} s")
