import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Withdraws the pending parameter proposal. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'cancel params',
        async () => ({ $$type: 'CancelParams', queryId: 0n }),
        async (r) => (await r.getRegistryData()).pendingParams === null,
    );
}
