import fc from 'fast-check';
import { actionArb, MarketModel } from './marketModel';

let model0: MarketModel | undefined;
async function shared(): Promise<MarketModel> {
    model0 ??= await MarketModel.create();
    return model0;
}

/**
 * The long property run (`npm run test:props`): PROPS_RUNS sequences (default 1000) of up to 40 actions.
 * Prints what the sequences did in total, so a run that exercised nothing cannot pass unnoticed.
 */
const SEED = Number(process.env.PROPS_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.PROPS_RUNS ?? 1000);

describe('market properties (long run)', () => {
    it(
        `holds over ${RUNS} random sequences (seed ${SEED})`,
        async () => {
            const total: Record<string, number> = {};
            let steps = 0;
            await fc.assert(
                fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 40 }), async (actions) => {
                    const model = await shared();
                    await model.reset();
                    for (const a of actions) await model.run(a);
                    await model.drain();
                    steps += model.steps;
                    for (const [k, v] of Object.entries(model.stats)) total[k] = (total[k] ?? 0) + v;
                }),
                { seed: SEED, numRuns: RUNS },
            );
            console.log(JSON.stringify({ seed: SEED, sequences: RUNS, steps, ...total }));
            expect(total.claimsPaid).toBeGreaterThan(0);
        },
        24 * 3600_000,
    );
});
