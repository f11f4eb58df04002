"""Brings the NaVILA graph up without the launch package: process graph, CLI and demos."""
