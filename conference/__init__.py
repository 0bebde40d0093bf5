"""Online meetings: scheduling (agenda, chair, secretary, invited endpoints), the signaling WebSocket
and its versioned protocol, host controls, the persisted record of each meeting (attendance,
speaking turns, host actions) that minutes are drafted from, link statistics, and the meeting pages.
The media path (packet relay, media workers, active speaker) lives in `conference.media`."""
