"""Where replications run: in this process, in worker processes, or on a Dask cluster.

Every executor maps jobs to their outputs in job order, `function(shared, job)` for each job, and a
replication is a pure function of its job, so all of them give byte-identical results; they differ
only in wall-clock time. `shared` (the models) goes to each worker once, not with every job: jobs
are small tuples (model index, seed, replication index). Dask is imported only when asked for (it is
an optional dependency: `pip install helpdesk-sim[cluster]`).
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from .interrupts import leave_interrupts_to_the_command, interruptible_job

EXECUTORS = ("serial", "processes", "dask")

Mapper = Callable[[Callable[[Any, Any], Any], Any, list], Iterable]


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
def mapper(spec: ExecutorSpec) -> Iterator[Mapper]:
    """A `map(function, shared, jobs)` that yields `function(shared, job)` in job order, for the life
    of the context."""
    if spec.kind == "serial" or (spec.kind == "processes" and spec.workers <= 1):
        yield lambda function, shared, jobs: (function(shared, job) for job in jobs)
    elif spec.kind == "processes":
        yield functools.partial(_pool_results, spec.workers)
    else:
        with _dask_client(spec) as client:
            yield functools.partial(_dask_results, client)


# --- worker processes ---------------------------------------------------------------------------------

_shared: Any = None  # in a worker process: what its initializer installed


def _install(shared) -> None:
    global _shared
    _shared = shared
    leave_interrupts_to_the_command()  # between jobs; a job itself is interruptible (see interrupts.py)


def _call_with_shared(function, job):
    with interruptible_job():
        return function(_shared, job)


def _pool_results(workers: int, function, shared, jobs: list):
    """Results in job order from a pool whose workers got `shared` once, from their initializer."""
    pool = ProcessPoolExecutor(max_workers=min(workers, max(len(jobs), 1)), mp_context=_start_context(),
                               initializer=_install, initargs=(shared,))
    try:
        yield from pool.map(functools.partial(_call_with_shared, function), jobs)
    except BaseException:
        # a stop signal while the pool starts its manager thread leaves one never started, and shutting
        # down would raise "cannot join thread before it is started" over the interruption
        with contextlib.suppress(RuntimeError):
            pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)


def _start_context():
    """fork where the platform has it (Linux): a worker starts as a copy of this process, every module
    already imported and `shared` already in memory, in milliseconds. (Python 3.14 makes forkserver
    the default on Linux; spawn, macOS's and Windows' only way, imports the package again in every
    worker and pickles `shared` to each.)"""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


# --- Dask ---------------------------------------------------------------------------------------------

@contextmanager
def _dask_client(spec: ExecutorSpec):
    if importlib.util.find_spec("distributed") is None:
        raise ValueError("--executor dask needs Dask: pip install 'helpdesk-sim[cluster]'")
    if spec.scheduler:
        from dask.distributed import Client
        with Client(spec.scheduler) as client:
            yield client
        return
    forked = _start_forkserver()
    import dask
    from dask.distributed import Client, LocalCluster
    config = {**LOCAL_CLUSTER_CONFIG, **({"distributed.worker.multiprocessing-method": "forkserver"} if forked else {})}
    with dask.config.set(config), \
            LocalCluster(n_workers=max(spec.workers, 1), threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
        yield client


# Dask's defaults suit long-lived clusters holding data, and cost a simulation dearly:
# - the nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, which (set at all) stops glibc from
#   raising its mmap threshold, so every NumPy array over 128 kB is mmap'd and unmapped afresh: 5 to
#   20 times the page faults and about 18 % more CPU per replication of the planner week (None drops
#   the variable);
# - the statistical profiler samples each worker's task thread every 10 ms, the event loops of the
#   scheduler, the nannies and the workers wake every 20 ms to time themselves, every 100 ms to check
#   memory and every 500 ms to record CPU, memory and disk for a dashboard this cluster does not
#   serve, and the scheduler looks for work to steal every 100 ms (replications are queued and handed
#   out as workers free up): together 8-11 % CPU on top of the replications' own, 3-5 % with these
#   settings.
LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.scheduler.work-stealing": False,
}

# What the fork server imports for the workers: the program (as spawn would in each worker), Dask, and
# what a replication needs; and Dask's limits on numerical libraries' threads, one per worker.
WORKER_PRELOAD = ["__main__", "distributed", "scenarios.experiment.runner"]
WORKER_THREADS_ENVIRON = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _start_forkserver() -> bool:
    """Start the fork server the local cluster's workers are forked from, before this process imports
    Dask, so that the two import at the same time: the server imports Dask and the package once and
    every worker starts as a copy of it in milliseconds (and exits as quickly), where each spawned
    worker would import them again, about 1.5 s of CPU each. False where there is no fork server
    (Windows): Dask spawns its workers."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    from multiprocessing import forkserver
    unset = [name for name in WORKER_THREADS_ENVIRON if name not in os.environ]
    os.environ.update({name: WORKER_THREADS_ENVIRON[name] for name in unset})
    try:  # the server takes this process's environment when it starts (and keeps running after)
        forkserver.set_forkserver_preload(WORKER_PRELOAD)
        forkserver.ensure_running()
    finally:
        for name in unset:
            os.environ.pop(name, None)
    return True


def _apply(job, function, shared):
    return function(shared, job)


def _dask_results(client, function, shared, jobs: list):
    """Results in job order as they are gathered (so a progress bar moves during the run); `shared`
    is scattered to every worker once and each task names it."""
    shared_future = client.scatter(shared, broadcast=True, hash=False)
    futures = client.map(_apply, jobs, function=function, shared=shared_future, pure=False)
    for future in futures:
        yield future.result()


def progress_bar(total: int, label: str):
    """A progress bar on the terminal (stderr), and nothing when not on one."""
    from tqdm import tqdm
    return tqdm(total=total, desc=label, unit="rep", file=sys.stderr, disable=None, leave=False)
