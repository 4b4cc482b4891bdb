// End-to-end test of the browser softphone: the real awaaz server (built
// binary, temporary SQLite, models from ./models), headless Chromium with a
// fake microphone playing a WAV of a caller asking about order 45678.
//
// Usage: node softphone.test.mjs --server <awaaz binary> --wav <caller.wav>
// (tests/browser/run.sh builds the binary, makes the WAV and calls this).
// Exits 0 on success, 1 on failure; always stops the server and the browser,
// and gives up after TEST_TIMEOUT_MS.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const TEST_TIMEOUT_MS = Number(process.env.AWAAZ_BROWSER_TEST_TIMEOUT_MS || 240_000);
const SERVER_START_TIMEOUT_MS = 60_000;
// A CPU-only dev build: the reply can take a few seconds after the caller stops.
const REPLY_TIMEOUT_MS = Number(process.env.AWAAZ_BROWSER_REPLY_TIMEOUT_MS || 120_000);

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name} <value>`);
  return process.argv[i + 1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(base, server) {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    try {
      const r = await fetch(base + "/health");
      if (r.ok) return;
    } catch (_) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("server did not become healthy in time");
}

// Whisper may write the digits as "45678", "4-5-6-7-8", "45,678" or words.
const WORDS = { zero: 0, oh: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9 };
export function digitsOf(text) {
  return text
    .toLowerCase()
    .replace(/[a-z]+/g, (w) => (w in WORDS ? String(WORDS[w]) : " "))
    .replace(/[^0-9]/g, "");
}

const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0) {
    const f = cleanups.pop();
    try {
      await f();
    } catch (e) {
      console.error("cleanup:", e.message);
    }
  }
}

function check(cond, message, failures) {
  console.log(`${cond ? "ok  " : "FAIL"} ${message}`);
  if (!cond) failures.push(message);
}

async function main() {
  const serverBin = arg("--server");
  const wav = arg("--wav");
  const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

  const tmp = mkdtempSync(path.join(os.tmpdir(), "awaaz-browser-"));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const serverLog = [];
  const server = spawn(serverBin, ["serve", "--addr", `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      AWAAZ_DATABASE_URL: `sqlite://${tmp}/awaaz.db?mode=rwc`,
      AWAAZ_LOG: process.env.AWAAZ_LOG || "info",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const s of [server.stdout, server.stderr]) s.on("data", (d) => serverLog.push(d.toString()));
  cleanups.push(async () => {
    if (server.exitCode !== null) return;
    server.kill("SIGTERM");
    const exited = await Promise.race([
      new Promise((r) => server.once("exit", () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 10_000)),
    ]);
    if (!exited) server.kill("SIGKILL");
  });
  await waitForHealth(base, server);
  console.log(`server up on ${base}`);

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      // %noloop: play the caller once, then silence, so the caller does not
      // repeat the question over the agent's answer.
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  cleanups.push(() => browser.close());
  const context = await browser.newContext();
  await context.grantPermissions(["microphone"], { origin: base });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });

  await page.goto(base + "/");
  await page.click("#call");
  await page.waitForFunction(() => window.awaaz.state === "live", null, { timeout: 15_000 });
  console.log("call connected:", await page.evaluate(() => window.awaaz.callId));

  // The caller's words, then the agent's reply with its audio.
  const failures = [];
  let outcome;
  try {
    await page.waitForFunction(
      () => {
        const ev = window.awaaz.events;
        const callerFinal = ev.some((e) => e.type === "transcript" && e.speaker === "caller" && e.final);
        const agentAfter = ev.findIndex((e) => e.type === "transcript" && e.speaker === "caller" && e.final);
        const replied = agentAfter >= 0 && ev.slice(agentAfter).some((e) => e.type === "transcript" && e.speaker === "agent");
        // The latency event follows the reply's first audio frame.
        const spoke = agentAfter >= 0 && ev.slice(agentAfter).some((e) => e.type === "latency");
        return callerFinal && replied && spoke;
      },
      null,
      { timeout: REPLY_TIMEOUT_MS, polling: 200 },
    );
  } catch (e) {
    failures.push("timed out waiting for the caller's final line, an agent reply and its first audio");
  }
  // Let a second of the reply play (and its marks come back) before looking.
  await page.waitForTimeout(1500);
  outcome = await page.evaluate(() => ({
    events: window.awaaz.events,
    agentAudioBytes: window.awaaz.agentAudioBytes,
    sentAudioBytes: window.awaaz.sentAudioBytes,
    marksSent: window.awaaz.marksSent,
    transcriptText: document.getElementById("transcript").innerText,
  }));

  const caller = outcome.events
    .filter((e) => e.type === "transcript" && e.speaker === "caller" && e.final)
    .map((e) => e.text)
    .join(" ");
  const agent = outcome.events
    .filter((e) => e.type === "transcript" && e.speaker === "agent")
    .map((e) => e.text)
    .join(" ");
  console.log("caller said:", JSON.stringify(caller));
  console.log("agent said:", JSON.stringify(agent));
  console.log(
    `audio: sent ${outcome.sentAudioBytes} bytes, received ${outcome.agentAudioBytes} bytes; marks echoed: ${outcome.marksSent}`,
  );
  const latencies = outcome.events.filter((e) => e.type === "latency").map((e) => e.voice_to_voice_ms);
  console.log("voice-to-voice latencies (ms):", latencies.join(", ") || "none");

  check(outcome.sentAudioBytes >= 16000 * 2 * 2, "page sent at least 2 s of microphone audio", failures);
  check(/order/i.test(caller), "caller transcript contains \"order\"", failures);
  check(digitsOf(caller).includes("45678"), "caller transcript contains the digits 45678", failures);
  check(outcome.agentAudioBytes > 16000, "agent audio arrived (> 0.5 s)", failures);
  check(/shipped|delhivery/i.test(agent), "agent reply mentions shipped/Delhivery", failures);
  const tools = outcome.events.filter((e) => e.type === "tool_call");
  console.log("tool calls:", tools.map((t) => `${t.name}(${JSON.stringify(t.arguments)})`).join(", ") || "none");
  check(
    tools.some((t) => JSON.stringify(t.arguments).includes("45678")),
    "a tool call looked up order 45678",
    failures,
  );
  check(/order/i.test(outcome.transcriptText), "transcript is shown on the page", failures);
  check(latencies.length >= 1, "a voice-to-voice latency was reported", failures);
  check(pageErrors.length === 0, `no page errors (${pageErrors.join(" | ")})`, failures);

  // Hang up from the page; the server must record the call.
  await page.click("#call");
  await page.waitForFunction(() => window.awaaz.state === "ended", null, { timeout: 5_000 });
  const callId = outcome.events.find((e) => e.type === "started")?.call_id;
  if (callId) {
    const deadline = Date.now() + 10_000;
    let detail = null;
    while (Date.now() < deadline) {
      const r = await fetch(`${base}/api/v1/calls/${callId}`);
      if (r.ok) {
        detail = await r.json();
        if (detail.ended_at || (detail.call && detail.call.ended_at)) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    check(detail !== null, "the call is in the store (GET /api/v1/calls/{id})", failures);
  }

  if (failures.length > 0) {
    console.log("---- server log (tail) ----");
    console.log(serverLog.join("").split("\n").slice(-60).join("\n"));
    console.log("---- events ----");
    console.log(JSON.stringify(outcome.events.filter((e) => e.type !== "mark"), null, 1).slice(0, 6000));
    throw new Error(`${failures.length} check(s) failed`);
  }
}

const timer = setTimeout(async () => {
  console.error(`FAIL: test took longer than ${TEST_TIMEOUT_MS} ms`);
  await cleanup();
  process.exit(1);
}, TEST_TIMEOUT_MS);

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    await cleanup();
    process.exit(130);
  });
}

main()
  .then(async () => {
    clearTimeout(timer);
    await cleanup();
    console.log("browser softphone test passed");
    process.exit(0);
  })
  .catch(async (e) => {
    clearTimeout(timer);
    console.error("FAIL:", e.message);
    await cleanup();
    process.exit(1);
  });
