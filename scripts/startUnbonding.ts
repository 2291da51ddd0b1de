import { NetworkProvider } from '@ton/blueprint';
import { ProviderStatus } from '../wrappers/Constants';
import { providerOp } from './lib/provider';

/** Stops new matches and starts the unbonding period; prints when completeUnbonding may run. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const d = await providerOp(
        provider,
        argv,
        'start unbonding',
        async () => ({ msg: { $$type: 'StartUnbonding', queryId: 0n } }),
        (after) => after.status === BigInt(ProviderStatus.UNBONDING),
    );
    provider.ui().write(`stake unlocks at ${new Date(Number(d.unbondAt) * 1000).toISOString()}`);
}
