"""Data: samplers on the sphere and the packaged data sets beyond it."""

from land.data import datasets
from land.data.samplers import SphereSample, sample_sphere_data, sample_sphere_land

__all__ = ["SphereSample", "datasets", "sample_sphere_data", "sample_sphere_land"]
