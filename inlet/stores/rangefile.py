"""A read-only, seekable file over ranged reads, fetching only the blocks that are read.

Metadata lives in the first kilobytes of most images; :class:`RangeFile` lets a parser
seek and read as if it had the whole object while only those blocks travel from the
store (HTTP Range requests against S3). Blocks are cached, and neighbouring missing
blocks are fetched in one request.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from inlet.stores.blobstore import BlobStore

DEFAULT_BLOCK_SIZE = 64 * 1024


class RangeFile(io.RawIOBase):
    """``read_range(start, stop)`` returns the bytes ``[start, stop)`` of an object of ``size``.

    Errors of ``read_range`` propagate unchanged from ``read``.
    """

    def __init__(
        self,
        read_range: Callable[[int, int], bytes],
        size: int,
        block_size: int = DEFAULT_BLOCK_SIZE,
    ) -> None:
        super().__init__()
        if size < 0 or block_size <= 0:
            raise ValueError("size must be >= 0 and block_size > 0")
        self._read_range = read_range
        self._size = size
        self._block_size = block_size
        self._blocks: dict[int, bytes] = {}
        self._pos = 0
        self.bytes_fetched = 0
        self.requests = 0

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence: {whence}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        start = self._pos
        stop = self._size if size is None or size < 0 else min(self._size, start + size)
        if stop <= start:
            return b""
        self._pos = stop
        return self._slice(start, stop)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def _slice(self, start: int, stop: int) -> bytes:
        bs = self._block_size
        first, last = start // bs, (stop - 1) // bs
        if first == last:
            # Parsers read a few bytes at a time: keep the cached single-block case short.
            block = self._blocks.get(first)
            if block is None:
                self._fetch(first, first)
                block = self._blocks[first]
            base = first * bs
            return block[start - base : stop - base]
        self._fetch(first, last)
        parts = [self._blocks[i] for i in range(first, last + 1)]
        parts[-1] = parts[-1][: stop - last * bs]
        parts[0] = parts[0][start - first * bs :]
        return b"".join(parts)

    def _fetch(self, first: int, last: int) -> None:
        """Fill the missing blocks in ``[first, last]``, one request per run of them."""
        missing = [i for i in range(first, last + 1) if i not in self._blocks]
        while missing:
            run_end = 0
            while run_end + 1 < len(missing) and missing[run_end + 1] == missing[run_end] + 1:
                run_end += 1
            self._fetch_run(missing[0], missing[run_end])
            missing = missing[run_end + 1 :]

    def _fetch_run(self, first: int, last: int) -> None:
        bs = self._block_size
        start, stop = first * bs, min(self._size, (last + 1) * bs)
        data = self._read_range(start, stop)
        self.requests += 1
        self.bytes_fetched += len(data)
        if len(data) != stop - start:
            raise OSError(
                f"range {start}-{stop} returned {len(data)} bytes; was the object changed?"
            )
        for i in range(first, last + 1):
            self._blocks[i] = data[(i - first) * bs : (i - first + 1) * bs]

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def close(self) -> None:
        self._blocks.clear()
        super().close()


def blob_range_reader(store: BlobStore, image_id: str) -> Callable[[int, int], bytes]:
    """A ``read_range`` for :class:`RangeFile` over one object of a blob store."""

    def read_range(start: int, stop: int) -> bytes:
        stream = store.open(image_id, byte_range=f"bytes={start}-{stop - 1}")
        try:
            return stream.read()
        finally:
            stream.close()

    return read_range
