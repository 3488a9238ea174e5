"""vrack."""
