/**
 * Revocation enforcement: governance revokes the measurement a registered provider attested; a keeper
 * relays it to the Provider within one pass, after which the Provider takes no match.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { beginCell, toNano } from '@ton/core';
import { Keeper } from '../../keeper/keeper';
import { KeeperDb } from '../../keeper/db';
import { KeeperWallet } from '../../keeper/chain/wallet';
import { ExitCode, ProviderStatus } from '../../wrappers/Constants';
import { storeRevokeMeasurement } from '../../wrappers/Registry';
import { Provider } from '../../wrappers/Provider';
import { bufferToUint256 } from '../../wrappers/formats/ed25519';
import { MarketFixture, MEASUREMENT, registerProvider, send, startMarket } from './fixture';

const log = pino({ level: 'silent' });

let m: MarketFixture;
let dir: string;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keeper-revocation-'));
    m = await startMarket({ walletCount: 2 });
});

afterAll(async () => {
    await m?.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

it('relays a revoked measurement to the Provider, which then refuses matches', async () => {
    const p = await registerProvider(m, m.wallets[1]);
    const keeper = new Keeper({
        chain: m.chain,
        db: new KeeperDb(path.join(dir, 'k.db')),
        registry: m.registry,
        log,
        wallet: await KeeperWallet.fromMnemonic(m.chain, m.wallets[0].mnemonic, 10_000),
        policy: {
            matchValue: 50_000_000n,
            matchCostEstimate: 32_000_000n,
            spendAboveFee: false,
            refundExpired: false,
            timeoutValue: 20_000_000n,
            relayRevocations: true,
            relayValue: 30_000_000n,
            resendAfterMs: 30_000,
        },
        pollIntervalMs: 200,
    });
    await keeper.pass();
    expect((await m.chain.providerData(p.address))!.status).toBe(BigInt(ProviderStatus.ACTIVE));
    // nothing to relay while the measurement stands
    expect((await keeper.pass()).relays).toBe(0);

    const body = beginCell();
    storeRevokeMeasurement({ $$type: 'RevokeMeasurement', queryId: 0n, measurement: bufferToUint256(MEASUREMENT) })(
        body,
    );
    await send(m.client, m.governance, m.registry, toNano('0.05'), body.endCell());

    const res = await keeper.pass();
    expect(res.relays).toBe(1);
    const d = (await m.chain.providerData(p.address))!;
    expect(d.status).toBe(BigInt(ProviderStatus.DEACTIVATED));
    expect(d.attestedUntil).toBe(0n);
    // a revoked provider refuses any match (the getter the keeper's matcher consults)
    const canServe = await m.client.open(Provider.fromAddress(p.address)).getCanServe(0n, 1n, 1n, 0n);
    expect(canServe).toBe(BigInt(ExitCode.NOT_ACTIVE));
    // and it is relayed once: the next pass sends nothing more
    expect((await keeper.pass()).relays).toBe(0);
    keeper.db.close();
});
