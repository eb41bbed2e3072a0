"""tkl.utils.get_file: Keras's cache layout, read offline; never a network access."""

import hashlib
import io
import os
import socket
import tarfile
import zipfile

import pytest

from torch_keraslike.utils import DownloadRequiredError, get_file
from torch_keraslike.utils.file_utils import validate_file

ORIGIN = "https://example.com/files/data.csv"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("get_file opened a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def cache(tmp_path):
    (tmp_path / "datasets").mkdir()
    return tmp_path


def _write(path, data=b"a,b\n1,2\n"):
    path.write_bytes(data)
    return str(path)


def _read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


def test_cached_file_is_returned_with_keras_paths(cache):
    expected = _write(cache / "datasets" / "data.csv")
    assert get_file(origin=ORIGIN, cache_dir=cache) == expected  # name from the URL
    assert get_file("data.csv", ORIGIN, cache_dir=str(cache)) == expected
    other = cache / "mine"
    other.mkdir()
    mine = _write(other / "x.bin")
    assert get_file("x.bin", ORIGIN, cache_dir=cache, cache_subdir="mine") == mine
    absolute = cache / "elsewhere"
    absolute.mkdir()
    placed = _write(absolute / "y")
    assert get_file("y", ORIGIN, cache_subdir=str(absolute), cache_dir="/nonexistent") == placed


def test_default_cache_is_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    placed = _write(tmp_path / "datasets" / "data.csv")
    assert get_file("data.csv", ORIGIN) == placed
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(DownloadRequiredError, match=r"save it as .*home/\.keras/datasets/data\.csv"):
        get_file("data.csv", ORIGIN)


def test_missing_file_says_where_to_put_it(cache):
    target = os.path.join(str(cache), "datasets", "data.csv")
    with pytest.raises(DownloadRequiredError) as info:
        get_file("data.csv", ORIGIN, cache_dir=cache)
    message = str(info.value)
    assert f"data.csv is not in the cache ({target} does not exist)" in message
    assert f"Fix: download {ORIGIN} yourself and save it as {target}" in message
    assert isinstance(info.value, FileNotFoundError)
    assert os.listdir(cache / "datasets") == []  # nothing was created


def test_force_download_is_refused(cache):
    _write(cache / "datasets" / "data.csv")
    with pytest.raises(DownloadRequiredError, match="force_download=True asks for a fresh download"):
        get_file("data.csv", ORIGIN, cache_dir=cache, force_download=True)


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_hashes_are_checked(cache, algorithm):
    path = _write(cache / "datasets" / "data.csv")
    digest = hashlib.new(algorithm, _read(path)).hexdigest()
    assert get_file("data.csv", ORIGIN, cache_dir=cache, file_hash=digest) == path  # "auto"
    assert get_file("data.csv", ORIGIN, cache_dir=cache, file_hash=digest, hash_algorithm=algorithm) == path
    if algorithm == "md5":
        assert get_file("data.csv", ORIGIN, cache_dir=cache, md5_hash=digest) == path
    assert validate_file(path, digest, algorithm)
    with pytest.raises(DownloadRequiredError, match=rf"does not match the expected {algorithm} hash 0+ "):
        get_file("data.csv", ORIGIN, cache_dir=cache, file_hash="0" * len(digest), hash_algorithm=algorithm)
    assert _read(path) == b"a,b\n1,2\n"  # the mismatching file is left alone


def _tar_bytes(members, links=()):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def _zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_extracts_tar_and_zip_archives_like_keras(cache):
    datadir = cache / "datasets"
    _write(datadir / "photos.tar.gz", _tar_bytes({"photos/a.txt": b"A"}))
    out = get_file("photos.tar.gz", "https://x/photos.tar.gz", cache_dir=cache, extract=True)
    assert out == str(datadir / "photos_extracted")
    assert _read(out, "photos", "a.txt") == b"A"
    # Without fname (name from the URL), the archive is "<name>_archive", the folder "<name>".
    _write(datadir / "bundle.zip_archive", _zip_bytes({"b.txt": "B"}))
    out = get_file(origin="https://x/bundle.zip", cache_dir=cache, extract=True, archive_format="zip")
    assert out == str(datadir / "bundle.zip") and _read(out, "b.txt") == b"B"
    _write(datadir / "legacy_archive", _tar_bytes({"c.txt": b"C"}))
    assert get_file("legacy", "https://x/legacy.tgz", cache_dir=cache, untar=True) == str(datadir / "legacy")
    assert not [n for n in os.listdir(datadir) if n.startswith(".extracting")]


def test_existing_extraction_folder_is_used_offline(cache):
    folder = cache / "datasets" / "corpus_extracted"
    folder.mkdir()
    (folder / "text.txt").write_text("hi")
    assert get_file("corpus.tar.gz", "https://x/corpus.tar.gz", cache_dir=cache, extract=True) == str(folder)


def test_unsafe_archives_and_non_archives_are_refused(cache):
    datadir = cache / "datasets"
    _write(datadir / "evil.tar.gz", _tar_bytes({"../escape.txt": b"x"}))
    with pytest.raises(ValueError, match=r"archive member '../escape.txt' would be written outside"):
        get_file("evil.tar.gz", "https://x/evil.tar.gz", cache_dir=cache, extract=True)
    assert not (cache / "escape.txt").exists() and not (datadir / "evil_extracted").exists()
    assert sorted(os.listdir(datadir)) == ["evil.tar.gz"]
    _write(datadir / "link.tar", _tar_bytes({"ok.txt": b"x"}, links=[("data/up", "../../outside")]))
    with pytest.raises(ValueError, match=r"archive member 'data/../../outside' would be written outside"):
        get_file("link.tar", "https://x/link.tar", cache_dir=cache, extract=True)
    _write(datadir / "inside.tar", _tar_bytes({"data/ok.txt": b"x"}, links=[("data/alias", "ok.txt")]))
    out = get_file("inside.tar", "https://x/inside.tar", cache_dir=cache, extract=True)
    assert os.path.islink(os.path.join(out, "data", "alias")) and _read(out, "data", "alias") == b"x"
    _write(datadir / "plain.txt", b"not an archive")
    with pytest.raises(ValueError, match=r"is not an archive of the formats \['tar', 'zip'\]"):
        get_file("plain.txt", "https://x/plain.txt", cache_dir=cache, extract=True)


@pytest.mark.parametrize("kwargs,message", [
    ({"fname": "a.csv"}, r'please specify the "origin" argument'),
    ({"origin": "https://example.com/"}, r"cannot parse a file name from origin='https://example.com/'"),
    ({"fname": "sub/a.csv", "origin": ORIGIN}, r"`fname` must be a plain file name, received fname='sub/a.csv'"),
    ({"fname": "a", "origin": ORIGIN, "hash_algorithm": "sha1"}, r"hash_algorithm must be 'auto', 'sha256' or 'md5'"),
    ({"fname": "a", "origin": ORIGIN, "extract": True, "archive_format": "rar"}, r"unknown archive_format 'rar'"),
])
def test_argument_errors(kwargs, message, cache):
    with pytest.raises(ValueError, match=message):
        get_file(cache_dir=cache, **kwargs)
