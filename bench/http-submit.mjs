// Load client of bench/http-submit.sh: N kiosk submissions through POST /api/v1/responses from
// C concurrent clients (one keep-alive connection each) on loopback. A submission counts as
// acknowledged only on 201 {"status":"accepted"}; every acknowledged id is written to a file so
// the script can check them against the database. Prints one JSON line.
//
//   node bench/http-submit.mjs http://127.0.0.1:PORT DEVICE_KEY N C IDS_FILE
import http from 'node:http';
import fs from 'node:fs';

const [base, key, total = '50000', clients = '64', idsFile = '/dev/null'] = process.argv.slice(2);
const N = Number(total);
const C = Number(clients);
const url = new URL('/api/v1/responses', base);
const agent = new http.Agent({ keepAlive: true, maxSockets: C });

function post(body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    }, (response) => {
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () => resolve([response.statusCode, Buffer.concat(chunks).toString()]));
    });
    request.on('error', reject);
    request.end(body);
  });
}

let next = 0;
const ids = [];
let refused = 0;
let errors = 0;
const statuses = {};

async function client(c) {
  for (;;) {
    const i = next++;
    if (i >= N) return;
    // A respondent id per submission: no duplicate flags, and the unique index is exercised.
    const body = JSON.stringify({
      respondent_id: `b${i}`,
      channel: 'kiosk',
      answers: { q1: 1 + ((i * 7 + c) % 5) },
    });
    try {
      const [status, text] = await post(body);
      if (status === 201) {
        const parsed = JSON.parse(text);
        if (parsed.status !== 'accepted') throw new Error(text);
        ids.push(parsed.id);
      } else {
        refused += 1;
        statuses[status] = (statuses[status] || 0) + 1;
      }
    } catch (e) {
      errors += 1;
    }
  }
}

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: C }, (_, c) => client(c)));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
fs.writeFileSync(idsFile, ids.join('\n') + '\n');
agent.destroy();
console.log(JSON.stringify({
  submitted: N,
  clients: C,
  acknowledged: ids.length,
  refused,
  statuses,
  errors,
  seconds: Number(seconds.toFixed(3)),
  acknowledged_per_second: Math.round(ids.length / seconds),
}));
