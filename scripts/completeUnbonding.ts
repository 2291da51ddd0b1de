import { NetworkProvider } from '@ton/blueprint';
import { ProviderStatus } from '../wrappers/Constants';
import { providerOp } from './lib/provider';

/** After the unbonding period: the stake goes back to the owner's wallet. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await providerOp(
        provider,
        argv,
        'complete unbonding',
        async (_args, d) => {
            if (d.status !== BigInt(ProviderStatus.UNBONDING)) throw new Error('the Provider is not unbonding');
            return { msg: { $$type: 'CompleteUnbonding', queryId: 0n } };
        },
        (after) => after.status === BigInt(ProviderStatus.EXITED),
    );
}
