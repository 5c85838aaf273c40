// The national indices for the province's leadership: a viewer opens the overview from the
// menu, follows an index to its year's ranking, sorts and filters it, asks for the PDF; the
// same pages on a phone fit its width. Screenshots of each.
import { run, newPage, overflow, login, shot, check } from './lib.mjs';

await run(async (browser, base) => {
  const page = await newPage(browser);
  await login(page, base, 'xemketqua');
  await Promise.all([page.waitForURL(/\/chi-so-quoc-gia\/tong-quan/), page.click('nav.menu a[href="/chi-so-quoc-gia/tong-quan"]')]);
  check((await page.textContent('#province-name')).trim() === 'Huế', 'the configured province');
  const par = page.locator('#leadership-table tr[data-index="par"]');
  check((await par.count()) === 1, 'the PAR INDEX has a line');
  check((await par.textContent()).includes('88,38'), 'its latest value');
  check((await page.locator('#leadership-table tbody tr').count()) >= 3, 'PAR INDEX, SIPAS and PAPI');
  check((await page.locator('svg.series-chart').count()) >= 1, 'a trend chart');
  await shot(page, 'indices-leadership');

  // The report for a meeting.
  await Promise.all([page.waitForURL(/\/bao-cao\//), page.click('#leadership-report')]);
  await page.waitForSelector('#report-download', { timeout: 120000 });
  await page.goBack();

  // One click to the index's year.
  await page.goto(`${base}/chi-so-quoc-gia/tong-quan`);
  await Promise.all([page.waitForURL(/\/chi-so-quoc-gia\/par\/2023/), par.locator('a.index-link').click()]);
  check((await page.getAttribute('#index-heading', 'data-year')) === '2023', 'the latest year');
  check((await page.locator('#index-ranking tr.current').count()) === 1, 'the province stands out');
  await page.click('#sort-value');
  const first = await page.locator('#index-ranking tbody tr').first().getAttribute('data-unit');
  await page.click('#sort-value');
  const firstDescending = await page.locator('#index-ranking tbody tr').first().getAttribute('data-unit');
  check(first !== firstDescending, `sorting by value turns the table (${first}, ${firstDescending})`);
  await page.fill('input.table-filter', 'hue');
  const shown = await page.locator('#index-ranking tbody tr:not([hidden])').count();
  check(shown === 1, `the filter ignores marks (${shown} rows)`);
  await page.fill('input.table-filter', '');
  await shot(page, 'indices-year');

  // The same pages on a phone.
  const phone = await newPage(browser, { phone: true });
  await login(phone, base, 'xemketqua');
  for (const [path, name] of [['/chi-so-quoc-gia/tong-quan', 'indices-leadership-phone'], ['/chi-so-quoc-gia/par/2023', 'indices-year-phone'], ['/chi-so-quoc-gia', 'indices-list-phone']]) {
    await phone.goto(`${base}${path}`);
    const wider = await overflow(phone);
    check(wider <= 1, `${path} fits the phone's width (overflow ${wider}px)`);
    await shot(phone, name);
  }
});
