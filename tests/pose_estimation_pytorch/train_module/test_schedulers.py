"""LRListScheduler: DeepLabCut's milestones, and exact state after a resume."""

import pytest
import torch

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.train_module.schedulers import LRListScheduler, build_optimizer, build_scheduler


def lrs(scheduler, optimizer, epochs):
    seen = []
    for _ in range(epochs):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen


def test_milestones_set_the_listed_rates():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = LRListScheduler(optimizer, milestones=[2, 4], lr_list=[[0.1], [0.01]])
    assert lrs(scheduler, optimizer, 6) == [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]


def test_resume_from_state_dict():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = LRListScheduler(optimizer, milestones=[2, 4], lr_list=[[0.1], [0.01]])
    lrs(scheduler, optimizer, 3)
    state, opt_state = scheduler.state_dict(), optimizer.state_dict()
    fresh_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    fresh = LRListScheduler(fresh_optimizer, milestones=[2, 4], lr_list=[[0.1], [0.01]])
    fresh_optimizer.load_state_dict(opt_state)
    fresh.load_state_dict(state)
    assert lrs(fresh, fresh_optimizer, 3) == [0.1, 0.01, 0.01]


def test_builders_name_bad_config():
    params = [torch.zeros(1, requires_grad=True)]
    with pytest.raises(ConfigError, match="torch.optim"):
        build_optimizer(params, {"type": "Adamm"})
    with pytest.raises(ConfigError, match="do not fit AdamW"):
        build_optimizer(params, {"type": "AdamW", "params": {"learning_rate": 1}})
    optimizer = build_optimizer(params, {"type": "AdamW", "params": {"lr": 0.1}})
    assert isinstance(build_scheduler(optimizer, {"type": "StepLR", "params": {"step_size": 2}}), torch.optim.lr_scheduler.StepLR)
    with pytest.raises(ConfigError, match="one lr_list entry per milestone"):
        build_scheduler(optimizer, {"type": "LRListScheduler", "params": {"milestones": [1, 2], "lr_list": [[0.1]]}})


def test_warmup_ramps_linearly_to_the_optimizer_rate():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = LRListScheduler(optimizer, milestones=[5], lr_list=[[0.1]], warmup_epochs=4, warmup_start_factor=0.2)
    assert lrs(scheduler, optimizer, 7) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 0.1, 0.1])


def test_warmup_resumes_exactly():
    def schedule():
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        return optimizer, LRListScheduler(optimizer, milestones=[], lr_list=[], warmup_epochs=2, warmup_start_factor=0.5)

    optimizer, scheduler = schedule()
    lrs(scheduler, optimizer, 1)
    fresh_optimizer, fresh = schedule()
    fresh_optimizer.load_state_dict(optimizer.state_dict())
    fresh.load_state_dict(scheduler.state_dict())
    assert lrs(fresh, fresh_optimizer, 3) == pytest.approx([0.75, 1.0, 1.0])
    with pytest.raises(ConfigError, match="warmup_epochs"):
        LRListScheduler(fresh_optimizer, milestones=[], lr_list=[], warmup_epochs=-1)
