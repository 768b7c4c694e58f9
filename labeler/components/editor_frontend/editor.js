// voxcart transcript editor: a Streamlit component written against the bare postMessage protocol.
// Every piece of data is put into the DOM with textContent or as an attribute value, never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const edit = $("edit");
  const wave = $("wave");
  const RATES = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];
  const SKIP_LABELS = {
    no_speech: "no speech",
    wrong_language: "not the target language",
    multiple_speakers: "several speakers",
    noise: "noise only",
    truncated: "truncated",
    personal_data: "contains personal data",
  };
  // The project's keys ([keys] in voxcart.toml) arrive with the arguments; these are the defaults.
  const DEFAULT_KEYS = {
    accept: "KeyA", skip: "KeyS", flag: "KeyF", play: "KeyP", replay: "KeyR", last_two: "KeyL",
    slower: "Comma", faster: "Period", next_low: "KeyJ", reveal: "KeyV", undo: "KeyZ",
    back: "KeyB", zoom_in: "Equal", zoom_out: "Minus", zoom_reset: "Digit0", loop: "KeyO",
  };
  function keyCode(action) {
    const k = args && args.keys && args.keys[action];
    return k ? k.code : DEFAULT_KEYS[action];
  }
  function keyLabel(action) {
    const k = args && args.keys && args.keys[action];
    if (k) return k.label;
    return "Alt+" + DEFAULT_KEYS[action].replace(/^(Key|Digit)/, "");
  }
  function actionFor(code) {
    return Object.keys(DEFAULT_KEYS).find((action) => keyCode(action) === code) || null;
  }
  function help() {
    const k = keyLabel;
    if (reviewing()) {
      return "Keys (in the text box): " + k("accept") + " approve · Ctrl+Enter approve, or save " +
        "your edit · " + k("skip") + " reject with a reason · " + k("back") + " back to a clip " +
        "that was not saved · " + k("play") + " or Ctrl+Space play/pause · " + k("replay") +
        " replay · " + k("last_two") + " last 2 s · " + k("slower") + " / " + k("faster") +
        " slower / faster · " + k("zoom_in") + " / " + k("zoom_out") + " / " + k("zoom_reset") +
        " zoom · drag on the waveform to select, " + k("loop") + " loop it · " + k("next_low") +
        " next low-confidence word · Tab accept completion";
    }
    return "Keys (in the text box): Ctrl+Enter submit · Ctrl+Shift+Enter submit despite " +
      "warnings · " + k("undo") + " undo your last submit · " + k("back") + " back to a clip " +
      "that was not saved · " + k("accept") + " accept unchanged · " + k("skip") + " skip · " +
      k("flag") + " flag · " + k("play") + " or Ctrl+Space play/pause · " + k("replay") +
      " replay · " + k("last_two") + " last 2 s · " + k("slower") + " / " + k("faster") +
      " slower / faster · " + k("zoom_in") + " / " + k("zoom_out") + " / " + k("zoom_reset") +
      " zoom · drag on the waveform to select, " + k("loop") + " loop it · " + k("next_low") +
      " next low-confidence word · " + k("reveal") + " show a hidden suggestion · Tab accept " +
      "completion";
  }

  let args = null; // the latest render arguments
  let cur = null; // the clip on screen: one of the leased items the page sent
  let focusKey = null; // the page's focus; a new one moves the editor to the page's first item
  const done = new Set(); // task ids submitted or skipped here (saved, or waiting to be)
  const drafts = new Map(); // task id -> text typed there, kept when the editor moves on
  const outbox = []; // events waiting to be sent: one is in flight at a time, in order
  let inflight = null; // the nonce sent and not yet handled by the page
  const seenFailures = new Set();
  let failed = null; // the newest failure to show: {task_id, clip_uid, message}
  let swapAt = null; // when the last swap started (for the timing the benchmark reads)
  window.__voxcartTimings = window.__voxcartTimings || []; // submit -> next clip ready (ms)
  window.__voxcartAcks = window.__voxcartAcks || []; // event sent -> page confirmed it (ms)
  let sentAt = 0;
  let started = performance.now();
  let rateIndex = 2;
  let flagged = false;
  let revealed = false; // retype mode: the annotator asked to see the hidden suggestion
  let counter = 0;
  let checkTimer = null;
  let lastChecked = null;
  let completions = [];
  let completionIndex = 0;
  let skipOpen = false;
  let stopAt = null; // "last 2 s" stops at the end of the clip

  // ---- Streamlit protocol ----
  function post(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }
  function setHeight() {
    post("streamlit:setFrameHeight", { height: Math.ceil(document.documentElement.scrollHeight) + 4 });
  }
  // Events go out one at a time, in order; a submit or skip moves the editor to the next leased
  // clip at once, without waiting for the page (the save is confirmed in the background).
  function send(action, extra) {
    if (!args || !cur || cur.waiting) return;
    if (action === "check" && (inflight || outbox.length)) return; // the next pause re-checks
    counter += 1;
    const nonce = cur.task_id + "-" + Date.now() + "-" + counter + "-" + Math.random().toString(36).slice(2, 8);
    const value = Object.assign(
      {
        action: action,
        nonce: nonce,
        task_id: cur.task_id,
        text: edit.value,
        flags: flagged ? ["unsure"] : [],
        reason: null,
        time_spent_s: Math.round((performance.now() - started) / 100) / 10,
        suggestion_shown: !!cur.suggestion_text && !hidden(),
      },
      extra || {}
    );
    outbox.push(value);
    if (action === "submit" || action === "accept" || action === "skip") {
      clearTimeout(checkTimer);
      done.add(cur.task_id);
      drafts.set(cur.task_id, edit.value);
      advance();
    } else if (action === "undo") {
      $("state").textContent = "undoing…";
    }
    flush();
  }
  function flush() {
    if (inflight || outbox.length === 0) return;
    const value = outbox.shift();
    inflight = value.nonce;
    sentAt = value.action === "check" ? 0 : performance.now();
    post("streamlit:setComponentValue", { value: value, dataType: "json" });
  }

  // ---- the line of leased clips ----
  function items() { return args ? [args].concat(args.ahead || []) : []; }
  function advance() {
    const next = items().find((it) => !done.has(it.task_id) && (!cur || it.task_id !== cur.task_id));
    if (next) { swapAt = performance.now(); loadClip(next); return; }
    cur = Object.assign({}, cur, { waiting: true });
    edit.value = "";
    edit.readOnly = true;
    $("state").textContent = "saving… the next clip appears as soon as the page sends it";
  }
  function backToFailed() {
    if (!failed) return;
    const item = items().find((it) => it.task_id === failed.task_id);
    if (!item) { $("state").textContent = "that clip is no longer yours"; return; }
    if (cur && !cur.waiting) drafts.set(cur.task_id, edit.value);
    done.delete(item.task_id);
    failed = null;
    renderFailure();
    loadClip(item);
  }
  function renderFailure() {
    const box = $("failure");
    box.replaceChildren();
    box.hidden = !failed;
    if (!failed) return;
    box.appendChild(el("span", "", "Clip " + failed.clip_uid + " was not saved: " + failed.message + " "));
    const btn = el("button", "", "Back to it (Alt+B)");
    btn.type = "button";
    btn.addEventListener("click", backToFailed);
    box.appendChild(btn);
  }
  function readFailures() {
    for (const f of args.failures || []) {
      if (seenFailures.has(f.nonce)) continue;
      seenFailures.add(f.nonce);
      done.delete(f.task_id); // not saved: the clip is still to do
      failed = f;
    }
    renderFailure();
  }

  // ---- warnings: shown under the editor before the clip is left ----
  function squash(text) { return String(text || "").replace(/\s+/g, " ").trim(); }
  function warningsShown() {
    return !!(cur && cur.warnings && cur.warnings.length &&
      squash(cur.warnings_text) === squash(edit.value));
  }
  function renderWarnings() {
    const box = $("warnings");
    box.replaceChildren();
    box.hidden = !warningsShown();
    if (box.hidden) return;
    box.appendChild(el("div", "", "Before you submit:"));
    const list = el("ul", "", null);
    cur.warnings.forEach((w) => list.appendChild(el("li", "", w)));
    box.appendChild(list);
    box.appendChild(el("div", "hint", "Fix the text, or press Ctrl+Shift+Enter to submit it anyway."));
  }
  function submit(confirm) {
    if (!confirm && warningsShown()) {
      $("state").textContent = "see the warnings: fix them, or Ctrl+Shift+Enter submits anyway";
      return;
    }
    send("submit", confirm ? { confirm: true } : {});
  }

  // Retype mode hides a suggestion predicted to be mostly wrong until the annotator reveals it.
  function hidden() { return !!(cur && cur.retype && !revealed); }

  function reveal() {
    if (!args || !cur.retype || revealed || !cur.suggestion_text) return;
    revealed = true;
    if (!edit.value.trim()) { edit.value = cur.suggestion_text; lastChecked = null; }
    $("retype").textContent = "Suggestion shown (it was hidden as probably very wrong).";
    $("btn-accept").disabled = false;
    renderStrip();
    onInput();
    edit.focus();
  }

  // ---- text helpers ----
  const EDGE = /^[\s"'.,;:!?()\[\]{}<>]+|[\s"'.,;:!?()\[\]{}<>]+$/g;
  function tokens(text) {
    const out = [];
    const re = /\S+/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      const norm = m[0].toLowerCase().replace(EDGE, "");
      out.push({ raw: m[0], norm: norm, start: m.index, end: m.index + m[0].length });
    }
    return out.filter((t) => t.norm !== "");
  }

  // Word-level Levenshtein alignment of a (suggestion) to b (edit): ops eq/sub/ins/del.
  function align(a, b) {
    const n = a.length, m = b.length;
    const d = [];
    for (let i = 0; i <= n; i++) {
      d.push(new Array(m + 1).fill(0));
      d[i][0] = i;
    }
    for (let j = 0; j <= m; j++) d[0][j] = j;
    for (let i = 1; i <= n; i++) {
      for (let j = 1; j <= m; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        d[i][j] = Math.min(d[i - 1][j - 1] + cost, d[i - 1][j] + 1, d[i][j - 1] + 1);
      }
    }
    const ops = [];
    let i = n, j = m;
    while (i > 0 || j > 0) {
      if (i > 0 && j > 0 && d[i][j] === d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)) {
        ops.push({ op: a[i - 1] === b[j - 1] ? "eq" : "sub", i: i - 1, j: j - 1 });
        i--; j--;
      } else if (j > 0 && d[i][j] === d[i][j - 1] + 1) {
        ops.push({ op: "ins", i: -1, j: j - 1 });
        j--;
      } else {
        ops.push({ op: "del", i: i - 1, j: -1 });
        i--;
      }
    }
    ops.reverse();
    return { ops: ops, distance: d[n][m] };
  }

  function suggestionWords() {
    return (cur && cur.words ? cur.words : []).map((w) => String(w.word).toLowerCase());
  }

  // A typed token is marked when it is, or contains, a flagged word ("<b>zzqx</b>" holds "zzqx").
  function oovWords() {
    const words = ((cur && cur.oov) || []).map((f) => String(f.word).toLowerCase());
    return { has: (norm) => words.some((w) => norm === w || norm.includes(w)) };
  }

  // ---- rendering ----
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderStrip() {
    const strip = $("strip");
    strip.replaceChildren();
    if (!cur || hidden() || !cur.words || cur.words.length === 0) return;
    const low = args.low_confidence;
    const [a, b] = viewSpan();
    const timed = b > a && cur.words.every((w) => Number(w.end_s) > Number(w.start_s));
    strip.classList.toggle("timed", timed);
    cur.words.forEach((w, index) => {
      const c = Number(w.confidence);
      const cls = c < low ? "c-low" : c < (1 + low) / 2 ? "c-mid" : "c-high";
      const span = el("span", "w " + cls, String(w.word));
      if (timed) {
        // Placed under the waveform at the word's time, so that both read on one axis.
        const s0 = Math.max(a, Number(w.start_s)), s1 = Math.min(b, Number(w.end_s));
        if (s1 <= s0) return;
        span.style.left = (100 * (s0 - a)) / (b - a) + "%";
        span.style.width = (100 * (s1 - s0)) / (b - a) + "%";
      }
      const how = cur.calibrated
        ? " (calibrated: chance the word is right; raw " + Number(w.raw_confidence).toFixed(2) + ")"
        : " (uncalibrated raw score)";
      span.title = String(w.word) + ": confidence " + c.toFixed(2) + how + ", " +
        Number(w.start_s).toFixed(2) + "–" + Number(w.end_s).toFixed(2) + " s";
      span.dataset.index = String(index);
      span.addEventListener("click", () => selectSuggestionWord(index));
      strip.appendChild(span);
    });
  }

  function renderDiff() {
    const diff = $("diff");
    diff.replaceChildren();
    const sugg = cur && !hidden() ? suggestionWords() : [];
    const mine = tokens(edit.value);
    const b = mine.map((t) => t.norm);
    const oov = oovWords();
    if (sugg.length === 0) {
      $("wer").textContent = "";
    } else {
      const { ops, distance } = align(sugg, b);
      const wer = distance / Math.max(1, b.length);
      $("wer").textContent = "changed words: " + (100 * wer).toFixed(0) + "% WER of the suggestion";
      for (const o of ops) {
        if (o.op === "eq") diff.appendChild(el("span", oov.has(b[o.j]) ? "eq oovw" : "eq", mine[o.j].raw));
        else if (o.op === "sub") {
          diff.appendChild(el("del", "", sugg[o.i]));
          diff.appendChild(el("ins", oov.has(b[o.j]) ? "oovw" : "", mine[o.j].raw));
        } else if (o.op === "ins") diff.appendChild(el("ins", oov.has(b[o.j]) ? "oovw" : "", mine[o.j].raw));
        else diff.appendChild(el("del", "", sugg[o.i]));
        diff.appendChild(document.createTextNode(" "));
      }
      return;
    }
    for (const t of mine) {
      diff.appendChild(el("span", oov.has(t.norm) ? "eq oovw" : "eq", t.raw));
      diff.appendChild(document.createTextNode(" "));
    }
  }

  function replaceWord(word, term) {
    const text = edit.value;
    const lower = text.toLowerCase();
    const isLetter = (ch) => ch !== undefined && /\p{L}/u.test(ch);
    let at = lower.indexOf(word.toLowerCase());
    while (at >= 0 && (isLetter(text[at - 1]) || isLetter(text[at + word.length]))) {
      at = lower.indexOf(word.toLowerCase(), at + 1);
    }
    if (at < 0) return;
    edit.value = text.slice(0, at) + term + text.slice(at + word.length);
    edit.focus();
    edit.setSelectionRange(at + term.length, at + term.length);
    onInput();
  }

  function renderOov() {
    const box = $("oov");
    box.replaceChildren();
    const typed = edit.value.toLowerCase();
    const flags = ((cur && cur.oov) || []).filter((f) => typed.includes(String(f.word).toLowerCase()));
    if (flags.length === 0) return;
    box.appendChild(el("span", "", "Not in the catalog or dictionary: "));
    const seen = new Set();
    for (const f of flags) {
      const word = String(f.word);
      if (seen.has(word.toLowerCase())) continue;
      seen.add(word.toLowerCase());
      const item = el("span", "item");
      item.appendChild(el("span", "word", word));
      const closest = f.closest || [];
      if (closest.length) item.appendChild(document.createTextNode(" → "));
      for (const term of closest) {
        const btn = el("button", "", String(term));
        btn.type = "button";
        btn.title = "replace " + word + " with " + term;
        btn.addEventListener("click", () => replaceWord(word, String(term)));
        item.appendChild(btn);
      }
      box.appendChild(item);
    }
  }

  // ---- the audio view: a window [view0, view1] of the clip, zoomable, with a selection ----
  let view0 = 0, view1 = 0; // seconds; view1 = 0 means the whole clip
  let sel = null; // {a, b} seconds, a < b
  let looping = false;
  let dragFrom = null;
  const AXIS = 14; // pixels under the waveform for the time axis
  function clipDuration() { return audio.duration || (cur && cur.duration_s) || 0; }
  function viewSpan() {
    const d = clipDuration();
    const b = view1 > view0 ? Math.min(view1, d || view1) : d;
    return [Math.max(0, Math.min(view0, b)), b];
  }
  function xOf(t, width) { const [a, b] = viewSpan(); return b > a ? ((t - a) / (b - a)) * width : 0; }
  function tOf(x, width) { const [a, b] = viewSpan(); return a + (Math.max(0, Math.min(x, width)) / width) * (b - a); }
  function tickStep(span) {
    for (const step of [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]) if (span / step <= 10) return step;
    return 120;
  }
  function drawWave() {
    const ctx = wave.getContext("2d");
    const width = Math.max(1, wave.clientWidth);
    const height = wave.height;
    if (wave.width !== width) wave.width = width;
    ctx.clearRect(0, 0, width, height);
    const plot = height - AXIS;
    const [a, b] = viewSpan();
    const d = clipDuration();
    if (sel) {
      ctx.fillStyle = looping ? "rgba(37,99,235,.22)" : "rgba(37,99,235,.12)";
      const x0 = xOf(sel.a, width), x1 = xOf(sel.b, width);
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), plot);
    }
    const peaks = (cur && cur.peaks) || [];
    const mid = plot / 2;
    ctx.fillStyle = "#64748b";
    const n = peaks.length;
    for (let x = 0; x < width && n > 0 && d > 0; x++) {
      const t = tOf(x, width);
      const p = Number(peaks[Math.min(n - 1, Math.floor((t / d) * n))]) || 0;
      const h = Math.max(1, p * (plot - 4));
      ctx.fillRect(x, mid - h / 2, 1, h);
    }
    // Time axis: ticks and labels in seconds.
    ctx.fillStyle = "#6b7280";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillRect(0, plot, width, 1);
    if (b > a) {
      const step = tickStep(b - a);
      for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) {
        const x = Math.round(xOf(t, width));
        ctx.fillRect(x, plot, 1, 4);
        const label = (step < 1 ? t.toFixed(step < 0.1 ? 2 : 1) : t.toFixed(0)) + " s";
        ctx.fillText(label, Math.min(width - 28, x + 2), height - 2);
      }
    }
    if (d > 0 && audio.currentTime >= a && audio.currentTime <= b) {
      ctx.fillStyle = "#2563eb";
      ctx.fillRect(Math.round(xOf(audio.currentTime, width)), 0, 2, plot);
    }
    layoutSpectrogram();
  }
  function layoutSpectrogram() {
    // The spectrogram image covers the whole clip; show the same window as the waveform.
    const d = clipDuration();
    const [a, b] = viewSpan();
    const img = $("spec");
    if (!(d > 0 && b > a)) { img.style.width = "100%"; img.style.marginLeft = "0"; return; }
    img.style.width = (100 * d) / (b - a) + "%";
    img.style.marginLeft = (-100 * a) / (b - a) + "%";
  }
  function zoom(factor) {
    const d = clipDuration();
    if (!(d > 0)) return;
    const [a, b] = viewSpan();
    const centre = sel ? (sel.a + sel.b) / 2 : audio.currentTime || (a + b) / 2;
    const span = Math.max(0.25, Math.min(d, (b - a) * factor));
    const start = Math.max(0, Math.min(d - span, centre - span / 2));
    view0 = start;
    view1 = start === 0 && span >= d - 1e-6 ? 0 : start + span;
    renderStrip();
    drawWave();
    $("zoom-label").textContent = view1 ? (d / span).toFixed(1) + "×" : "1×";
  }
  function toggleLoop() {
    looping = !looping;
    if (looping && !sel) { const [a, b] = viewSpan(); sel = { a: a, b: b }; }
    $("loop").classList.toggle("on", looping);
    if (looping && sel) { audio.currentTime = sel.a; stopAt = null; play(); }
    drawWave();
  }
  function loopTick() {
    if (looping && sel && !audio.paused && audio.currentTime >= sel.b) audio.currentTime = sel.a;
    if (!audio.paused) { drawWave(); requestAnimationFrame(loopTick); }
  }

  function renderClock() {
    const duration = audio.duration || (cur && cur.duration_s) || 0;
    $("clock").textContent = audio.currentTime.toFixed(1) + " / " + duration.toFixed(1) + " s";
    $("play").textContent = audio.paused ? "Play" : "Pause";
    drawWave();
  }

  // ---- audio controls ----
  function play() {
    const p = audio.play();
    if (p && p.catch) p.catch(() => { $("state").textContent = "press Play (Alt+P) to listen"; });
  }
  function togglePlay() { if (audio.paused) play(); else audio.pause(); }
  function replay() { stopAt = null; audio.currentTime = 0; play(); }
  function lastTwo() {
    const duration = audio.duration || 0;
    audio.currentTime = Math.max(0, duration - 2);
    stopAt = null;
    play();
  }
  function setRate(index) {
    rateIndex = Math.max(0, Math.min(RATES.length - 1, index));
    audio.playbackRate = RATES[rateIndex];
    $("rate").textContent = RATES[rateIndex].toFixed(2) + "×";
  }

  // ---- low-confidence navigation ----
  function lowWordRanges() {
    if (!cur || hidden()) return [];
    const sugg = suggestionWords();
    const mine = tokens(edit.value);
    const { ops } = align(sugg, mine.map((t) => t.norm));
    const ranges = [];
    for (const o of ops) {
      if ((o.op === "eq" || o.op === "sub") && Number(cur.words[o.i].confidence) < args.low_confidence) {
        ranges.push({ i: o.i, start: mine[o.j].start, end: mine[o.j].end });
      }
    }
    return ranges;
  }
  function selectSuggestionWord(index) {
    const hit = lowWordRanges().find((r) => r.i === index) || null;
    if (hit) { edit.focus(); edit.setSelectionRange(hit.start, hit.end); }
  }
  function nextLowWord() {
    const ranges = lowWordRanges();
    if (ranges.length === 0) { $("state").textContent = "no low-confidence word left"; return; }
    const after = ranges.find((r) => r.start >= edit.selectionEnd) || ranges[0];
    edit.focus();
    edit.setSelectionRange(after.start, after.end);
    const w = cur.words[after.i];
    if (audio.duration && Number(w.end_s) > Number(w.start_s)) {
      audio.currentTime = Math.max(0, Number(w.start_s) - 0.3);
      stopAt = Number(w.end_s) + 0.3;
      play();
    }
  }

  // ---- completion ----
  function currentPrefix() {
    const caret = edit.selectionStart;
    if (caret !== edit.selectionEnd) return null;
    const before = edit.value.slice(0, caret);
    if (/\s$/.test(before) || before === "") return null;
    const after = edit.value.slice(caret);
    if (/^\S/.test(after)) return null; // only complete at the end of a word
    const words = before.split(/\s+/);
    for (let n = Math.min(3, words.length); n >= 1; n--) {
      const phrase = words.slice(words.length - n).join(" ").toLowerCase();
      if (phrase.length < 2) continue;
      const hits = ((args && args.vocabulary) || []).filter((t) => t.startsWith(phrase) && t !== phrase);
      if (hits.length) return { phrase: phrase, start: caret - words.slice(words.length - n).join(" ").length, hits: hits.slice(0, 8) };
    }
    return null;
  }
  function renderCompletions() {
    const list = $("complete");
    list.replaceChildren();
    const found = currentPrefix();
    completions = found ? found.hits : [];
    completionIndex = 0;
    list.hidden = completions.length === 0;
    completions.forEach((term, index) => {
      const li = el("li", index === 0 ? "sel" : "", term);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); completionIndex = index; acceptCompletion(); });
      list.appendChild(li);
    });
  }
  function acceptCompletion() {
    const found = currentPrefix();
    if (!found || completions.length === 0) return false;
    const term = completions[completionIndex] || completions[0];
    const caret = edit.selectionStart;
    edit.value = edit.value.slice(0, found.start) + term + " " + edit.value.slice(caret);
    const at = found.start + term.length + 1;
    edit.setSelectionRange(at, at);
    onInput();
    return true;
  }
  function moveCompletion(step) {
    if (completions.length === 0) return;
    completionIndex = (completionIndex + step + completions.length) % completions.length;
    Array.from($("complete").children).forEach((li, i) => { li.className = i === completionIndex ? "sel" : ""; });
  }

  // ---- skip picker and flag ----
  function openSkip() {
    const list = $("skip-reasons");
    list.replaceChildren();
    (args.skip_reasons || []).forEach((reason) => {
      const li = el("li", "", SKIP_LABELS[reason] || reason);
      li.addEventListener("click", () => chooseSkip(reason));
      list.appendChild(li);
    });
    skipOpen = true;
    $("skip").hidden = false;
    setHeight();
  }
  function closeSkip() { skipOpen = false; $("skip").hidden = true; setHeight(); }
  function chooseSkip(reason) { closeSkip(); send("skip", { reason: reason, text: "" }); }
  function toggleFlag() { flagged = !flagged; $("flag").hidden = !flagged; }

  function reviewing() { return !!(args && args.mode === "review"); }

  function accept() {
    if (reviewing()) {
      // Approve the annotation as it was saved; an edit in the box is saved with Ctrl+Enter.
      if (cur && squash(edit.value) !== squash(cur.prefill)) {
        $("state").textContent = "you changed the text: Ctrl+Enter saves your edit";
        return;
      }
      send("accept", { text: cur ? cur.prefill : "" });
      return;
    }
    if (!cur || hidden() || !cur.suggestion_text) {
      $("state").textContent = hidden()
        ? "the suggestion is hidden: Alt+V shows it, or type the transcript"
        : "no suggestion to accept: type the transcript";
      return;
    }
    send("accept", { text: cur.suggestion_text });
  }

  // ---- events ----
  function onInput() {
    renderWarnings();
    renderDiff();
    renderOov();
    renderCompletions();
    setHeight();
    clearTimeout(checkTimer);
    if (cur && !cur.waiting) drafts.set(cur.task_id, edit.value);
    checkTimer = setTimeout(() => {
      if (edit.value !== lastChecked && !inflight && outbox.length === 0) {
        lastChecked = edit.value;
        send("check");
      }
    }, 600);
  }

  edit.addEventListener("input", onInput);
  edit.addEventListener("click", renderCompletions);
  edit.addEventListener("keydown", (e) => {
    if (skipOpen) {
      const reasons = args.skip_reasons || [];
      const n = Number(e.key);
      if (Number.isInteger(n) && n >= 1 && n <= reasons.length) { e.preventDefault(); chooseSkip(reasons[n - 1]); }
      else if (e.key === "Escape") { e.preventDefault(); closeSkip(); }
      else e.preventDefault();
      return;
    }
    if (completions.length && !$("complete").hidden) {
      if (e.key === "Tab" && !e.shiftKey) { e.preventDefault(); acceptCompletion(); return; }
      if (e.key === "ArrowDown") { e.preventDefault(); moveCompletion(1); return; }
      if (e.key === "ArrowUp") { e.preventDefault(); moveCompletion(-1); return; }
      if (e.key === "Escape") { e.preventDefault(); $("complete").hidden = true; completions = []; return; }
    }
    const mod = e.ctrlKey || e.metaKey;
    let handled = true;
    if (mod && e.key === "Enter") submit(e.shiftKey);
    else if (e.ctrlKey && e.code === "Space") togglePlay();
    else if (e.altKey && !mod) {
      const action = actionFor(e.code);
      if (action && ACTIONS[action]) ACTIONS[action]();
      else handled = false;
    } else handled = false;
    if (handled) e.preventDefault();
  });

  $("play").addEventListener("click", togglePlay);
  $("replay").addEventListener("click", replay);
  $("last2").addEventListener("click", lastTwo);
  $("slower").addEventListener("click", () => setRate(rateIndex - 1));
  $("faster").addEventListener("click", () => setRate(rateIndex + 1));
  $("btn-submit").addEventListener("click", () => submit(false));
  $("btn-accept").addEventListener("click", accept);
  $("btn-skip").addEventListener("click", openSkip);
  $("btn-flag").addEventListener("click", toggleFlag);
  wave.addEventListener("mousedown", (e) => { dragFrom = e.offsetX; });
  wave.addEventListener("mousemove", (e) => {
    if (dragFrom === null || Math.abs(e.offsetX - dragFrom) < 3) return;
    const w = wave.clientWidth;
    sel = { a: tOf(Math.min(dragFrom, e.offsetX), w), b: tOf(Math.max(dragFrom, e.offsetX), w) };
    drawWave();
  });
  wave.addEventListener("mouseup", (e) => {
    const from = dragFrom;
    dragFrom = null;
    if (from === null || !(clipDuration() > 0)) return;
    if (Math.abs(e.offsetX - from) < 3) {
      // A click seeks (and clears a selection that is not looping).
      if (!looping) sel = null;
      audio.currentTime = tOf(e.offsetX, wave.clientWidth);
      stopAt = null;
      play();
    } else if (sel) {
      audio.currentTime = sel.a;
      stopAt = looping ? null : sel.b;
      play();
    }
    drawWave();
  });
  audio.addEventListener("timeupdate", () => {
    if (stopAt !== null && audio.currentTime >= stopAt) { audio.pause(); stopAt = null; }
    renderClock();
  });
  for (const type of ["play", "pause", "loadedmetadata", "ended", "seeked"]) audio.addEventListener(type, renderClock);
  audio.addEventListener("play", () => requestAnimationFrame(loopTick));
  audio.addEventListener("ended", () => { if (looping && sel) { audio.currentTime = sel.a; play(); } });
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("loop").addEventListener("click", toggleLoop);
  window.addEventListener("resize", () => { drawWave(); setHeight(); });

  function loadClip(item) {
    cur = item;
    view0 = 0; view1 = 0; sel = null; looping = false;
    $("loop").classList.remove("on");
    $("zoom-label").textContent = "1×";
    started = performance.now();
    flagged = false;
    revealed = false;
    const draft = drafts.get(cur.task_id);
    lastChecked = draft === undefined ? cur.prefill : null;
    stopAt = null;
    $("flag").hidden = true;
    closeSkip();
    edit.readOnly = false;
    edit.value = draft === undefined ? cur.prefill || "" : draft;
    $("clip").textContent = cur.clip_uid || "";
    $("state").textContent = "";
    const err = $("audio-error");
    err.hidden = !cur.audio_error;
    err.textContent = cur.audio_error ? "Audio cannot be played: " + cur.audio_error : "";
    const note = $("retype");
    note.hidden = !cur.retype && !cur.note;
    note.textContent = cur.note ? cur.note : cur.retype
      ? (cur.suggestion_text
        ? "The suggestion for this clip is probably very wrong, so it is hidden: type what you hear (Alt+V shows it)."
        : "There is no suggestion for this clip: type what you hear.")
      : "";
    $("spec").hidden = !cur.spectrogram_url;
    if (cur.spectrogram_url) $("spec").src = cur.spectrogram_url;
    $("btn-accept").disabled = reviewing() ? false : hidden() || !cur.suggestion_text;
    if (cur.audio_url) {
      audio.src = cur.audio_url;
      setRate(rateIndex);
      if (args.autoplay) play();
    } else {
      audio.removeAttribute("src");
    }
    renderStrip();
    renderWarnings();
    renderDiff();
    renderOov();
    edit.focus();
    const end = edit.value.length;
    edit.setSelectionRange(end, end);
    if (swapAt !== null) {
      const t0 = swapAt;
      swapAt = null;
      const ready = () => window.__voxcartTimings.push(performance.now() - t0);
      if (cur.audio_url && audio.readyState < 2) audio.addEventListener("canplay", ready, { once: true });
      else ready();
    }
  }

  window.addEventListener("message", (event) => {
    const data = event.data;
    if (!data || data.type !== "streamlit:render") return;
    args = data.args || {};
    if (reviewing() && !$("root").dataset.mode) setMode();
    else if (!reviewing() && !$("root").dataset.keys) {
      $("root").dataset.keys = "1";
      $("btn-accept").textContent = "Accept unchanged (" + keyLabel("accept") + ")";
      $("btn-skip").textContent = "Skip… (" + keyLabel("skip") + ")";
      $("btn-flag").textContent = "Flag (" + keyLabel("flag") + ")";
      $("help").textContent = help();
    }
    if (inflight && args.handled_nonce === inflight) {
      if (sentAt) window.__voxcartAcks.push(performance.now() - sentAt);
      inflight = null;
    }
    readFailures();
    const line = items();
    if (args.focus !== focusKey) {
      // The page moved the editor on purpose (first load, undo, a clip held back by warnings).
      focusKey = args.focus;
      if (line.length) {
        if (cur && !cur.waiting) drafts.set(cur.task_id, edit.value);
        const first = line[0];
        done.delete(first.task_id);
        loadClip(first);
      }
    } else if (cur) {
      const fresh = line.find((it) => it.task_id === cur.task_id);
      if (fresh && !cur.waiting) {
        cur = fresh; // newer checks (warnings, out-of-catalog words) for the clip on screen
      } else if (!done.has(cur.task_id) || cur.waiting) {
        if (!cur.waiting) drafts.set(cur.task_id, edit.value);
        advance(); // the clip left the line (its lease ended), or the next one has arrived
      }
    }
    if (!inflight && $("state").textContent.startsWith("undoing")) $("state").textContent = "";
    flush();
    renderWarnings();
    renderDiff();
    renderOov();
    renderClock();
    setHeight();
  });

  function setMode() {
    $("root").dataset.mode = "review";
    $("btn-submit").textContent = "Approve or save edit (Ctrl+Enter)";
    $("btn-accept").textContent = "Approve (" + keyLabel("accept") + ")";
    $("btn-skip").textContent = "Reject… (" + keyLabel("skip") + ")";
    $("btn-flag").hidden = true;
    document.querySelector(".skip-title").textContent = "Reject because (press a number, Esc to cancel):";
    $("help").textContent = help();
  }
  const ACTIONS = {
    accept: accept, skip: openSkip, flag: toggleFlag, play: togglePlay, replay: replay,
    last_two: lastTwo, slower: () => setRate(rateIndex - 1), faster: () => setRate(rateIndex + 1),
    next_low: nextLowWord, reveal: reveal, undo: () => send("undo", { text: "" }),
    back: backToFailed, zoom_in: () => zoom(0.5), zoom_out: () => zoom(2),
    zoom_reset: () => { view0 = 0; view1 = 0; zoom(1); }, loop: toggleLoop,
  };
  // Leaving while a submit is still on its way would lose it: ask first.
  window.addEventListener("beforeunload", (e) => {
    if (inflight || outbox.length) { e.preventDefault(); e.returnValue = ""; }
  });
  $("help").textContent = help();
  post("streamlit:componentReady", { apiVersion: 1 });
  setHeight();
})();
