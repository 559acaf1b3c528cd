"""The flat, columnar record of one replication: what every contact went through, and agent availability.

One numpy column per attribute (no Python object per contact) so a long run stays small and KPIs are
vectorised. Everything a KPI needs is derivable from here plus the model config.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .roster import Roster


@dataclass(frozen=True)
class EventLog:
    # contacts: one entry per offered attempt (first attempts and retrials)
    arrival_s: np.ndarray
    contact_type: np.ndarray  # index into the model's contact types
    attempt: np.ndarray  # 0 for a first attempt, n for the n-th retrial
    answered_s: np.ndarray  # nan: never answered
    ended_s: np.ndarray  # end of the handling (known when answered: agents finish what they start)
    abandoned_s: np.ndarray  # nan: did not abandon
    agent: np.ndarray  # -1: no agent
    # agents: +1/-1 steps of available agents per group (on shift, not on break, or finishing a contact)
    availability_time_s: np.ndarray
    availability_group: np.ndarray
    availability_change: np.ndarray
    roster: Roster
    measure_from_s: float
    measure_to_s: float

    def __len__(self) -> int:
        return len(self.arrival_s)

    @property
    def nbytes(self) -> int:
        """Memory of the contact and availability columns."""
        return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__
                   if isinstance(getattr(self, name), np.ndarray))

    def contacts_frame(self) -> pd.DataFrame:
        """The contact columns as a DataFrame (for notebooks and debugging, not the KPI path)."""
        names = ("arrival_s", "contact_type", "attempt", "answered_s", "ended_s", "abandoned_s", "agent")
        return pd.DataFrame({name: getattr(self, name) for name in names})


def as_numpy(column: array, dtype) -> np.ndarray:
    """A copy of an `array.array` column as a numpy array (no per-item Python objects)."""
    return np.frombuffer(column, dtype=dtype).copy() if len(column) else np.empty(0, dtype=dtype)
