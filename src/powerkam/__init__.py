"""PowerKAM: key-account CRM for power supply companies."""
