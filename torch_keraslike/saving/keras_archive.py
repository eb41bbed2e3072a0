"""Keras 3's ``.keras`` archive: a zip holding ``config.json`` (the model in Keras's
config format), ``metadata.json`` and ``model.weights.h5`` (Keras 3's weights layout).

Written so that ``keras.saving.load_model`` opens it; read without extracting
anything: member names are checked (no absolute paths, no ``..``), members that
declare far more data than they store are refused, and the model is rebuilt through
the same untrusted-file steps as every reader (:mod:`._safe_build`).
"""

import contextlib
import datetime
import io
import json
import mmap
import os
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

from .._files import atomic_path
from ._safe_build import corrupted
from .keras_config import keras_only_classes, serialize
from .keras_h5 import keras_plan, open_h5, write_weights
from .keras_model import build_model

__all__ = ["load_archive", "read_archive_weights", "save_archive"]

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
# The Keras release whose format the archives follow (and that tests them).
KERAS_FORMAT_VERSION = "3.15.1"

_MAX_EXPANSION = 100
_EXPANSION_FLOOR = 16 << 20


def _check_members(archive, where):
    for info in archive.infolist():
        name = info.filename
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or ".." in parts or ":" in parts[0]:
            raise ValueError(
                f"{where}: the archive holds a member named {name!r}, a path that points outside "
                "the archive; a Keras archive never does, so it is refused (nothing was extracted)."
            )
        if info.file_size > _EXPANSION_FLOOR and info.file_size > _MAX_EXPANSION * max(info.compress_size, 1):
            raise ValueError(
                f"{where}: the archive member {name!r} declares {info.file_size} bytes but stores "
                f"{info.compress_size}; reading it would allocate memory the file does not hold "
                "(a zip bomb), so it is refused."
            )


def _open(path, where):
    try:
        archive = zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as error:
        raise ValueError(f"{where} is not a readable .keras archive ({error}). The file is truncated "
                         "or corrupted.") from None
    try:
        _check_members(archive, where)
    except BaseException:
        archive.close()
        raise
    return archive


def _read(archive, name, where):
    try:
        return archive.read(name)
    except KeyError:
        raise ValueError(f"{where}: the archive has no {name!r}; a .keras archive holds "
                         f"{CONFIG!r}, {METADATA!r} and {WEIGHTS!r}.") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{where}: the archive member {name!r} is damaged ({error}).") from None


def _decode_json(data, name, where):
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise corrupted(where, f"its {name} is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise corrupted(where, f"its {name} is not valid JSON ({error})") from None


def read_archive_weights(path, where):
    """The ``model.weights.h5`` member of an archive, as a read-only binary file object
    (close it after use). Its checksum is verified before it is returned.

    A member stored uncompressed (as Keras writes it) in an archive on disk is read in
    place through a memory map: no copy of the whole member is made (a ResNet50's 100 MB
    were a fifth of its load time). Others are read into memory.
    """
    with _open(path, where) as archive:
        if WEIGHTS not in archive.namelist() and "model.weights.npz" in archive.namelist():
            raise ValueError(f"{where} stores its weights as .npz, which is not supported. Fix: "
                             "re-save it in Keras with model.save(path) (the default h5 weights).")
        try:
            info = archive.getinfo(WEIGHTS)
        except KeyError:
            info = None
        if (info is not None and isinstance(path, (str, os.PathLike)) and info.compress_type == zipfile.ZIP_STORED
                and not info.flag_bits & 0x1 and info.file_size == info.compress_size):
            mapped = _map(path)
            if mapped is not None:
                return _mapped_member(mapped, info, where)
        return io.BytesIO(_read(archive, WEIGHTS, where))


# A zip local file header: signature, then 22 bytes of fields, then the lengths of the
# name and of the extra field (which may differ from the central directory's).
_LOCAL_HEADER = struct.Struct("<4s22xHH")


def _map(path):
    """The file mapped read-only, or None where it cannot be (a file system without
    memory maps): the member is then read into memory."""
    try:
        with open(path, "rb") as handle:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _mapped_member(mapped, info, where):
    size = len(mapped)
    try:
        offset = info.header_offset
        header = mapped[offset:offset + _LOCAL_HEADER.size]
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise ValueError(f"{where}: the archive member {WEIGHTS!r} is damaged (no local file header "
                             "where the directory points).")
        _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        start = offset + _LOCAL_HEADER.size + name_length + extra_length
        end = start + info.file_size
        if end > size:
            raise ValueError(f"{where}: the archive member {WEIGHTS!r} is damaged (it is truncated).")
        if zlib.crc32(memoryview(mapped)[start:end]) != info.CRC:
            raise ValueError(f"{where}: the archive member {WEIGHTS!r} is damaged (its checksum does not "
                             "match its contents).")
    except BaseException:
        mapped.close()
        raise
    return _MappedFile(mapped, start, end)


class _MappedFile(io.RawIOBase):
    """A read-only, seekable file over ``mapped[start:end]`` (what h5py reads from)."""

    def __init__(self, mapped, start, end):
        super().__init__()
        self._mapped, self._view = mapped, memoryview(mapped)[start:end]
        self._position = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        chunk = self._view[self._position:self._position + len(buffer)]
        memoryview(buffer).cast("B")[:len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def tell(self):
        return self._position

    def close(self):
        if not self.closed:
            self._view.release()
            self._mapped.close()
        super().close()


def load_archive(path, custom_objects=None, safe_mode=True):
    """Loads a model from a Keras 3 ``.keras`` archive (see :func:`tkl.saving.load_model`).

    The weights member is read (and its checksum verified) in a background thread
    while the model is rebuilt from the config on ``meta``.
    """
    where = str(path)
    with _open(path, where) as archive:
        config = _decode_json(_read(archive, CONFIG, where), CONFIG, where)
    if not isinstance(config, dict):
        raise corrupted(where, f"its {CONFIG} must hold a JSON object")
    with ThreadPoolExecutor(max_workers=1) as pool, contextlib.ExitStack() as stack:
        weights = pool.submit(read_archive_weights, path, where)

        def make_plan(model):
            source = weights.result()
            stack.callback(source.close)
            h5 = stack.enter_context(open_h5(source, f"{where} ({WEIGHTS})"))
            return keras_plan(h5, model, where)[0]

        return build_model(where, config, custom_objects, safe_mode, make_plan)


# --------------------------------------------------------------------- write
def _refuse_ours_only(config, path="model"):
    """Raises if ``config`` uses something only this library can load."""
    if isinstance(config, list):
        for item in config:
            _refuse_ours_only(item, path)
        return
    if not isinstance(config, dict):
        return
    if config.get("class_name") in keras_only_classes():
        name = config.get("name") or (config.get("config") or {}).get("name")
        function = (config.get("config") or {}).get("function")
        raise ValueError(
            f'Layer "{name}" ({config["class_name"]}) applies {function} to symbolic tensors; '
            "Keras has no such layer, so a .keras file holding it could not be loaded by "
            "Keras. Fix: use a Keras layer for that step (tkl.layers.Add, Concatenate, "
            "Reshape...), or save in this library's format: model.save('model.safetensors')."
        )
    for key in ("__tuple__", "__slice__", "__dtype__", "__keras_tensor__"):
        if key in config:
            raise ValueError(
                f"The call arguments of {path} hold a {key.strip('_')} constant, which Keras's "
                "config format cannot express. Fix: save in this library's format: "
                "model.save('model.safetensors')."
            )
    for key, value in config.items():
        _refuse_ours_only(value, config.get("name", path) if isinstance(config.get("name"), str) else path)


def save_archive(model, path):
    """Writes ``model`` as a Keras 3 ``.keras`` archive, atomically."""
    from .. import __version__

    path = os.fspath(path)
    config = serialize(model)
    _refuse_ours_only(config)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "saved_by": f"torch_keraslike {__version__}",
    }
    weights = io.BytesIO()
    write_weights(model, weights)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w") as archive:
            archive.writestr(METADATA, json.dumps(metadata))
            archive.writestr(CONFIG, json.dumps(config))
            archive.writestr(WEIGHTS, weights.getvalue())
