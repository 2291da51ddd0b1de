import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';
import { senderAddress } from './lib/cli';

/** Run from the proposed owner's wallet: becomes the Registry's owner. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const me = senderAddress(provider);
    await governance(
        provider,
        argv,
        'accept ownership',
        async (_args, r) => {
            const pending = (await r.getRegistryData()).pendingOwner;
            if (!pending?.equals(me))
                throw new Error(`this wallet (${me}) is not the proposed owner (${pending ?? 'none'})`);
            return { $$type: 'AcceptOwnership', queryId: 0n };
        },
        async (r) => (await r.getRegistryData()).owner.equals(me),
    );
}
