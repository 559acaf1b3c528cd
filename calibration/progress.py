"""Steps of a long calibration, told to whoever shows progress (the command line draws a bar).

`progress(label, done, total)` is called as each step starts (`done` steps finished so far) and
once more at the end (`done == total`); calibration itself never prints.
"""
from __future__ import annotations


class Steps:
    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def start(self, label: str) -> None:
        """Step `label` begins; the previous one (if any) is finished."""
        if self.progress is not None:
            self.progress(label, self.done, self.total)
        self.done += 1

    def finish(self) -> None:
        self.done = self.total
        if self.progress is not None:
            self.progress("done", self.total, self.total)
