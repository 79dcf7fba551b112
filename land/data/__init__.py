"""Data: samplers on the sphere, the packaged data sets beyond it, and the stored study results."""

from land.data import datasets
from land.data._results import result_names, result_path, results_dir
from land.data.samplers import SphereSample, sample_sphere_data, sample_sphere_land

__all__ = ["SphereSample", "datasets", "result_names", "result_path", "results_dir",
           "sample_sphere_data", "sample_sphere_land"]
