import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Empties verifier slot --index <0..15> at once. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'remove verifier',
        async (args) => ({
            $$type: 'RemoveVerifier',
            queryId: 0n,
            index: await args.int('index', 'Verifier slot', 0n, 15n),
        }),
        async (r, m) => m.$$type === 'RemoveVerifier' && (await r.getVerifier(m.index)) === null,
    );
}
