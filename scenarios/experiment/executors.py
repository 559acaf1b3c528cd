"""Where replications run: in this process, in worker processes, or on a Dask cluster.

Every executor maps jobs (model, seed, replication index) to their outputs in job order, and a
replication is a pure function of its job, so all of them give byte-identical results; they differ
only in wall-clock time. Dask is imported only when asked for (it is an optional dependency:
`pip install helpdesk-sim[cluster]`).
"""
from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

EXECUTORS = ("serial", "processes", "dask")


@dataclass(frozen=True)
class ExecutorSpec:
    """`kind`: serial, processes (`workers` of them) or dask (a LocalCluster of `workers`, or the
    existing cluster at `scheduler`)."""

    kind: str = "serial"
    workers: int = 1
    scheduler: str | None = None

    @classmethod
    def choose(cls, executor: str | None, workers: int, scheduler: str | None) -> "ExecutorSpec":
        """What the command line asked for: dask if named (or a scheduler is given), else worker
        processes when more than one, else this process."""
        if scheduler and executor not in (None, "dask"):
            raise ValueError("--scheduler is for --executor dask")
        kind = executor or ("dask" if scheduler else "processes" if workers > 1 else "serial")
        if kind not in EXECUTORS:
            raise ValueError(f"unknown executor {kind!r}; use one of {', '.join(EXECUTORS)}")
        return cls(kind, workers, scheduler)


@contextmanager
def mapper(spec: ExecutorSpec) -> Iterator[Callable[[Callable, list], Iterable]]:
    """A `map(function, jobs)` that yields results in job order, for the life of the context."""
    if spec.kind == "serial" or (spec.kind == "processes" and spec.workers <= 1):
        yield map
    elif spec.kind == "processes":
        with ProcessPoolExecutor(max_workers=spec.workers) as pool:
            yield pool.map
    else:
        with _dask_client(spec) as client:
            yield lambda function, jobs: _dask_results(client, function, jobs)


@contextmanager
def _dask_client(spec: ExecutorSpec):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--executor dask needs Dask: pip install 'helpdesk-sim[cluster]'") from None
    if spec.scheduler:
        with Client(spec.scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=max(spec.workers, 1), threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
        yield client


def _dask_results(client, function, jobs: list):
    """Results in job order as they are gathered (so a progress bar moves during the run)."""
    futures = client.map(function, jobs, pure=False)
    for future in futures:
        yield future.result()


def progress_bar(total: int, label: str):
    """A progress bar on the terminal (stderr), and nothing when not on one."""
    from tqdm import tqdm
    return tqdm(total=total, desc=label, unit="rep", file=sys.stderr, disable=None, leave=False)
