"""On-disk cache of derivations, keyed by the request and derive's version.

A second `derive show` of the same formula reads the derivation back instead of deriving
again. Entries are JSON data (derive.cache_format: no pickle, nothing in them can run code),
each holding its own key and request, which must match the ones asked for. The key includes a
hash of derive's own source, so a changed engine never reads an old entry.

The cache lives in $DERIVE_CACHE_DIR, else $XDG_CACHE_HOME/derive, else ~/.cache/derive; it
is used only while it is a real folder owned by the user with no access for others (it is
created 0700, and tightened to 0700 if the user's own). Everything goes through one open
handle of that folder, so a folder swapped or replaced by a link is not followed. An entry
that is not a regular file of the user's, or does not read back to its key, is ignored and
derived again; writes go through a private temporary file that never outlives the write.
DERIVE_NO_CACHE=1 turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from functools import lru_cache
from pathlib import Path

from derive import __version__
from derive.cache_format import Unencodable, decode, encode

VERSION = __version__
FORMAT = "derive-cache-2"
PACKAGE_DIR = Path(__file__).parent
MAX_ENTRY_BYTES = 64 * 2**20


def cache_dir() -> Path:
    if os.environ.get("DERIVE_CACHE_DIR"):
        return Path(os.environ["DERIVE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "derive"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of derive's own source and catalog: any change to the engine is a new cache."""
    digest = hashlib.sha256(f"{VERSION} {FORMAT}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def request_text(request: dict) -> str:
    """The request as text, with the user's catalog entries it may name (the same name in
    two user catalogs is two operators)."""
    from derive import catalog

    user = {n: repr(e) for n, e in catalog.load().items() if n not in catalog.builtin()}
    return json.dumps({**request, **({"user_catalog": user} if user else {})},
                      sort_keys=True, default=str)


def entry_name(request: dict) -> str:
    text = json.dumps({"request": request_text(request), "code": code_fingerprint()},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32] + ".json"


def cached_derive(**request):
    """derive(**request), through the cache (inside the derivation budget, derive.budget)."""
    from derive.runtime_limits import derivation_limits
    from derive.pipeline import derive

    if os.environ.get("DERIVE_NO_CACHE"):
        with derivation_limits():
            return derive(**request)
    folder = open_private_folder(cache_dir())
    try:
        name = entry_name(request)
        if folder is not None:
            found = read_entry(folder, name, request)
            if found is not None:
                return found
        with derivation_limits():
            result = derive(**request)
        if folder is not None:
            write_entry(folder, name, request, result)
        return result
    finally:
        if folder is not None:
            os.close(folder)


def open_private_folder(path: Path) -> int | None:
    """A handle of the cache folder if it is (or can be made) the user's private folder."""
    try:
        if not os.path.lexists(path):
            _make_folders(path)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode):
            raise PermissionError("not the user's own folder")
        if info.st_mode & 0o077:
            os.fchmod(fd, 0o700)
        return fd
    except OSError:
        os.close(fd)
        return None


def _make_folders(path: Path) -> None:
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)  # 0700 whatever the umask: a umask only takes bits away
        except FileExistsError:
            pass


def read_entry(folder: int, name: str, request: dict):
    """The derivation stored as `name`, or None if it is missing, odd or not this request's."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=folder)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid()
                or info.st_size > MAX_ENTRY_BYTES):
            return None
        data = json.loads(_read_all(fd, info.st_size))
        if (data.get("format") != FORMAT or data.get("entry") != name
                or data.get("request") != request_text(request)):
            return None
        return decode(data["derivation"])
    except Exception:  # noqa: BLE001 - a damaged or foreign entry just means: derive again
        return None
    finally:
        os.close(fd)


def _read_all(fd: int, size: int) -> bytes:
    chunks, total = [], 0
    while total <= size:
        chunk = os.read(fd, max(size - total, 0) + 1)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > size:
        raise ValueError("entry grew while read")
    return b"".join(chunks)


def write_entry(folder: int, name: str, request: dict, derivation) -> bool:
    """Store `derivation` as `name` atomically; False (and nothing left behind) on failure."""
    try:
        data = encode(derivation)
        if encode(decode(data)) != data:  # stored only if it reads back exactly
            return False
        text = json.dumps({"format": FORMAT, "entry": name, "request": request_text(request),
                           "derivation": data}, separators=(",", ":"))
    except (Unencodable, ValueError, TypeError, RecursionError):
        return False
    partial = f".{name}.{secrets.token_hex(8)}.partial"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=folder)
    except OSError:
        return False
    try:
        try:
            view = memoryview(text.encode())
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(partial, name, src_dir_fd=folder, dst_dir_fd=folder)
        return True
    except OSError:
        _unlink(folder, partial)
        return False
    except BaseException:
        _unlink(folder, partial)
        raise


def _unlink(folder: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=folder)
    except OSError:
        pass
