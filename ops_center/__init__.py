"""The operations center (Trung tâm điều hành): owns the camera registry and its ingest workers
(one OpenCV reader per camera, reconnecting, with health), the motion/people analytics and their
events, snapshots and clips, the alerts (rules, acknowledgement, escalation), the KPI aggregation
read from the other areas through their functions and bus topics, and the live dashboard, wall and
camera pages. Synthetic cameras for the demo and the camera benchmark live here too."""
