// Penny's chat page: no build step. Streams /v1/chat as server-sent events and renders
// the answer's Markdown (tables included) as tokens arrive; shows which tools ran and,
// for bill answers, the bill's charts (fetched with the token, shown as blob images).
"use strict";

const state = { token: localStorage.getItem("penny.token") || "", thread: null };
const $ = (id) => document.getElementById(id);

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// A backslash-escaped character is data, never markup (answers escape every name, label
// and value they quote): it is set aside before the inline rules run and put back as text.
function inline(s) {
  const held = [];
  const hold = (text) => text.replace(/\\([\\`*_\[\]<>|~#!()])/g, (_, c) => { held.push(c); return `\u0000${held.length - 1}\u0000`; });
  const put = (html) => html.replace(/\u0000(\d+)\u0000/g, (_, i) => escapeHtml(held[Number(i)]));
  s = hold(s);
  // a whole line in _underscores_ (the answers' source notes) is emphasis
  if (/^_[^_].*_$/.test(s.trim())) { return `<em>${put(inlineRules(s.trim().slice(1, -1)))}</em>`; }
  return put(inlineRules(s));
}

function inlineRules(s) {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*]+)\*/g, "$1<em>$2</em>")
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s"]+)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>');
}

// Cells of a pipe-table row; an escaped \| stays inside its cell.
function cells(line) {
  let body = line.trim();
  if (body.startsWith("|")) { body = body.slice(1); }
  const out = [];
  let cur = "";
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (c === "\\" && i + 1 < body.length) { cur += c + body[i + 1]; i += 1; }
    else if (c === "|") { out.push(cur.trim()); cur = ""; }
    else { cur += c; }
  }
  if (cur.trim() !== "" || out.length === 0) { out.push(cur.trim()); }
  return out;
}

function table(lines) {
  const rows = lines.map(cells);
  const isSep = (r) => r.every((c) => /^:?-{2,}:?$/.test(c) || c === "");
  let html = "<table>";
  let head = true;
  rows.forEach((r, i) => {
    if (isSep(r)) { return; }
    const hasSep = rows[i + 1] && isSep(rows[i + 1]);
    const tag = head && hasSep ? "th" : "td";
    html += "<tr>" + r.map((c) => {
      const num = tag === "td" && /^[-+$€£]?[\d,.]+%?$/.test(c.replace(/\*/g, ""));
      return `<${tag}${num ? ' class="num"' : ""}>${inline(c)}</${tag}>`;
    }).join("") + "</tr>";
    if (tag === "th") { head = false; }
  });
  return html + "</table>";
}

// Small Markdown renderer: headings, paragraphs, lists, code blocks and pipe tables.
function markdown(md) {
  const out = [];
  const lines = md.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim().startsWith("```")) {
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith("```")) { code.push(lines[i]); i += 1; }
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      i += 1;
    } else if (line.trim().startsWith("|")) {
      const block = [];
      while (i < lines.length && lines[i].trim().startsWith("|")) { block.push(lines[i]); i += 1; }
      out.push(table(block));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(line.match(/^#+/)[0].length + 2, 6);
      out.push(`<h${level}>${inline(line.replace(/^#+\s*/, ""))}</h${level}>`);
      i += 1;
    } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const items = [];
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i])) {
        items.push(`<li>${inline(lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ""))}</li>`);
        i += 1;
      }
      out.push(`<ul>${items.join("")}</ul>`);
    } else if (line.trim() === "") {
      i += 1;
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() !== "" && !/^(\||#|```|\s*[-*]\s)/.test(lines[i].trim())) {
        para.push(inline(lines[i])); i += 1;
      }
      if (para.length === 0) { para.push(inline(line)); i += 1; }
      out.push(`<p>${para.join("<br>")}</p>`);
    }
  }
  return out.join("\n");
}

function authHeaders(extra) {
  return Object.assign({ Authorization: `Bearer ${state.token}`, "X-Penny-Client": "web" }, extra || {});
}

async function checkToken() {
  const who = $("whoami");
  if (!state.token) { who.textContent = "no token set"; return; }
  const res = await fetch("/v1/me", { headers: authHeaders() });
  const body = await res.json();
  who.textContent = res.ok
    ? `signed in as ${body.user} (${body.scope.admin ? "everything" : [...body.scope.teams.map((t) => "team " + t), ...body.scope.namespaces.map((n) => "ns " + n)].join(", ") || "nothing"})`
    : body.error.message;
  if (res.ok) { loadBudgets().catch(() => { $("budgets").hidden = true; }); }
}

// The month's budgets the token may see (GET /v1/budgets): the rows exactly as the CLI
// and the bill print them; hidden when none is configured or visible.
async function loadBudgets() {
  const panel = $("budgets");
  panel.hidden = true;
  if (!state.token) { return; }
  const res = await fetch("/v1/budgets", { headers: authHeaders() });
  if (!res.ok) { return; }
  const body = await res.json();
  const cols = body.table.columns;
  const used = cols.indexOf("Used");
  let html = "<table><tr>" + cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("") + "</tr>";
  body.table.rows.forEach((row, i) => {
    const b = body.budgets[i];
    const pct = b.spent_pct == null ? 0 : Math.max(0, Math.min(100, Number(b.spent_pct)));
    html += `<tr class="${b.verdict.replace(/ /g, "-")}">` + row.map((c, j) => {
      const bar = j === used ? `<span class="bar"><i data-pct="${pct}"></i></span>` : "";
      return `<td${j > 0 && j < row.length - 1 ? ' class="num"' : ""}>${escapeHtml(c)}${bar}</td>`;
    }).join("") + "</tr>";
  });
  $("budgets-table").innerHTML = html + "</table>";
  // set through the CSSOM: the page's CSP forbids inline style attributes
  $("budgets-table").querySelectorAll(".bar i").forEach((i) => { i.style.width = `${i.dataset.pct}%`; });
  const covered = body.covered ? ` to ${body.covered.end.slice(0, 10)}` : "";
  $("budgets-title").textContent = `Budgets, ${body.month.label}${covered}`;
  $("budgets-note").textContent = (body.not_visible ? `${body.not_visible} more not visible to this token. ` : "") +
    "Spent: amortized cost so far; forecast: the same as the bill's. Ask \"are we over budget?\" for more.";
  panel.hidden = false;
}

function newTurn(question) {
  const turn = document.createElement("section");
  turn.className = "turn";
  turn.innerHTML = `<div class="question"></div><div class="tools"></div><div class="answer streaming"></div><div class="charts"></div><div class="meta"></div>`;
  turn.querySelector(".question").textContent = question;
  $("log").appendChild(turn);
  return turn;
}

function toolChip(turn, name) {
  const chip = document.createElement("span");
  chip.className = "tool running";
  chip.dataset.tool = name;
  chip.textContent = name;
  turn.querySelector(".tools").appendChild(chip);
}

function toolDone(turn, data) {
  const chip = [...turn.querySelectorAll(".tool.running")].find((c) => c.dataset.tool === data.name);
  if (chip) {
    chip.className = `tool ${data.ok ? "ok" : "failed"}`;
    chip.title = `${data.duration_ms} ms`;
  }
}

async function showCharts(turn, answer) {
  const bill = (answer.tool_calls || []).find((t) => t.name === "explain_bill" && t.result && t.result.status === "success");
  if (!bill) { return; }
  const data = bill.result.data || {};
  const month = (data.month && data.month.label) || ((bill.result.provenance.window || {}).start || "").slice(0, 7);
  if (!month) { return; }
  for (const chart of ["daily_by_team", "waterfall"]) {
    const res = await fetch(`/v1/bill/${encodeURIComponent(month)}/charts/${chart}.svg`, { headers: authHeaders() });
    if (!res.ok) { continue; }
    const img = document.createElement("img");
    img.alt = `${chart.replace(/_/g, " ")} chart for ${month}`;
    img.src = URL.createObjectURL(await res.blob());
    turn.querySelector(".charts").appendChild(img);
  }
}

function finish(turn, answer) {
  const box = turn.querySelector(".answer");
  box.classList.remove("streaming");
  box.innerHTML = markdown(answer.text || "");
  state.thread = answer.thread_id;
  const tokens = (answer.usage.input_tokens || 0) + (answer.usage.output_tokens || 0);
  const cost = answer.cost == null ? (answer.engine === "offline" ? "$0" : "unpriced") : `$${Number(answer.cost).toFixed(4)}`;
  const sources = (answer.provenance || []).map((p) => (p.tables || []).join(", ")).filter(Boolean);
  turn.querySelector(".meta").textContent =
    `${answer.engine}${answer.model ? " · " + answer.model : ""} · ${tokens} tokens · AI cost ${cost} · ${Math.round(answer.duration_ms)} ms` +
    (sources.length ? ` · sources: ${[...new Set(sources)].join("; ")}` : "") +
    ((answer.notes || []).length ? ` · ${answer.notes.join(" ")}` : "");
  showCharts(turn, answer);
}

function fail(turn, error) {
  const box = turn.querySelector(".answer");
  box.classList.remove("streaming");
  box.innerHTML = `<p class="error">${escapeHtml(error.message || "Request failed")}</p>` +
    (error.hint ? `<p>${escapeHtml(error.hint)}</p>` : "");
}

async function ask(question) {
  const turn = newTurn(question);
  const box = turn.querySelector(".answer");
  let text = "";
  const res = await fetch("/v1/chat", {
    method: "POST",
    headers: authHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(state.thread ? { message: question, thread_id: state.thread } : { message: question }),
  });
  if (!res.ok) { fail(turn, (await res.json()).error || {}); return; }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) { break; }
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const type = (raw.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse((raw.match(/^data: (.*)$/m) || [])[1] || "{}");
      if (type === "tool_call") { toolChip(turn, data.name); }
      else if (type === "tool_result") { toolDone(turn, data); }
      else if (type === "token") { text += data.text; box.innerHTML = markdown(text); }
      else if (type === "done") { finish(turn, data.answer); }
      else if (type === "error") { fail(turn, data); }
    }
  }
  turn.scrollIntoView({ block: "end" });
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("token").value.trim();
  localStorage.setItem("penny.token", state.token);
  checkToken();
});
$("ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("question").value.trim();
  if (!q) { return; }
  $("question").value = "";
  ask(q).catch((err) => fail(newTurn(q), { message: String(err) }));
});
$("new-thread").addEventListener("click", () => { state.thread = null; $("log").innerHTML = ""; });
if (state.token) { $("token").value = state.token; checkToken(); }
