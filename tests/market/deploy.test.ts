import { createHash } from 'crypto';
import { startLocalnet, Localnet } from '../../localnet/server';
import { deployMarket } from '../../market/deploy';
import { WalletSender } from '../../market/walletSender';
import { OrderBook } from '../../wrappers/OrderBook';
import { Registry } from '../../wrappers/Registry';
import { CocoonTonClient } from '../../wrappers/tonClient';

const h = (s: string) => createHash('sha256').update(s).digest();

describe('deployMarket through TonClient on localnet', () => {
    let localnet: Localnet;
    beforeAll(async () => {
        localnet = await startLocalnet({ port: 0, walletCount: 1, blockIntervalMs: 200 });
    });
    afterAll(async () => localnet.close());

    it('deploys the Registry and OrderBook and allowlists what it is given, idempotently', async () => {
        const client = new CocoonTonClient({ endpoint: localnet.url });
        const governance = await WalletSender.fromMnemonic(client, localnet.wallets[0].mnemonic);
        const opts = {
            network: 'localnet' as const,
            governance,
            measurements: [{ hash: h('m1'), expiresAt: Math.floor(Date.now() / 1000) + 86400 }],
            models: [{ hash: h('model'), name: 'tiny' }],
            verifiers: [{ index: 0, publicKey: h('verifier') }],
        };
        const d = await deployMarket(opts);
        const reg = client.open(Registry.fromAddress(d.registry));
        const data = await reg.getRegistryData();
        expect(data.configured).toBe(true);
        expect(data.owner.equals(governance.address)).toBe(true);
        expect([data.measurementCount, data.modelCount, data.verifierCount]).toEqual([1n, 1n, 1n]);
        expect(await reg.getMeasurementActive(BigInt('0x' + h('m1').toString('hex')))).toBe(true);
        const book = client.open(OrderBook.fromAddress(d.orderBook));
        expect((await book.getOrderBookData()).configured).toBe(true);
        expect(await book.getModelActivatesAt(BigInt('0x' + h('model').toString('hex')))).toBeGreaterThan(0n);
        // a second run finds the Registry deployed and only re-applies the allowlists
        const again = await deployMarket(opts);
        expect(again.registry.equals(d.registry)).toBe(true);
        expect((await reg.getRegistryData()).measurementCount).toBe(1n);
    });

    it('refuses a mainnet deployment with fewer than two verifiers required', async () => {
        const client = new CocoonTonClient({ endpoint: localnet.url });
        const governance = await WalletSender.fromMnemonic(client, localnet.wallets[0].mnemonic);
        await expect(deployMarket({ network: 'mainnet', governance, params: { verifierK: 1n } })).rejects.toThrow(
            /verifierK < 2/,
        );
    });
});
