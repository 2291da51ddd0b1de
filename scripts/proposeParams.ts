import { NetworkProvider } from '@ton/blueprint';
import { fromNano } from '@ton/core';
import { Params } from '../wrappers/Registry';
import { governance } from './lib/governance';

const TON_FIELDS = ['minStake', 'matchFee', 'minBudget', 'minClaim'] as const;
const INT_FIELDS = {
    feeBps: 500n,
    disputeWindow: 0xffffffffn,
    closeGrace: 0xffffffffn,
    timelock: 0xffffffffn,
    unbondingPeriod: 0xffffffffn,
    maxAttestAge: 0xffffffffn,
    maxOrderLife: 0xffffffffn,
    verifierK: 16n,
    askDelay: 0xffffffffn,
} as const;

/**
 * Proposes new parameters: the current ones with each field given as an option replaced, e.g.
 * `--feeBps 150 --matchFee 0.02 --treasury <addr>` (TON amounts in TON). executeParams applies them after the timelock.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'propose params',
        async (args, r) => {
            const d = await r.getRegistryData();
            const p: Params = { ...d.params };
            let changed = 0;
            for (const f of TON_FIELDS) {
                if (args.has(f)) {
                    p[f] = await args.ton(f, f);
                    changed++;
                }
            }
            for (const [f, max] of Object.entries(INT_FIELDS) as [keyof typeof INT_FIELDS, bigint][]) {
                if (args.has(f)) {
                    p[f] = await args.int(f, f, f === 'verifierK' ? 1n : 0n, max);
                    changed++;
                }
            }
            if (args.has('treasury')) {
                p.treasury = await args.address('treasury', 'Treasury');
                changed++;
            }
            if (changed === 0)
                throw new Error(
                    `no parameter given: use any of --${[...TON_FIELDS, ...Object.keys(INT_FIELDS), 'treasury'].join(', --')}`,
                );
            if (provider.network() === 'mainnet' && p.verifierK < 2n)
                throw new Error('refusing verifierK < 2 on mainnet');
            if (p.minClaim > p.minBudget)
                throw new Error(`minClaim ${fromNano(p.minClaim)} exceeds minBudget ${fromNano(p.minBudget)}`);
            return { $$type: 'ProposeParams', queryId: 0n, params: p };
        },
        async (r) => (await r.getRegistryData()).pendingParams !== null,
    );
}
