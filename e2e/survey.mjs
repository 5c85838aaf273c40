// A survey wave's story: the secretariat registers the SIPAS questionnaire, creates a wave over a
// department, opens it, declares one of the department's services and issues one-time tokens
// for it; a citizen on a phone opens a token link, sees the service named, answers every
// question, sends and sees the thank-you page; the link then says it was answered; back on the
// staff screens the wave and the service count the response.
import { run, newPage, overflow, login, shot, check } from './lib.mjs';

await run(async (browser, base) => {
  const staff = await newPage(browser);
  await login(staff, base, 'thuongtruc');

  // The questionnaire and a wave on it (the staff screens of /khao-sat).
  await staff.goto(`${base}/khao-sat`);
  await staff.selectOption('select[name=bundled]', 'sipas-2017');
  await Promise.all([staff.waitForLoadState('load'), staff.click('#register-bundled')]);
  await staff.goto(`${base}/khao-sat`);
  const options = await staff.$$eval('select[name=questionnaire_id] option',
    (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const sipas = options.find((o) => o.text.includes('(SIPAS), mô hình 2017'));
  check(sipas, `SIPAS is offered (${options.map((o) => o.text).join(' | ')})`);
  await staff.selectOption('select[name=questionnaire_id]', sipas.value);
  await staff.fill('#new-wave input[name=title]', 'SIPAS thử nghiệm trình duyệt');
  await staff.fill('#new-wave input[name=period_year]', '2026');
  await Promise.all([staff.waitForURL(/\/khao-sat\/dot\/\d+/), staff.click('#create-wave')]);
  const waveUrl = staff.url().split('#')[0].split('?')[0];

  await staff.fill('textarea[name=lines]', 'S01;1000');
  await Promise.all([staff.waitForLoadState('load'), staff.click('#set-units')]);
  await staff.goto(waveUrl);
  await Promise.all([staff.waitForLoadState('load'), staff.click('#open-wave')]);
  await staff.goto(waveUrl);
  check((await staff.getAttribute('#wave-state', 'data-state')) === 'open', 'the wave is open');

  // A service of S01, then three tokens for it, printed as QR cards with their links.
  await Promise.all([staff.waitForLoadState('load'), staff.click('tr[data-unit="S01"] a')]);
  const unitUrl = staff.url().split('#')[0].split('?')[0];
  await staff.fill('.service-form input[name=code]', 'lltp');
  await staff.fill('.service-form input[name=name]', 'Cấp Phiếu lý lịch tư pháp');
  await staff.fill('.service-form input[name=transactions]', '500');
  await Promise.all([staff.waitForLoadState('load'), staff.click('#save-service')]);
  check(await staff.$('tr[data-service="LLTP"]'), 'the service is listed on the unit page');
  await staff.selectOption('select[name=service_id]', { label: 'LLTP — Cấp Phiếu lý lịch tư pháp' });
  await staff.fill('input[name=count]', '3');
  await Promise.all([staff.waitForLoadState('load'), staff.click('#issue-print')]);
  const links = await staff.$$eval('.qr-link', (ls) => ls.map((l) => l.textContent.trim()));
  check(links.length === 3, `three token links (${links.length})`);
  const path = links[0].match(/\/ks\/t\/[0-9a-z]+/i)?.[0];
  check(path, `a token link (${links[0]})`);

  // A citizen on a phone, without an account.
  const phone = await newPage(browser, { phone: true });
  await phone.goto(`${base}${path}`);
  const items = await phone.$$eval('fieldset.survey-item input[type=radio][required]',
    (rs) => rs.map((r) => r.name));
  check(items.length === 23, `23 questions on the form (${items.length})`);
  const wider = await overflow(phone);
  check(wider <= 1, `the form fits the phone's width (overflow ${wider}px)`);
  check((await phone.textContent('#survey-service')).includes('lý lịch tư pháp'), 'the form names the service');
  await shot(phone, 'survey-form-phone');

  // Sending with one question unanswered names it, and keeps the answers.
  for (const name of items.slice(0, 22)) {
    await phone.check(`input[name="${name}"][value="4"]`);
  }
  await Promise.all([phone.waitForLoadState('load'), phone.click('button.survey-submit')]);
  const refused = await phone.content();
  check(refused.includes('Câu 23'), 'the error names the unanswered question by its number');
  check(!refused.includes(`Câu ${items[22]}`), 'and not by its code');
  check(await phone.isChecked(`input[name="${items[0]}"][value="4"]`), 'answers are kept');
  await shot(phone, 'survey-form-error-phone');

  await phone.check(`input[name="${items[22]}"][value="5"]`);
  await phone.check('input[name=sex][value=nu]');
  await phone.check('input[name=expectations][value=thu-tuc]');
  await phone.check('input[name=expectations][value=thoi-gian]');
  await Promise.all([phone.waitForURL(/\/ks\/cam-on/), phone.click('button.survey-submit')]);
  check((await phone.content()).includes('đã được ghi nhận'), 'the thank-you page says it was recorded');
  await shot(phone, 'survey-thanks-phone');

  // The link is spent.
  const again = await phone.goto(`${base}${path}`);
  check(again.status() === 409, `an answered link is refused (${again.status()})`);
  check((await phone.content()).includes('đã được trả lời'), 'an answered link says so');
  check(!(await phone.$('button.survey-submit')), 'and shows no form');

  // The staff screen counts it.
  await staff.goto(waveUrl);
  const counted = (await staff.textContent('tr[data-unit="S01"] .responses')).trim();
  check(counted.startsWith('1'), `the wave counts the response (${counted})`);
  check((await staff.textContent('#total-responses')).trim() === '1', 'one response in the wave');
  await shot(staff, 'survey-wave-counted');
  await staff.goto(unitUrl);
  const serviceCount = (await staff.textContent('tr[data-service="LLTP"] td:nth-child(5)')).trim();
  check(serviceCount.startsWith('1 ') || serviceCount === '1', `the service counts the response (${serviceCount})`);
  await shot(staff, 'survey-unit-services');
});
