// The secretariat loads a year of national index results: uploads PAPI's provincial workbook,
// reads the preview (per year what is recognised, the provinces without results, every warning
// in Vietnamese, the year that will be replaced), confirms, finds the versions in the history,
// sets a target and assigns an agency; screenshots on a desktop and a phone.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, newPage, overflow, login, shot, check } from './lib.mjs';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'indices', 'papi-provinces.xlsx');

await run(async (browser, base) => {
  const page = await newPage(browser);
  await login(page, base, 'thuongtruc');
  await page.goto(`${base}/chi-so-quoc-gia/nhap`);
  await page.setInputFiles('input[name=file]', FIXTURE);
  await page.selectOption('select[name=index]', 'papi');
  await page.fill('input[name=publisher]', 'UNDP, CECODES, RTA');
  await page.fill('input[name=document]', 'Báo cáo PAPI');
  await Promise.all([page.waitForURL(/\/chi-so-quoc-gia\/nhap\/[\w-]+$/), page.click('form[enctype] button[type=submit]')]);
  const preview = page.url();
  const text = await page.textContent('main');
  check(text.includes('Năm 2016') && text.includes('Năm 2023'), 'the preview lists each year');
  check(text.includes('Quảng Ninh (22)'), 'the provinces without results are named');
  check(text.includes('nội dung 3 là'), 'the warnings are in Vietnamese');
  check(text.includes('sẽ được thay thế'), 'a year already stored will be replaced');
  await shot(page, 'indices-import-preview');

  // The same preview on a phone fits its width.
  const phone = await newPage(browser, { phone: true });
  await login(phone, base, 'thuongtruc');
  await phone.goto(preview);
  const wider = await overflow(phone);
  check(wider <= 1, `the preview fits the phone's width (overflow ${wider}px)`);
  await shot(phone, 'indices-import-preview-phone');

  await Promise.all([page.waitForURL(/\/chi-so-quoc-gia\/nhap-lieu/), page.click('#confirm-import')]);
  const list = await page.textContent('main');
  check(list.includes('đã thay thế') && list.includes('đang dùng'), 'the history marks the replaced version');
  await shot(page, 'indices-imports');

  // A target, checked against the province's result.
  await page.goto(`${base}/chi-so-quoc-gia/muc-tieu`);
  await page.selectOption('#target-form select[name=index]', 'par');
  await page.fill('#target-form input[name=year]', '2021');
  await page.fill('#target-form input[name=target]', 'nhóm 10 tỉnh dẫn đầu');
  await page.fill('#target-form input[name=document]', 'QĐ 3248/QĐ-UBND');
  await Promise.all([page.waitForLoadState('load'), page.click('#target-form button[type=submit]')]);
  check((await page.textContent('#targets')).includes('Đạt, hơn mục tiêu 6 bậc'), 'the target is met by 6 places');
  await shot(page, 'indices-targets');
  await phone.goto(`${base}/chi-so-quoc-gia/muc-tieu`);
  const targetsWider = await overflow(phone);
  check(targetsWider <= 1, `the targets fit the phone's width (overflow ${targetsWider}px)`);
  await shot(phone, 'indices-targets-phone');

  // An agency for PAPI's first dimension.
  await page.goto(`${base}/chi-so-quoc-gia/co-quan-phu-trach/papi/papi-2018/1`);
  await page.check('#agency-form input[value="kind:commune"]');
  await Promise.all([page.waitForURL(/co-quan-phu-trach\/papi\?/), page.click('#agency-form button[type=submit]')]);
  check((await page.textContent('#item-1')).includes('Các xã, phường, đặc khu'), 'the communes answer for dimension 1');
  await shot(page, 'indices-agencies');
});
