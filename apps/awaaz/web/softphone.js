// awaaz softphone: one call over WS /web/call (protocol: docs/protocols.md, web section).
//
//  mic ─▶ AudioWorklet (16 kHz PCM16, 20 ms) ─▶ socket ─▶ server
//  server ─▶ binary PCM16 ─▶ scheduled AudioBufferSourceNodes (gap-free) ─▶ speakers
//  server "mark" ─▶ echoed back when the audio before it has finished playing
//  server "clear" ─▶ every scheduled node stopped at once (barge-in)
"use strict";

(() => {
  const RATE_HZ = 16000;
  // Audio scheduled this far ahead of "now" when the queue has run dry, so
  // the first chunk of a reply never starts in the past (a click), with room
  // for the jitter of frames the server paces at 20 ms.
  const START_LEAD_S = 0.06;

  const $ = (id) => document.getElementById(id);
  const ui = {
    button: $("call"),
    state: $("state"),
    timer: $("timer"),
    error: $("error"),
    transcript: $("transcript"),
    latLast: $("lat-last"),
    latMedian: $("lat-median"),
    latTurns: $("lat-turns"),
    callId: $("call-id"),
  };

  // Counters the end-to-end test reads; also handy in the devtools console.
  const stats = {
    state: "idle",
    callId: null,
    sentAudioBytes: 0,
    agentAudioBytes: 0,
    marksSent: 0,
    clears: 0,
    events: [],
    latencies: [],
  };
  window.awaaz = stats;

  let call = null; // the current call, or null

  function setState(name, label) {
    stats.state = name;
    ui.state.className = "state " + name;
    ui.state.textContent = label;
  }

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = false;
  }

  function clearError() {
    ui.error.hidden = true;
    ui.error.textContent = "";
  }

  // ---- transcript ----

  function clearHint() {
    const hint = ui.transcript.querySelector(".hint");
    if (hint) hint.remove();
  }

  function addLine(cls, who, text) {
    clearHint();
    const li = document.createElement("li");
    li.className = cls;
    if (who) {
      const w = document.createElement("span");
      w.className = "who";
      w.textContent = who;
      li.appendChild(w);
    }
    const t = document.createElement("span");
    t.className = "text";
    t.textContent = text;
    li.appendChild(t);
    ui.transcript.appendChild(li);
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
    return li;
  }

  function onTranscript(ev) {
    if (ev.speaker === "caller") {
      // One line per caller utterance: partials rewrite it until it is final.
      let li = call && call.partialLine;
      if (!li) {
        li = addLine("caller partial", "You", ev.text);
        if (call) call.partialLine = li;
      } else {
        li.querySelector(".text").textContent = ev.text;
      }
      if (ev.final) {
        li.classList.remove("partial");
        if (call) call.partialLine = null;
      }
    } else {
      const li = addLine("agent", "Agent", ev.text);
      if (call) call.lastAgentLine = li;
    }
  }

  function onToolCall(ev) {
    clearHint();
    const li = document.createElement("li");
    li.className = "tool";
    const details = document.createElement("details");
    details.className = "tool";
    const summary = document.createElement("summary");
    summary.append("🔧 ");
    const code = document.createElement("code");
    code.textContent = ev.name;
    summary.appendChild(code);
    const pre = document.createElement("pre");
    pre.textContent =
      "arguments: " + JSON.stringify(ev.arguments, null, 2) +
      "\nresult: " + JSON.stringify(ev.result, null, 2);
    details.append(summary, pre);
    li.appendChild(details);
    ui.transcript.appendChild(li);
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function onLatency(ev) {
    const ms = ev.voice_to_voice_ms;
    stats.latencies.push(ms);
    const sorted = [...stats.latencies].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    ui.latLast.textContent = ms + " ms";
    ui.latMedian.textContent = median + " ms";
    ui.latTurns.textContent = String(stats.latencies.length);
    // The latency of a turn arrives with its first audio, usually before or
    // just after the agent's line: tag whichever agent line is newest.
    const parts = ["voice→voice " + ms + " ms"];
    if (ev.asr_ms != null) parts.push("asr " + ev.asr_ms);
    if (ev.agent_ms != null) parts.push("agent " + ev.agent_ms);
    if (ev.tts_ms != null) parts.push("tts " + ev.tts_ms);
    const tag = document.createElement("span");
    tag.className = "latency";
    tag.textContent = parts.join(" · ");
    if (call) call.pendingLatencyTag = tag;
    const line = call && call.lastAgentLine;
    if (line && !line.querySelector(".latency")) line.querySelector(".who").appendChild(tag);
  }

  // ---- playback ----

  function playPcm(buffer) {
    if (!call || !call.ctx) return;
    const pcm = new Int16Array(buffer, 0, buffer.byteLength >> 1);
    if (pcm.length === 0) return;
    stats.agentAudioBytes += buffer.byteLength;
    const ctx = call.ctx;
    const audio = ctx.createBuffer(1, pcm.length, RATE_HZ);
    const out = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / 32768;
    const src = ctx.createBufferSource();
    src.buffer = audio;
    src.connect(ctx.destination);
    const startAt = Math.max(call.playhead, ctx.currentTime + START_LEAD_S);
    src.start(startAt);
    call.playhead = startAt + audio.duration;
    call.sources.add(src);
    src.onended = () => call && call.sources.delete(src);
  }

  // A server mark is reached once everything scheduled before it has played.
  function onMark(name) {
    if (!call) return;
    call.marks.push({ name, at: call.playhead });
    flushMarks();
  }

  function flushMarks() {
    if (!call) return;
    const now = call.ctx.currentTime;
    while (call.marks.length > 0 && call.marks[0].at <= now) {
      const m = call.marks.shift();
      send({ type: "mark", name: m.name });
      stats.marksSent += 1;
    }
  }

  // Barge-in: silence now. Marks of audio that will never play are not sent,
  // which is how the server learns how much of the reply was heard.
  function onClear() {
    if (!call) return;
    stats.clears += 1;
    for (const src of call.sources) {
      try { src.stop(); } catch (_) { /* never started */ }
    }
    call.sources.clear();
    call.marks = [];
    call.playhead = 0;
  }

  // ---- socket ----

  function send(obj) {
    if (call && call.ws && call.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify(obj));
  }

  function onEvent(ev) {
    stats.events.push(ev);
    switch (ev.type) {
      case "started":
        stats.callId = ev.call_id;
        ui.callId.textContent = "call " + ev.call_id;
        setState("live", "Connected");
        startMic();
        break;
      case "transcript": onTranscript(ev); break;
      case "tool_call": onToolCall(ev); break;
      case "latency": onLatency(ev); break;
      case "mark": onMark(ev.name); break;
      case "clear": onClear(); break;
      case "ended":
        addLine("system", null, "Call ended (" + ev.reason + ")");
        if (call) call.endedByServer = true;
        break;
      case "error":
        showError("Server: " + ev.message);
        break;
      default:
        break; // newer servers may send more; ignore what we do not know
    }
  }

  function startMic() {
    if (!call || !call.worklet) return;
    call.micSource.connect(call.worklet);
    call.worklet.port.onmessage = (e) => {
      if (call && call.ws.readyState === WebSocket.OPEN) {
        call.ws.send(e.data);
        stats.sentAudioBytes += e.data.byteLength;
      }
    };
  }

  async function startCall() {
    clearError();
    ui.button.disabled = true;
    setState("connecting", "Connecting…");
    const c = { sources: new Set(), marks: [], playhead: 0, partialLine: null };
    call = c;
    try {
      c.ctx = new AudioContext({ latencyHint: "interactive" });
      await c.ctx.resume();
      try {
        c.stream = await navigator.mediaDevices.getUserMedia({
          audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
      } catch (e) {
        throw new Error(
          e && e.name === "NotAllowedError"
            ? "Microphone access was denied. Allow it in the browser's site settings and try again."
            : "No microphone available (" + (e && e.message ? e.message : e) + ")."
        );
      }
      await c.ctx.audioWorklet.addModule("/web/capture-worklet.js");
      c.micSource = c.ctx.createMediaStreamSource(c.stream);
      c.worklet = new AudioWorkletNode(c.ctx, "awaaz-capture", { numberOfInputs: 1, numberOfOutputs: 0 });
    } catch (e) {
      teardown();
      showError(e.message || String(e));
      setState("idle", "Ready");
      return;
    }
    if (call !== c) return; // hung up while the browser was asking for the mic

    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/web/call");
    ws.binaryType = "arraybuffer";
    c.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "start", sample_rate_hz: RATE_HZ }));
    ws.onmessage = (m) => {
      if (call !== c) return;
      if (typeof m.data === "string") {
        let ev;
        try { ev = JSON.parse(m.data); } catch (_) { return; }
        onEvent(ev);
      } else {
        playPcm(m.data);
      }
    };
    ws.onerror = () => { /* onclose follows with the details */ };
    ws.onclose = (e) => {
      if (call !== c) return;
      if (!c.endedByServer && !c.hangingUp) {
        showError("Connection to the server closed" + (e.code ? " (code " + e.code + ")" : "") + ".");
      }
      teardown();
      setState("ended", "Call ended");
    };
    c.markTimer = setInterval(flushMarks, 20);
    c.clock = Date.now();
    ui.timer.hidden = false;
    c.timerTick = setInterval(() => {
      const s = Math.floor((Date.now() - c.clock) / 1000);
      ui.timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    }, 500);
    ui.button.textContent = "Hang up";
    ui.button.classList.add("hangup");
    ui.button.disabled = false;
  }

  function hangUp() {
    if (!call) return;
    call.hangingUp = true;
    send({ type: "hangup" });
    teardown();
    setState("ended", "Call ended");
  }

  function teardown() {
    const c = call;
    call = null;
    if (!c) return;
    clearInterval(c.markTimer);
    clearInterval(c.timerTick);
    for (const src of c.sources) {
      try { src.stop(); } catch (_) { /* not started */ }
    }
    if (c.worklet) {
      c.worklet.port.postMessage("stop");
      c.worklet.disconnect();
    }
    if (c.stream) c.stream.getTracks().forEach((t) => t.stop());
    if (c.ws && c.ws.readyState <= WebSocket.OPEN) c.ws.close(1000, "hangup");
    if (c.ctx) c.ctx.close();
    ui.button.textContent = "Call";
    ui.button.classList.remove("hangup");
    ui.button.disabled = false;
    ui.timer.hidden = true;
  }

  ui.button.addEventListener("click", () => (call ? hangUp() : startCall()));
})();
