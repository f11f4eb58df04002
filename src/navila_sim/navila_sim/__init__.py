"""Embedded MuJoCo simulation of the Go2, H1 and T1 speaking the robot's and Isaac Sim's topics."""
