import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Pauses (--paused true) or resumes (--paused false) new orders and matches, at once. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'set paused',
        async (args) => ({ $$type: 'SetPaused', queryId: 0n, paused: await args.bool('paused', 'Pause the market?') }),
        async (r, m) => m.$$type === 'SetPaused' && (await r.getRegistryData()).paused === m.paused,
    );
}
