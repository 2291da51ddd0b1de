import fc from 'fast-check';
import { actionArb, MarketModel } from './marketModel';

let model0: MarketModel | undefined;
async function shared(): Promise<MarketModel> {
    model0 ??= await MarketModel.create();
    return model0;
}

// A short seeded run for every `npm test`; `npm run test:props` runs thousands of sequences.
const SEED = Number(process.env.PROPS_SEED ?? 20261125);

describe('market properties (seeded)', () => {
    it('conserves value, never overpays, and lets every order end with its funds out', async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 30 }), async (actions) => {
                const model = await shared();
                await model.reset();
                for (const a of actions) await model.run(a);
                await model.drain();
            }),
            { seed: SEED, numRuns: Number(process.env.PROPS_RUNS ?? 4), verbose: true },
        );
    }, 600_000);
});
