"""The meeting's archive: its media as the relay received it (written by the recorder process,
`writer`, from what the workers' `media.recorder` sinks copy), the manifest that lists and hashes
every file, its verification against the signed minutes, and playback.

Nothing here decodes or encodes the live media: frames are depacketized (`frames`) and muxed as
they are, by PyAV without a codec context."""
