import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Proposes --newOwner <address> as the Registry's owner; it takes effect when that wallet runs acceptOwnership. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'transfer ownership',
        async (args) => ({
            $$type: 'TransferOwnership',
            queryId: 0n,
            newOwner: await args.address('newOwner', 'New owner'),
        }),
        async (r, m) =>
            m.$$type === 'TransferOwnership' && !!(await r.getRegistryData()).pendingOwner?.equals(m.newOwner),
    );
}
