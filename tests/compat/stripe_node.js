// Stripe's official Node.js client against a real `oneguard serve`: the
// wire conventions it relies on (form encoding with nested keys, the list
// envelope and auto-pagination, the error shape and status classes,
// Idempotency-Key, metadata unset with "", deleted objects, period fields
// on subscription items). Run by scripts/run-tests.sh with OG_BIN set and
// NODE_PATH pointing at the installed `stripe` package. Ends with the plain
// "N passed, M failed" line.
'use strict';
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const Stripe = require('stripe');

const bin = process.env.OG_BIN || 'build/san/oneguard';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-compat-'));
const db = `sqlite:${path.join(dir, 'compat.db')}`;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitHealthy(port) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy');
}

const tests = [];
function test(name, fn) { tests.push({ name, fn }); }

let stripe, ctx = {};

test('create product, price and customer with nested form parameters', async () => {
  ctx.prod = await stripe.products.create({ name: 'Gold', metadata: { tier: 'gold' } });
  assert.match(ctx.prod.id, /^prod_/);
  assert.equal(ctx.prod.object, 'product');
  assert.deepEqual(ctx.prod.metadata, { tier: 'gold' });
  ctx.price = await stripe.prices.create({
    product: ctx.prod.id, unit_amount: 3000, currency: 'usd', recurring: { interval: 'month' },
  });
  assert.equal(ctx.price.unit_amount, 3000);
  assert.equal(ctx.price.recurring.interval, 'month');
  ctx.cus = await stripe.customers.create({
    email: 'ada@example.com', name: 'Ada', address: { city: 'London', country: 'GB' },
  });
  assert.equal(ctx.cus.address.city, 'London');
});

test('metadata: set, merge, and unset a key with ""', async () => {
  await stripe.customers.update(ctx.cus.id, { metadata: { a: '1', b: '2' } });
  const c = await stripe.customers.update(ctx.cus.id, { metadata: { a: '' } });
  assert.deepEqual(c.metadata, { b: '2' });
});

test('subscription draft, confirm, first invoice; period fields on items', async () => {
  const sub = await stripe.subscriptions.create({ customer: ctx.cus.id, items: [{ price: ctx.price.id, quantity: 2 }] });
  assert.equal(sub.status, 'draft');
  const active = await stripe.rawRequest('POST', `/v1/subscriptions/${sub.id}/confirm`, {});
  assert.equal(active.status, 'active');
  assert.ok(active.current_period_end > active.current_period_start);
  assert.equal(active.items.data[0].current_period_end, active.current_period_end);
  const invoices = await stripe.invoices.list({ subscription: sub.id, created: { gte: 5 } });
  assert.equal(invoices.data.length, 1);
  assert.equal(invoices.data[0].amount_due, 6000);
  assert.equal(invoices.data[0].status, 'open');
  assert.match(invoices.data[0].number, /^INV-\d{6}$/);
});

test('subscription update with prorations, cancel; invoice pay and void', async () => {
  const price2 = await stripe.prices.create({
    product: ctx.prod.id, unit_amount: 6000, currency: 'usd', recurring: { interval: 'month' },
  });
  const sub = await stripe.subscriptions.create({ customer: ctx.cus.id, items: [{ price: ctx.price.id }], confirm: true });
  assert.equal(sub.status, 'active');
  const upgraded = await stripe.subscriptions.update(sub.id, {
    items: [{ id: sub.items.data[0].id, price: price2.id }], proration_behavior: 'always_invoice',
  });
  assert.equal(upgraded.items.data[0].price.id, price2.id);
  const invoices = await stripe.invoices.list({ subscription: sub.id });
  assert.equal(invoices.data.length, 2);
  const update = invoices.data.find((i) => i.billing_reason === 'subscription_update');
  assert.ok(update, 'an invoice for the upgrade');
  assert.equal(update.lines.data.reduce((sum, l) => sum + l.amount, 0), update.subtotal);
  const paid = await stripe.invoices.pay(update.id, { paid_out_of_band: true });
  assert.equal(paid.status, 'paid');
  const first = invoices.data.find((i) => i.billing_reason === 'subscription_create');
  const voided = await stripe.invoices.voidInvoice(first.id);
  assert.equal(voided.status, 'void');
  const canceled = await stripe.subscriptions.cancel(sub.id);
  assert.equal(canceled.status, 'canceled');
  await assert.rejects(stripe.subscriptions.update(sub.id, { metadata: { a: 'b' } }), (e) => {
    assert.equal(e.statusCode, 409);
    assert.equal(e.code, 'subscription_status_invalid');
    return true;
  });
  const events = await stripe.events.list({ type: 'invoice.paid', limit: 3 });
  const paidEvent = events.data.find((e) => e.data.object.id === update.id);
  assert.ok(paidEvent);
  // the request that caused it, as Stripe's clients read it
  assert.equal(paidEvent.request.id, paid.lastResponse.requestId);
});

test('test clocks: a customer on a clock is billed when it advances', async () => {
  const start = Date.UTC(2027, 0, 31) / 1000;
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start, name: 'compat' });
  const cus = await stripe.customers.create({ email: 'clock@example.com', test_clock: clock.id });
  const sub = await stripe.subscriptions.create({ customer: cus.id, items: [{ price: ctx.price.id }], confirm: true });
  assert.equal(sub.current_period_end, Date.UTC(2027, 1, 28) / 1000);
  const advanced = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Date.UTC(2027, 2, 1) / 1000 });
  assert.equal(advanced.status, 'ready');
  const invoices = await stripe.invoices.list({ subscription: sub.id });
  assert.deepEqual(invoices.data.map((i) => [i.period_start, i.period_end]).sort(),
    [[Date.UTC(2027, 0, 31) / 1000, Date.UTC(2027, 1, 28) / 1000], [Date.UTC(2027, 1, 28) / 1000, Date.UTC(2027, 2, 31) / 1000]]);
});

test('lists: envelope, filters and auto-pagination', async () => {
  for (let i = 0; i < 5; i++) await stripe.customers.create({ email: `page${i}@example.com` });
  const one = await stripe.customers.list({ limit: 1, email: 'ada@example.com' });
  assert.equal(one.object, 'list');
  assert.equal(one.data.length, 1);
  assert.equal(one.has_more, false);
  const seen = [];
  for await (const c of stripe.customers.list({ limit: 2 })) seen.push(c.id);
  const all = await stripe.customers.list({ limit: 100 });
  assert.equal(seen.length, all.data.length);
  assert.equal(new Set(seen).size, seen.length);
  assert.ok(seen.length >= 6);
});

test('errors map to the client error classes', async () => {
  await assert.rejects(stripe.prices.create({ product: ctx.prod.id, unit_amount: -1, currency: 'usd' }), (e) => {
    assert.equal(e.type, 'StripeInvalidRequestError');
    assert.equal(e.statusCode, 400);
    assert.equal(e.code, 'amount_invalid');
    assert.equal(e.param, 'unit_amount');
    return true;
  });
  await assert.rejects(stripe.products.del(ctx.prod.id), (e) => {
    assert.equal(e.statusCode, 409);
    assert.equal(e.code, 'product_has_active_prices');
    return true;
  });
  await assert.rejects(stripe.customers.retrieve('cus_doesnotexist'), (e) => e.statusCode === 404);
  const bad = new Stripe('sk_wrong', { host: '127.0.0.1', port: ctx.port, protocol: 'http', maxNetworkRetries: 0 });
  await assert.rejects(bad.customers.list(), (e) => e.type === 'StripeAuthenticationError' && e.statusCode === 401);
});

test('Idempotency-Key replays the first response', async () => {
  const a = await stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'compat-1' });
  const b = await stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'compat-1' });
  assert.equal(a.id, b.id);
  await assert.rejects(stripe.customers.create({ email: 'y@example.com' }, { idempotencyKey: 'compat-1' }),
    (e) => e.type === 'StripeIdempotencyError' && e.statusCode === 400);
});

test('billing portal sessions through the client', async () => {
  const s = await stripe.billingPortal.sessions.create({ customer: ctx.cus.id, return_url: 'https://shop.example/account' });
  assert.equal(s.object, 'billing_portal.session');
  assert.match(s.id, /^bps_/);
  assert.equal(s.customer, ctx.cus.id);
  assert.equal(s.return_url, 'https://shop.example/account');
  assert.match(s.url, /\/portal\/session\/[0-9a-f]{64}$/);
  assert.ok(s.expires_at - s.created === 900, 'a portal link lives 15 minutes');
  await assert.rejects(stripe.billingPortal.sessions.create({ customer: 'cus_doesnotexist' }),
    (e) => e.type === 'StripeInvalidRequestError' && e.param === 'customer');
});

test('a restricted key works in the client within its permissions', async () => {
  const k = await stripe.rawRequest('POST', '/v1/api_keys', { type: 'restricted', permissions: { products: 'read' } });
  assert.match(k.secret, /^rk_/);
  const rk = new Stripe(k.secret, { host: '127.0.0.1', port: ctx.port, protocol: 'http', maxNetworkRetries: 0 });
  const list = await rk.products.list({ limit: 1 });
  assert.equal(list.object, 'list');
  await assert.rejects(rk.products.create({ name: 'Nope' }),
    (e) => e.type === 'StripePermissionError' && e.statusCode === 403);
  await assert.rejects(rk.customers.list(), (e) => e.type === 'StripePermissionError' && e.statusCode === 403);
});

test('payment methods: a sandbox test card created, attached, made the default, listed, detached', async () => {
  const pm = await stripe.paymentMethods.create({
    type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' },
  });
  assert.match(pm.id, /^pm_/);
  assert.equal(pm.object, 'payment_method');
  assert.equal(pm.card.last4, '4242');
  assert.equal(pm.card.brand, 'visa');
  assert.equal(pm.customer, null);
  assert.ok(!JSON.stringify(pm).includes('4242424242424242'), 'the number is never answered');
  const attached = await stripe.paymentMethods.attach(pm.id, { customer: ctx.cus.id });
  assert.equal(attached.customer, ctx.cus.id);
  const cus = await stripe.customers.update(ctx.cus.id, { invoice_settings: { default_payment_method: pm.id } });
  assert.equal(cus.invoice_settings.default_payment_method, pm.id);
  const list = await stripe.paymentMethods.list({ customer: ctx.cus.id, type: 'card' });
  assert.deepEqual(list.data.map((p) => p.id), [pm.id]);
  const viaCustomer = await stripe.customers.listPaymentMethods(ctx.cus.id);
  assert.deepEqual(viaCustomer.data.map((p) => p.id), [pm.id]);
  await assert.rejects(stripe.paymentMethods.create({
    type: 'card', card: { number: '4000000000000002', exp_month: 12, exp_year: 2030, cvc: '123' },
  }), (e) => e.type === 'StripeCardError' && e.statusCode === 402 && e.code === 'card_declined');
  await assert.rejects(stripe.paymentMethods.create({
    type: 'card', card: { number: '4000000000009995', exp_month: 12, exp_year: 2030, cvc: '123' },
  }), (e) => e.type === 'StripeCardError' && e.decline_code === 'insufficient_funds');
  const detached = await stripe.paymentMethods.detach(pm.id);
  assert.equal(detached.customer, null);
  const after = await stripe.customers.retrieve(ctx.cus.id);
  assert.equal(after.invoice_settings.default_payment_method, null);
});

test('delete answers a deleted object', async () => {
  const d = await stripe.customers.del(ctx.cus.id);
  assert.equal(d.deleted, true);
  assert.equal(d.id, ctx.cus.id);
});

(async () => {
  let server, passed = 0, failed = 0;
  try {
    execFileSync(bin, ['migrate', '--db', db], { stdio: 'ignore' });
    const key = execFileSync(bin, ['keys', 'create', '--db', db]).toString().trim();
    ctx.port = await freePort();
    server = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${ctx.port}`, '--billing-interval', '0', '--enable-test-clocks',
      '--no-access-log', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitHealthy(ctx.port);
    stripe = new Stripe(key, { host: '127.0.0.1', port: ctx.port, protocol: 'http', maxNetworkRetries: 0 });
    for (const t of tests) {
      try {
        await t.fn();
        passed++;
        console.log(`ok   ${t.name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${t.name}: ${e.stack || e}`);
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL set-up: ${e.stack || e}`);
  } finally {
    if (server) {
      const exited = new Promise((r) => server.on('exit', (code) => r(code)));
      server.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) { failed++; console.log(`FAIL server exited with ${code}`); }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
