"""The series' one plot style and the figures more than one notebook draws.

``set_style()`` is called by ``helpers.setup()``; every figure in the series then looks alike:
labelled axes, a light grid, the same colours, and a size that reads well in JupyterLab.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

COLORS = {
    "train": "#1f77b4",
    "validation": "#ff7f0e",
    "model": "#2ca02c",
    "baseline": "#7f7f7f",
    "highlight": "#d62728",
}
"""Named colours, so the same role has the same colour in every notebook."""


def set_style() -> None:
    """Apply the series' matplotlib style (called by ``helpers.setup()``)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.constrained_layout.use": True,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "legend.frameon": False,
            "font.size": 10,
            "image.cmap": "viridis",
        }
    )


def baseline_line(ax: plt.Axes, value: float, label: str, color: str = COLORS["baseline"]) -> None:
    """Draw a baseline as a dashed horizontal line, labelled in the legend."""
    ax.axhline(value, color=color, linestyle="--", linewidth=1.2, label=label)
