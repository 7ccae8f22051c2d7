"""A Parquet file whose data pages were overwritten is refused, not read as other numbers.

Parquet's plain encoding has no redundancy: bytes overwritten inside a data page decode as other values (eight 0xFF
bytes are a NaN double, flipped bits a number of another sign and size), and every reader (pyarrow, DuckDB) returned
them. A golden dataset or a production log read so was judged on made-up values (NaN counted as missing: "drift").
Three checks, one row group and column at a time (memory: one batch):

- page checksums: a page written with its CRC (Spark / parquet-mr by default, gatekit's own Parquet files) is
  verified as it is read (pyarrow's ``page_checksum_verification``); a mismatch is corruption;
- the footer's statistics, written with the pages: a value below the column chunk's ``min`` or above its ``max``, or
  a null count other than the footer's, is corruption;
- a NaN with payload bits (any mantissa bit but the quiet bit): no writer makes one — NaN from numpy, pandas, Java
  or an arithmetic fault is the quiet NaN of either sign, and payloads only pass on from another such NaN — while
  overwritten bytes (0xFF...) are one.

What no reader can tell from data is read as data: without checksums, overwritten bytes that decode as numbers
inside the chunk's range, or as the quiet NaN, are not caught.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gatekit.errors import DatasetError

BATCH_ROWS = 65_536


def _advice(path: Any, where: str, what: str) -> DatasetError:
    return DatasetError(
        f"{path}: corrupt Parquet data ({where}: {what}); the file was damaged after it was written: restore it "
        "or write it again"
    )


def _physical_bounds(stats: Any) -> tuple[Any, Any] | None:
    """The chunk's (min, max) as the values read compare with them, or None (no statistics, or not comparable)."""
    if stats is None or not stats.has_min_max:
        return None
    if stats.physical_type not in ("INT32", "INT64", "FLOAT", "DOUBLE"):
        return None  # (byte arrays: min / max may be truncated by the writer)
    logical = str(stats.logical_type).replace(" ", "")
    if "isSigned=false" in logical or "Decimal" in logical or "Float16" in logical:
        return None  # (unsigned order, decimals: raw values compare differently)
    return stats.min_raw, stats.max_raw


def _as_physical(values: Any) -> Any:
    """``values`` (an Arrow array) as the numbers Parquet stored: timestamps, dates and times as their integers."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_time64(kind) or pa.types.is_duration(kind):
        return values.cast(pa.int64())
    if pa.types.is_date32(kind) or pa.types.is_time32(kind):
        return values.cast(pa.int32())
    if pa.types.is_signed_integer(kind) or pa.types.is_floating(kind):
        return values  # (unsigned: Parquet stores them as signed bits, its statistics in unsigned order)
    return None


def _odd_nans(numbers: Any) -> int:
    """How many NaN in the float array ``numbers`` carry payload bits (see the module docstring)."""
    import numpy as np
    import pyarrow as pa

    bits: Any
    if numbers.type == pa.float64():
        bits, payload = np.uint64, 0x0007FFFFFFFFFFFF
    elif numbers.type == pa.float32():
        bits, payload = np.uint32, 0x003FFFFF
    else:
        return 0
    raw = numbers.to_numpy(zero_copy_only=False)
    raw = raw[np.isnan(raw)] if raw.dtype.kind == "f" else raw[:0]
    return int(np.count_nonzero(raw.view(bits) & bits(payload)))


def verify_parquet(path: str | Path, columns: list[str] | None = None, source: Any = None) -> None:
    """Raise ``DatasetError`` (exit 2) naming ``path`` when ``columns`` (None: all top-level ones) read as corrupt.

    ``source``: the bytes (a ``pyarrow.BufferReader``) to read instead of ``path``, which then only names them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pfile = pq.ParquetFile(
            source if source is not None else path, page_checksum_verification=True, pre_buffer=False
        )
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({exc}); check the file") from None
    meta = pfile.metadata
    # top-level columns only: a leaf of a list or struct counts its nulls and values per element
    leaves = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    names = [n for n in (columns if columns is not None else pfile.schema_arrow.names) if n in leaves]
    for group in range(meta.num_row_groups):
        for name in names:
            where = f"row group {group}, column {name!r}"
            chunk = meta.row_group(group).column(leaves[name])
            stats = chunk.statistics if chunk.is_stats_set else None
            bounds = _physical_bounds(stats)
            nulls, odd = 0, 0
            low: Any = None
            high: Any = None
            try:
                for batch in pfile.iter_batches(BATCH_ROWS, [group], [name], use_threads=False):
                    values = batch.column(0)
                    nulls += values.null_count
                    numbers = _as_physical(values)
                    if numbers is None:
                        continue
                    if pa.types.is_floating(numbers.type):
                        odd += _odd_nans(numbers)
                        numbers = pc.filter(numbers, pc.invert(pc.is_nan(numbers)))
                    extremes = pc.min_max(numbers).as_py()
                    if extremes["min"] is not None:
                        low = extremes["min"] if low is None else min(low, extremes["min"])
                        high = extremes["max"] if high is None else max(high, extremes["max"])
            except (OSError, pa.ArrowException) as exc:  # a CRC mismatch, a page that does not decode
                raise _advice(path, where, " ".join(str(exc).split())[:200]) from None
            if odd:
                raise _advice(path, where, f"{odd} NaN with bits no writer sets (overwritten bytes)")
            if stats is not None and stats.has_null_count and stats.null_count != nulls:
                raise _advice(path, where, f"{nulls} nulls read where the file recorded {stats.null_count}")
            if bounds is not None and low is not None and (low < bounds[0] or high > bounds[1]):
                raise _advice(
                    path,
                    where,
                    f"values {low:g} to {high:g} read where the file recorded {bounds[0]:g} to {bounds[1]:g}",
                )
