// chat2audio's page: talk to a character and hear the reply as it streams; speak text as is.
// Plain JavaScript, no build step, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const HISTORY_TURNS = 20; // the server's default server.max_history_turns

// What tests (and the curious) can read: the last reply's timings and state.
const state = {
  mode: null,
  history: [],
  controller: null,
  player: null,
  metrics: {},
  replies: 0,
};
window.chat2audio = state;

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.detail) return `${response.status}: ${body.detail}`;
  } catch (e) { /* not JSON */ }
  return `${response.status}: ${response.statusText || "request failed"}`;
}

// ---- streamed PCM through the Web Audio API, buffers scheduled back to back ----

class PcmPlayer {
  constructor(sampleRate) {
    this.ctx = new AudioContext({ sampleRate });
    this.next = 0;
    this.sources = [];
    this.firstAt = null;
  }

  // Schedule int16 samples right after the previous ones; returns their start on the context clock.
  push(int16) {
    const samples = new Float32Array(int16.length);
    for (let i = 0; i < int16.length; i++) samples[i] = int16[i] / 32768;
    const buffer = this.ctx.createBuffer(1, samples.length, this.ctx.sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const at = Math.max(this.next, this.ctx.currentTime + 0.05);
    source.start(at);
    this.next = at + buffer.duration;
    this.sources.push(source);
    if (this.firstAt === null) this.firstAt = at;
    return at;
  }

  stop() {
    for (const source of this.sources) {
      try { source.stop(); } catch (e) { /* not started yet */ }
    }
    this.ctx.close();
  }
}

function base64Bytes(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// Server-sent events from a fetch body: calls onEvent(object) for each `data:` line.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = pending.indexOf("\n\n")) >= 0) {
      const block = pending.slice(0, cut);
      pending = pending.slice(cut + 2);
      for (const line of block.split("\n")) {
        if (line.startsWith("data: ")) onEvent(JSON.parse(line.slice(6)));
      }
    }
  }
}

// ---- subtitles: each segment's text shown when its first audio plays ----

const subtitles = { cues: [], timer: null, player: null };

function startSubtitles(player) {
  subtitles.cues = [];
  subtitles.player = player;
  const tick = () => {
    const now = player.ctx.currentTime;
    let text = null;
    for (const cue of subtitles.cues) if (cue.at <= now) text = cue.text;
    if (text !== null && $("subtitle").textContent !== text) $("subtitle").textContent = text;
    subtitles.timer = requestAnimationFrame(tick);
  };
  subtitles.timer = requestAnimationFrame(tick);
}

function stopSubtitles() {
  if (subtitles.timer !== null) cancelAnimationFrame(subtitles.timer);
  subtitles.timer = null;
}

// ---- the conversation ----

function addTurn(role, text) {
  const div = document.createElement("div");
  div.className = `turn ${role}`;
  div.textContent = text;
  $("conversation").appendChild(div);
  $("conversation").scrollTop = $("conversation").scrollHeight;
  return div;
}

function requestBody(input) {
  const body = { input, speaker: $("speaker").value, history: state.history.slice(-HISTORY_TURNS) };
  const seed = $("seed").value.trim();
  const temperature = $("temperature").value.trim();
  if (seed !== "") body.seed = Number(seed);
  if (temperature !== "") body.temperature = Number(temperature);
  return body;
}

function showMetrics() {
  const m = state.metrics;
  const parts = [];
  if (m.firstAudioAt != null) parts.push(`first audio ${((m.firstAudioAt - m.t0) / 1000).toFixed(2)} s`);
  if (m.audioSeconds) parts.push(`real-time factor ${(((m.fetchEndAt - m.t0) / 1000) / m.audioSeconds).toFixed(2)}`);
  if (m.audioSeconds) parts.push(`${m.audioSeconds.toFixed(1)} s of audio`);
  $("metrics").textContent = parts.join(" · ");
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("stop").disabled = !busy;
}

async function send(event) {
  event.preventDefault();
  const input = $("input").value.trim();
  if (!input) return;
  showError("");
  stopPlayback();
  const body = requestBody(input);
  const user = addTurn("user", input);
  const reply = addTurn("assistant", "…");
  state.controller = new AbortController();
  state.metrics = { t0: performance.now(), firstAudioAt: null, fetchEndAt: null, audioSeconds: 0, done: false };
  setBusy(true);
  try {
    const ok = state.mode === "non-stream" ? await sendWhole(body, reply) : await sendStreamed(body, reply);
    if (ok) {
      state.history.push({ role: "user", content: input }, { role: "assistant", content: ok });
      $("input").value = "";
      state.replies += 1;
    } else {
      user.remove();
      reply.remove();
    }
  } catch (error) {
    if (error.name === "AbortError") {
      reply.textContent += " (stopped)";
    } else {
      showError(String(error.message || error));
      user.remove();
      reply.remove();
    }
  } finally {
    state.metrics.fetchEndAt = state.metrics.fetchEndAt || performance.now();
    state.metrics.done = true;
    showMetrics();
    setBusy(false);
    state.controller = null;
  }
}

// Stream mode: events with PCM audio, played while they arrive. Returns the reply text, or null on error.
async function sendStreamed(body, replyDiv) {
  const response = await fetch("/chat2audio", {
    method: "POST", headers: { "Content-Type": "application/json" }, signal: state.controller.signal,
    body: JSON.stringify({ ...body, stream_format: "sse", response_format: "pcm" }),
  });
  if (!response.ok) { showError(await errorMessage(response)); return null; }
  let text = "";
  let raw = null;
  let failed = null;
  let nextCue = null;
  await readEvents(response, (e) => {
    if (e.type === "start") {
      state.player = new PcmPlayer(e.sample_rate);
      startSubtitles(state.player);
    } else if (e.type === "text.delta") {
      text += e.text;
      replyDiv.textContent = text || "…";
    } else if (e.type === "segment.start") {
      nextCue = e.text;
    } else if (e.type === "audio.delta") {
      const bytes = base64Bytes(e.audio);
      const at = state.player.push(new Int16Array(bytes.buffer, 0, bytes.length >> 1));
      if (state.metrics.firstAudioAt === null) state.metrics.firstAudioAt = performance.now();
      if (nextCue !== null) { subtitles.cues.push({ at, text: nextCue }); nextCue = null; }
    } else if (e.type === "done") {
      raw = e.raw || e.text;
      replyDiv.textContent = e.text || "(nothing to say)";
      state.metrics.audioSeconds = e.audio_seconds;
    } else if (e.type === "error") {
      failed = e.detail;
    }
  });
  state.metrics.fetchEndAt = performance.now();
  if (failed) { showError(failed); return null; }
  return raw;
}

// Non-stream mode: one WAV, played when it has arrived; the reply text comes in X-Reply-Text.
async function sendWhole(body, replyDiv) {
  const response = await fetch("/chat2audio", {
    method: "POST", headers: { "Content-Type": "application/json" }, signal: state.controller.signal,
    body: JSON.stringify(body),
  });
  if (!response.ok) { showError(await errorMessage(response)); return null; }
  const text = decodeURIComponent(response.headers.get("X-Reply-Text") || "");
  const blob = await response.blob();
  state.metrics.fetchEndAt = performance.now();
  replyDiv.textContent = text || "(nothing to say)";
  $("subtitle").textContent = text;
  const audio = $("reply-audio");
  audio.src = URL.createObjectURL(blob);
  await new Promise((resolve) => {
    audio.onloadedmetadata = resolve;
    audio.onerror = resolve;
  });
  state.metrics.audioSeconds = Number.isFinite(audio.duration) ? audio.duration : 0;
  await audio.play().catch(() => {});
  state.metrics.firstAudioAt = performance.now();
  return text;
}

function stopPlayback() {
  stopSubtitles();
  if (state.player) { state.player.stop(); state.player = null; }
  $("reply-audio").pause();
  $("subtitle").textContent = "";
}

function stop() {
  if (state.controller) state.controller.abort();
  stopPlayback();
}

function clearConversation() {
  stop();
  state.history = [];
  $("conversation").replaceChildren();
  $("metrics").textContent = "";
}

// ---- speech only ----

async function speak() {
  const input = $("speech-text").value.trim();
  if (!input) return;
  showError("");
  const format = $("speech-format").value;
  $("speak").disabled = true;
  try {
    const response = await fetch("/v1/audio/speech", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "tts-1", input, voice: $("speaker").value, response_format: format }),
    });
    if (!response.ok) { showError(await errorMessage(response)); return; }
    const url = URL.createObjectURL(await response.blob());
    const audio = $("speech-audio");
    audio.src = url;
    audio.hidden = false;
    audio.play().catch(() => {});
    const link = $("download");
    link.href = url;
    link.download = `speech.${format === "opus" ? "ogg" : format}`;
    link.hidden = false;
  } catch (error) {
    showError(String(error.message || error));
  } finally {
    $("speak").disabled = false;
  }
}

// ---- start ----

async function init() {
  $("chat-form").addEventListener("submit", send);
  $("stop").addEventListener("click", stop);
  $("clear").addEventListener("click", clearConversation);
  $("speak").addEventListener("click", speak);
  $("input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("chat-form").requestSubmit(); }
  });
  try {
    const [health, speakers] = await Promise.all([
      fetch("/health").then((r) => r.json()), fetch("/speakers").then((r) => r.json())]);
    state.mode = health.mode;
    $("mode").textContent = `${health.mode} mode`;
    $("demo-banner").hidden = !health.demo;
    for (const s of speakers) $("speaker").add(new Option(s.name, s.name));
    state.ready = true;
  } catch (error) {
    showError(`cannot reach the service: ${error.message || error}`);
  }
}

init();
