"""The conference media path: a selective forwarding unit (SFU) that relays encoded RTP packets
between meeting participants with no decoding and no encoding, spread over worker processes.

Owns: the media workers (`worker.py`, started by `service.run(settings)` from `giaoban up`), the
packet relay (`uptrack.py` in, `downtrack.py` out, `fastpath.py` for SRTP), the views of the
provincial meeting (`views.py`), dominant speaker detection (`speaker.py`), the worker mesh
(`mesh.py`), the control API (`client.MediaRouter`) and the SFU benchmark (`bench/`).

Using it (the meeting/signaling layer)
--------------------------------------
    router = MediaRouter(media_run_dir(settings.var_dir), settings.media_workers)
    await router.connect()
    answer_sdp = await router.add_participant(room_id, participant_id, role, offer_sdp)
    await router.remove_participant(room_id, participant_id)
    await router.set_spotlight(room_id, participant_id_or_None)   # host grants the floor
    await router.mute(room_id, participant_id, muted=True)         # stop forwarding its audio
    await router.room_state(room_id)        # members, dominant, spotlight, featured, muted
    await router.link_stats(room_id)        # one dict per participant, see below
    await router.close_room(room_id)        # end the meeting for all: drops every session
    async for event in router.events(): ... # see "Events"

`role` is "host", "district" or "observer". Every method raises `MediaError` with a message
fit for the client on refusal: SDP that does not parse, no VP8/H.264 video or Opus audio in an
m-line, an unknown role, more than 2 published videos or 100 video / 8 audio slots, a
participant already connected (a reconnect is `remove_participant` then `add_participant`), a
room with no media. A refused offer changes nothing for the others in the room.
`video_codec="h264"` on the first `add_participant` of a room makes it an H.264 room (default VP8):
every leg of a room carries the one codec its publishers send, as aiortc senders use only the
first negotiated codec.

The offer (client side)
-----------------------
- A complete offer (ICE candidates gathered; no trickle), BUNDLE on all m-lines (browsers do;
  aiortc clients need `RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)`).
- Published tracks are `sendonly` m-lines in this order: audio, video "high" (360p, about
  500 kbit/s), video "low" (180p, about 150 kbit/s, districts only; shown as a tile).
- Received media are `recvonly` m-lines, one per slot:
  district: 2 video (host, current speaker) + 3 audio;
  host and observer: 1 + N video (current speaker high, then one tile per district's low track,
  in join order) + 3 audio. Audio slots carry the loudest voice-active participants (the floor
  holder always among them), never the subscriber itself.
- The `layout` event tells each participant which source each of its slots (by mid) carries.

Events (dicts with "event" and "room")
--------------------------------------
- `speaker`: {participant, previous, at} - the dominant speaker changed (RFC 6464 audio levels,
  three time scales with hysteresis after Volfin-Cohen); `at` is a Unix time.
- `layout`: {participant, slots: [{mid, kind, source, layer}]} - whenever a slot changes source.
- `publish_hint`: {participant, layer, active} - whether anyone is receiving this published video
  layer (high/low); a client may pause a layer nobody watches (sender parameters `active`) and
  must resume it when `active` is true again. Sent once per change (first one after publishing).
- `connection`: {participant, state} - RTCPeerConnection state: connecting, connected, failed, closed.
- `worker_lost`: {worker, at} (no "room"; from `MediaRouter` itself) - a worker's control connection
  ended: the media sessions of the participants placed on it are gone; the service restarts it, and
  the next call to that worker connects to the new one.
- `stats`: {worker, participants: [{participant, state, bytes_in, bytes_out, packets_in,
  packets_out, loss_in_pct, loss_out_pct, jitter_in_ms, jitter_out_ms, rtt_ms, retransmitted,
  remb_bps}]}
  every 3 s from each worker for its own participants (byte counters are cumulative).

How a packet moves
------------------
aiortc does ICE, DTLS and the SDP; after the handshake `FastPath` takes SRTP datagrams from the
ICE sockets and decrypts them with aiortc's libsrtp session. The publisher's `UpTrack`
reads the RTP header, audio level and capture time and hands the packet to every `DownTrack`
bound to it, on this worker and (once, over the mesh) on each other worker that wants it. A
`DownTrack` is a subscriber's slot: it rewrites SSRC, payload type, sequence number and
timestamp (continuous across source switches), VP8 picture id/TL0PICIDX, and header extensions
(mid, abs-send-time, audio level, abs-capture-time); after a switch it drops video until the new
source's next keyframe starts and asks for one (PLI, merged per source: see `keyframes.py`).
It keeps the packets it sent to answer NACKs (RTX when negotiated), sends SRs, and turns
subscribers' PLI/FIR into keyframe requests; publishers get RR, NACK and REMB. aiortc's
RTCRtpReceiver/RTCRtpSender are created but never started, so its decoder and encoder never run;
`aiortc_hooks` counts any decode/encode in the process to prove it.
"""
