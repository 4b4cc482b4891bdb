// awaaz softphone: microphone capture on the audio thread.
//
// Turns the microphone (any context rate, usually 48 kHz) into 16 kHz mono
// PCM16 and posts one 20 ms frame (320 samples, 640 bytes) at a time to the
// page, which sends it over the call socket. Downsampling averages the input
// samples each output sample stands for: a box filter that removes most of
// what would alias above 8 kHz, cheap enough for the audio thread.

const OUT_RATE_HZ = 16000;
const FRAME_SAMPLES = 320; // 20 ms at 16 kHz

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    // Input samples per output sample (3 at 48 kHz, 1 at 16 kHz).
    this.step = sampleRate / OUT_RATE_HZ;
    // Position, in input samples, of the next output sample's window start,
    // relative to the start of `carry`.
    this.pos = 0;
    this.carry = new Float32Array(0);
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.port.onmessage = (e) => {
      if (e.data === "stop") this.stopped = true;
    };
  }

  process(inputs) {
    if (this.stopped) return false;
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    // Mix to mono.
    const n = channels[0].length;
    const mono = new Float32Array(this.carry.length + n);
    mono.set(this.carry, 0);
    for (let c = 0; c < channels.length; c++) {
      const ch = channels[c];
      for (let i = 0; i < n; i++) mono[this.carry.length + i] += ch[i] / channels.length;
    }
    // Emit every output sample whose whole window is available.
    let pos = this.pos;
    while (pos + this.step <= mono.length) {
      const start = Math.floor(pos);
      const end = Math.max(start + 1, Math.floor(pos + this.step));
      let sum = 0;
      for (let i = start; i < end; i++) sum += mono[i];
      const v = Math.max(-1, Math.min(1, sum / (end - start)));
      this.frame[this.filled++] = v < 0 ? Math.round(v * 0x8000) : Math.round(v * 0x7fff);
      if (this.filled === FRAME_SAMPLES) {
        const out = this.frame.buffer;
        this.port.postMessage(out, [out]);
        this.frame = new Int16Array(FRAME_SAMPLES);
        this.filled = 0;
      }
      pos += this.step;
    }
    const keep = Math.floor(pos);
    this.carry = mono.slice(keep);
    this.pos = pos - keep;
    return true;
  }
}

registerProcessor("awaaz-capture", CaptureProcessor);
