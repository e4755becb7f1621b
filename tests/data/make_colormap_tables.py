#!/usr/bin/env python3
"""Writes matplotlib's colormap tables: the data the library draws with and the test fixtures.

Run from anywhere:  python3 tests/data/make_colormap_tables.py

For each map in MAPS and then its reversed form (``viridis_r``, ...) in the same order (the
order of the tables in the binary file and of the variants of `gpusci::render::Colormap`), the
table is matplotlib's colormap resampled to 256 entries, ``matplotlib.colormaps[name].resampled(256)``, converted to bytes exactly as matplotlib
converts it when it draws (``cmap(np.arange(256), bytes=True)[:, :3]``: the float table times
255, truncated to uint8, alpha dropped). Entry i is the colour matplotlib draws for a value in
bin i.

matplotlib's lookup rule (``Colormap._get_rgba_and_mask``, called by ``Colormap.__call__``) for
a float value t with N = 256 entries:

    xa = t * N                 # xa *= self.N
    xa[xa == N] = N - 1        # t == 1 is the last entry, not "over"
    xa < 0   -> the "under" colour (by default entry 0)
    xa >= N  -> the "over" colour (by default entry N - 1)
    NaN      -> the "bad" colour (by default transparent black)
    index = int(xa)            # xa.astype(int): truncation, i.e. floor for xa >= 0

so for t in [0, 1] the entry is ``min(floor(t * 256), 255)``, and values outside [0, 1] take the
end entries. gpusci uses the same rule (clamping t to [0, 1] first); it draws NaN as entry 0 (the
heatmap draws empty bins transparent or entry 0 by its own option).

The reversed maps are stored as matplotlib makes them rather than read backwards: for the maps
matplotlib defines by segments (``gray``), ``gray_r`` is its own function 1 - x sampled and
truncated to bytes, which is one level off ``gray`` read backwards in 78 of the 256 entries. For
the listed maps (viridis, ..., turbo) and ``hot`` and ``coolwarm`` the two agree.

Writes:
  src/render/colormaps.bin           2 * len(MAPS) * 256 * 3 bytes: the tables of NAMES (MAPS in
                                     order, then their _r forms in the same order), each 256 RGB
                                     triples (uint8), entry 0 first; embedded with include_bytes!
  tests/data/colormaps/<name>.npy    uint8 (256, 3): the same tables, for the tests (<name> in
                                     NAMES, e.g. viridis.npy and viridis_r.npy)
  tests/data/colormaps/manifest.json the matplotlib and NumPy versions, the maps in order, and
                                     the binary file's layout
"""
import json
import pathlib

import matplotlib
import numpy as np

MAPS = ["viridis", "magma", "inferno", "plasma", "cividis", "turbo", "gray", "hot", "coolwarm"]
NAMES = MAPS + [name + "_r" for name in MAPS]
ENTRIES = 256

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / "src" / "render" / "colormaps.bin"
OUT = ROOT / "tests" / "data" / "colormaps"
OUT.mkdir(parents=True, exist_ok=True)


def table(name):
    cmap = matplotlib.colormaps[name].resampled(ENTRIES)
    rgb = np.ascontiguousarray(cmap(np.arange(ENTRIES), bytes=True)[:, :3], dtype=np.uint8)
    assert rgb.shape == (ENTRIES, 3)
    # The lookup rule above, checked against matplotlib on each bin's centre and the ends.
    t = np.concatenate([(np.arange(ENTRIES) + 0.5) / ENTRIES, [0.0, 1.0]])
    index = np.minimum(np.floor(t * ENTRIES), ENTRIES - 1).astype(int)
    assert (cmap(t, bytes=True)[:, :3] == rgb[index]).all(), name
    return rgb


tables = [table(name) for name in NAMES]
BIN.write_bytes(b"".join(t.tobytes() for t in tables))
for name, rgb in zip(NAMES, tables):
    np.save(OUT / f"{name}.npy", rgb)
manifest = {
    "matplotlib": matplotlib.__version__,
    "numpy": np.__version__,
    "maps": NAMES,
    "entries": ENTRIES,
    "source": "matplotlib.colormaps[name].resampled(256)(np.arange(256), bytes=True)[:, :3]",
    "lookup": "t in [0, 1] -> entry min(floor(t * 256), 255) of the map's own table",
    "bin": {
        "path": "src/render/colormaps.bin",
        "layout": "the tables of 'maps' in order, each 256 entries of 3 bytes (R, G, B), entry 0 first",
        "bytes": len(NAMES) * ENTRIES * 3,
    },
}
(OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"wrote {BIN.relative_to(ROOT)} and {len(NAMES)} tables to {OUT.relative_to(ROOT)} "
      f"(matplotlib {matplotlib.__version__})")
