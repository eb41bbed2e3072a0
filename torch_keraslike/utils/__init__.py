"""``keras.utils`` on torch: data preparation, datasets, seeding, files, plotting.

Datasets are ``torch.utils.data`` objects: ``timeseries_dataset_from_array`` returns a
``DataLoader``, ``split_dataset`` two ``Subset``s, and a :class:`PyDataset` becomes a
``DataLoader`` through :func:`pydataset_to_dataloader`.

Example:
    >>> import torch_keraslike as tkl
    >>> tkl.utils.to_categorical([0, 2], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> tkl.utils.pad_sequences([[1, 2], [3]]).tolist()
    [[1, 2], [0, 3]]
"""

from ..backend import clear_session, is_keras_tensor, standardize_dtype
from .config import Config
from .dataset_utils import pack_x_y_sample_weight, split_dataset, unpack_x_y_sample_weight
from .file_utils import DownloadRequiredError, get_file
from .model_visualization import model_to_dot, plot_model
from .numerical_utils import normalize, to_categorical
from .progbar import Progbar
from .py_dataset import PyDataset, Sequence, pydataset_to_dataloader
from .rng_utils import set_random_seed
from .sequence_utils import pad_sequences
from .source_inputs import get_source_inputs
from .timeseries import timeseries_dataset_from_array

__all__ = [
    "Config",
    "DownloadRequiredError",
    "Progbar",
    "PyDataset",
    "Sequence",
    "clear_session",
    "get_file",
    "get_source_inputs",
    "is_keras_tensor",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_model",
    "pydataset_to_dataloader",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]

# keras.utils also exposes the serialization registry; here it lives in tkl.saving, and
# these names resolve to it (the first name that tkl.saving defines).
_FROM_SAVING = {
    "register_keras_serializable": ("register_keras_serializable", "register_serializable"),
    "get_registered_name": ("get_registered_name",),
    "get_registered_object": ("get_registered_object",),
    "serialize_keras_object": ("serialize_keras_object", "serialize"),
    "deserialize_keras_object": ("deserialize_keras_object", "deserialize"),
    "custom_object_scope": ("custom_object_scope",),
    "CustomObjectScope": ("CustomObjectScope", "custom_object_scope"),
    "get_custom_objects": ("get_custom_objects",),
}


def __getattr__(name):
    from .. import saving

    for candidate in _FROM_SAVING.get(name, ()):
        if hasattr(saving, candidate):
            return getattr(saving, candidate)
    raise AttributeError(f"module 'torch_keraslike.utils' has no attribute {name!r}")
