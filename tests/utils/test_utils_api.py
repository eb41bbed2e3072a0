"""tkl.utils exposes Keras's keras.utils names that have a meaning on torch."""

import pytest
from keras_reference import import_keras

import torch_keraslike as tkl

# keras.utils names deliberately not provided, with the reason.
NOT_PROVIDED = {
    "FeatureSpace": "a preprocessing layer over tf.data feature columns",
    "audio_dataset_from_directory": "decodes audio with tf.audio",
    "image_dataset_from_directory": "needs an image decoder (Pillow/tf.image)",
    "text_dataset_from_directory": "builds a tf.data.Dataset of strings",
    "array_to_img": "needs Pillow",
    "img_to_array": "needs Pillow",
    "load_img": "needs Pillow",
    "save_img": "needs Pillow",
    "disable_interactive_logging": "Keras's absl logging switch; progress goes to stdout here",
    "enable_interactive_logging": "Keras's absl logging switch; progress goes to stdout here",
    "is_interactive_logging_enabled": "Keras's absl logging switch; progress goes to stdout here",
    "bounding_boxes": "image preprocessing helpers of the preprocessing layers",
    "legacy": "tf.keras 2 serialization",
}
# Names served by tkl.saving when it defines them.
FROM_SAVING = {"register_keras_serializable", "get_registered_name", "get_registered_object",
               "serialize_keras_object", "deserialize_keras_object", "custom_object_scope",
               "CustomObjectScope", "get_custom_objects"}


def test_every_other_keras_utils_name_is_provided():
    keras = import_keras()
    theirs = {name for name in dir(keras.utils) if not name.startswith("_")}
    missing = sorted(theirs - set(tkl.utils.__all__) - set(NOT_PROVIDED) - FROM_SAVING)
    assert not missing


def test_saving_names_resolve_to_tkl_saving():
    assert tkl.utils.register_keras_serializable in (
        getattr(tkl.saving, "register_keras_serializable", None), tkl.saving.register_serializable)
    assert tkl.utils.get_registered_name is tkl.saving.get_registered_name
    with pytest.raises(AttributeError, match="module 'torch_keraslike.utils' has no attribute 'nothing_here'"):
        tkl.utils.nothing_here


def test_backend_names_are_shared():
    assert tkl.utils.clear_session is tkl.backend.clear_session
    assert tkl.utils.is_keras_tensor(tkl.Input((1,)))
    assert tkl.utils.standardize_dtype("float16") == "float16"
