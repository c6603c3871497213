"""CPU threads: how many a run uses (`trainer.cpu_threads`), in the training process and in its data workers.

On a shared machine, more compute threads than free cores make small models many times slower (each thread waits
for the others at every operation), so the default is the cores this process may run on, not the machine's.
PyTorch and OpenCV (video decoding, image resizing) each keep their own thread pool; both are limited.
"""

import logging
import os
from functools import partial
from typing import Callable, Optional

import cv2
import torch
from lightning.fabric.utilities.seed import pl_worker_init_function

logger = logging.getLogger(__name__)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a scheduler or `taskset` narrows)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def resolve_threads(cpu_threads: Optional[int]) -> int:
    """`trainer.cpu_threads`, or by default the available cores."""
    return cpu_threads if cpu_threads is not None else available_cores()


def limit_threads(threads: int) -> None:
    """Use `threads` compute threads in this process, in PyTorch and in OpenCV."""
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)  # pylint: disable=no-member  # a function of OpenCV's C extension


def worker_share(threads: int, workers: int) -> int:
    """The threads of each of `workers` data workers: an equal share of `threads`, at least one."""
    return max(1, threads // max(1, workers))


def _init_worker(threads: int, worker_id: int) -> None:
    limit_threads(threads)
    # Giving a loader its own worker_init_fn stops Lightning from adding its worker seeding
    # (`seed_everything(workers=True)`), so it is called here instead.
    if int(os.environ.get("PL_SEED_WORKERS", "0")):
        pl_worker_init_function(worker_id)


def worker_init(threads: int, workers: int) -> Optional[Callable[[int], None]]:
    """A DataLoader `worker_init_fn` that limits each of `workers` workers to its share of `threads` (None without
    workers: the loading then runs in the training process, whose limit is set already)."""
    return partial(_init_worker, worker_share(threads, workers)) if workers > 0 else None
