"""switch_sim."""
