"""On-disk cache of derivations, keyed by the request and derive's version.

A second `derive show` of the same formula loads the pickled Derivation instead of deriving
again. The key includes a hash of derive's own source, so a changed engine never reads an old
entry. The cache lives in $DERIVE_CACHE_DIR, else $XDG_CACHE_HOME/derive, else ~/.cache/derive;
DERIVE_NO_CACHE=1 turns it off. A damaged entry is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from derive import __version__

VERSION = __version__
PACKAGE_DIR = Path(__file__).parent


def cache_dir() -> Path:
    if os.environ.get("DERIVE_CACHE_DIR"):
        return Path(os.environ["DERIVE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "derive"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of derive's own source and catalog: any change to the engine is a new cache."""
    digest = hashlib.sha256(VERSION.encode())
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(request: dict) -> str:
    text = json.dumps({"request": request, "code": code_fingerprint()}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached_derive(**request):
    """derive(**request), through the cache."""
    from derive.pipeline import derive

    if os.environ.get("DERIVE_NO_CACHE"):
        return derive(**request)
    path = cache_dir() / f"{_key(request)}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except Exception:  # a missing or damaged entry just means: derive again
        pass
    result = derive(**request)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        result.__dict__.pop("_functions", None)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            pickle.dump(result, handle)
        os.replace(handle.name, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
    return result
