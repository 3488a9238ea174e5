"""pdu_sim."""
