import { NetworkProvider } from '@ton/blueprint';
import { beginCell } from '@ton/core';
import { governance } from './lib/governance';

/** Allowlists a model: --model <sha256 hex of the GGUF | file:path.gguf> --name <text>. Active after the timelock. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governance(
        provider,
        argv,
        'add model',
        async (args) => {
            const model = await args.hash('model', 'Model hash (sha256 of the GGUF file)');
            const name = await args.string('name', 'Model name');
            if (Buffer.byteLength(name) > 120) throw new Error('--name: at most 120 bytes');
            return { $$type: 'AddModel', queryId: 0n, model, metadata: beginCell().storeStringTail(name).endCell() };
        },
        async (r, m) => m.$$type === 'AddModel' && (await r.getModel(m.model)) !== null,
    );
}
