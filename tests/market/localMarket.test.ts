/**
 * `npm start`'s flow as a test: localnet, the market deployed, a keeper and two workers as real processes,
 * one order matched to the cheaper worker, three questions, close and settlement, every balance checked.
 */
import * as fs from 'fs';
import { toNano } from '@ton/core';
import { stopAllServices } from '../../demo/children';
import { LocalMarketResult, runLocalMarket, WORKER_PRICES } from '../../demo/localMarket';

jest.setTimeout(180_000);

let r: LocalMarketResult | undefined;
const printed: string[] = [];

beforeAll(async () => {
    r = await runLocalMarket({ print: (l) => printed.push(l) });
}, 170_000);

afterAll(async () => {
    // Children must not outlive the test, whatever happened above.
    await r?.stop();
    await stopAllServices();
    if (r) fs.rmSync(r.dataDir, { recursive: true, force: true });
});

describe('local market in one command', () => {
    test('both workers registered; the keeper matched the cheaper one at its ask', () => {
        expect(r!.workers.map((w) => w.registered)).toEqual([true, true]);
        expect(r!.winner.name).toBe(WORKER_PRICES[0].name);
        expect(r!.clearing).toEqual({ priceIn: WORKER_PRICES[0].priceIn, priceOut: WORKER_PRICES[0].priceOut });
    });

    test('three answers over one order; the client paid exactly the receipts', () => {
        const { answers, settlement, clearing } = r!;
        expect(answers).toHaveLength(3);
        expect(answers.map((a) => Number(a.receipt.fields.seqno))).toEqual([1, 2, 3]);
        expect(settlement.state).toBe('settled');
        const cost = r!.tokensIn * clearing.priceIn + r!.tokensOut * clearing.priceOut;
        expect(r!.totalCost).toBe(cost);
        expect(settlement.paid).toBe(cost); // the Order's paid getter
    });

    test('the refund arrived and the keeper earned the match fee', () => {
        const { settlement, budget, totalCost, ledger } = r!;
        expect(settlement.refund).toBeGreaterThan(budget - totalCost - toNano('0.05'));
        expect(settlement.refund).toBeLessThanOrEqual(budget - totalCost + toNano('0.05'));
        expect(r!.keeperFeeReceived).toBeGreaterThanOrEqual(r!.matchFee);
        expect(ledger.accounts.find((a) => a.name === 'keeper')!.delta).toBeGreaterThan(0n);
    });

    test('the money adds up to the nanoton', () => {
        expect(r!.ledger.imbalance).toBe(0n);
        expect(r!.ledger.accounts.every((a) => a.unexplained === 0n)).toBe(true);
        expect(printed.join('\n')).toContain('money adds up');
    });

    test('the services were stopped and never logged a mnemonic', () => {
        expect(r!.services.every((s) => s.exited)).toBe(true);
        for (const s of r!.services) expect(fs.readFileSync(s.logFile, 'utf8')).not.toMatch(/mnemonic":"\w+ \w+/);
        expect(r!.durationMs).toBeLessThan(120_000);
    });
});
