import { NetworkProvider } from '@ton/blueprint';
import { governance } from './lib/governance';

/** Removes a model from the allowlist at once: --model <hex|file:path>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'remove model',
        async (args) => ({ $$type: 'RemoveModel', queryId: 0n, model: await args.hash('model', 'Model hash') }),
        async (r, m) => m.$$type === 'RemoveModel' && (await r.getModel(m.model)) === null,
    );
}
