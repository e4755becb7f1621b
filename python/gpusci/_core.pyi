"""Type stub of the Rust extension module (checked against it by ``mypy.stubtest``)."""

from os import PathLike
from typing import Any, Optional, Sequence, Tuple, Union, final

import numpy as np
import numpy.typing as npt

__version__: str

def set_backend(backend: str) -> None: ...
def get_backend() -> str: ...
def set_num_threads(threads: int) -> None: ...
def get_num_threads() -> int: ...
#: ``(min, max, nan seen)`` of one coordinate.
_Bounds = Tuple[float, float, bool]

def adapters() -> list[dict[str, Any]]: ...
def describe_backend(backend: Optional[str] = None) -> str: ...
def gaussian_filter_nd(
    input: npt.NDArray[Any],
    axes: Optional[Sequence[int]],
    sigma: Sequence[float],
    order: Sequence[int],
    mode: Sequence[str],
    cval: float,
    truncate: float,
    radius: Optional[Sequence[int]],
    nan_policy: str,
    backend: Optional[str],
    precision: Optional[str] = None,
) -> npt.NDArray[Any]: ...
def gaussian_filter_stack(
    input: npt.NDArray[Any],
    sigmas: Sequence[float],
    order: Sequence[int],
    mode: Sequence[str],
    cval: float,
    truncate: float,
    radius: Optional[Sequence[int]],
    nan_policy: str,
    backend: Optional[str],
    precision: Optional[str] = None,
) -> npt.NDArray[Any]: ...
def histogram2d(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    bins_x: Union[int, npt.NDArray[np.float64]],
    bins_y: Union[int, npt.NDArray[np.float64]],
    range: Optional[Sequence[Sequence[float]]],
    density: bool,
    weights: Optional[npt.NDArray[np.float64]],
    float32_edges: bool,
    backend: Optional[str],
    bounds: Optional[Tuple[_Bounds, _Bounds]] = None,
) -> Tuple[
    npt.NDArray[np.float64], npt.NDArray[np.floating[Any]], npt.NDArray[np.floating[Any]], list[int]
]: ...
def bounds(values: npt.NDArray[np.float64]) -> _Bounds: ...
def histogram2d_from_sums(
    sums: npt.NDArray[np.float64],
    bins_x: Union[int, npt.NDArray[np.float64]],
    bins_y: Union[int, npt.NDArray[np.float64]],
    range: Optional[Sequence[Sequence[float]]],
    density: bool,
    float32_edges: bool,
    bounds: Tuple[_Bounds, _Bounds],
    report: Sequence[int],
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.floating[Any]], npt.NDArray[np.floating[Any]]]: ...
def heatmap_from_sums(
    sums: npt.NDArray[np.float64],
    report: Sequence[int],
    sigma: float,
    scale: str,
    cmap: str,
    backend: Optional[str],
) -> Tuple[npt.NDArray[np.uint8], list[int]]: ...
def convolve(
    kind: str,
    in1: npt.NDArray[np.float64],
    in2: npt.NDArray[np.float64],
    mode: str,
    method: str,
    backend: Optional[str],
    precision: Optional[str] = None,
) -> npt.NDArray[np.float64]: ...
def correlation_lags(in1_len: int, in2_len: int, mode: str) -> npt.NDArray[np.int64]: ...
def lag(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    method: str,
    backend: Optional[str],
    precision: Optional[str] = None,
) -> Tuple[int, float, float, float]: ...
def crossings(
    x: npt.NDArray[np.float64],
    threshold: float,
    down: Optional[float],
    direction: str,
    min_gap: int,
    float32: bool,
    backend: Optional[str],
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def rolling_mean(
    x: npt.NDArray[np.float64],
    k: int,
    mode: str,
    nan_policy: str,
    min_count: Optional[int],
    backend: Optional[str] = None,
) -> npt.NDArray[np.float64]: ...
def fft_rows(
    data: npt.NDArray[np.complexfloating[Any, Any]],
    inverse: bool,
    backend: Optional[str] = None,
    precision: Optional[str] = None,
) -> npt.NDArray[np.complexfloating[Any, Any]]: ...
def rfft_rows(
    data: npt.NDArray[np.floating[Any]],
    backend: Optional[str] = None,
    precision: Optional[str] = None,
) -> npt.NDArray[np.complexfloating[Any, Any]]: ...
def irfft_rows(
    data: npt.NDArray[np.complexfloating[Any, Any]],
    n: int,
    backend: Optional[str] = None,
    precision: Optional[str] = None,
) -> npt.NDArray[np.floating[Any]]: ...
def heatmap(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    weights: Optional[npt.NDArray[np.float64]],
    size: Tuple[int, int],
    range: Optional[Sequence[Sequence[float]]],
    sigma: float,
    scale: str,
    cmap: str,
    float32: bool,
    backend: Optional[str],
) -> Tuple[npt.NDArray[np.uint8], list[int]]: ...
def png_bytes(rgba: npt.NDArray[np.uint8]) -> bytes: ...
def write_png(path: Union[str, PathLike[str]], rgba: npt.NDArray[np.uint8]) -> None: ...
def _probe_view(x: npt.NDArray[np.float64]) -> Tuple[int, float]: ...
def balanced_network(
    params: Tuple[float, float, float, float, float, float, float, float, float, int, list[int], int],
    network: Tuple[int, float, float, int],
    weights: Optional[npt.NDArray[np.float64]],
    v0: Optional[npt.NDArray[np.float64]],
    batch: int,
    backend: Optional[str],
) -> list[Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], list[float]]]: ...
def balanced_network_jobs(
    jobs: Sequence[
        Tuple[
            Tuple[float, float, float, float, float, float, float, float, float, int, list[int], int],
            Tuple[int, float, float, int],
        ]
    ],
    backend: Optional[str],
) -> list[Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], list[float]]]: ...
def gpu_device_open() -> bool: ...
def device_stats(reset: bool = False) -> dict[str, int]: ...
def isi_cv(trains: Sequence[npt.NDArray[np.float64]]) -> float: ...
def hodgkin_huxley(
    neurons: int,
    record: int,
    t: float,
    dt: float,
    i_app: float,
    n_ex: int,
    n_in: int,
    rate: float,
    p: float,
    seed: int,
    backend: Optional[str],
    precision: Optional[str] = None,
) -> list[Tuple[npt.NDArray[np.uint32], Tuple[int, int], Optional[npt.NDArray[np.float64]]]]: ...
def leapfrog(
    n: int,
    cfl: float,
    t: float,
    problem: str,
    start: str,
    every: int,
    backend: Optional[str],
) -> Tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float32],
    int,
    float,
    Tuple[float, float],
]: ...
def convergence(
    sizes: Sequence[int],
    cfl: float,
    t: float,
    problem: str,
    start: str,
    backend: Optional[str],
) -> Tuple[list[int], list[float], list[float], float, float]: ...
def animate_field(
    field: npt.NDArray[np.float32],
    path: Union[str, PathLike[str]],
    size: Tuple[int, int],
    fps: float,
    frames: Optional[int],
) -> str: ...
def animate_points(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    path: Union[str, PathLike[str]],
    bins: Tuple[int, int],
    window: float,
    step: float,
    cmap: str,
    fps: float,
    frames: Optional[int],
    backend: Optional[str],
) -> str: ...
def animate_traveling_wave(
    path: Union[str, PathLike[str]],
    size: Tuple[int, int],
    fps: float,
    frames: Optional[int],
) -> str: ...
def animate_spikes(
    path: Union[str, PathLike[str]],
    n: int,
    t: float,
    seed: int,
    window: float,
    count: int,
    size: Tuple[int, int],
    fps: float,
    backend: Optional[str],
) -> str: ...

@final
class Array:
    """An array on a GPU (``gpusci.asarray``)."""

    @property
    def shape(self) -> Tuple[int, ...]: ...
    @property
    def dtype(self) -> np.dtype[Any]: ...
    @property
    def ndim(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def nbytes(self) -> int: ...
    @property
    def device(self) -> str: ...
    @property
    def real(self) -> Array: ...
    @property
    def imag(self) -> Array: ...
    def get(self) -> npt.NDArray[Any]: ...
    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> npt.NDArray[Any]: ...
    def __len__(self) -> int: ...
    def copy(self) -> Array: ...
    def conj(self) -> Array: ...
    def conjugate(self) -> Array: ...
    def __add__(self, value: Any, /) -> Array: ...
    def __radd__(self, value: Any, /) -> Array: ...
    def __sub__(self, value: Any, /) -> Array: ...
    def __rsub__(self, value: Any, /) -> Array: ...
    def __mul__(self, value: Any, /) -> Array: ...
    def __rmul__(self, value: Any, /) -> Array: ...
    def __truediv__(self, value: Any, /) -> Array: ...
    def __rtruediv__(self, value: Any, /) -> Array: ...
    def __and__(self, value: Any, /) -> Array: ...
    def __or__(self, value: Any, /) -> Array: ...
    def __xor__(self, value: Any, /) -> Array: ...
    def __neg__(self) -> Array: ...
    def __abs__(self) -> Array: ...
    def __invert__(self) -> Array: ...
    def __lt__(self, value: Any, /) -> Array: ...
    def __le__(self, value: Any, /) -> Array: ...
    def __gt__(self, value: Any, /) -> Array: ...
    def __ge__(self, value: Any, /) -> Array: ...
    def __eq__(self, value: Any, /) -> Array: ...  # type: ignore[override]
    def __ne__(self, value: Any, /) -> Array: ...  # type: ignore[override]
    def __setitem__(self, key: Any, value: Any, /) -> None: ...
    def __getitem__(self, key: Any, /) -> Array: ...
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any: ...
    def __array_function__(
        self, func: Any, types: Any, args: Tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...

def asarray(
    data: npt.NDArray[Any], backend: Optional[str] = None, precision: Optional[str] = None
) -> Optional[Array]: ...
def array_fft(
    a: Array, n: Optional[int], axis: int, norm: Optional[str], inverse: bool
) -> Array: ...
