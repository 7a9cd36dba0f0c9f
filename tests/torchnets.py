"""Small torch models trained on scikit-learn's datasets, for the TorchScript tests.

Imported only by test modules that have checked torch is there. Training is seeded: 300 Adam
steps on the whole training set at once, the same weights every run, well under a second.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn


class Standardize(nn.Module):
    """``(x - mean) / std`` with the training set's statistics, inside the module."""

    def __init__(self, X: pd.DataFrame) -> None:
        super().__init__()
        values = torch.tensor(X.to_numpy(), dtype=torch.float32)
        self.register_buffer("mean", values.mean(dim=0))
        self.register_buffer("std", values.std(dim=0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _fit(net: nn.Module, X: pd.DataFrame, y: torch.Tensor, loss: nn.Module, lr: float) -> None:
    features = torch.tensor(X.to_numpy(), dtype=torch.float32)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # matrices this small gain nothing from a second thread but waiting
    try:
        for _ in range(300):
            optimizer.zero_grad()
            loss(net(features), y).backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)


def mlp_classifier(X: pd.DataFrame, y: pd.Series) -> nn.Module:
    """Standardize → 16 ReLU units → one logit per class, trained with cross-entropy.

    Returned in eval mode with a softmax on top, so it outputs class probabilities.
    """
    torch.manual_seed(0)
    classes = int(y.max()) + 1
    hidden = nn.Linear(X.shape[1], 16)
    net = nn.Sequential(Standardize(X), hidden, nn.ReLU(), nn.Linear(16, classes))
    _fit(net, X, torch.tensor(y.to_numpy(), dtype=torch.long), nn.CrossEntropyLoss(), lr=0.01)
    return nn.Sequential(net, nn.Softmax(dim=1)).eval()


def linear_regressor(X: pd.DataFrame, y: pd.Series) -> nn.Module:
    """Standardize → one linear unit, trained with squared error on the raw target."""
    torch.manual_seed(0)
    net = nn.Sequential(Standardize(X), nn.Linear(X.shape[1], 1))
    target = torch.tensor(y.to_numpy(), dtype=torch.float32).reshape(-1, 1)
    _fit(net, X, target, nn.MSELoss(), lr=1.0)  # the target is in the hundreds
    return net.eval()
