// The improvement plan's whole loop (docs/method.md §7): the secretariat drafts the province's
// plan from last year's published campaign, sets a goal, assigns two tasks and merges two
// others, opens the quarter's reporting period; the Sở Tư pháp reports on the task it leads
// with evidence and contributes to the one it coordinates (on a phone too); the dashboard and
// the roll-up count the reports; this year's campaign is published; the plan then shows each
// task's criteria before → after, sorts by effect, and its goal's status. Screenshots of each.
import { run, newPage, login, logout, overflow, shot, check } from './lib.mjs';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** Goes through a step's checklist page: decides every unit listed, gives the reasons, confirms. */
async function confirmStep(page, reason) {
  await page.locator('#checklist-form').waitFor();
  const selects = page.locator('#checklist-form select[name^="decision_"]');
  for (let i = 0; i < await selects.count(); i++) {
    const select = selects.nth(i);
    const name = await select.getAttribute('name');
    // Ranked with 0 points rather than left out: the plan's effects read every unit.
    const zero = await select.locator('option[value="zero"]').count();
    await select.selectOption(zero ? 'zero' : { index: 1 });
    const reasonField = page.locator(`input[name="decision_reason_${name.slice('decision_'.length)}"]`);
    if (await reasonField.count()) await reasonField.fill('Đơn vị không nộp Bảng tự chấm điểm');
  }
  if (await page.locator('#survey-waiver').count()) await page.fill('#survey-waiver', 'Chưa có kết quả khảo sát năm nay');
  await page.fill('#step-reason', reason);
  await Promise.all([page.waitForLoadState('load'), page.click('#confirm-step')]);
}

/** Picks an option of a select by the start of its label. */
async function choose(page, selector, label) {
  const value = await page.locator(`${selector} option`, { hasText: label }).first().getAttribute('value');
  await page.selectOption(selector, value);
}

await run(async (browser, base) => {
  const page = await newPage(browser);

  // 1. The secretariat drafts the plan from last year's published campaign.
  await login(page, base, 'thuongtruc');
  await Promise.all([page.waitForURL(/\/ke-hoach$/), page.click('nav.menu a[href="/ke-hoach"]')]);
  await page.selectOption('#draft-form select[name=campaign]', { index: 1 });
  await page.fill('#draft-form input[name=doc_number]', '1886/KH-UBND');
  await page.fill('#draft-form input[name=doc_date]', '10/09/2026');
  await Promise.all([page.waitForURL(/\/ke-hoach\/\d+\?/), page.click('#draft-form button.primary')]);
  const planUrl = page.url().split('?')[0];
  const rows = page.locator('table.tasks tbody tr');
  const drafted = await rows.count();
  check(drafted >= 4, `the draft proposes tasks (${drafted})`);
  check((await page.textContent('#plan-document')).includes('1886/KH-UBND'), 'the document is recorded');
  check((await page.locator('table.tasks td.effect').first().innerText()).trim() === '', 'no effect before a new publication');
  await shot(page, 'plans-1-draft');

  // 2. A goal as plans write it, checked against the published PAPI 2023.
  await page.fill('#goal-form input[name=goal]', 'PAPI: nhóm 20 tỉnh dẫn đầu');
  await page.fill('#goal-form input[name=year]', '2023');
  await Promise.all([page.waitForLoadState('load'), page.click('#goal-form button')]);
  const goal = await page.locator('#goals tbody tr').first().innerText();
  check(/Đạt|Chưa đạt/.test(goal), `the goal is checked against the result (${goal})`);

  // 3. Two tasks assigned: the Sở Tư pháp leads the first, coordinates the second.
  // The departments' group: this year's campaign ranks departments that submitted.
  const departments = page.locator('section.plan-group', { hasText: 'khối sở, ban, ngành' });
  const taskLinks = await departments.locator('table.tasks tbody tr td:nth-child(3) a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const [first, second] = taskLinks;
  for (const [href, lead, coordinator] of [[first, 'Sở Tư pháp', 'Sở Nội vụ'], [second, 'Sở Nội vụ', 'Sở Tư pháp']]) {
    await page.goto(`${base}${href}/sua`);
    await choose(page, '#task-edit-form select[name=lead]', lead);
    const ticked = page.locator('#task-edit-form input[name=coordinators]:checked');
    while (await ticked.count()) await ticked.first().uncheck();
    await page.locator('#task-edit-form label.check', { hasText: coordinator }).first().locator('input').check();
    await page.fill('#task-edit-form input[name=deadline]', 'Hằng quý, trước ngày 15 của tháng cuối quý');
    await page.fill('#task-edit-form input[name=product]', 'Báo cáo kết quả khắc phục');
    await Promise.all([page.waitForURL(/nhiem-vu\/\d+\?msg/), page.click('#task-edit-form button.primary')]);
    check((await page.textContent('#task-lead')).includes(lead), `${lead} leads`);
  }
  await shot(page, 'plans-2-assigned');

  // Two more proposals merged into one.
  await page.goto(planUrl);
  await page.locator(`table.tasks input[name=task][value="${taskLinks[2].split('/').pop()}"]`).check();
  await page.locator(`table.tasks input[name=task][value="${taskLinks[3].split('/').pop()}"]`).check();
  await Promise.all([page.waitForURL(/msg=plans.merged/), page.click('#merge-form button')]);
  await page.goto(planUrl);
  check((await rows.count()) === drafted - 1, 'the merge leaves one task of two');

  // 4. The quarter's reporting period opens.
  await page.goto(`${planUrl}/ky-bao-cao`);
  const month = new Date().getMonth();
  await page.selectOption('#period-form select[name=kind]', `Q${Math.floor(month / 3) + 1}`);
  await page.fill('#period-form input[name=due_on]', `25/${String(Math.floor(month / 3) * 3 + 3).padStart(2, '0')}/${new Date().getFullYear()}`);
  await Promise.all([page.waitForURL(/ky-bao-cao\/\d{4}-Q\d/), page.click('#period-form button')]);
  const periodUrl = page.url().split('?')[0];
  check((await page.locator('#owing li').count()) >= 2, 'every lead still owes its report');
  await logout(page);

  // 5. The Sở Tư pháp reports on its task with evidence and contributes to the other.
  await login(page, base, 'nhaplieu');
  await Promise.all([page.waitForURL(/\/nhiem-vu$/), page.click('nav.menu a[href="/nhiem-vu"]')]);
  check((await page.locator('#my-tasks tbody tr').count()) >= 2, 'the unit sees its tasks as lead and coordinator');
  await page.goto(`${base}${first}`);
  await page.fill('#report-form input[name=percent]', '60');
  await page.fill('#report-form textarea[name=narrative]', 'Đã rà soát 25 thủ tục hành chính, đề xuất đơn giản hóa 6 thủ tục.');
  await page.setInputFiles('#report-form input[name=file]', { name: 'bien-ban-ra-soat.pdf', mimeType: 'application/pdf', buffer: PDF });
  await Promise.all([page.waitForURL(/msg=plans.report_filed/), page.click('#report-form button')]);
  check((await page.textContent('#task-status')).includes('Đang thực hiện'), 'the first report starts the task');
  check((await page.locator('#reports a[href*="/tep/"]').count()) === 1, 'the evidence is listed');
  await page.goto(`${base}${second}`);
  check((await page.locator('#move-close').count()) === 0, 'a coordinator cannot close the task');
  await page.fill('#report-form input[name=percent]', '30');
  await page.fill('#report-form textarea[name=narrative]', 'Sở Tư pháp đã cung cấp danh mục thủ tục cần rà soát.');
  await Promise.all([page.waitForURL(/msg=plans.report_filed/), page.click('#report-form button')]);
  await shot(page, 'plans-3-contribution');
  const phone = await newPage(browser, { phone: true });
  await login(phone, base, 'nhaplieu');
  for (const [path, name] of [['/nhiem-vu', 'plans-phone-tasks'], [first, 'plans-phone-task']]) {
    await phone.goto(`${base}${path}`);
    const wider = await overflow(phone);
    check(wider <= 1, `${path} fits the phone (overflow ${wider}px)`);
    await shot(phone, name);
  }
  await logout(page);

  // 6. The dashboard and the roll-up count the reports.
  await login(page, base, 'thuongtruc');
  await page.goto(`${planUrl}/tong-quan`);
  check((await page.locator('#by-unit tbody tr').count()) >= 2, 'completion by lead agency');
  await shot(page, 'plans-4-dashboard');
  await page.goto(periodUrl);
  check((await page.locator('#period-reports').innerText()).includes('Đã rà soát 25 thủ tục'), 'the period lists the report');
  check((await page.locator('#period-reports').innerText()).includes('Sở Tư pháp đã cung cấp'), 'and the contribution');
  await page.fill('#narrative-form textarea[name=narrative]', (await page.inputValue('#narrative-form textarea[name=narrative]')) + '\nĐề nghị UBND tỉnh chỉ đạo các cơ quan chưa báo cáo.');
  await Promise.all([page.waitForURL(/msg=common.saved/), page.click('#narrative-form button')]);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rollup-xlsx')]);
  check(download.suggestedFilename().endsWith('.xlsx'), 'the roll-up downloads as a workbook');
  await Promise.all([page.waitForURL(/\/bao-cao\//), page.click('#rollup-pdf')]);
  await page.waitForSelector('#report-download', { timeout: 120000 });
  await shot(page, 'plans-5b-rollup-pdf');
  await page.goto(periodUrl);
  await shot(page, 'plans-5-period');

  // 7. This year's campaign is published.
  const campaign = `${base}/dot-danh-gia/1`;
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#open-round-1')]);
  await confirmStep(page, 'Mở vòng 1 theo kế hoạch');
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#close-round-1')]);
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#open-round-2')]);
  await confirmStep(page, 'Thẩm định lại');
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#close-round-2')]);
  await page.goto(campaign);
  await Promise.all([page.waitForLoadState('load'), page.click('#finalize')]);
  await confirmStep(page, 'Hội đồng thẩm định thống nhất kết quả');
  if (await page.locator('#checklist-form').count()) await confirmStep(page, 'Hội đồng thẩm định thống nhất kết quả');
  await Promise.all([page.waitForLoadState('load'), page.click('#publish')]);
  await confirmStep(page, 'Quyết định công bố kết quả');
  check((await page.locator('#campaign-state').getAttribute('data-state')) === 'published', 'this year is published');

  // 8. The effects: each criterion before → after, the tasks by effect, the goal's status.
  await page.goto(`${base}${first}`);
  const after = await page.locator('#targets tbody tr').first().innerText();
  check(!after.includes('Chưa có kết quả'), `the criterion has a result before and after (${after})`);
  await shot(page, 'plans-6-effect');
  await page.goto(planUrl);
  await Promise.all([page.waitForURL(/sap_xep=hieu-qua/), page.click('#sort-effect')]);
  const effects = await page.locator('table.tasks td.effect').allInnerTexts();
  check(effects.some((e) => e.trim() !== ''), 'effects are measured');
  check((await page.locator('#goals .badge').first().innerText()).length > 0, 'the goal shows its status');
  await shot(page, 'plans-7-by-effect');
});
