"""The district meeting endpoints: the unattended agent that logs in as its endpoint account, joins
its unit's meeting through the public signaling protocol only and comes back by itself after faults
(`giaoban endpoint run`), its media sources (cameras, microphones, stream URLs, files and a generated
test scene sent pre-encoded), the fleet of all 26 for demos and load tests, the operators' endpoint
registry page with its offline alerts, and the resilience benchmark."""
