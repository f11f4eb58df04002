"""Grid layouts: sizes, cell boundaries and flattening order the policies were trained with."""

from __future__ import annotations

import numpy as np
import pytest

from heightmap_node.grid import GO2_GRID, H1_GRID, GridSpec, axis_index


def test_go2_layout_matches_navila() -> None:
    assert (GO2_GRID.nx, GO2_GRID.ny, GO2_GRID.size) == (17, 27, 459)
    assert GO2_GRID.shape == (17, 27) and GO2_GRID.dim_labels == ("x", "y")
    # cell 0 is (-0.8, -0.74], the last x cell is cut at 0.2: (0.16, 0.2]
    assert GO2_GRID.x_centers()[0] == pytest.approx(-0.77)
    assert GO2_GRID.flat_index(0, 26) == 26 and GO2_GRID.flat_index(1, 0) == 27


def test_h1_layout_matches_isaac_grid_pattern() -> None:
    assert (H1_GRID.nx, H1_GRID.ny, H1_GRID.size) == (17, 11, 187)
    np.testing.assert_allclose(H1_GRID.x_centers(), np.arange(-0.8, 0.8 + 1e-9, 0.1), atol=1e-12)
    np.testing.assert_allclose(H1_GRID.y_centers(), np.arange(-0.5, 0.5 + 1e-9, 0.1), atol=1e-12)
    # Isaac Lab GridPatternCfg(ordering="xy"): meshgrid(x, y, indexing="xy"), flattened
    gx, gy = np.meshgrid(H1_GRID.x_centers(), H1_GRID.y_centers(), indexing="xy")
    cells_x, cells_y = np.meshgrid(H1_GRID.x_centers(), H1_GRID.y_centers(), indexing="ij")
    np.testing.assert_array_equal(H1_GRID.flatten(cells_x), gx.ravel())
    np.testing.assert_array_equal(H1_GRID.flatten(cells_y), gy.ravel())
    assert H1_GRID.flat_index(1, 0) == 1 and H1_GRID.flat_index(0, 1) == 17
    assert H1_GRID.shape == (11, 17) and H1_GRID.dim_labels == ("y", "x")


@pytest.mark.parametrize("grid", [GO2_GRID, H1_GRID])
def test_flatten_roundtrip(grid: GridSpec) -> None:
    cells = np.arange(grid.size, dtype=np.float64).reshape(grid.nx, grid.ny)
    flat = grid.flatten(cells)
    np.testing.assert_array_equal(grid.unflatten(flat), cells)
    for ix, iy in [(0, 0), (grid.nx - 1, 0), (0, grid.ny - 1), (3, 5)]:
        assert flat[grid.flat_index(ix, iy)] == cells[ix, iy]


def test_left_open_edges_follow_bucketize() -> None:
    edges = -0.8 + np.arange(18) * 0.06
    vals = np.concatenate([edges, edges + 1e-12, edges - 1e-12, [0.2, 0.2000001, -0.8]])
    k, inside = axis_index(vals, -0.8, 0.2, 0.06, 17, "left_open")
    ref = np.searchsorted(edges[:17], vals, side="left") - 1  # torch.bucketize(right=False) - 1
    ok = (vals > -0.8) & (vals <= 0.2)
    np.testing.assert_array_equal(inside, ok)
    np.testing.assert_array_equal(k[ok], ref[ok])


def test_centered_cells_take_nearest_centre() -> None:
    rng = np.random.default_rng(1)
    vals = rng.uniform(-1.0, 1.0, 5000)
    k, inside = axis_index(vals, -0.8, 0.8, 0.1, 17, "centered")
    centres = -0.8 + np.arange(17) * 0.1
    nearest = np.argmin(np.abs(vals[:, None] - centres[None, :]), axis=1)
    np.testing.assert_array_equal(inside, (vals >= -0.85) & (vals < 0.85))
    np.testing.assert_array_equal(k[inside], nearest[inside])


def test_invalid_grids_are_refused() -> None:
    with pytest.raises(ValueError, match="resolution"):
        GridSpec(-1, 1, -1, 1, 0.0)
    with pytest.raises(ValueError, match="hi > lo"):
        GridSpec(1, -1, -1, 1, 0.1)
    with pytest.raises(ValueError, match="order"):
        GridSpec(-1, 1, -1, 1, 0.1, order="zz")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="absurdly"):
        GridSpec(-1000, 1000, -1000, 1000, 0.01)
