"""The humanoid's virtual gantry: its state machine, its wrench, and the simulated H1 / T1 in it."""

import itertools
import math

import numpy as np
import pytest
import yaml

from navila_sim.faults import parse_fault_command
from navila_sim.robot import load_robot
from navila_sim.sim import CameraConfig, Sim, SimConfig
from navila_sim.support import Gantry, SupportSpec, SupportState, out_of_gantry

NO_SENSORS = {"lidar_enabled": False, "camera": CameraConfig(enabled=False)}
DT = 0.005


def tilt(sim: Sim) -> float:
    """Angle between the base's z axis and the world's [rad]."""
    z = float(sim.data.xmat[sim._base].reshape(3, 3)[2, 2])
    return math.acos(max(-1.0, min(1.0, z)))


def passive(sim: Sim) -> None:
    """The locomotion node's PASSIVE command: efforts only, zero gains."""
    assert sim.apply_joint_state_command(None, None, None, np.zeros(sim.n)) == "passive"


def pd_default(sim: Sim) -> None:
    """The controller's own PD targets (the stand-up's end pose)."""
    assert sim.apply_joint_state_command(None, sim.robot.default_pos) == "pd"


def seconds(sim: Sim, s: float) -> None:
    sim.step(round(s / DT))


# ------------------------------------------------------------------ the core, no MuJoCo


def test_spec_from_robot_file_and_refusals():
    spec = load_robot("h1").support
    assert spec == SupportSpec(5000.0, 1000.0, 1000.0, 200.0, 3.0, 1.0)
    assert load_robot("t1").support is not None
    assert load_robot("go2").support is None  # a quadruped stands itself up from the floor
    with pytest.raises(ValueError, match="unknown keys"):
        SupportSpec.from_dict({"stifness_n_per_m": 1.0})
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="release_ramp_s"):
            SupportSpec.from_dict({"release_ramp_s": bad})


def test_bad_support_block_in_a_robot_file_is_refused(tmp_path):
    raw = yaml.safe_load(load_robot("h1").mjcf_path.with_suffix(".yaml").read_text())
    raw["mjcf"] = str(load_robot("h1").mjcf_path)
    raw["support"] = {"damping_n_s_per_m": -5.0}
    path = tmp_path / "h1_bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="damping_n_s_per_m"):
        load_robot(path)


def test_release_needs_uninterrupted_drive_then_ramps_down():
    g = Gantry(SupportSpec(release_after_drive_s=1.0, release_ramp_s=0.5))
    g.attach(np.zeros(3))
    assert g.state == SupportState.HOLDING
    for _ in range(150):  # 0.75 s driven ...
        assert g.step(0.005, driven=True) == 1.0
    assert g.step(0.005, driven=False) == 1.0  # ... then a passive / damped command: recount
    for _ in range(199):
        assert g.step(0.005, driven=True) == 1.0
    assert g.state == SupportState.HOLDING
    scales = [g.step(0.005, driven=True) for _ in range(101)]
    assert scales[0] == 1.0 and g.state == SupportState.RELEASED
    assert all(a > b for a, b in itertools.pairwise(scales[:100]))  # a linear ramp over 0.5 s
    assert scales[99] == pytest.approx(0.01) and scales[100] == pytest.approx(0.0, abs=1e-9)
    assert g.step(0.005, driven=False) == 0.0  # released stays released
    g.attach(np.ones(3))  # a reset holds it again
    assert g.state == SupportState.HOLDING and g.anchor.tolist() == [1.0, 1.0, 1.0]


def test_release_command_and_no_spec():
    g = Gantry(SupportSpec(release_ramp_s=0.0))
    g.attach(np.zeros(3))
    g.release()
    assert g.state == SupportState.RELEASING
    assert g.step(0.005, driven=False) == 0.0 and g.state == SupportState.RELEASED
    none = Gantry(None)
    none.attach(np.zeros(3))
    none.release()
    assert none.state == SupportState.OFF and not none.active
    assert none.step(0.005, driven=True) == 0.0
    assert np.all(none.wrench(np.ones(3), np.ones(3), np.array([0, 0, 1.0]), np.ones(3)) == 0)


def test_wrench_pulls_back_uprights_and_leaves_yaw_free():
    s = SupportSpec(
        stiffness_n_per_m=100.0,
        damping_n_s_per_m=10.0,
        tilt_stiffness_nm_per_rad=50.0,
        tilt_damping_nm_s_per_rad=5.0,
    )
    g = Gantry(s)
    g.attach(np.array([1.0, 2.0, 0.9]))
    w = g.wrench(
        np.array([1.0, 2.0, 0.8]), np.array([0.0, 0.0, -1.0]), np.array([0, 0, 1.0]), np.zeros(3)
    )
    np.testing.assert_allclose(w, [0, 0, 100 * 0.1 + 10 * 1.0, 0, 0, 0])
    # pitched 0.3 rad about +y (body z toward +x): the torque turns it back, about -y
    z = np.array([math.sin(0.3), 0.0, math.cos(0.3)])
    w = g.wrench(np.array([1.0, 2.0, 0.9]), np.zeros(3), z, np.array([0.0, 0.0, 2.0]))
    np.testing.assert_allclose(w[3:6], [0.0, -50 * math.sin(0.3), 0.0], atol=1e-12)
    # a yaw rate alone is not damped; a pitch rate is
    w = g.wrench(np.array([1.0, 2.0, 0.9]), np.zeros(3), np.array([0, 0, 1.0]), [0, 1.0, 3.0])
    np.testing.assert_allclose(w[3:6], [0.0, -5.0, 0.0])
    np.testing.assert_allclose(
        g.wrench(np.zeros(3), np.zeros(3), z, np.zeros(3), 0.5)[0:3], [50, 100, 45]
    )


def test_out_of_gantry_reads_the_simulator_status():
    assert not out_of_gantry(None) and not out_of_gantry({})
    assert not out_of_gantry({"support": "holding"}) and not out_of_gantry({"support": "releasing"})
    assert out_of_gantry({"support": "released"}) and out_of_gantry({"support": "off"})
    assert out_of_gantry({"node": "navila_sim", "drive": "pd"})  # a simulator without a gantry


def test_fault_command_release_support():
    assert parse_fault_command('{"release_support": true}').release_support
    assert not parse_fault_command("{}").release_support
    with pytest.raises(ValueError, match="true or false"):
        parse_fault_command('{"release_support": "yes"}')


# ------------------------------------------------------------------ the simulated humanoids


@pytest.mark.parametrize("robot", ["h1", "t1"])
def test_humanoid_hangs_in_its_gantry_while_passive_and_falls_without_one(robot):
    held = Sim(SimConfig(robot=robot, **NO_SENSORS))
    free = Sim(SimConfig(robot=robot, support=False, **NO_SENSORS))
    assert held.gantry.state == SupportState.HOLDING and free.gantry.state == SupportState.OFF
    for sim in (held, free):
        passive(sim)  # the loco node's first command: motors off
        seconds(sim, 3.0)
    h = held.base_pose()[0][2]
    assert held.nominal_height - 0.12 < h < held.nominal_height + 0.01, (h, held.nominal_height)
    assert tilt(held) < 0.05
    assert held.gantry.state == SupportState.HOLDING  # passive is not the controller driving
    assert free.base_pose()[0][2] < 0.5 * free.nominal_height  # what the gantry is for


def test_h1_stands_up_in_the_gantry_then_is_lowered_after_the_drive_time():
    sim = Sim(SimConfig(robot="h1", **NO_SENSORS))
    passive(sim)
    seconds(sim, 2.0)
    pd_default(sim)  # a stand-up's end pose on the policy gains
    seconds(sim, 2.9)
    assert sim.gantry.state == SupportState.HOLDING and tilt(sim) < 0.05
    assert abs(sim.base_pose()[0][2] - sim.nominal_height) < sim.robot.stand_tolerance_m
    seconds(sim, 0.2)
    assert sim.gantry.state == SupportState.RELEASING
    seconds(sim, 1.0)
    assert sim.gantry.state == SupportState.RELEASED
    assert np.all(sim.data.xfrc_applied[sim._base] == 0.0)
    sim.reset()
    assert sim.gantry.state == SupportState.HOLDING


def test_commanded_release_lowers_a_passive_h1():
    sim = Sim(SimConfig(robot="h1", **NO_SENSORS))
    passive(sim)
    seconds(sim, 1.0)
    assert sim.release_support() == "releasing"
    seconds(sim, 3.0)
    assert sim.gantry.state == SupportState.RELEASED
    assert sim.base_pose()[0][2] < 0.5 * sim.nominal_height  # nothing holds a passive humanoid


def test_quadruped_and_kinematic_mode_have_no_wrench():
    go2 = Sim(SimConfig(robot="go2", **NO_SENSORS))
    assert go2.gantry.state == SupportState.OFF
    seconds(go2, 0.1)
    assert np.all(go2.data.xfrc_applied == 0.0)
    kin = Sim(SimConfig(robot="h1", mode="kinematic", **NO_SENSORS))
    assert kin.gantry.state == SupportState.OFF  # an oracle base hangs in nothing
    seconds(kin, 0.1)
    assert np.all(kin.data.xfrc_applied == 0.0)
    kin.set_mode("physics")
    kin.reset()
    assert kin.gantry.state == SupportState.HOLDING
    seconds(kin, 0.1)
    assert np.any(kin.data.xfrc_applied != 0.0)
    kin.set_mode("kinematic")
    assert kin.gantry.state == SupportState.OFF and np.all(kin.data.xfrc_applied == 0.0)
