import { NetworkProvider } from '@ton/blueprint';
import { providerOp } from './lib/provider';

/** Publishes the worker's URL: --endpoint https://host:port (at most 127 bytes). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await providerOp(
        provider,
        argv,
        'set endpoint',
        async (args) => {
            const endpoint = await args.string('endpoint', 'Endpoint URL');
            if (!/^https?:\/\/[^\s]+$/.test(endpoint))
                throw new Error(`--endpoint: "${endpoint}" is not an http(s) URL`);
            if (Buffer.byteLength(endpoint) > 127) throw new Error('--endpoint: at most 127 bytes');
            return { msg: { $$type: 'SetEndpoint', queryId: 0n, endpoint } };
        },
        (after, _b, m) => m.$$type === 'SetEndpoint' && after.endpoint === m.endpoint,
    );
}
