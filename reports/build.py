"""PDF from LaTeX, in a separate sandboxed step, and atomic writes of every output file.

pdflatex or xelatex (Debian's TeX Live) runs in a fresh temporary directory with shell escape
off and kpathsea's `openin_any=p` / `openout_any=p` (paranoid: no absolute paths, no parent
directories, no dot files), so TeX reads and writes nothing outside that folder except its
own installed packages. Only a finished PDF is moved into place.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from derive.errors import DeriveError

TIMEOUT = 180  # seconds for one document
LOG_CONTEXT = 2  # lines of the log shown after each error line
MAX_PASSES = 3
# what TeX and its packages write when a further pass would change the output
RERUN = re.compile(r"Rerun to get|Rerun LaTeX|Label\(s\) may have changed|"
                   r"Table widths have changed")


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write `data` to `path` through a temporary file in the same folder (never partial)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed
        dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            handle.write(raw)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except OSError as exc:
        Path(handle.name).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None  # the file, not its temp
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def tex_environment(folder: str) -> dict:
    """The environment TeX runs in: file access kept to `folder`, no shell escape."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXMF", "TEXINPUTS"))}
    env.update(openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=folder,
               SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1", LC_ALL="C")
    return env


def build_pdf(tex_source: str, pdf_path: Path, what: str = "report",
              engine: str = "-pdf") -> Path:
    """Compile `tex_source` with pdflatex (`engine` -pdf) or xelatex (-xelatex) into
    `pdf_path`; a TeX failure is a DeriveError quoting the relevant lines of the log.

    The engine runs once, and again only while its log asks for it (a longtable's widths, a
    changed label): the documents hold no cross-references and hyperref's outline comes from
    the `bookmark` package in the first pass, so one pass is the rule (latexmk's second pass
    and its own start-up were half of `derive report --all`'s time)."""
    program = "xelatex" if engine == "-xelatex" else "pdflatex"
    binary = shutil.which(program)
    if binary is None:
        raise DeriveError(f"{what}: {program} is needed for --format pdf; install TeX Live "
                          "(scripts/ensure-tex.sh) or use --format tex or md")
    # compiled beside the output (its staging folder): the same disk, removed with it
    with tempfile.TemporaryDirectory(prefix="tex-", dir=Path(pdf_path).parent) as folder:
        source = Path(folder) / "document.tex"
        source.write_text(tex_source, encoding="utf-8")
        command = [binary, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                   "-file-line-error", source.name]
        if shutil.which("setpriv"):  # the TeX engine dies with derive
            command = ["setpriv", "--pdeathsig", "KILL", *command]
        log = Path(folder) / "document.log"
        for _ in range(MAX_PASSES):
            done = _run_tex(command, folder, what, program)
            text = log.read_text(errors="replace") if log.is_file() else ""
            if done.returncode != 0 or not RERUN.search(text):
                break
        pdf = Path(folder) / "document.pdf"
        if done.returncode != 0 or not pdf.is_file():
            text = text or done.stdout + done.stderr
            raise DeriveError(f"{what}: {program} failed: {relevant_log_lines(text)}; "
                              "try --format tex to inspect the LaTeX source")
        return write_atomic(pdf_path, pdf.read_bytes())


def _run_tex(command: list[str], folder: str, what: str, program: str):
    try:
        return subprocess.run(command, cwd=folder, env=tex_environment(folder),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              check=False, errors="replace", timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DeriveError(f"{what}: {program} took longer than {TIMEOUT} s; try --format tex "
                          "and compile it yourself") from None


def relevant_log_lines(log: str) -> str:
    """The error lines of a TeX log (`! ...`, `file:line: ...`) and the lines just after."""
    lines = log.splitlines()
    picked: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^\S*\.tex:\d+: ", line) or any(
                refusal in line for refusal in ("Not reading from", "Not writing to")):
            picked.extend(lines[i:i + 1 + LOG_CONTEXT])
        if len(picked) >= 9:
            break
    text = " | ".join(p.strip() for p in picked if p.strip())
    return text or "no error line in the log (" + " ".join(lines[-3:]).strip() + ")"
