// Reads the time stamp a timecode camera (ops_center/timecode.py) draws into its pictures: two rows
// of 44 black/white bars (the second inverted), milliseconds since the epoch, most significant bar
// first. Used to measure glass-to-glass latency: the moment a picture is shown minus the time
// written in it (same machine, same clock).
(function () {
  "use strict";
  const BITS = 44;
  const ROWS = [[0.15, 0.35, false], [0.55, 0.75, true]];
  const X0 = 1 / 16, X1 = 15 / 16;

  function read(ctx, width, height) {
    const values = [];
    for (const [top, bottom, inverted] of ROWS) {
      const y = Math.floor((top + bottom) / 2 * height);
      const row = ctx.getImageData(0, y - 2, width, 5).data;
      let value = 0;
      for (let bit = 0; bit < BITS; bit++) {
        const x = Math.floor(width * (X0 + (X1 - X0) * (bit + 0.5) / BITS));
        let sum = 0;
        for (let dy = 0; dy < 5; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const i = (dy * width + x + dx) * 4;
            sum += (row[i] + row[i + 1] + row[i + 2]) / 3;
          }
        }
        const one = (sum / 25 > 128) !== inverted;
        value = value * 2 + (one ? 1 : 0);  // 44 bits: beyond 32-bit integer arithmetic
      }
      values.push(value);
    }
    return values[0] === values[1] ? values[0] : null;
  }

  // Calls onSample(latencyMs) for every picture the <video> shows whose stamp reads cleanly.
  function measure(video, onSample) {
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const onFrame = (now, meta) => {
      if (video.videoWidth && video.videoHeight) {
        if (canvas.width !== video.videoWidth || canvas.height !== video.videoHeight) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
        }
        ctx.drawImage(video, 0, 0);
        const stamp = read(ctx, canvas.width, canvas.height);
        // When the compositor puts this picture on screen, on the epoch clock.
        const shown = performance.timeOrigin + (meta.expectedDisplayTime || now);
        if (stamp !== null) onSample(shown - stamp);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  window.giaobanTimecode = { read, measure };
})();
