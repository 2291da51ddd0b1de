import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Revokes a measurement at once: --measurement <hex|file:path>. Relay it to Providers with RelayRevocation. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'revoke measurement',
        async (args) => ({
            $$type: 'RevokeMeasurement',
            queryId: 0n,
            measurement: await args.hash('measurement', 'Measurement'),
        }),
        async (r, m) => m.$$type === 'RevokeMeasurement' && (await r.getMeasurement(m.measurement))?.revoked === true,
    );
}
