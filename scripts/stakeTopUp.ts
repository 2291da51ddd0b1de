import { NetworkProvider } from '@ton/blueprint';
import { providerOp } from './lib/provider';
import { Attach } from './lib/values';

/** Adds --amount <TON> to the Provider's stake. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await providerOp(
        provider,
        argv,
        'stake top-up',
        async (args) => {
            const amount = await args.ton('amount', 'Stake to add');
            if (amount <= 0n) throw new Error('--amount: must be positive');
            return { msg: { $$type: 'StakeTopUp', queryId: 0n }, value: amount + Attach.topUpGas };
        },
        (after, before) => after.stake > before.stake,
    );
}
