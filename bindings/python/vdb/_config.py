"""Index configuration: metric and codes names and their C values, and the
vdb_config that ``Index(dim, ...)`` and ``Index.map_vectors`` arguments make.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

import numpy as np

from ._common import U64_MAX as _U64_MAX
from ._common import is_int as _is_int
from ._common import uint as _uint
from ._errors import InvalidArgumentError
from ._generated import VDB_CODES
from ._native import ffi, lib

_METRICS: Dict[str, int] = {
    "l2": lib.VDB_METRIC_L2,
    "ip": lib.VDB_METRIC_IP,
    "cosine": lib.VDB_METRIC_COSINE,
}
METRIC_NAMES: Dict[int, str] = {value: name for name, value in _METRICS.items()}


def _metric_code(metric: Union[str, int]) -> int:
    if isinstance(metric, str):
        code = _METRICS.get(metric.lower())
        if code is None:
            raise InvalidArgumentError(f"unknown metric {metric!r}; use one of {', '.join(_METRICS)}")
        return code
    if isinstance(metric, (int, np.integer)) and int(metric) in METRIC_NAMES:
        return int(metric)
    raise InvalidArgumentError(f"unknown metric {metric!r}; use one of {', '.join(_METRICS)}")


#: Codes by name, from the header's enum: "none", "int8", "pq". Index.config
#: reports "none" as None.
_CODES: Dict[str, int] = {name[len("VDB_CODES_"):].lower(): value for name, value in VDB_CODES.items()}
CODES_NAMES: Dict[int, Optional[str]] = {value: name for name, value in _CODES.items()}
CODES_NAMES[lib.VDB_CODES_NONE] = None


def _codes_code(codes: Union[None, str, int]) -> int:
    if codes is None:
        return int(lib.VDB_CODES_NONE)
    if isinstance(codes, str):
        code = _CODES.get(codes.lower())
        if code is not None:
            return code
    elif _is_int(codes) and int(codes) in CODES_NAMES:  # not a bool: codes=True is not a kind of codes
        return int(codes)
    raise InvalidArgumentError(f"unknown codes {codes!r}; use None or one of {', '.join(map(repr, _CODES))}")


def new_config(
    dim: int,
    metric: Union[str, int],
    m: int,
    ef_construction: int,
    ef_search: int,
    threads: int,
    seed: int,
    codes: Union[None, str, int],
    code_bytes: int,
    rerank: int,
) -> Any:
    cfg = ffi.new("vdb_config *")
    lib.vdb_config_init(cfg, lib.VDB_CONFIG_VERSION)
    cfg.dim = _uint("dim", dim)
    cfg.metric = _metric_code(metric)
    cfg.m = _uint("m", m)
    cfg.ef_construction = _uint("ef_construction", ef_construction)
    cfg.ef_search = _uint("ef_search", ef_search)
    cfg.threads = _uint("threads", threads)
    cfg.seed = _uint("seed", seed, _U64_MAX)
    cfg.codes = _codes_code(codes)
    cfg.code_bytes = _uint("code_bytes", code_bytes)
    cfg.rerank = _uint("rerank", rerank)
    return cfg
