import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Applies the proposed parameters once their timelock has passed (anyone may run it). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'execute params',
        async (_args, r) => {
            const d = await r.getRegistryData();
            if (!d.pendingParams) throw new Error('no parameters are proposed');
            const now = Math.floor(Date.now() / 1000);
            if (Number(d.pendingParamsAt) > now) {
                // the contract decides with the chain's clock; this is only a hint
                provider
                    .ui()
                    .write(`warning: the timelock ends at ${new Date(Number(d.pendingParamsAt) * 1000).toISOString()}`);
            }
            return { $$type: 'ExecuteParams', queryId: 0n };
        },
        async (r) => (await r.getRegistryData()).pendingParams === null,
    );
}
