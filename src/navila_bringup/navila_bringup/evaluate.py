"""`navila eval`: run episodes in the embedded simulator and score them like VLN-CE.

For each episode the whole graph comes up (scene and start pose from the episode), the
instruction is given, and the run ends when the executor reports the planner's stop (or at the
timeout). Each episode gets a top-view plot (walls and furniture, reference path, robot path, goal
radius) and an MCAP recording; all of them go into one metrics JSON with the per-episode and mean
NE, OSR, SR, SPL, nDTW, SDTW, path length and steps. Paths are printed at the end.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from navila_bringup.sim_run import RunResult, run_sim
from navila_bringup.stack import SimStackOptions


def plot_episode(
    scene: Any, episode: Any, path_xy: list[tuple[float, float]], out: Path, title: str
) -> Path:
    """Top view: obstacles (grey), reference path (dashed), robot path (blue), goal radius."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Polygon

    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    for geom in scene.obstacles():
        ax.add_patch(
            Polygon(
                geom.footprint(),
                closed=True,
                facecolor=(*geom.rgb, 0.8),
                edgecolor="black",
                linewidth=0.5,
            )
        )
    for lm in scene.landmarks:
        ax.plot(lm.position[0], lm.position[1], marker="*", color="black", markersize=6)
        ax.annotate(lm.name, lm.position[:2], fontsize=6, xytext=(3, 3), textcoords="offset points")
    ref = [p[:2] for p in episode.reference_path]
    ax.plot(*zip(*ref, strict=True), "--", color="green", label="reference path", zorder=3)
    if path_xy:
        ax.plot(*zip(*path_xy, strict=True), "-", color="tab:blue", linewidth=2, label="robot path")
        ax.plot(*path_xy[-1], "o", color="tab:blue")
    ax.plot(*episode.start_position[:2], "s", color="black", label="start")
    ax.add_patch(
        Circle(
            episode.goal_position[:2],
            episode.goal_radius,
            fill=False,
            edgecolor="red",
            label="goal radius",
        )
    )
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def evaluate(
    robot: str,
    config: str,
    planner: str,
    low_level: str,
    policy_path: str,
    episodes_file: str | None,
    out_dir: Path,
    timeout_s: float = 120.0,
    only: list[str] | None = None,
    record: bool = True,
) -> dict:
    from navila_sim.episodes import load_episodes
    from navila_sim.metrics import aggregate, episode_metrics
    from navila_sim.scene import load_scene

    episodes = load_episodes(episodes_file)
    if only:
        episodes = [e for e in episodes if e.episode_id in only]
        if not episodes:
            raise ValueError(f"no episode with id in {only}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, metrics = [], []
    t_start = time.monotonic()
    for i, ep in enumerate(episodes, 1):
        print(
            f"[eval] episode {i}/{len(episodes)} {ep.episode_id} ({ep.scene_id}): "
            f"{ep.instruction_text!r}",
            flush=True,
        )
        ep_dir = out_dir / ep.episode_id
        with tempfile.TemporaryDirectory() as tmp:
            single = Path(tmp) / "episode.json"  # the oracle planner's reference path
            single.write_text(json.dumps(ep.to_dict()))
            opts = SimStackOptions(
                robot=robot,
                config=config,
                planner=planner,
                low_level=low_level,
                policy_path=policy_path,
                scene=ep.scene_id,
                start_pose=(ep.start_position[0], ep.start_position[1], ep.start_yaw),
                episode_file=str(single) if planner == "oracle" else "",
            )
            result = _run_episode(opts, ep.instruction_text, timeout_s, ep_dir, record)
        path = [(x, y) for _t, x, y, _yaw in result.trajectory] or [ep.start_position[:2]]
        m = episode_metrics(
            path,
            ep.goal_position,
            stopped=result.outcome == "stopped",
            reference=[p[:2] for p in ep.reference_path],
            success_distance=ep.goal_radius,
        )
        metrics.append(m)
        plot = plot_episode(
            load_scene(ep.scene_id),
            ep,
            path,
            ep_dir / "topview.png",
            f"{ep.episode_id}: {result.outcome}, NE {m.ne:.2f} m, SR {m.sr:.0f}, nDTW {m.ndtw:.2f}",
        )
        rows.append(
            {
                "error": result.error or None,
                "episode_id": ep.episode_id,
                "scene_id": ep.scene_id,
                "instruction": ep.instruction_text,
                "outcome": result.outcome,
                "planner_outputs": result.planner_outputs,
                "metrics": m.to_dict(),
                "plot": str(plot),
                "recording": str(ep_dir / "run.mcap") if record else None,
            }
        )
        print(
            f"[eval]   {result.outcome}: NE {m.ne:.2f} m, SR {m.sr:.0f}, SPL {m.spl:.2f}, "
            f"nDTW {m.ndtw:.2f}, {len(result.planner_outputs)} planner outputs "
            f"({time.monotonic() - t_start:.0f} s elapsed)",
            flush=True,
        )
    summary = {
        "planner": planner,
        "low_level": low_level,
        "robot": robot,
        "episodes_file": episodes_file or "shipped",
        "mean": aggregate(metrics),
        "episodes": rows,
    }
    out = out_dir / "metrics.json"
    out.write_text(json.dumps(summary, indent=1))
    mean = summary["mean"]
    print(
        f"[eval] {len(rows)} episodes: SR {mean['sr']:.3f}, OSR {mean['osr']:.3f}, "
        f"SPL {mean['spl']:.3f}, nDTW {mean['ndtw']:.3f}, NE {mean['ne']:.2f} m"
    )
    print(
        f"[eval] metrics: {out}\n[eval] plots and recordings: {out_dir}/<episode_id>/",
        file=sys.stdout,
    )
    return summary


def _run_episode(
    opts: SimStackOptions, instruction: str, timeout_s: float, ep_dir: Path, record: bool
) -> RunResult:
    """One episode; a bring-up that fails (a node that never came up, a policy node that damped
    during the stand-up because this machine fell behind) is tried once more, then recorded as a
    failed episode (SR 0) instead of ending the whole evaluation."""
    for attempt in (1, 2):
        try:
            return run_sim(opts, instruction, timeout_s, ep_dir, record=record, quiet=True)
        except RuntimeError as exc:
            print(f"[eval]   bring-up failed (attempt {attempt} of 2): {exc}", flush=True)
            error = str(exc)
    return RunResult(instruction, "bringup_failed", 0.0, None, error=error)
