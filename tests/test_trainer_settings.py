"""The `trainer:` section and HearAI's `gpu` become the Lightning Trainer's devices, strategy, precision and limits."""

import pytest
from lightning.pytorch.callbacks import Timer
from lightning.pytorch.strategies import DDPStrategy

import train
from training.distributed import device_settings
from training.fault_tolerance import AtomicCheckpointIO
from training.trainer_factory import build_trainer
from utils.config import load_config


def _settings(config_path, *overrides: str) -> dict:
    return device_settings(load_config(config_path, overrides))


def test_hearai_gpu_key_chooses_the_device(tiny_config_path):
    assert _settings(tiny_config_path, "general_parameters.gpu=-1") | {"strategy": None} == {
        "accelerator": "cpu",
        "devices": "auto",
        "num_nodes": 1,
        "strategy": None,
    }
    assert _settings(tiny_config_path, "general_parameters.gpu=1")["devices"] == [1]
    assert _settings(tiny_config_path, "general_parameters.gpu=1", "trainer.devices=2")["devices"] == 2
    assert _settings(tiny_config_path, "trainer.accelerator=cpu", "general_parameters.gpu=1")["accelerator"] == "cpu"


@pytest.mark.parametrize(
    "overrides, start",
    [
        (["trainer.accelerator=cpu", "trainer.devices=2"], "popen"),  # several processes: DDP without asking
        (["trainer.strategy=ddp"], "popen"),
        (["trainer.strategy=ddp_spawn", "trainer.devices=2"], "spawn"),
        (["trainer.num_nodes=2"], "popen"),
    ],
)
def test_several_processes_train_with_ddp_that_tolerates_unused_parameters(tiny_config_path, overrides, start):
    strategy = _settings(tiny_config_path, *overrides)["strategy"]
    assert isinstance(strategy, DDPStrategy)
    assert strategy._start_method == start  # pylint: disable=protected-access
    assert strategy._ddp_kwargs == {"find_unused_parameters": True}  # pylint: disable=protected-access


def test_one_process_keeps_lightnings_choice(tiny_config_path):
    assert _settings(tiny_config_path)["strategy"] == "auto"


def test_under_torchrun_devices_follow_the_started_processes(tiny_config_path, monkeypatch):
    for name, value in {"WORLD_SIZE": "4", "RANK": "0", "LOCAL_RANK": "0", "TORCHELASTIC_RUN_ID": "x"}.items():
        monkeypatch.setenv(name, value)
    settings = _settings(tiny_config_path, "trainer.accelerator=cpu", "trainer.num_nodes=2")
    assert settings["devices"] == 2 and isinstance(settings["strategy"], DDPStrategy)


def test_precision_accumulation_and_time_limit_reach_the_trainer(tiny_config_path, tmp_path):
    config = load_config(
        tiny_config_path,
        ("trainer.precision=bf16-mixed", "trainer.accumulate_grad_batches=3", "trainer.max_time=00:01:30:00"),
    )
    trainer = build_trainer(config, tmp_path)
    assert trainer.precision == "bf16-mixed" and trainer.accumulate_grad_batches == 3
    callbacks = trainer.callbacks  # pylint: disable=no-member  # a property pylint does not see
    timer = next(callback for callback in callbacks if isinstance(callback, Timer))
    assert timer.time_remaining() == pytest.approx(90 * 60, abs=5)
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)
    assert load_config(tiny_config_path, ("trainer.precision=32",)).trainer.precision == "32"  # YAML reads a number


@pytest.mark.parametrize(
    "override, message",
    [
        ("trainer.max_time=12h", "trainer.max_time: must be DD:HH:MM:SS"),
        ("trainer.strategy=deepspeed", "trainer.strategy: Input should be 'auto', 'ddp' or 'ddp_spawn'"),
        ("trainer.num_nodes=0", "trainer.num_nodes: Input should be greater than or equal to 1"),
        ("trainer.precision=64", "trainer.precision: Input should be"),
    ],
)
def test_bad_trainer_settings_exit_with_status_2(tiny_config_path, capsys, override, message):
    assert train.main(["--model_config_path", str(tiny_config_path), "--set", override]) == 2
    assert message in capsys.readouterr().err
