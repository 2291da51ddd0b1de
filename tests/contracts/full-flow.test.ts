import { toNano } from '@ton/core';
import '@ton/test-utils';
import { OrderState } from '../../wrappers/Constants';
import {
    conserving,
    createOrder,
    deployMarket,
    matchOrder,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    registerProvider,
    signedReceipt,
} from '../helpers/market';
import { prng, sendClaim, sendOrderMsg } from '../helpers/audit';

const SEED = Number(process.env.COCOON_SEED ?? 20240611);

describe('full flow: 3 providers, 5 orders, seeded', () => {
    it(`ends every order Settled, Refunded or Expired with 0 balance, conserving value at every step (seed ${SEED})`, async () => {
        console.log(`full-flow seed: ${SEED} (replay with COCOON_SEED=${SEED})`);
        const rnd = prng(SEED);
        const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
        const m = await deployMarket();
        const providers: ProviderHandle[] = [];
        for (let i = 0; i < 3; i++) {
            providers.push(
                await registerProvider(m, `p${i}`, {
                    priceIn: BigInt(500 + i * 250),
                    priceOut: BigInt(1000 + i * 500),
                    capacity: 2n,
                }),
            );
        }
        const keepers = [await m.blockchain.treasury('k0'), await m.blockchain.treasury('k1')];
        const orders: OrderHandle[] = [];
        const seq = new Map<bigint, number>();
        const tokens = new Map<bigint, bigint>();
        const deal = new Map<bigint, ProviderHandle>();
        const watch = () => [
            ...providers.flatMap((p) => [p.owner.address, p.contract.address]),
            ...orders.flatMap((o) => [o.client.address, o.contract.address]),
            ...keepers.map((k) => k.address),
        ];
        const step = async (label: string, action: () => Promise<unknown>) => {
            await conserving(m, watch(), async () => {
                const r = await action();
                return (Array.isArray(r) ? r : [r]) as never;
            }).catch((e) => {
                throw new Error(`${label}: ${e.message}`);
            });
        };
        for (let i = 0; i < 5; i++) {
            const o = await createOrder(m, {
                clientName: `c${i}`,
                value: toNano('0.2') + BigInt(i) * toNano('0.1'),
                matchWithin: 60 + Math.floor(rnd() * 60),
                firstReceiptWindow: 100,
                life: 900,
            });
            orders.push(o);
        }
        for (let round = 0; round < 30; round++) {
            m.blockchain.now = m.blockchain.now! + 1 + Math.floor(rnd() * 20);
            const o = pick(orders);
            const state = Number((await o.contract.getOrderData()).state);
            const a = rnd();
            if (state === OrderState.OPEN && a < 0.6) {
                const p = pick(providers);
                await step(`match ${o.id}`, () => matchOrder(m, pick(keepers), o, p));
                if (Number((await o.contract.getOrderData()).state) === OrderState.MATCHED) deal.set(o.id, p);
            } else if (state === OrderState.MATCHED && a < 0.7) {
                const p = deal.get(o.id)!;
                const n = (seq.get(o.id) ?? 0) + 1;
                const t = (tokens.get(o.id) ?? 0n) + BigInt(2000 + Math.floor(rnd() * 20000));
                seq.set(o.id, n);
                tokens.set(o.id, t);
                const r = signedReceipt(receiptFor(m, o, { seqno: n, tokensIn: t, tokensOut: t }), p.enclave);
                await step(`claim ${o.id}#${n}`, () => sendClaim(p.owner, o, r, rnd() < 0.2));
            } else if (state === OrderState.MATCHED) {
                await step(`close ${o.id}`, () => sendOrderMsg(o.client, o, 'Close'));
            }
        }
        // everyone gives up: time passes beyond every deadline and anyone times the rest out
        m.blockchain.now = m.blockchain.now! + 3600;
        for (const o of orders) {
            const state = Number((await o.contract.getOrderData()).state);
            if (state <= OrderState.CLOSING)
                await step(`timeout ${o.id}`, () => sendOrderMsg(keepers[0], o, 'Timeout'));
        }
        for (const o of orders) {
            const d = await o.contract.getOrderData();
            expect([OrderState.SETTLED, OrderState.REFUNDED, OrderState.EXPIRED]).toContain(Number(d.state));
            expect((await m.blockchain.getContract(o.contract.address)).balance).toBe(0n);
        }
        for (const p of providers) expect((await p.contract.getProviderData()).live).toBe(0n);
    });
});
