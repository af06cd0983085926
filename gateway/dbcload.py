"""Loading one DBC (or KCD, SYM, ARXML) file: strictly, leniently, or with a clear error.

``load_dbc(path, frame_id_mask, lenient)`` tries cantools in strict mode, then with
``strict=False`` (overlapping signals or signals outside their message, as in several opendbc
files: logged as a warning). A file neither mode reads is a ``ProfileError`` naming the file, the
line and cantools' cause, e.g.::

    tesla_can.dbc: line 1190: cantools cannot load it: unused VAL_ entries in DBC: VAL_ 568 ...

With ``lenient=True`` the statement at fault is left out and the file read again, until it loads
(at most ``MAX_LEFT_OUT`` statements); ``DbcLoad.left_out`` lists what was left out, by line,
and the gateway reports it (a ``dbc_problems`` event). What is left out is usually a comment or
a value table; a message whose own definition is left out is simply absent.

``find_dbc(name, profile_dir, search_path)`` finds a file a profile names: next to the profile,
then in each folder of the DBC search path (``pitstop gateway --dbc-dir DIR``, the
``PITSTOP_DBC_PATH`` setting), so a shipped profile can name a DBC the user supplies.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cantools
from cantools.database.can import Database
from cantools.database.errors import Error as CantoolsError

from gateway.errors import ProfileError

log = logging.getLogger(__name__)

MAX_LEFT_OUT = 50
_SYNTAX_LINE = re.compile(r"at line (\d+)")
_UNUSED_VAL = re.compile(r"unused VAL_ entries in DBC:\s*VAL_ (\d+) (\w+)")


_HINT = " (set `lenient: true` on the bus to load the rest of the file)"


def find_dbc(name: str, profile_dir: Path, search_path: Sequence[Path] = ()) -> Path:
    """The file ``name`` (absolute, or relative to the profile's folder, then to each folder of
    ``search_path``); ``ProfileError`` naming the file, where it looked and the fix."""
    if Path(name).is_absolute():
        folders: list[Path] = [Path(name).parent]
        name = Path(name).name
    else:
        folders = [profile_dir, *search_path]
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(f) for f in folders)
    raise ProfileError(
        f"{name}: DBC file not found (looked in {looked}); give its folder with "
        "--dbc-dir DIR or PITSTOP_DBC_PATH"
    )


@dataclass(frozen=True, slots=True)
class DbcLoad:
    """A loaded database and what lenient loading left out (``"line N: cause"``)."""

    path: Path
    database: Database
    left_out: tuple[str, ...] = ()
    strict: bool = True


def load_dbc(path: Path, frame_id_mask: int | None = None, lenient: bool = False) -> DbcLoad:
    """Load ``path``; raise ``ProfileError`` with file, line and cause if it cannot be used."""
    if not path.is_file():
        raise ProfileError(f"{path}: DBC file not found")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise ProfileError(f"{path}: cannot read it: {err}") from err
    lines = text.splitlines()
    dropped: list[str] = []
    while True:
        try:
            db, strict = _load(path, text if not dropped else "\n".join(lines), frame_id_mask)
            return DbcLoad(path, db, tuple(dropped), strict)
        except CantoolsError as err:
            cause = " ".join(str(err).split())
            line = _fault_line(cause, lines)
            where = f"{path}: line {line}" if line else f"{path}"
            if not lenient or line is None or len(dropped) >= MAX_LEFT_OUT:
                hint = _HINT if not lenient and line is not None else ""
                raise ProfileError(f"{where}: cantools cannot load it: {cause}{hint}") from err
            dropped.append(f"line {line}: {cause}")
            log.warning("%s: left out line %d: %s", path, line, cause)
            lines[line - 1] = ""  # keep the numbering of the other lines


def _load(path: Path, text: str, mask: int | None) -> tuple[Database, bool]:
    database_format = _format(path)
    try:
        return _as_can(
            path,
            cantools.database.load_string(text, database_format, frame_id_mask=mask, strict=True),
        ), True
    except CantoolsError as strict_err:
        db = _as_can(
            path,
            cantools.database.load_string(text, database_format, frame_id_mask=mask, strict=False),
        )
        log.warning("%s: loaded with strict=False (strict mode said: %s)", path, strict_err)
        return db, False
    except (ValueError, KeyError, IndexError) as err:
        raise ProfileError(f"{path}: cantools cannot load it: {err}") from err


def _format(path: Path) -> str | None:
    return {".dbc": "dbc", ".kcd": "kcd", ".sym": "sym", ".arxml": "arxml"}.get(path.suffix.lower())


def _as_can(path: Path, db: object) -> Database:
    if not isinstance(db, Database):
        raise ProfileError(f"{path}: not a CAN database (cantools read it as {type(db).__name__})")
    return db


def _fault_line(cause: str, lines: list[str]) -> int | None:
    """The 1-based line cantools complains about, from its message or by finding the VAL_."""
    if match := _SYNTAX_LINE.search(cause):
        return int(match.group(1))
    if match := _UNUSED_VAL.search(cause):
        head = f"VAL_ {match.group(1)} {match.group(2)} "
        for number, text in enumerate(lines, start=1):
            if text.strip().startswith(head):
                return number
    return None
