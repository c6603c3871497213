"""Several processes, one run: devices, strategy, and one run folder agreed on by every process.

A run gets several processes in one of three ways, and in each the first process alone plans the run (makes the
synthetic data if needed, finds the checkpoint to resume from, makes the run folder) and every other process learns
the plan:
- Lightning starts them (`trainer.devices: N`, strategy `ddp`): the first process hands the plan to the ones it
  starts through the environment variable `SIGN_RUN_PLAN` (they inherit it);
- torchrun or SLURM's srun start them all at once: they open the process group before training and the first
  process broadcasts the plan (Lightning then trains over that same group);
- `ddp_spawn`: only the first process runs train.py; the workers it spawns run the training loop alone.
"""

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

import torch
from lightning.fabric.plugins.environments import ClusterEnvironment, SLURMEnvironment, TorchElasticEnvironment
from lightning.pytorch.strategies import DDPStrategy

from utils.config import TrainConfig

logger = logging.getLogger(__name__)

PLAN_VARIABLE = "SIGN_RUN_PLAN"


@dataclass(frozen=True)
class RunPlan:
    """Where the run writes, the checkpoint it resumes from (None: a new run), and whether this process writes."""

    run_dir: Path
    checkpoint: Optional[Path]
    is_main: bool


def external_environment() -> Optional[ClusterEnvironment]:
    """torchrun's or srun's environment when they started several processes (Lightning's order: torchrun first)."""
    for kind in (TorchElasticEnvironment, SLURMEnvironment):
        if kind.detect():
            environment = kind()
            return environment if environment.world_size() > 1 else None
    return None


def _process_count(accelerator: str, devices: Union[int, str, list[int]]) -> int:
    """How many processes per node `devices` asks for."""
    if isinstance(devices, list):
        return len(devices)
    if str(devices) in ("auto", "-1"):
        return torch.cuda.device_count() if accelerator in ("gpu", "cuda") else 1
    return int(devices) if str(devices).isdigit() else len(str(devices).strip(",").split(","))


def device_settings(config: TrainConfig) -> dict[str, Any]:
    """Trainer arguments `accelerator`, `devices`, `num_nodes`, `strategy` from the `trainer:` section.

    `accelerator: auto` follows HearAI's `gpu` (-1 = CPU, N = GPU N). Under torchrun or srun, `devices: auto` is the
    number of processes they started per node. Several processes train with DDP whose `find_unused_parameters` is on:
    a batch may lack labels for a head, and the freeze scheduler takes parts out of the graph.
    """
    trainer, gpu = config.trainer, config.general_parameters.gpu
    accelerator, devices = trainer.accelerator, trainer.devices
    environment = external_environment()
    if accelerator == "auto":
        accelerator = "cpu" if gpu < 0 else "gpu"
    if devices == "auto" and environment is not None:
        devices = environment.world_size() // trainer.num_nodes
    elif devices == "auto" and accelerator in ("gpu", "cuda") and gpu >= 0:
        devices = [gpu]
    several = environment is not None or trainer.num_nodes * _process_count(accelerator, devices) > 1
    strategy: Union[str, DDPStrategy] = "auto"
    if trainer.strategy != "auto" or several:
        start = "spawn" if trainer.strategy == "ddp_spawn" else "popen"
        strategy = DDPStrategy(start_method=start, find_unused_parameters=True)
    return {"accelerator": accelerator, "devices": devices, "num_nodes": trainer.num_nodes, "strategy": strategy}


def _open_process_group(environment: ClusterEnvironment, accelerator: str) -> None:
    """The default process group, opened as Lightning would open it; Lightning finds it open and uses it."""
    backend = "nccl" if accelerator in ("gpu", "cuda") and torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(environment.local_rank())
    os.environ["MASTER_ADDR"] = environment.main_address
    os.environ["MASTER_PORT"] = str(environment.main_port)
    torch.distributed.init_process_group(backend, rank=environment.global_rank(), world_size=environment.world_size())


def agree_on_plan(config: TrainConfig, make_plan: Callable[[], tuple[Path, Optional[Path]]]) -> RunPlan:
    """The run's plan: `make_plan()` -> (run folder, checkpoint or None), called by the first process only."""
    handed = os.environ.get(PLAN_VARIABLE)
    if handed:
        plan = json.loads(handed)
        return RunPlan(Path(plan["run_dir"]), plan["checkpoint"] and Path(plan["checkpoint"]), is_main=False)
    environment = external_environment()
    if environment is None:
        return RunPlan(*make_plan(), is_main=True)
    if not torch.distributed.is_initialized():
        _open_process_group(environment, device_settings(config)["accelerator"])
    is_main = environment.global_rank() == 0
    shared = [make_plan() if is_main else None]
    torch.distributed.broadcast_object_list(shared, src=0)
    logger.info("rank %d of %d: run folder %s", environment.global_rank(), environment.world_size(), shared[0][0])
    return RunPlan(*shared[0], is_main=is_main)


@contextmanager
def plan_handed_down(plan: RunPlan) -> Iterator[None]:
    """While training, the processes Lightning starts inherit the plan; afterwards it is gone from the environment,
    so that the next run in this process (tests, notebooks) plans its own."""
    if not plan.is_main:
        yield
        return
    os.environ[PLAN_VARIABLE] = json.dumps(
        {"run_dir": str(plan.run_dir), "checkpoint": plan.checkpoint and str(plan.checkpoint)}
    )
    try:
        yield
    finally:
        os.environ.pop(PLAN_VARIABLE, None)
