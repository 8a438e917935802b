"""Command line: hash, offer by hash, send the rest, print a summary table."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from uploader.client import LinkClient, LinkProblem, Part
from uploader.files import collect, sha256_of
from uploader.link import BadLink, parse_link
from uploader.sender import kept_sender, new_sender, state_directory

EPILOG = """\
Everyone who has a link sees only the uploads sent with their own sender id. This
uploader makes one per link and keeps it, readable by you only, in
$XDG_STATE_HOME/inlet/senders/<link id> (~/.local/state/... when XDG_STATE_HOME is
unset); it is sent as the X-Inlet-Sender header. Keep it like a password: with it and
the link, GET /v1/uploads/self lists what you sent. The link's quota is shared.
"""

# Bytes per multipart request: a retry never resends more than this.
BATCH_BYTES = 64 * 1024 * 1024
EXIT_FAILED = 1
EXIT_LINK = 2


@dataclass
class Item:
    path: Path
    size: int
    sha256: str = ""
    result: str = ""  # stored, duplicate, refused, failed
    image_id: str = ""
    detail: str = ""
    by_hash: bool = False

    @property
    def name(self) -> str:
        return self.path.name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m uploader",
        description="Upload images through an Inlet link. Known images are sent by hash.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("link", help="the link: its page_url (…/u/#token) or url form")
    parser.add_argument("paths", nargs="+", type=Path, help="files and folders (recursive)")
    parser.add_argument("--retries", type=int, default=5, help="retries per request (default 5)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        base, token = parse_link(args.link)
    except BadLink as exc:
        console.print(f"[red]{exc}[/red]")
        return EXIT_LINK
    client = LinkClient(
        base,
        token,
        sender=_sender(token, console),
        retries=args.retries,
        on_retry=lambda why, delay: console.print(f"{why}; retrying in {delay:.1f} s"),
    )
    try:
        return Uploader(client, Console()).run(args.paths)
    except LinkProblem as exc:
        console.print(f"[red]The link cannot be used: {exc}[/red]")
        return EXIT_LINK


def _sender(token: str, console: Console) -> str:
    """This link's kept sender id, or one for this run when none can be kept."""
    try:
        return kept_sender(state_directory(os.environ), token)
    except (OSError, RuntimeError) as exc:
        console.print(
            f"[yellow]Cannot keep a sender id ({escape(str(exc))}): this run's uploads get "
            "an id of their own, which is not kept.[/yellow]"
        )
        return new_sender()


class Uploader:
    def __init__(self, client: LinkClient, console: Console) -> None:
        self.client = client
        self.console = console

    def run(self, paths: Sequence[Path]) -> int:
        info = self.client.describe()
        extensions = frozenset(info["accepted"]["extensions"])
        found, missing = collect(paths, extensions)
        items = [Item(p, p.stat().st_size) for p in found]
        items += [Item(p, 0, result="failed", detail="no such file or folder") for p in missing]
        self._precheck(items, int(info["max_image_bytes"]))
        _fit_byte_quota(items, info.get("remaining_bytes"))
        batch = max(1, int(info["max_files_per_request"]))
        with self._progress() as progress:
            self._hash(items, progress)
            self._offer_by_hash(items, batch)
            self._send(items, batch, progress)
        self._summary(items)
        return 0 if all(i.result in ("stored", "duplicate") for i in items) else EXIT_FAILED

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )

    @staticmethod
    def _precheck(items: list[Item], max_bytes: int) -> None:
        for item in items:
            if item.result:
                continue
            if item.size == 0:
                item.result, item.detail = "refused", "file is empty"
            elif item.size > max_bytes:
                item.result = "refused"
                item.detail = f"{item.size} bytes; the link accepts at most {max_bytes}"

    def _hash(self, items: list[Item], progress: Progress) -> None:
        todo = [i for i in items if not i.result]
        task = progress.add_task("Hashing", total=sum(i.size for i in todo))
        for item in todo:
            item.sha256 = sha256_of(item.path, lambda n: progress.advance(task, n))

    def _offer_by_hash(self, items: list[Item], batch: int) -> None:
        todo = [i for i in items if not i.result]
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            answers = self.client.by_hash([(i.sha256, i.name) for i in chunk])
            for item, answer in zip(chunk, answers, strict=True):
                if answer.get("error", {}).get("status") == 404:
                    continue  # not stored yet: its bytes go next
                item.by_hash = True
                _apply(item, answer)

    def _send(self, items: list[Item], batch: int, progress: Progress) -> None:
        todo = [i for i in items if not i.result]
        task = progress.add_task("Uploading", total=sum(i.size for i in todo))
        for chunk in _batches(todo, batch, BATCH_BYTES):
            parts = [Part(i.path, i.name, i.size) for i in chunk]
            answers = self.client.upload(parts, lambda n: progress.advance(task, n))
            for item, answer in zip(chunk, answers, strict=True):
                _apply(item, answer)

    def _summary(self, items: list[Item]) -> None:
        table = Table(title="Upload summary")
        for column in ("file", "result", "id", "detail"):
            table.add_column(column, overflow="fold")
        for item in items:
            result = f"{item.result} (by hash)" if item.by_hash else item.result
            table.add_row(str(item.path), result, item.image_id[:16], item.detail)
        self.console.print(table)
        counts = {r: sum(i.result == r for i in items) for r in ("stored", "duplicate")}
        as_bytes = sum(1 for i in items if i.result in ("stored", "duplicate") and not i.by_hash)
        bad = len(items) - counts["stored"] - counts["duplicate"]
        self.console.print(
            f"{counts['stored']} stored, {counts['duplicate']} duplicates, {bad} refused or "
            f"failed; {as_bytes} sent as bytes, {sum(i.by_hash for i in items)} by hash",
            markup=False,
        )


def _fit_byte_quota(items: list[Item], remaining: object) -> None:
    """Refuse, before sending anything, the files the link's byte quota cannot take
    (in order: a later, smaller file may still fit), as the server would."""
    if not isinstance(remaining, int):
        return  # no byte limit
    left = remaining
    for item in items:
        if item.result:
            continue
        if item.size > left:
            item.result = "refused"
            item.detail = f"{item.size} bytes, too large for what this link has left ({left})"
        else:
            left -= item.size


def _apply(item: Item, answer: dict[str, object]) -> None:
    image_id = answer.get("id")
    if isinstance(image_id, str):
        item.image_id = image_id
        item.result = "duplicate" if answer.get("duplicate") else "stored"
        return
    error = answer.get("error")
    detail = error.get("detail") if isinstance(error, dict) else None
    status = error.get("status") if isinstance(error, dict) else None
    item.result = "failed" if status in (None, 429, 500, 502, 503, 504) else "refused"
    item.detail = str(detail or "no reason given")


def _batches(items: list[Item], most: int, max_bytes: int) -> list[list[Item]]:
    batches: list[list[Item]] = []
    current: list[Item] = []
    size = 0
    for item in items:
        if current and (len(current) >= most or size + item.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    return batches
