"""A function that uses the layer: numpy comes from /opt/python, not from this folder."""

import numpy as np


def handler(event, context):
    values = np.asarray(event.get("values", [1.0, 2.0, 3.0]), dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std()), "numpy": np.__version__}
