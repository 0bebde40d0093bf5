"""The conference media path: a selective forwarding unit (SFU) that relays encoded RTP packets
between meeting participants with no decoding and no encoding, spread over worker processes.

Glossary (one name per concept, used in the code, its docstrings and the README)
---------------------------------------------------------------------------------
- **media worker** (`worker.MediaWorker`): one process, one asyncio loop, one core; holds some
  participants' sessions (mediasoup's Worker). Workers are numbered; `placement.py` says which
  holds whom.
- **Room** (`room.Room`): a meeting's media on one worker (mediasoup's Router). Every worker
  holding a member has one; the room's **home** worker keeps the `RoomState` and the others get
  copies.
- **Participant** (`participant.Participant`): one peer's WebRTC session on its worker - the SDP
  negotiation; its packets move through its **Transport** (`transport.Transport`).
- **UpTrack** (`uptrack.UpTrack`): a track a participant publishes (audio, or video "high" or
  "low" - its **layer**), received on the worker holding the publisher (mediasoup's Producer).
  A **RemoteUpTrack** is the same track on another worker, fed over the mesh. Its id is
  "<participant>/<layer>".
- **DownTrack** (`downtrack.DownTrack`): one receiving m-line of a subscriber, bound by its room
  to one UpTrack or RemoteUpTrack at a time, or to none (mediasoup's Consumer, LiveKit's
  DownTrack). The signaling protocol calls it a "slot" (`welcome.slots`, `layout.slots`); in
  this package that word names nothing else.
- **Source** / **Sink** (`streams.py`): the two sides of forwarding. UpTracks and RemoteUpTracks
  are sources; DownTracks, MeshFeeds and the archive's `recorder.RecordSink`s are sinks.
- **Forwarder** (`forwarder.Forwarder`): a DownTrack's decisions about each packet (drop,
  renumber, ask for a keyframe), without I/O.
- **mesh** (`mesh.py`): the sockets between workers; a **MeshFeed** is the sink that carries a
  local UpTrack to the workers that want it; the room **messages** between workers and the
  control channel's calls and events are in `messages.py`.
- **recording** (`recorder.py`): `RecordSink`s copy recorded tracks' packets into a bounded
  queue toward the worker's recorder process (`conference.archive.writer`, over the socket
  format of `record_wire.py`); a full queue drops recording data, never forwarded packets.
- **control channel** (`control.py` in each worker, `client.MediaClient` in the web process):
  how the signaling layer drives the workers.
- **publisher** / **subscriber**: a participant as the sender of its UpTracks / the receiver of
  its DownTracks. **Client** alone means the browser or endpoint agent speaking the signaling
  protocol; `MediaClient` is always written in full.

Using it (the meeting/signaling layer)
--------------------------------------
    media = MediaClient(media_run_dir(settings.var_dir), settings.media_workers, settings.media_room_workers)
    await media.connect()
    answer_sdp = await media.add_participant(room_id, participant_id, role, offer_sdp)
    await media.remove_participant(room_id, participant_id)
    await media.set_spotlight(room_id, participant_id_or_None)   # host grants the floor
    await media.mute(room_id, participant_id, muted=True)         # stop forwarding its audio
    await media.set_view(room_id, participant_id, [district, ...]) # a console's visible tiles
    await media.forwarding(room_id)        # [messages.Forwarding]: what each DownTrack carries now
    await media.room_state(room_id)        # RoomState: members, dominant, spotlight, featured, muted
    await media.link_stats(room_id)        # [messages.LinkSample], one per participant
    await media.close_room(room_id)        # end the meeting for all: drops every session
    await media.record(room_id, directory)  # record the room's tracks and program (None stops)
    async for event in media.events(): ... # messages.Event, see "Events"

`role` is "host", "district" or "observer", or for the operations center's camera wall "camera"
(publishes one video, receives nothing) or "wall" (receives the cameras named in `shows`, publishes
nothing). Every call raises `errors.MediaError` whose `code`
(`MediaErrorCode`) says what went wrong, with a message for people: BAD_SDP (SDP that does not
parse), NO_SUPPORTED_CODEC (no VP8/H.264 video or Opus audio in an m-line), UNKNOWN_ROLE,
TOO_MANY_TRACKS (more than 2 published videos or 100 video / 8 audio DownTracks),
ALREADY_CONNECTED (a reconnect is `remove_participant` then `add_participant`), NOT_CONNECTED,
UNKNOWN_PARTICIPANT, NO_ROOM (a room with no media), WORKER_UNAVAILABLE, CLIENT_CLOSED. Callers
decide on the code, never on the message. A refused offer changes nothing for the others.
`video_codec="h264"` on the first `add_participant` of a room makes it an H.264 room (default
VP8): every DownTrack of a room carries the one codec its publishers send, as aiortc senders use
only the first negotiated codec.

The offer (client side)
-----------------------
- A complete offer (ICE candidates gathered; no trickle), BUNDLE on all m-lines (browsers do;
  aiortc clients need `RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)`).
- Published tracks are `sendonly` m-lines in this order: audio, video "high" (360p, about
  500 kbit/s), video "low" (180p, about 150 kbit/s, districts only; shown as a tile).
- Received media are `recvonly` m-lines, one per DownTrack:
  district: 2 video (host, current speaker) + 3 audio;
  host and observer: 1 + N video (current speaker high, then one tile per district's low track:
  those of its view - `set_view`, a console's visible page - or every district in join order)
  + 3 audio. Audio DownTracks carry the loudest voice-active participants (the floor holder
  always among them), never the subscriber itself.
- The `layout` event tells each participant which source each of its DownTracks (by mid) carries.

Events (`messages.Event`, each with `room`)
-------------------------------------------
- `SpeakerEvent` {participant, previous, at}: the dominant speaker changed (RFC 6464 audio
  levels, three time scales with hysteresis after Volfin-Cohen); `at` is a Unix time.
- `LayoutEvent` {participant, slots: [{mid, kind, source, layer}]}: whenever a DownTrack changes
  source.
- `PublishHintEvent` {participant, layer, active}: whether anyone receives this published video
  layer (high/low); a client may pause a layer nobody watches (sender parameters `active`) and
  must resume it when `active` is true again. Sent once per change (first one after publishing).
- `ConnectionEvent` {participant, state}: RTCPeerConnection state: connecting, connected,
  failed, closed.
- `WorkerLostEvent` {worker, at} (no room; from `MediaClient` itself): a worker's control
  connection ended: the media sessions of the participants placed on it are gone; the service
  restarts it, and the next call to that worker connects to the new one.
- `StatsEvent` {worker, participants: [LinkSample]} every 3 s from each worker for its own
  participants (byte counters are cumulative).

How a packet moves
------------------
aiortc does ICE, DTLS and the SDP; after the handshake the participant's `Transport` takes SRTP
datagrams from the ICE sockets (`FastPath` decrypts them with aiortc's libsrtp session), unwraps
RTX and hands each RTP packet to its `UpTrack`, which reads the audio level and capture time and
dispatches the packet to its sinks: the `DownTrack`s bound to it on this worker and, once per
other worker that wants it, its `MeshFeed`; there a `RemoteUpTrack` dispatches it to that
worker's DownTracks. A DownTrack asks its `Forwarder` for the packet's sequence number and
timestamp (continuous across source switches; after a switch video waits for the new source's
next keyframe, requested at once), rewrites SSRC, payload type, VP8 picture id/TL0PICIDX and
header extensions (mid, abs-send-time, audio level, abs-capture-time) and sends it. Keyframe
requests toward a publisher are merged in one place, its UpTrack's `KeyframeRequestLimiter`
(`keyframes.py`). A DownTrack keeps the packets it sent to answer NACKs (RTX when negotiated);
the Transport sends SRs, turns subscribers' PLI/FIR into keyframe requests, and gives
publishers RR, NACK and REMB. aiortc's RTCRtpReceiver/RTCRtpSender are created but never
started, so its decoder and encoder never run; `aiortc_hooks` counts any decode/encode in the
process to prove it.

Modules, from the leaves up (each imports only modules before it: import-linter contracts
`media-layers` and `media-client` in pyproject.toml, run by `make test`)
-----------------------------------------------------------------------------------------------------
leaves: `rtp`, `payloads`, `history`, `keyframes`, `speaker`, `views`, `errors`, `placement`,
`fastpath`, `aiortc_hooks`, `record_wire` - `streams` (Source, Sink) - `forwarder` - `uptrack`, `downtrack`
(each imports `streams`, not the other) - `messages` - `transport`, `participant` (aiortc) -
`mesh`, `control` - `room` (RoomHost), `recorder` - `worker` (a RoomHost and ControlHandler), `service`.
`client` imports only `errors`, `messages`, `payloads`, `placement`, `views`: no aiortc in the
web process.
"""
