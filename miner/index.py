"""FAISS over the prompt embeddings: build, search, and near-duplicate marking.

The index holds the distinct prompts (rows whose `dup_of` is null), with FAISS ids equal to
their row numbers in prompts.parquet, so a search never returns a wall of exact copies.
Vectors are unit rows, so inner product is cosine. Up to `index.exact_max` vectors the
index is exact (`IndexFlatIP`); above it IVF (or HNSW, by config) trades a little recall for
a large speed-up. Near-duplicates (cosine >= `near_dup_threshold` among each prompt's
`near_dup_k` nearest) are joined into connected groups; the group's earliest row is kept
and every other member gets `near_dup_of` = that row's id in prompts.parquet.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from miner.artifacts import (
    EMBEDDINGS,
    EMBEDDINGS_INFO,
    INDEX,
    PROMPTS,
    distinct_rows,
    prompt_roots,
    read_json,
    read_table,
)
from miner.console import info, progress
from miner.embed import current_embeddings, make_embedder
from miner.errors import InputError, MinerError, MissingArtifactError
from miner.exact import TorchExactIndex
from miner.run import Run, StageOutcome

_QUERY_BLOCK = 8192
# FAISS warns below 39 training points per IVF cell.
_POINTS_PER_CELL = 39


def choose_kind(section: dict[str, Any], n: int) -> str:
    """The index kind for `n` vectors: `auto` is exact up to `exact_max`, IVF above."""
    kind = section["kind"]
    if kind == "auto":
        return "flat" if n <= int(section["exact_max"]) else "ivf"
    return kind


def ivf_cells(section: dict[str, Any], n: int) -> int:
    """IVF cell count: `ivf_nlist`, or 4 * sqrt(N); never more than N / 39."""
    wanted = section["ivf_nlist"] or round(4 * math.sqrt(n))
    return max(1, min(int(wanted), n // _POINTS_PER_CELL))


def build_index(vectors: np.ndarray, ids: np.ndarray, section: dict[str, Any]) -> Any:
    """A FAISS inner-product index over `vectors`, whose search returns `ids`."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    n, dim = vectors.shape
    kind = choose_kind(section, n)
    if kind == "flat":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    elif kind == "hnsw":
        graph = faiss.IndexHNSWFlat(dim, int(section["hnsw_m"]), faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = int(section["hnsw_ef_construction"])
        index = faiss.IndexIDMap2(graph)
    else:
        quantizer = faiss.IndexFlatIP(dim)
        cells = ivf_cells(section, n)
        index = faiss.IndexIVFFlat(quantizer, dim, cells, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = int(section["seed"])
        index.cp.min_points_per_centroid = 1  # cells are already capped at N / 39
        index.train(vectors)
    index.add_with_ids(vectors, ids)
    set_search_params(index, section)
    return index


def _core(index: Any) -> Any:
    """The index inside an id map (the map itself when there is none)."""
    import faiss

    if isinstance(index, (faiss.IndexIDMap, faiss.IndexIDMap2)):
        return faiss.downcast_index(index.index)
    return index


def set_search_params(index: Any, section: dict[str, Any]) -> None:
    """Apply `ivf_nprobe` / `hnsw_ef_search` (FAISS does not store them in the file)."""
    import faiss

    core = _core(index)
    if isinstance(core, faiss.IndexIVF):
        core.nprobe = int(section["ivf_nprobe"])
    elif isinstance(core, faiss.IndexHNSW):
        core.hnsw.efSearch = int(section["hnsw_ef_search"])


def describe_index(index: Any) -> dict[str, Any]:
    """Kind and parameters of an index, for the manifest and messages."""
    import faiss

    core = _core(index)
    if isinstance(core, faiss.IndexIVF):
        return {"kind": "ivf", "nlist": int(core.nlist), "nprobe": int(core.nprobe)}
    if isinstance(core, faiss.IndexHNSW):
        return {"kind": "hnsw", "ef_search": int(core.hnsw.efSearch)}
    return {"kind": "flat"}


def nearest(
    index: Any, vectors: np.ndarray, k: int, *, bar: Any | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The `k` nearest ids of each row of `vectors` and their cosines, best first.

    Returns (sims, ids), both (n, k); a query with fewer than `k` neighbours found pads with
    id -1 and similarity -inf. `bar.update(n)` is called per block of queries.
    """
    vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    if isinstance(index, TorchExactIndex):
        return index.nearest(vectors, k, bar=bar)
    import faiss

    if vectors.shape[1] != index.d:
        raise MinerError(f"query vectors have width {vectors.shape[1]}, the index {index.d}")
    core = _core(index)
    if isinstance(core, faiss.IndexHNSW) and core.hnsw.efSearch < k:
        core.hnsw.efSearch = k  # HNSW finds at most efSearch neighbours
    sims = np.full((len(vectors), k), -np.inf, dtype=np.float32)
    ids = np.full((len(vectors), k), -1, dtype=np.int64)
    reach = min(k, int(index.ntotal))
    if reach == 0:
        return sims, ids
    for start in range(0, len(vectors), _QUERY_BLOCK):
        block = vectors[start:start + _QUERY_BLOCK]
        found_sims, found_ids = index.search(block, reach)
        sims[start:start + len(block), :reach] = found_sims
        ids[start:start + len(block), :reach] = found_ids
        if bar is not None:
            bar.update(len(block))
    sims[ids < 0] = -np.inf
    return sims, ids


def near_duplicate_representatives(
    index: Any, vectors: np.ndarray, rows: np.ndarray, threshold: float, k: int,
    *, bar: Any | None = None,
) -> tuple[np.ndarray, int]:
    """For each of `rows` (ids in `index`, `vectors` their vectors), its group's earliest row.

    Two rows are linked when one is among the other's `k` nearest with cosine >= `threshold`;
    groups are the connected components. Returns (representative row per row, link count).
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return rows.copy(), 0
    sims, ids = nearest(index, vectors, k + 1, bar=bar)
    position = {row: i for i, row in enumerate(rows.tolist())}
    source, column = np.nonzero((sims >= threshold) & (ids >= 0))
    links = set()
    for a, neighbour in zip(source.tolist(), ids[source, column].tolist(), strict=True):
        b = position.get(neighbour)
        if b is not None and b != a:
            links.add((min(a, b), max(a, b)))
    # Union-find whose root is always the group's earliest row.
    parent = list(range(len(rows)))
    row_of = rows.tolist()

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in sorted(links):
        first, second = sorted((root(a), root(b)), key=row_of.__getitem__)
        parent[second] = first
    return np.array([row_of[root(i)] for i in range(len(rows))], dtype=np.int64), len(links)


def prompt_keys(run: Run) -> tuple[list[str], np.ndarray]:
    """Ids of prompts.parquet and the row numbers of its distinct prompts (`dup_of` null)."""
    table = read_table(run, PROMPTS, ["id", "dup_of"])
    ids = table.column("id").to_pylist()
    return ids, distinct_rows(prompt_roots(ids, table.column("dup_of").to_pylist()))


def run_index(run: Run, config: dict[str, Any], *, force: bool = False) -> StageOutcome:
    """Build index.faiss and mark `near_dup_of` in prompts.parquet.

    Skipped when the embeddings, the prompts' ids and duplicate marks, and the `index` config
    are unchanged, and its outputs are intact (unless `force`).
    """
    section = config["index"]
    ids, distinct = prompt_keys(run)
    keys = hashlib.sha256("\0".join(ids).encode() + distinct.tobytes()).hexdigest()[:16]
    inputs = {EMBEDDINGS.name: run.digest(EMBEDDINGS), "prompt_ids": keys}

    def body() -> dict[str, Any]:
        return _index(run, section, ids, distinct)

    return run.run_stage(
        "index", inputs=inputs, config=section, outputs=[INDEX, PROMPTS], body=body, force=force
    )


def near_dup_method(choice: str) -> str:
    """How near-duplicates are searched: "faiss" (the built index), or exact search on
    "cuda" or "cpu". `auto` is exact on a GPU and FAISS otherwise."""
    import torch

    gpu = torch.cuda.is_available()
    if choice == "exact":
        return "cuda" if gpu else "cpu"
    return "cuda" if choice == "auto" and gpu else "faiss"


def _index(run: Run, section: dict[str, Any], ids: list[str], distinct: np.ndarray) -> dict:
    import faiss

    vectors = current_embeddings(run)
    chosen = np.ascontiguousarray(vectors[distinct], dtype=np.float32)
    index = build_index(chosen, distinct, section)
    described = describe_index(index)
    info(f"index: {len(distinct):,} distinct prompts, {described['kind']} index")
    method = near_dup_method(str(section["near_dup_search"]))
    searched = index if method == "faiss" else TorchExactIndex(chosen, distinct, method)
    if method != "faiss":
        info(f"index: near-duplicates by exact search on {method}")
    with progress(total=len(distinct), desc="near-duplicates", unit="prompt") as bar:
        representative, links = near_duplicate_representatives(
            searched, chosen, distinct, float(section["near_dup_threshold"]),
            int(section["near_dup_k"]), bar=bar,
        )
    near_dup_of: list[str | None] = [None] * len(ids)
    for row, rep in zip(distinct.tolist(), representative.tolist(), strict=True):
        if rep != row:
            near_dup_of[row] = ids[rep]
    faiss.write_index(index, str(run.output(INDEX)))
    _write_near_dups(run, near_dup_of)
    marked = sum(value is not None for value in near_dup_of)
    groups = len({value for value in near_dup_of if value is not None})
    info(f"index: near_dup_of set on {marked:,} prompts ({groups:,} groups) in {PROMPTS}")
    return {
        **described, "near_dup_search": method,
        "vectors": int(index.ntotal), "near_dup_links": links,
        "near_dup_groups": groups, "near_dup_marked": marked,
    }


def _write_near_dups(run: Run, near_dup_of: list[str | None]) -> None:
    """Replace prompts.parquet's `near_dup_of` column, atomically, keeping everything else."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = read_table(run, PROMPTS)
    column = pa.array(near_dup_of, type=pa.string())
    names = table.column_names
    if "near_dup_of" in names:
        table = table.set_column(names.index("near_dup_of"), "near_dup_of", column)
    else:
        table = table.append_column("near_dup_of", column)
    # Published with the index; the manifest re-records it under ingest too (Run._record).
    pq.write_table(table, run.output(PROMPTS))


def load_index(run: Run, index_config: dict[str, Any] | None = None) -> Any:
    """The run's index.faiss, with search parameters from `index_config` (or as built)."""
    import faiss

    path = run.require(INDEX)
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        first = (str(exc).strip().splitlines() or ["unreadable"])[0][:200]
        raise MinerError(f"{path}: not a FAISS index ({first}); rerun `miner index`") from None
    if index_config is None:
        counts = (run.stage_entry("index") or {}).get("counts", {})
        index_config = {"ivf_nprobe": counts.get("nprobe", 32),
                        "hnsw_ef_search": counts.get("ef_search", 64)}
    set_search_params(index, index_config)
    return index


def _check_utf8(query: str) -> None:
    """Refuse a query that is not UTF-8 text: bytes a non-UTF-8 terminal passed through argv
    (Python keeps them as lone surrogates, which no tokenizer takes)."""
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(query[exc.start])
        what = (f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF
                else f"lone surrogate U+{code:04X}")
        raise InputError(
            f"search: the query is not UTF-8 text ({what} at character {exc.start + 1}); "
            "set the terminal's encoding to UTF-8 (e.g. LANG=C.UTF-8) or convert the query"
        ) from None


def search(run: Run, config: dict[str, Any], query: str, k: int) -> list[dict[str, Any]]:
    """The `k` prompts nearest `query`: [{rank, id, similarity, text}], best first.

    The query is embedded with the model that embedded the run (embeddings.json), whatever
    the current config names.
    """
    if not isinstance(query, str) or not query.strip():
        raise InputError("search: the query is empty")
    _check_utf8(query)
    if k < 1:
        raise InputError(f"search: k must be at least 1; got {k}")
    recorded = read_json(run, EMBEDDINGS_INFO)
    index = load_index(run, config["index"])
    built_from = (run.stage_entry("index") or {}).get("inputs", {}).get(EMBEDDINGS.name)
    if built_from is not None and built_from != run.digest(EMBEDDINGS):
        raise MissingArtifactError(
            f"{run.file(INDEX)} was built from older embeddings: run `miner index --run "
            f"{run.path}` again"
        )
    embedder = make_embedder(
        {**config["embed"], "backend": recorded["backend"], "model": recorded["model"]}
    )
    query_vector = embedder.encode([query])
    sims, rows = nearest(index, query_vector, k)
    found = [(int(row), float(sim)) for row, sim in zip(rows[0], sims[0], strict=True) if row >= 0]
    table = read_table(run, PROMPTS, ["id", "text"])
    picked = table.take(np.array([row for row, _ in found], dtype=np.int64))
    prompt_ids = picked.column("id").to_pylist()
    texts = picked.column("text").to_pylist()
    return [
        {"rank": i + 1, "id": prompt_ids[i], "similarity": round(sim, 4), "text": texts[i]}
        for i, (_, sim) in enumerate(found)
    ]
