"""`calibration.report`: every plot names its contact type, writing the report tells its progress, and
the patience section leads with what the data show."""
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from calibration.history import History
from calibration.loaders import load_history
from calibration.profile import calibrate
from calibration.report import contact_figures, write_report

matplotlib.use("Agg")
DATA = Path(__file__).resolve().parents[2] / "calibration" / "data"


@pytest.fixture(scope="module")
def profile():
    return calibrate(load_history(DATA / "bank_1999-02_slice.txt", "anonymous-bank"), np.random.default_rng(1),
                     1800.0, 0, 20, resamples=0)


def test_every_plot_title_and_file_names_its_contact_type(profile):
    assert len(profile.contacts) > 1  # titles that only said "QQ plot" could not tell these apart
    for contact in profile.contacts:
        figures = contact_figures(contact)
        assert {"arrivals", "handle-qq", "handle-hist", "patience"} <= set(figures)
        for kind, figure in figures.items():
            assert figure.ax.get_title().startswith(f"{contact.name}: "), kind
            assert figure.file_name == f"{contact.name}-{kind}.png"
    titles = [f.ax.get_title() for c in profile.contacts for f in contact_figures(c).values()]
    assert len(set(titles)) == len(titles)


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


def test_a_day_to_day_cv_left_out_is_said_in_bold(profile, tmp_path):
    """The slice's two Mondays and Tuesdays make it estimable; its first week alone does not."""
    history = load_history(DATA / "bank_1999-02_slice.txt", "anonymous-bank")
    first_week = History(history.contacts[history.contacts["arrived_at"] < "1999-02-05"], history.accounting)
    one_week = calibrate(first_week, np.random.default_rng(1), 1800.0, 0, 20, resamples=0)
    for calibrated, estimable in ((profile, True), (one_week, False)):
        text = write_report(calibrated, tmp_path / str(estimable)).read_text(encoding="utf-8")
        for contact in calibrated.contacts:
            assert (contact.arrivals.day_to_day is not None) == estimable
            section = text.split(f"## Contact type `{contact.name}`")[1].split("### Handle time")[0]
            assert ("**Day-to-day variation is not estimable" in section) == (not estimable)
