import { NetworkProvider } from '@ton/blueprint';
import { providerOp } from './lib/provider';

/** Sets the ask for --model <hex|file:path> to --priceIn / --priceOut nanoTON per token (raises wait askDelay). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await providerOp(
        provider,
        argv,
        'set ask',
        async (args) => {
            const model = await args.hash('model', 'Model hash');
            const priceIn = await args.int('priceIn', 'Price per input token, nanoTON', 0n, 10n ** 12n);
            const priceOut = await args.int('priceOut', 'Price per output token, nanoTON', 0n, 10n ** 12n);
            return { msg: { $$type: 'SetAsk', queryId: 0n, model, priceIn, priceOut } };
        },
        async (_a, _b, m, contract) => {
            if (m.$$type !== 'SetAsk') return false;
            const ask = await contract.getAsk(m.model);
            return (
                !!ask &&
                ((ask.priceIn === m.priceIn && ask.priceOut === m.priceOut) ||
                    (ask.nextIn === m.priceIn && ask.nextOut === m.priceOut))
            );
        },
    );
}
