import { NetworkProvider } from '@ton/blueprint';
import { fromNano } from '@ton/core';
import { providerOp } from './lib/provider';
import { Attach } from './lib/values';

/** Sends the matured earnings to the owner and the protocol's fees to the treasury. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await providerOp(
        provider,
        argv,
        'withdraw earnings',
        async (_args, d) => {
            if (d.withdrawable <= 0n)
                throw new Error('nothing to withdraw yet (earnings mature after the dispute window)');
            provider.ui().write(`withdrawing about ${fromNano(d.withdrawable)} TON`);
            return { msg: { $$type: 'WithdrawEarnings', queryId: 0n }, value: Attach.withdraw };
        },
        (after) => after.withdrawable === 0n,
    );
}
