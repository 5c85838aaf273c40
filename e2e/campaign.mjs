// Setting up a campaign: the secretariat logs in, creates a campaign with the sample department
// framework, chooses participating units and opens it; screenshots on a desktop and a phone.
import { run, newPage, overflow, login, shot, check } from './lib.mjs';

await run(async (browser, base) => {
  const page = await newPage(browser);
  await login(page, base, 'thuongtruc');
  await page.goto(`${base}/dot-danh-gia/moi`);
  await page.fill('input[name=year]', '2027');
  await page.fill('input[name=title]', 'Chỉ số CCHC năm 2027 – thử nghiệm trình duyệt');
  await page.fill('input[name=self_assessment_deadline]', '2027-11-30');
  await page.fill('input[name=explanation_deadline]', '2027-12-20');
  await page.fill('input[name=round_deadline_1]', '2027-12-10');
  await page.fill('input[name=round_deadline_2]', '2027-12-30');
  await Promise.all([page.waitForURL(/\/dot-danh-gia\/\d+/), page.click('form.campaign-form button[type=submit]')]);
  const campaignUrl = page.url().split('#')[0].split('?')[0];
  check((await page.getAttribute('#campaign-state', 'data-state')) === 'draft', 'a new campaign is a draft');

  // Opening without a framework is refused with the reason.
  await Promise.all([page.waitForLoadState('load'), page.click('button[name=to][value=open]')]);
  check((await page.content()).includes('bộ tiêu chí'), 'the refusal names the missing framework');
  await page.goto(campaignUrl);

  // The sample framework for departments.
  await page.selectOption('select[name=unit_group]', 'department');
  const options = await page.$$eval('select[name=framework_id] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const sample = options.find((o) => o.text.includes('sở, ban, ngành cấp tỉnh năm 2025'));
  check(sample, `the bundled sample framework is offered (${options.map((o) => o.text).join(' | ')})`);
  await page.selectOption('select[name=framework_id]', sample.value);
  await Promise.all([page.waitForLoadState('load'), page.click('#assign-framework')]);

  // Five departments take part.
  const boxes = page.locator('#unit-picker input[type=checkbox][name=unit_id]');
  check((await boxes.count()) >= 5, 'units to choose from');
  for (let i = 0; i < 5; i++) {
    const box = boxes.nth(i);
    await box.evaluate((b) => b.closest('details')?.setAttribute('open', ''));
    await box.check();
  }
  const counted = await page.textContent('#unit-picker .chosen-count');
  check(counted.trim() === '5', `the chosen count follows the ticks before saving (${counted})`);
  await Promise.all([page.waitForLoadState('load'), page.click('#save-units')]);
  await shot(page, 'campaign-draft');

  await page.fill('textarea[name=reason]', 'Mở đợt tự đánh giá');
  await Promise.all([page.waitForLoadState('load'), page.click('button[name=to][value=open]')]);
  await page.goto(campaignUrl);
  check((await page.getAttribute('#campaign-state', 'data-state')) === 'open', 'the campaign is open');
  await shot(page, 'campaign-open');

  // The same page on a phone, signed in afresh.
  const phone = await newPage(browser, { phone: true });
  await login(phone, base, 'thuongtruc');
  await phone.goto(campaignUrl);
  check((await phone.getAttribute('#campaign-state', 'data-state')) === 'open', 'open on the phone too');
  const wider = await overflow(phone);
  check(wider <= 1, `the page fits the phone's width (overflow ${wider}px)`);
  await shot(phone, 'campaign-open-phone');
});
