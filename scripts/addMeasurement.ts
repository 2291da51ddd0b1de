import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Allowlists an enclave measurement: --measurement <hex|file:path> --expiresAt <unix time>. Active after the timelock. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'add measurement',
        async (args) => ({
            $$type: 'AddMeasurement',
            queryId: 0n,
            measurement: await args.hash('measurement', 'Measurement (MRTD/RTMR digest)'),
            expiresAt: await args.int(
                'expiresAt',
                'Expires at (unix time)',
                BigInt(Math.floor(Date.now() / 1000)),
                0xffffffffn,
            ),
        }),
        async (r, m) =>
            m.$$type === 'AddMeasurement' && (await r.getMeasurement(m.measurement))?.expiresAt === m.expiresAt,
    );
}
