// Load client of bench/autosave.sh: E editors, each signed in as the unit editor of its own
// unit, autosave leaves of their unit's scoresheet at once, as the page does (an htmx POST of
// one leaf with the version the previous answer carried). Each editor makes S saves one after
// the other, cycling over the leaves whose points are chosen from levels or typed by hand and
// alternating two valid values, so that every save writes. Prints one JSON line: saves, errors,
// p50/p99/max latency in milliseconds and saves per second. Stops by itself after S saves
// per editor or after LIMIT seconds.
//
//   node bench/autosave.mjs http://127.0.0.1:PORT PASSWORD S LIMIT user1 user2 ...
import http from 'node:http';

const [base, password, perEditor = '100', limit = '120', ...users] = process.argv.slice(2);
const S = Number(perEditor);
const deadline = Date.now() + Number(limit) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: users.length + 2 });

function request(method, path, { cookies = {}, form = null, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : null;
    const cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
    const req = http.request(new URL(path, base), {
      method,
      agent,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        for (const line of res.headers['set-cookie'] || []) {
          const [pair] = line.split(';');
          const at = pair.indexOf('=');
          cookies[pair.slice(0, at)] = pair.slice(at + 1);
        }
        resolve([res.statusCode, Buffer.concat(chunks).toString()]);
      });
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const csrfIn = (html) => (html.match(/name="_csrf" value="([^"]+)"/) || [])[1];

// The self-assessment forms of a sheet page with two values each to alternate.
function leaves(html, sheet) {
  const found = [];
  const form = new RegExp(`<form class="autosave self-form"[^>]*action="/tu-danh-gia/${sheet}/tieu-chi/(\\d+)"[\\s\\S]*?</form>`, 'g');
  for (const match of html.matchAll(form)) {
    const [text, node] = match;
    const version = (text.match(/name="version" value="(\d*)"/) || [])[1] ?? '';
    const select = text.match(/<select name="points"[\s\S]*?<\/select>/);
    let values = [];
    if (select) {
      values = [...select[0].matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    } else if (/<input name="points"/.test(text)) {
      const max = (text.match(/\(0 – ([0-9,]+)\)/) || [])[1];
      if (max) values = ['0', max];
    }
    if (values.length >= 2) found.push({ node, version, values: values.slice(0, 2), turn: 0 });
  }
  return found;
}

async function editor(username, latencies, failures) {
  const cookies = {};
  const [, loginPage] = await request('GET', '/dang-nhap', { cookies });
  const [status] = await request('POST', '/dang-nhap', {
    cookies, form: { _csrf: csrfIn(loginPage), username, password },
  });
  if (status !== 303) throw new Error(`${username}: login answered ${status}`);
  const [, list] = await request('GET', '/tu-danh-gia', { cookies });
  const sheet = (list.match(/href="\/tu-danh-gia\/(\d+)"/) || [])[1];
  if (!sheet) throw new Error(`${username}: no sheet`);
  const [, page] = await request('GET', `/tu-danh-gia/${sheet}`, { cookies });
  const csrf = csrfIn(page);
  const forms = leaves(page, sheet);
  if (forms.length === 0) throw new Error(`${username}: no leaf to save`);
  for (let i = 0; i < S && Date.now() < deadline; i += 1) {
    const leaf = forms[i % forms.length];
    leaf.turn = 1 - leaf.turn;
    const started = process.hrtime.bigint();
    const [code, answer] = await request('POST', `/tu-danh-gia/${sheet}/tieu-chi/${leaf.node}`, {
      cookies,
      headers: { 'hx-request': 'true', 'x-csrf-token': csrf },
      form: { version: leaf.version, points: leaf.values[leaf.turn], explanation: '' },
    });
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (code !== 200) {
      failures[code] = (failures[code] || 0) + 1;
    }
    leaf.version = (answer.match(/name="version" value="(\d*)"/) || [])[1] ?? leaf.version;
  }
}

const latencies = [];
const failures = {};
const started = Date.now();
await Promise.all(users.map((u) => editor(u, latencies, failures)));
const seconds = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(JSON.stringify({
  editors: users.length,
  saves: latencies.length,
  refused: failures,
  p50_ms: Number(at(0.5).toFixed(1)),
  p99_ms: Number(at(0.99).toFixed(1)),
  max_ms: Number(latencies[latencies.length - 1].toFixed(1)),
  saves_per_second: Math.round(latencies.length / seconds),
}));
agent.destroy();
