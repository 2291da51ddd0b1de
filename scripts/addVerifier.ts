import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Sets verifier slot --index <0..15> to ed25519 key --publicKey <64 hex>. Active after the timelock. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'add verifier',
        async (args) => ({
            $$type: 'AddVerifier',
            queryId: 0n,
            index: await args.int('index', 'Verifier slot', 0n, 15n),
            publicKey: await args.hash('publicKey', 'Verifier ed25519 public key'),
        }),
        async (r, m) => m.$$type === 'AddVerifier' && (await r.getVerifier(m.index))?.publicKey === m.publicKey,
    );
}
