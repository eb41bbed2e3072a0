"""``get_file``: Keras's file cache, read offline.

Keras's ``get_file`` downloads ``origin`` into ``~/.keras/datasets`` unless the file is
already there. This one resolves the same cache path by the same rules, checks the
file's hash and extracts archives, but never opens a network connection: when the
file would have to be downloaded it raises :class:`DownloadRequiredError`, which says
where to put the file.
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

__all__ = ["DownloadRequiredError", "get_file", "validate_file"]

_ARCHIVE_FORMATS = ("tar", "zip")


class DownloadRequiredError(FileNotFoundError):
    """``get_file`` needed a download; the message says where to place the file."""


def _keras_home():
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm, file_hash):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at ``fpath`` has the hash ``file_hash``.

    Args:
        fpath: path of the file.
        file_hash: expected hex digest (sha256 or md5).
        algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256 for a 64-character hash).
        chunk_size: bytes read at a time.
    """
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash)


def _check_member(name, base):
    target = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([target, base]) != base:
        raise ValueError(
            f"get_file: the archive member {name!r} would be written outside the extraction "
            f"folder {base}; the archive is refused. Fix: use an archive from a trusted source."
        )


def _extract(archive, destination, formats):
    """Extracts ``archive`` into a fresh folder renamed to ``destination``; True when a
    format matched. Unsafe members (absolute paths, ``..``, links out) are refused."""
    for kind in formats:
        matches = tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile
        if not matches(archive):
            continue
        parent = os.path.dirname(destination) or "."
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".extracting-", dir=parent)
        base = os.path.realpath(staging)
        try:
            if kind == "tar":
                with tarfile.open(archive) as tar:
                    for member in tar.getmembers():
                        _check_member(member.name, base)
                        if member.issym():
                            _check_member(os.path.join(os.path.dirname(member.name), member.linkname), base)
                        elif member.islnk():
                            _check_member(member.linkname, base)
                    # Where available, the "data" filter also refuses device files and
                    # unsafe permission bits (Python >= 3.10.12 / 3.11.4).
                    options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    tar.extractall(staging, **options)
            else:
                with zipfile.ZipFile(archive) as zf:
                    for name in zf.namelist():
                        _check_member(name, base)
                    zf.extractall(staging)
            os.replace(staging, destination)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return True
    return False


def _download_error(reason, origin, target):
    return DownloadRequiredError(
        f"get_file: {reason}, and torch_keraslike does not download files (no network access "
        f"is assumed). Fix: download {origin} yourself and save it as {target} (or pass "
        "cache_dir= / cache_subdir= pointing at the folder that holds it)."
    )


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Returns the path of a file from Keras's cache (``~/.keras/datasets/<fname>``).

    The path is the one Keras's ``get_file`` would download to: ``cache_dir`` (default
    ``$KERAS_HOME`` or ``~/.keras``) / ``cache_subdir`` / ``fname``; an absolute
    ``cache_subdir`` is used as is. With ``extract=True`` (or ``untar=True``) the
    archive is read from ``<fname>`` and extracted into ``<stem>_extracted`` when a
    ``fname`` with an extension is given (``fname="data.tar.gz"``: ``data_extracted``),
    otherwise from ``<name>_archive`` into ``<name>``, as Keras lays them out; an
    existing, non-empty extraction folder is returned as it is (so a folder extracted
    by hand also works offline).

    Args:
        fname: file name in the cache; default: the last part of ``origin``'s path.
        origin: the URL the file comes from (named in errors; never fetched).
        untar: deprecated alias of ``extract=True`` with ``archive_format="tar"``.
        md5_hash: deprecated alias of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: expected sha256 or md5 hex digest of the file.
        cache_subdir: sub-folder of the cache.
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: extract the archive and return the folder.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of
            them, or ``None``.
        cache_dir: the cache folder.
        force_download: always download (so here: always an error).

    Returns:
        The path of the cached file, or of the extraction folder.

    Raises:
        DownloadRequiredError: the file is not cached, its hash does not match, or
            ``force_download=True``; the message names where to place the file.

    Example:
        >>> import os, tempfile
        >>> cache = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(cache, "datasets"))
        >>> open(os.path.join(cache, "datasets", "data.csv"), "w").close()
        >>> get_file(origin="https://example.com/data.csv", cache_dir=cache) == os.path.join(
        ...     cache, "datasets", "data.csv")
        True
    """
    if origin is None:
        raise ValueError(
            'get_file: please specify the "origin" argument (URL of the file), e.g. '
            "get_file(origin='https://example.com/data.zip')."
        )
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', received {hash_algorithm!r}."
        )
    formats = _archive_formats("tar" if untar else archive_format)
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    fname = os.fspath(fname) if fname is not None else None
    provided = bool(fname)
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(str(origin)).path)
        if not fname:
            raise ValueError(
                f"get_file: cannot parse a file name from origin={origin!r}. Fix: pass fname=."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            f"get_file: `fname` must be a plain file name, received fname={fname!r}. Fix: give "
            "the folder as cache_dir= (or cache_subdir=)."
        )

    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else _keras_home())
    if not os.access(base, os.W_OK):
        # Keras writes to /tmp/.keras when the cache folder is not writable; look there too.
        fallback = os.path.join(tempfile.gettempdir(), ".keras")
        if os.path.exists(os.path.join(fallback, cache_subdir)):
            base = fallback
    datadir = os.path.join(base, cache_subdir)

    extracting = extract or untar
    target, extraction_dir = os.path.join(datadir, fname), None
    if extracting:
        if provided and "." in fname:
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")

    if force_download:
        raise _download_error("force_download=True asks for a fresh download", origin, target)
    archive_present = os.path.isfile(target)
    if archive_present and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        raise _download_error(
            f"the cached file {target} does not match the expected {hash_algorithm} hash "
            f"{file_hash} (it may be incomplete or outdated)", origin, target)
    if extracting and os.path.isdir(extraction_dir) and os.listdir(extraction_dir):
        return extraction_dir
    if not archive_present:
        raise _download_error(f"{fname} is not in the cache ({target} does not exist)", origin, target)
    if not extracting:
        return target
    if not _extract(target, extraction_dir, formats):
        raise ValueError(
            f"get_file: {target} is not an archive of the formats {list(formats)}, so it cannot "
            "be extracted. Fix: pass extract=False to get the file itself, or the right "
            "archive_format."
        )
    return extraction_dir


def _archive_formats(archive_format):
    if archive_format is None:
        return ()
    if archive_format == "auto":
        return _ARCHIVE_FORMATS
    formats = (archive_format,) if isinstance(archive_format, str) else tuple(archive_format)
    unknown = [f for f in formats if f not in _ARCHIVE_FORMATS]
    if unknown:
        raise ValueError(
            f"get_file: unknown archive_format {unknown[0]!r}. Expected 'auto', 'tar', 'zip', "
            "a list of them, or None."
        )
    return formats
