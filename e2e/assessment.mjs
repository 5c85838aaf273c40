// The assessment year's whole story in the browser (docs/method.md §2.5), on the demo campaign: the editor fills the sheet of
// Sở Tư pháp and attaches evidence, the leader submits, the appraiser adjusts a leaf and asks
// for an explanation (the unit's bell shows it), the unit explains, round 2 re-scores, the
// secretariat's checklist blocks the finalize until every unit that never submitted has a
// decision with its reason, then publishes; the unit sees its rank and classification and the
// viewer sees the ranking. Screenshots at every stage.
import { run, newPage, login, overflow, logout, shot, check } from './lib.mjs';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** Parses a Vietnamese number ("1,5"). */
const vnNumber = (text) => Number(text.replace(/[^\d,.-]/g, '').replace(/\./g, '').replace(',', '.'));

/** Goes through a step's checklist page: gives the step's reason and confirms. */
async function confirmStep(page, reason) {
  await page.locator('#checklist-form').waitFor();
  await page.fill('#step-reason', reason);
  await Promise.all([page.waitForLoadState('load'), page.click('#confirm-step')]);
}

/** Runs an action that saves a leaf, and waits until htmx has swapped the answer in: the next
 * action on the same leaf must find the new row, not the one being replaced. */
async function savedAfter(page, nodeId, action) {
  await page.evaluate(() => {
    window.__settled = new Promise((resolve) => document.body.addEventListener('htmx:afterSettle', () => resolve(), { once: true }));
  });
  await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/tieu-chi/${nodeId}`) && r.request().method() === 'POST'),
    action(),
  ]);
  await page.evaluate(() => window.__settled);
}

await run(async (browser, base) => {
  const page = await newPage(browser);

  // 1. The editor fills every self-assessed leaf.
  await login(page, base, 'nhaplieu');
  await page.goto(`${base}/tu-danh-gia`);
  const sheetHref = await page.getAttribute('a[href^="/tu-danh-gia/"]', 'href');
  check(sheetHref, 'the editor has a sheet to fill');
  const sheetUrl = `${base}${sheetHref}`;
  const sheetId = sheetHref.split('/').pop();
  await page.goto(sheetUrl);
  const leaves = await page.$$eval('article.leaf', (els) => els
    .filter((el) => el.querySelector('form.self-form'))
    .map((el) => ({
      id: el.id, node: el.dataset.node,
      evidence: !!el.querySelector('.badge.evidence'),
      kind: el.querySelector('form.self-form select[name=points]') ? 'levels'
        : el.querySelector('form.self-form input[name=input]') ? 'input' : 'points',
      max: el.querySelector('.leaf-max')?.textContent || '',
    })));
  check(leaves.length >= 5, `leaves to fill (${leaves.length})`);
  let uploaded = false;
  let refusedOnce = false;
  for (const leaf of leaves) {
    const row = () => page.locator(`[id="${leaf.id}"]`);
    if (leaf.kind === 'levels') {
      const values = await row().locator('select[name=points] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      await savedAfter(page, leaf.node, () => row().locator('select[name=points]').selectOption(values[values.length - 1]));
    } else if (leaf.kind === 'input') {
      // Ratios are asked as 0–1, shares as percentages.
      const label = await row().locator('label:has(input[name=input])').innerText();
      await row().locator('input[name=input]').fill(label.includes('0–1') ? '0,95' : '100');
      await savedAfter(page, leaf.node, () => row().locator('input[name=input]').dispatchEvent('change'));
    } else {
      const max = vnNumber(leaf.max);
      await row().locator('input[name=points]').fill(String(max).replace('.', ','));
      await savedAfter(page, leaf.node, () => row().locator('input[name=points]').dispatchEvent('change'));
    }
    if (leaf.evidence && !uploaded) {
      await row().locator('details.attach summary').click();
      await row().locator('input[name=file]').setInputFiles({ name: 'Kế hoạch CCHC 2026.pdf', mimeType: 'application/pdf', buffer: PDF });
      await savedAfter(page, leaf.node, () => row().locator('.upload-button').click());
      check(await row().locator('a.file-link').count() === 1, 'the evidence file is attached');
      uploaded = true;
    } else if (leaf.evidence) {
      if (!refusedOnce) {
        // A control character (pasted from another program) is refused before the save: the
        // row keeps what was typed and its status line says why.
        const explanation = () => row().locator('textarea[name=explanation]');
        await explanation().fill('Văn bản\u0007 đang trình ký');
        await Promise.all([
          page.waitForResponse((r) => r.url().includes(`/tieu-chi/${leaf.node}`) && r.status() === 422),
          explanation().dispatchEvent('change'),
        ]);
        await row().locator('.save-status .error').waitFor();
        check((await row().locator('.save-status').innerText()).includes('ký tự điều khiển'), 'the refusal is shown beside the field');
        check((await explanation().inputValue()).includes('trình ký'), 'the typed text is kept');
        refusedOnce = true;
      }
      await row().locator('textarea[name=explanation]').fill('Văn bản đang trình ký, sẽ bổ sung.');
      await savedAfter(page, leaf.node, () => row().locator('textarea[name=explanation]').dispatchEvent('change'));
    }
  }
  check(refusedOnce, 'a refused explanation was tried');
  await page.goto(sheetUrl);
  const problems = page.locator('#submission-problems');
  if (await problems.count()) {
    await shot(page, 'assessment-1-problems');
    throw new Error(`the submission is blocked: ${await problems.innerText()}`);
  }
  await shot(page, 'assessment-1-filled');
  await logout(page);

  // 2. The leader submits.
  await login(page, base, 'lanhdao');
  await page.goto(sheetUrl);
  await Promise.all([page.waitForLoadState('load'), page.click('#submit-sheet')]);
  await page.goto(sheetUrl);
  check((await page.getAttribute('#sheet-status', 'data-status')) === 'submitted', 'the sheet is submitted');
  await logout(page);

  // 3. The secretariat opens appraisal round 1.
  const campaign = `${base}/dot-danh-gia/1`;
  await login(page, base, 'thuongtruc');
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#open-round-1')]);
  check((await page.locator('#deadlines-ahead').count()) === 1, 'round 1 warns of deadlines still ahead');
  await shot(page, 'assessment-1b-round-checklist');
  await confirmStep(page, 'Mở vòng 1 theo kế hoạch');
  check((await page.locator('#round-1[data-phase="open"]').count()) === 1, 'round 1 is open');
  await logout(page);

  // 4. The appraiser lowers a leaf and asks for an explanation.
  await login(page, base, 'thamdinh');
  await page.goto(`${base}/tham-dinh/${sheetId}`);
  const target = page.locator('article.editable').first();
  const targetId = await target.getAttribute('id');
  const leafOf = () => page.locator(`[id="${targetId}"]`);
  const pointsField = leafOf().locator('[name=points]');
  if ((await pointsField.evaluate((e) => e.tagName)) === 'SELECT') {
    const values = await pointsField.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    await pointsField.selectOption(values[0]);
  } else {
    await pointsField.fill('0');
  }
  await leafOf().locator('textarea[name=comment]').fill('Chưa có văn bản chứng minh; đề nghị giải trình.');
  await leafOf().locator('input[name=explanation_requested]').check();
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), leafOf().locator('button[type=submit]').click()]);
  await shot(page, 'assessment-2-appraised');
  await logout(page);

  // 5. Round 1 closes; the unit explains.
  await login(page, base, 'thuongtruc');
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#close-round-1')]);
  await logout(page);
  await login(page, base, 'nhaplieu');
  // The bell counts the request; the list says it in words.
  await page.locator('#bell .count').waitFor();
  await page.goto(`${base}/thong-bao`);
  check((await page.locator('.notices').innerText()).includes('giải trình'), 'the bell shows the explanation request');
  await shot(page, 'assessment-3a-bell');
  await page.goto(sheetUrl);
  check((await page.getAttribute('#sheet-status', 'data-status')) === 'explanation_requested', 'an explanation is asked for');
  const answer = page.locator('textarea[name=answer]').first();
  await answer.fill('Đã bổ sung Quyết định số 12/QĐ-STP ngày 15/3; xin xem lại điểm.');
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), answer.dispatchEvent('change')]);
  await shot(page, 'assessment-3-explained');
  await logout(page);
  await login(page, base, 'lanhdao');
  await page.goto(sheetUrl);
  await Promise.all([page.waitForLoadState('load'), page.click('#submit-explanations')]);
  await logout(page);

  // 6. Round 2 re-scores the flagged leaf.
  await login(page, base, 'thuongtruc');
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#open-round-2')]);
  await confirmStep(page, 'Thẩm định lại các tiêu chí đã giải trình');
  await logout(page);
  await login(page, base, 'thamdinh');
  await page.goto(`${base}/tham-dinh/${sheetId}`);
  const again = page.locator(`[id="${targetId}"]`);
  const field = again.locator('[name=points]');
  // Autosave: each field is saved as the appraiser leaves it, without the button.
  const pointsSaved = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/tieu-chi/'));
  if ((await field.evaluate((e) => e.tagName)) === 'SELECT') {
    const values = await field.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    await field.selectOption(values[values.length - 1]);
  } else {
    await field.fill('0,5');
    await field.press('Tab');
  }
  await pointsSaved;
  const carries = (r, text) => decodeURIComponent((r.request().postData() || '').replace(/\+/g, ' ')).includes(text);
  const saved = page.waitForResponse((r) => r.request().method() === 'POST' && carries(r, 'chấp nhận một phần'));
  await again.locator('textarea[name=comment]').fill('Đã xem tài liệu bổ sung; chấp nhận một phần.');
  await again.locator('textarea[name=comment]').press('Tab');
  await saved;
  await page.locator(`[id="${targetId}"] .saved`).waitFor();
  await page.reload();
  check((await page.locator(`[id="${targetId}"] textarea[name=comment]`).inputValue()).includes('chấp nhận một phần'), 'the appraisal autosaved its comment');
  await logout(page);

  // 7. Close, finalize, publish.
  await login(page, base, 'thuongtruc');
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#close-round-2')]);
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#finalize')]);
  // The checklist blocks: the units that never submitted have no decision yet.
  const undecided = page.locator('select[name^="decision_"]');
  check((await undecided.count()) > 0, 'the checklist lists the units that never submitted');
  await confirmStep(page, 'Hội đồng thẩm định thống nhất kết quả');
  check((await page.locator('#checklist-error').count()) === 1, 'the finalize is refused without decisions');
  await shot(page, 'assessment-4a-finalize-blocked');
  // A decision per unit (left out of the ranking) with its reason, and the survey waiver.
  const count = await undecided.count();
  for (let i = 0; i < count; i++) {
    const select = undecided.nth(i);
    const name = await select.getAttribute('name');
    await select.selectOption({ index: 1 });
    await page.fill(`input[name="decision_reason_${name.slice('decision_'.length)}"]`, 'Đơn vị không nộp Bảng tự chấm điểm');
  }
  if (await page.locator('#survey-waiver').count()) {
    await page.fill('#survey-waiver', 'Chưa có kết quả khảo sát năm nay');
  }
  await confirmStep(page, 'Hội đồng thẩm định thống nhất kết quả');
  check((await page.locator('#campaign-state').getAttribute('data-state')) === 'finalized', 'the waivers let the finalize through');
  await Promise.all([page.waitForLoadState('load'), page.click('#publish')]);
  await confirmStep(page, 'Quyết định công bố kết quả');
  check((await page.locator('#campaign-state').getAttribute('data-state')) === 'published', 'the results are published');
  await page.goto(`${campaign}/tien-do`);
  await shot(page, 'assessment-4-progress');
  await logout(page);

  // 8. The unit sees its rank and classification; the viewer sees the ranking.
  await login(page, base, 'nhaplieu');
  await page.goto(sheetUrl);
  check((await page.locator('#result-rank').count()) === 1, 'the unit sees its rank');
  check((await page.locator('#result-class').innerText()).trim().length > 0, 'the unit sees its classification');
  await shot(page, 'assessment-5a-unit-result');
  await logout(page);
  await login(page, base, 'xemketqua');
  await page.goto(`${campaign}/ket-qua`);
  check((await page.locator('#results-published').count()) === 1, 'the results are published');
  const ranking = await page.locator('#ranking').innerText();
  check(ranking.includes('Sở Tư pháp'), 'Sở Tư pháp is in the ranking');
  await shot(page, 'assessment-5-ranking');
  const phone = await newPage(browser, { phone: true });
  await login(phone, base, 'xemketqua');
  await phone.goto(`${campaign}/ket-qua`);
  await shot(phone, 'assessment-5-ranking-phone');

  // 9. Results that explain: the unit's page from the ranking, what it takes to be first with
  // the proposal applied in the simulator, the dashboard, and the public page without login.
  await Promise.all([page.waitForLoadState('load'), page.locator('a.unit-link', { hasText: 'Sở Tư pháp' }).first().click()]);
  check((await page.locator('#standing-rank').count()) === 1, 'the unit page shows the rank');
  check((await page.locator('#area-table tbody tr').count()) > 0, 'the unit page lists the areas');
  check((await page.locator('.area-profile svg').count()) > 0, 'the area profile is drawn');
  await shot(page, 'results-1-unit');
  check((await page.locator('#trend-table tbody tr').count()) > 0, 'the unit page shows the trend');
  await phone.goto(page.url());
  check((await phone.locator('.area-profile svg').count()) > 0, 'the area profile on the phone');
  check((await overflow(phone)) <= 1, 'the unit page fits the phone');
  await shot(phone, 'results-1-unit-phone');
  await Promise.all([page.waitForLoadState('load'), page.click('#what-it-takes')]);
  await page.fill('input[name=hang]', '1');
  await Promise.all([page.waitForLoadState('load'), page.click('#target-form button[type=submit]')]);
  const answered = (await page.locator('#target-met').count()) + (await page.locator('#points-needed').count());
  check(answered === 1, 'what it takes answers the target');
  if (await page.locator('#apply-proposal').count()) {
    await Promise.all([page.waitForLoadState('load'), page.click('#apply-proposal')]);
    check((await page.locator('#sim-rank').innerText()).startsWith('1/'), 'the proposal reaches rank 1 in the simulator');
  }
  await shot(page, 'results-2-what-it-takes');
  await page.goto(`${campaign}/tong-quan`);
  check((await page.locator('.dashboard-group').count()) > 0, 'the dashboard shows the groups');
  await shot(page, 'results-3-dashboard');
  const visitor = await newPage(browser, { phone: true });
  await visitor.goto(`${base}/cong-khai`);
  await Promise.all([visitor.waitForLoadState('load'), visitor.locator('#public-campaigns a').first().click()]);
  check((await visitor.locator('table.ranking').count()) > 0, 'the public page shows the ranking');
  check((await visitor.locator('svg.bars').count()) > 0, 'the public page draws the ranking');
  check((await overflow(visitor)) <= 1, 'the public page fits the phone');
  await shot(visitor, 'results-4-public-phone');
  const publicUrl = visitor.url();
  // The public unit page, from the ranking, on the phone and on a desktop, with no staff link.
  await Promise.all([visitor.waitForLoadState('load'), visitor.locator('table.ranking a', { hasText: 'Sở Tư pháp' }).first().click()]);
  check(visitor.url().includes('/cong-khai/'), 'the public ranking links to public unit pages');
  check((await visitor.locator('svg').count()) > 0, 'the public unit page draws its areas');
  check((await overflow(visitor)) <= 1, 'the public unit page fits the phone');
  check((await visitor.locator('a[href^="/dot-danh-gia"]').count()) === 0, 'no staff link in public');
  await shot(visitor, 'results-5-public-unit-phone');
  const desk = await newPage(browser);
  await desk.goto(publicUrl);
  check((await desk.locator('table.ranking tbody tr').count()) > 0, 'the public ranking on a desktop');
  await shot(desk, 'results-6-public-desktop');
  await desk.goto(visitor.url());
  await shot(desk, 'results-7-public-unit-desktop');
});
