"""A small YAML scene format (rooms, walls with doorways, boxes, steps, landmarks) and its compiler.

Why our own format: the NaVILA benchmarks use Matterport scans we cannot ship; language
navigation still needs rooms, doorways, furniture-like obstacles and *named, coloured landmarks*
an instruction can refer to ("stop next to the red chair"). A scene compiles to plain MuJoCo
geoms (fast for ray casting and rendering on a CPU) and to a 2-D footprint list used to check
that episode reference paths are feasible. No MuJoCo import here: the output is MJCF text.

Format (all lengths in metres, z up, yaw in degrees):

    name: two_rooms
    floor: {size: [12, 8], center: [0, 0], color: [0.6, 0.6, 0.55]}
    wall_height: 1.2
    wall_thickness: 0.1
    rooms:      # four walls each; doorways cut by side (north=+y, south, east=+x, west)
      - {name: hall, min: [-6, -4], max: [0, 4], doors: [{side: east, at: 0.0, width: 1.0}]}
    walls:      # free walls, optional doorways along the wall (at = distance from `from`)
      - {from: [0, -4], to: [0, 4], doors: [{at: 4.0, width: 1.0}]}
    boxes:      # furniture-like obstacles
      - {name: table, center: [2, 1], size: [1.2, 0.8, 0.75], yaw: 0, color: brown}
    steps:      # traversable platforms
      - {center: [3, -2], size: [1.0, 2.0], height: 0.08, color: grey}
    landmarks:  # named things an instruction refers to
      - {name: red chair, shape: box, position: [4, 2], size: [0.5, 0.5, 0.9], color: red}
      - {name: blue ball, shape: sphere, position: [-3, 2], radius: 0.3, color: blue}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

COLORS: dict[str, tuple[float, float, float]] = {
    "red": (0.85, 0.1, 0.1),
    "green": (0.1, 0.7, 0.2),
    "blue": (0.1, 0.25, 0.85),
    "yellow": (0.95, 0.85, 0.1),
    "orange": (0.95, 0.5, 0.1),
    "purple": (0.55, 0.2, 0.7),
    "pink": (0.95, 0.5, 0.7),
    "white": (0.95, 0.95, 0.95),
    "black": (0.08, 0.08, 0.08),
    "grey": (0.5, 0.5, 0.5),
    "gray": (0.5, 0.5, 0.5),
    "brown": (0.5, 0.3, 0.15),
    "beige": (0.85, 0.78, 0.62),
    "cyan": (0.1, 0.75, 0.8),
    "wall": (0.82, 0.8, 0.75),
    "floor": (0.55, 0.55, 0.5),
}

# Anything lower than this is walked over (steps, thresholds); higher blocks a path.
TRAVERSABLE_HEIGHT = 0.15
SCENE_DIR = Path(__file__).resolve().parent / "scenes"


class SceneError(ValueError):
    """A scene file that cannot be built; the message names the offending entry."""


@dataclass(frozen=True)
class Geom:
    """One static primitive: box (half sizes), sphere (radius) or cylinder (radius, half height)."""

    name: str
    kind: str
    pos: tuple[float, float, float]
    size: tuple[float, ...]
    yaw: float = 0.0  # radians
    rgb: tuple[float, float, float] = COLORS["grey"]
    blocks: bool = True  # does it block a walking path?

    def footprint(self) -> np.ndarray:
        """Ground-plane outline as a 4x2 polygon (boxes) or a square hull (round shapes)."""
        if self.kind == "box":
            hx, hy = self.size[0], self.size[1]
        else:
            hx = hy = self.size[0]
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        corners = np.array([[hx, hy], [-hx, hy], [-hx, -hy], [hx, -hy]])
        rot = np.array([[c, -s], [s, c]])
        return corners @ rot.T + np.array(self.pos[:2])


@dataclass(frozen=True)
class Landmark:
    name: str
    position: tuple[float, float, float]
    color: str


@dataclass
class Scene:
    """A compiled scene: static geoms, landmarks and the floor extent."""

    name: str
    geoms: list[Geom] = field(default_factory=list)
    landmarks: list[Landmark] = field(default_factory=list)
    floor_center: tuple[float, float] = (0.0, 0.0)
    floor_size: tuple[float, float] = (20.0, 20.0)
    floor_rgb: tuple[float, float, float] = COLORS["floor"]

    def landmark(self, name: str) -> Landmark:
        for lm in self.landmarks:
            if lm.name == name:
                return lm
        raise KeyError(f"scene {self.name!r} has no landmark {name!r}")

    def obstacles(self) -> list[Geom]:
        return [g for g in self.geoms if g.blocks]

    def mjcf_worldbody(self) -> str:
        """The scene's geoms as MJCF <worldbody> children (floor, light and static geoms)."""
        fx, fy = self.floor_center
        sx, sy = self.floor_size
        lines = [
            '<light name="sun" pos="0 0 6" dir="0.2 0.1 -1" directional="true" '
            'diffuse="0.7 0.7 0.7" ambient="0.35 0.35 0.35" castshadow="false"/>',
            f'<geom name="floor" type="plane" pos="{fx:g} {fy:g} 0" size="{sx / 2 + 5:g} '
            f'{sy / 2 + 5:g} 0.1" rgba="{_rgba(self.floor_rgb)}" material="grid" '
            'group="0" contype="1" conaffinity="2"/>',
        ]
        for g in self.geoms:
            size = " ".join(f"{v:.4g}" for v in g.size)
            pos = " ".join(f"{v:.4g}" for v in g.pos)
            extra = ""
            if g.yaw:
                extra = f' euler="0 0 {g.yaw:.6g}"'
            if g.kind == "cylinder":
                extra = ""  # round in the plane: yaw has no effect
            lines.append(
                f'<geom name="{xml_name(g.name)}" type="{g.kind}" pos="{pos}" size="{size}"'
                f'{extra} rgba="{_rgba(g.rgb)}" group="0" contype="1" conaffinity="2"/>'
            )
        return "\n".join(lines)


def _rgba(rgb: Sequence[float]) -> str:
    return f"{rgb[0]:.3g} {rgb[1]:.3g} {rgb[2]:.3g} 1"


def xml_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in name)


def _color(value: Any, where: str) -> tuple[float, float, float]:
    if value is None:
        return COLORS["grey"]
    if isinstance(value, str):
        if value not in COLORS:
            raise SceneError(f"{where}: unknown colour {value!r} (known: {sorted(COLORS)})")
        return COLORS[value]
    vals = _floats(value, 3, where)
    if not all(0.0 <= v <= 1.0 for v in vals):
        raise SceneError(f"{where}: colour components must lie in [0, 1], got {vals}")
    return (vals[0], vals[1], vals[2])


def _floats(value: Any, n: int, where: str) -> list[float]:
    try:
        vals = [float(v) for v in value]
    except (TypeError, ValueError):
        raise SceneError(f"{where}: expected {n} numbers, got {value!r}") from None
    if len(vals) != n or not all(math.isfinite(v) for v in vals):
        raise SceneError(f"{where}: expected {n} finite numbers, got {value!r}")
    return vals


def _positive(value: Any, where: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SceneError(f"{where}: expected a number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise SceneError(f"{where}: must be a positive number, got {value!r}")
    return v


def wall_segments(
    a: Sequence[float], b: Sequence[float], doors: Sequence[Mapping[str, Any]], where: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the wall a->b into solid pieces around its doorways (`at` = door centre from a)."""
    pa, pb = np.asarray(a, float), np.asarray(b, float)
    length = float(np.linalg.norm(pb - pa))
    if length <= 1e-6:
        raise SceneError(f"{where}: wall has zero length")
    gaps = []
    for i, door in enumerate(doors):
        at = float(door.get("at", length / 2))
        width = _positive(door.get("width", 1.0), f"{where}.doors[{i}].width")
        lo, hi = at - width / 2, at + width / 2
        if lo < -1e-9 or hi > length + 1e-9:
            raise SceneError(f"{where}.doors[{i}]: doorway [{lo:.2f}, {hi:.2f}] outside the wall")
        gaps.append((max(lo, 0.0), min(hi, length)))
    gaps.sort()
    pieces, cursor = [], 0.0
    for lo, hi in gaps:
        if lo < cursor - 1e-9:
            raise SceneError(f"{where}: doorways overlap")
        if lo - cursor > 1e-6:
            pieces.append((cursor, lo))
        cursor = hi
    if length - cursor > 1e-6:
        pieces.append((cursor, length))
    direction = (pb - pa) / length
    return [(pa + direction * s, pa + direction * e) for s, e in pieces]


def _wall_geoms(
    name: str,
    a: Sequence[float],
    b: Sequence[float],
    doors: Sequence[Mapping[str, Any]],
    height: float,
    thickness: float,
    rgb: tuple[float, float, float],
    where: str,
) -> list[Geom]:
    geoms = []
    for k, (p, q) in enumerate(wall_segments(a, b, doors, where)):
        d = q - p
        length = float(np.linalg.norm(d))
        centre = (p + q) / 2
        yaw = math.atan2(d[1], d[0])
        # Extend by half a thickness so corners close without gaps.
        geoms.append(
            Geom(
                name=f"{name}_{k}",
                kind="box",
                pos=(float(centre[0]), float(centre[1]), height / 2),
                size=(length / 2 + thickness / 2, thickness / 2, height / 2),
                yaw=yaw,
                rgb=rgb,
            )
        )
    return geoms


_SIDES = ("north", "south", "east", "west")


def build_scene(spec: Mapping[str, Any]) -> Scene:
    """Validate a scene mapping (parsed YAML) and compile it. Raises SceneError on bad input."""
    if not isinstance(spec, Mapping):
        raise SceneError("a scene must be a mapping")
    name = str(spec.get("name", "scene"))
    height = _positive(spec.get("wall_height", 1.2), "wall_height")
    thick = _positive(spec.get("wall_thickness", 0.1), "wall_thickness")
    wall_rgb = _color(spec.get("wall_color", "wall"), "wall_color")
    floor = spec.get("floor", {}) or {}
    scene = Scene(
        name=name,
        floor_size=tuple(_floats(floor.get("size", [20, 20]), 2, "floor.size")),  # type: ignore[arg-type]
        floor_center=tuple(_floats(floor.get("center", [0, 0]), 2, "floor.center")),  # type: ignore[arg-type]
        floor_rgb=_color(floor.get("color", "floor"), "floor.color"),
    )
    for i, room in enumerate(spec.get("rooms", []) or []):
        where = f"rooms[{i}]"
        (x0, y0), (x1, y1) = (
            _floats(room.get("min"), 2, where),
            _floats(room.get("max"), 2, where),
        )
        if not (x1 > x0 and y1 > y0):
            raise SceneError(f"{where}: max must exceed min")
        doors: dict[str, list[dict]] = {s: [] for s in _SIDES}
        for j, door in enumerate(room.get("doors", []) or []):
            side = door.get("side")
            if side not in _SIDES:
                raise SceneError(f"{where}.doors[{j}]: side must be one of {_SIDES}, got {side!r}")
            # `at` is the door centre's x (north/south) or y (east/west) coordinate.
            coord = float(door.get("at", 0.0))
            start = x0 if side in ("north", "south") else y0
            doors[side].append({"at": coord - start, "width": door.get("width", 1.0)})
        rname = xml_name(str(room.get("name", f"room{i}")))
        rgb = _color(room.get("color"), where) if room.get("color") else wall_rgb
        for side, a, b in (
            ("south", (x0, y0), (x1, y0)),
            ("north", (x0, y1), (x1, y1)),
            ("west", (x0, y0), (x0, y1)),
            ("east", (x1, y0), (x1, y1)),
        ):
            scene.geoms += _wall_geoms(
                f"{rname}_{side}", a, b, doors[side], height, thick, rgb, f"{where}.{side}"
            )
    for i, wall in enumerate(spec.get("walls", []) or []):
        where = f"walls[{i}]"
        a, b = (
            _floats(wall.get("from"), 2, where + ".from"),
            _floats(wall.get("to"), 2, where + ".to"),
        )
        rgb = _color(wall.get("color"), where) if wall.get("color") else wall_rgb
        h = _positive(wall.get("height", height), where + ".height")
        scene.geoms += _wall_geoms(
            xml_name(str(wall.get("name", f"wall{i}"))),
            a,
            b,
            wall.get("doors", []) or [],
            h,
            thick,
            rgb,
            where,
        )
    for i, box in enumerate(spec.get("boxes", []) or []):
        where = f"boxes[{i}]"
        cx, cy = _floats(box.get("center"), 2, where + ".center")
        sx, sy, sz = _floats(box.get("size"), 3, where + ".size")
        if min(sx, sy, sz) <= 0:
            raise SceneError(f"{where}.size must be positive")
        scene.geoms.append(
            Geom(
                name=str(box.get("name", f"box{i}")),
                kind="box",
                pos=(cx, cy, sz / 2),
                size=(sx / 2, sy / 2, sz / 2),
                yaw=math.radians(float(box.get("yaw", 0.0))),
                rgb=_color(box.get("color", "brown"), where),
                blocks=sz > TRAVERSABLE_HEIGHT,
            )
        )
    for i, step in enumerate(spec.get("steps", []) or []):
        where = f"steps[{i}]"
        cx, cy = _floats(step.get("center"), 2, where + ".center")
        sx, sy = _floats(step.get("size"), 2, where + ".size")
        h = _positive(step.get("height", 0.08), where + ".height")
        scene.geoms.append(
            Geom(
                name=str(step.get("name", f"step{i}")),
                kind="box",
                pos=(cx, cy, h / 2),
                size=(sx / 2, sy / 2, h / 2),
                yaw=math.radians(float(step.get("yaw", 0.0))),
                rgb=_color(step.get("color", "grey"), where),
                blocks=h > TRAVERSABLE_HEIGHT,
            )
        )
    for i, lm in enumerate(spec.get("landmarks", []) or []):
        where = f"landmarks[{i}]"
        lname = lm.get("name")
        if not lname:
            raise SceneError(f"{where}: a landmark needs a name")
        if any(existing.name == lname for existing in scene.landmarks):
            raise SceneError(f"{where}: duplicate landmark name {lname!r}")
        x, y = _floats(lm.get("position"), 2, where + ".position")
        color_name = lm.get("color", "red")
        rgb = _color(color_name, where)
        shape = lm.get("shape", "box")
        if shape == "box":
            sx, sy, sz = _floats(lm.get("size", [0.5, 0.5, 0.8]), 3, where + ".size")
            geom = Geom(
                str(lname),
                "box",
                (x, y, sz / 2),
                (sx / 2, sy / 2, sz / 2),
                math.radians(float(lm.get("yaw", 0.0))),
                rgb,
            )
        elif shape == "sphere":
            r = _positive(lm.get("radius", 0.3), where + ".radius")
            geom = Geom(str(lname), "sphere", (x, y, r), (r,), 0.0, rgb)
        elif shape == "cylinder":
            r = _positive(lm.get("radius", 0.25), where + ".radius")
            h = _positive(lm.get("height", 1.0), where + ".height")
            geom = Geom(str(lname), "cylinder", (x, y, h / 2), (r, h / 2), 0.0, rgb)
        else:
            raise SceneError(f"{where}: shape must be box, sphere or cylinder, got {shape!r}")
        scene.geoms.append(geom)
        scene.landmarks.append(
            Landmark(
                str(lname), (x, y, geom.pos[2]), color_name if isinstance(color_name, str) else ""
            )
        )
    names = [g.name for g in scene.geoms]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SceneError(f"duplicate geom names {dup}: give boxes/landmarks distinct names")
    return scene


def scene_path(name_or_path: str | Path) -> Path:
    """A shipped scene by name (scenes/<name>.yaml) or any YAML path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    shipped = SCENE_DIR / f"{name_or_path}.yaml"
    if shipped.exists():
        return shipped
    raise FileNotFoundError(f"no scene {str(name_or_path)!r}; shipped: {shipped_scenes()}")


def load_scene(name_or_path: str | Path) -> Scene:
    """Load and compile a scene file."""
    path = scene_path(name_or_path)
    with open(path) as fh:
        spec = yaml.safe_load(fh)
    return build_scene(spec)


def shipped_scenes() -> list[str]:
    return sorted(p.stem for p in SCENE_DIR.glob("*.yaml"))


# --------------------------------------------------------------------------------------------
# 2-D feasibility: does a straight walk from p to q keep `clearance` from every obstacle?


def _point_polygon_distance(p: np.ndarray, poly: np.ndarray) -> float:
    """Distance from point to a convex polygon (0 inside)."""
    inside = True
    best = math.inf
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        edge = b - a
        cross = edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0])
        if cross < 0:
            inside = False
        t = np.clip(np.dot(p - a, edge) / max(np.dot(edge, edge), 1e-12), 0.0, 1.0)
        best = min(best, float(np.linalg.norm(p - (a + t * edge))))
    # polygons are counter-clockwise (see Geom.footprint), so inside means all crosses >= 0
    return 0.0 if inside else best


def _segments_intersect(p1, p2, q1, q2) -> bool:
    def orient(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def segment_clearance(p: Sequence[float], q: Sequence[float], poly: np.ndarray) -> float:
    """Smallest distance between segment p-q and a convex polygon (0 if they touch)."""
    p, q = np.asarray(p[:2], float), np.asarray(q[:2], float)
    n = len(poly)
    for i in range(n):
        if _segments_intersect(p, q, poly[i], poly[(i + 1) % n]):
            return 0.0
    d = min(_point_polygon_distance(p, poly), _point_polygon_distance(q, poly))
    seg = q - p
    ll = float(np.dot(seg, seg))
    for v in poly:
        t = 0.0 if ll < 1e-12 else float(np.clip(np.dot(v - p, seg) / ll, 0.0, 1.0))
        d = min(d, float(np.linalg.norm(v - (p + t * seg))))
    return d


def path_blockers(
    scene: Scene, path: Sequence[Sequence[float]], clearance: float
) -> list[tuple[int, str, float]]:
    """(segment index, obstacle name, distance) for every path segment closer than `clearance`.

    A single point (one-element path) is checked against the obstacles too.
    """
    pts = [np.asarray(p[:2], float) for p in path]
    if len(pts) == 1:
        pts = [pts[0], pts[0]]
    hits = []
    polys = [(g.name, g.footprint()) for g in scene.obstacles()]
    for i in range(len(pts) - 1):
        for name, poly in polys:
            d = segment_clearance(pts[i], pts[i + 1], poly)
            if d < clearance:
                hits.append((i, name, d))
    return hits
