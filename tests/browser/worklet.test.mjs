// Unit test of the softphone's capture worklet, outside a browser: the
// worklet source runs in a VM context with stand-ins for the AudioWorklet
// globals, is fed a 48 kHz tone in 128-sample render quanta (as Chromium
// does) and must emit 20 ms frames of 16 kHz PCM16 holding the same tone.
import { readFileSync } from "node:fs";
import vm from "node:vm";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const source = readFileSync(path.join(here, "../../apps/awaaz/web/capture-worklet.js"), "utf8");

function run(inputRate, toneHz, seconds, channels = 1) {
  let Processor = null;
  const posted = [];
  const context = {
    sampleRate: inputRate,
    AudioWorkletProcessor: class {
      constructor() {
        this.port = { postMessage: (m) => posted.push(new Int16Array(m)), onmessage: null };
      }
    },
    registerProcessor: (name, cls) => {
      assert.equal(name, "awaaz-capture");
      Processor = cls;
    },
    Float32Array, Int16Array, Math,
  };
  vm.runInNewContext(source, context);
  const p = new Processor();
  const total = Math.round(inputRate * seconds);
  for (let start = 0; start < total; start += 128) {
    const block = Array.from({ length: channels }, () => new Float32Array(128));
    for (let i = 0; i < 128; i++) {
      const v = 0.5 * Math.sin((2 * Math.PI * toneHz * (start + i)) / inputRate);
      for (const ch of block) ch[i] = v;
    }
    assert.equal(p.process([block]), true);
  }
  return posted;
}

function check(inputRate, channels) {
  const frames = run(inputRate, 440, 1.0, channels);
  // One second in: 50 frames of 320 samples (the last may still be filling).
  assert.ok(frames.length >= 49 && frames.length <= 50, `${inputRate} Hz: ${frames.length} frames`);
  for (const f of frames) assert.equal(f.length, 320);
  const all = Int16Array.from(frames.flatMap((f) => Array.from(f)));
  // Zero crossings give the frequency: 440 Hz is 880 crossings a second.
  let crossings = 0;
  for (let i = 1; i < all.length; i++) if ((all[i - 1] < 0) !== (all[i] < 0)) crossings++;
  const hz = crossings / 2 / (all.length / 16000);
  assert.ok(Math.abs(hz - 440) < 5, `${inputRate} Hz input: tone came out at ${hz.toFixed(1)} Hz`);
  // Amplitude 0.5 full scale, a little less after the box filter.
  const peak = Math.max(...all.map(Math.abs));
  assert.ok(peak > 14000 && peak <= 16384, `${inputRate} Hz input: peak ${peak}`);
  console.log(`ok   worklet ${inputRate} Hz x${channels} → 16 kHz: ${frames.length} frames, ${hz.toFixed(1)} Hz, peak ${peak}`);
}

check(48000, 1);
check(44100, 1);
check(16000, 1);
check(48000, 2);
