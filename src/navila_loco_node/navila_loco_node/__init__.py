"""50 Hz locomotion policy runtime, safety supervisor and robot backends."""
