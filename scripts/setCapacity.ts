import { NetworkProvider } from '@ton/blueprint';
import { providerOp } from './lib/provider';

/** Sets how many orders the Provider serves at once: --capacity <0..1024>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await providerOp(
        provider,
        argv,
        'set capacity',
        async (args) => ({
            msg: { $$type: 'SetCapacity', queryId: 0n, capacity: await args.int('capacity', 'Capacity', 0n, 1024n) },
        }),
        (after, _b, m) => m.$$type === 'SetCapacity' && after.capacity === m.capacity,
    );
}
