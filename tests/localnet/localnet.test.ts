import { Address, beginCell, internal, SendMode, toNano } from '@ton/core';
import { TonClient } from '@ton/ton';
import { Localnet, startLocalnet } from '../../localnet/server';
import { freshAddress, rpc, transfer, waitFor } from './helpers';

jest.setTimeout(30_000);

describe('localnet through TonClient', () => {
    let ln: Localnet;
    let client: TonClient;

    beforeAll(async () => {
        ln = await startLocalnet({ walletCount: 2, blockIntervalMs: 100, genesisSeed: 'test' });
        client = new TonClient({ endpoint: ln.url, timeout: 10_000 });
    });

    afterAll(async () => {
        await ln.close();
    });

    it('serves prefunded, deployed W5R1 wallets', async () => {
        expect(ln.wallets).toHaveLength(2);
        for (const w of ln.wallets) {
            const balance = await client.getBalance(w.contract.address);
            // 1,000,000 TON minus the deploy transaction's gas.
            expect(balance).toBeGreaterThan(toNano(999_999));
            expect(balance).toBeLessThanOrEqual(toNano(1_000_000));
            expect(await client.isContractDeployed(w.contract.address)).toBe(true);
            expect(await client.open(w.contract).getSeqno()).toBe(0);
        }
        const res = await fetch(`${ln.baseUrl}/localnet/wallets`);
        const body = (await res.json()) as { result: { address: string; mnemonic: string }[] };
        expect(body.result.map((w) => Address.parse(w.address).toRawString())).toEqual(
            ln.wallets.map((w) => w.contract.address.toRawString()),
        );
        expect(body.result[0].mnemonic.split(' ')).toHaveLength(24);
    });

    it('answers get methods in toncenter stack format', async () => {
        const w = ln.wallets[0];
        const r = await rpc(ln.url, 'runGetMethod', {
            address: w.contract.address.toString(),
            method: 'get_public_key',
            stack: [],
        });
        expect(r.body.ok).toBe(true);
        expect(r.body.result['@type']).toBe('smc.runResult');
        expect(r.body.result.exit_code).toBe(0);
        expect(r.body.result.stack).toEqual([['num', '0x' + w.keyPair.publicKey.toString('hex').replace(/^0+/, '')]]);
        const uninit = await rpc(ln.url, 'runGetMethod', {
            address: freshAddress().toString(),
            method: 'seqno',
            stack: [],
        });
        expect(uninit.body.result.exit_code).toBe(-13);
        const info = await rpc(ln.url, 'getWalletInformation', { address: w.contract.address.toString() });
        expect(info.body.result).toMatchObject({ wallet: true, wallet_type: 'wallet v5 r1', account_state: 'active' });
    });

    it('transfers from a wallet to a new address, with exact amount and history', async () => {
        const w = ln.wallets[0];
        const to = freshAddress();
        const amount = toNano('1.234');
        const seqno = await transfer(client, w, to, amount);
        await waitFor(
            () => client.getBalance(to),
            (b) => b === amount,
        );
        expect(await client.open(w.contract).getSeqno()).toBe(seqno + 1);

        // Destination history: one transaction whose in_msg carries the amount.
        const destTxs = await client.getTransactions(to, { limit: 10 });
        expect(destTxs).toHaveLength(1);
        const inInfo = destTxs[0].inMessage!.info;
        expect(inInfo.type === 'internal' && inInfo.value.coins).toBe(amount);

        // Sender history pages newest first; lt/hash paging continues below the given transaction.
        const first = await client.getTransactions(w.contract.address, { limit: 1 });
        expect(first).toHaveLength(1);
        expect(first[0].outMessages.size).toBe(1);
        const older = await client.getTransactions(w.contract.address, {
            limit: 10,
            lt: first[0].lt.toString(),
            hash: first[0].hash().toString('base64'),
        });
        expect(older.length).toBeGreaterThanOrEqual(1);
        expect(older.every((t) => t.lt < first[0].lt)).toBe(true);
        const inclusive = await client.getTransactions(w.contract.address, {
            limit: 10,
            lt: first[0].lt.toString(),
            hash: first[0].hash().toString('base64'),
            inclusive: true,
        });
        expect(inclusive[0].hash().equals(first[0].hash())).toBe(true);
        // to_lt is exclusive, as in toncenter.
        const bounded = await rpc(ln.url, 'getTransactions', {
            address: w.contract.address.toString(),
            limit: 10,
            to_lt: older[0].lt.toString(),
        });
        expect(bounded.body.result).toHaveLength(1);

        // The provider's lastTransaction points at a transaction the history can find.
        const state = await client.getContractState(w.contract.address);
        const located = await client.getTransaction(
            w.contract.address,
            state.lastTransaction!.lt,
            state.lastTransaction!.hash,
        );
        expect(located?.hash().equals(first[0].hash())).toBe(true);

        // tryLocateResultTx / tryLocateSourceTx follow the internal message.
        const out = first[0].outMessages.get(0)!;
        if (out.info.type !== 'internal') throw new Error('expected internal');
        const result = await client.tryLocateResultTx(w.contract.address, to, out.info.createdLt.toString());
        expect(result.hash().equals(destTxs[0].hash())).toBe(true);
        const source = await client.tryLocateSourceTx(w.contract.address, to, out.info.createdLt.toString());
        expect(source.hash().equals(first[0].hash())).toBe(true);

        // Raw toncenter shapes: an external-in in_msg has an empty source, balances are strings.
        const raw = await rpc(ln.url, 'getTransactions', { address: w.contract.address.toString(), limit: 1 });
        expect(raw.body.result[0]['@type']).toBe('raw.transaction');
        expect(raw.body.result[0].in_msg.source).toBe('');
        expect(typeof raw.body.result[0].out_msgs[0].value).toBe('string');

        // The block that included the transfer lists it.
        const block = destTxs[0];
        const shardTxs = await findInBlocks(client, to, block.lt);
        expect(shardTxs).toBe(true);
    });

    it('estimates fees without committing', async () => {
        const w = ln.wallets[0];
        const opened = client.open(w.contract);
        const seqno = await opened.getSeqno();
        const body = w.contract.createTransfer({
            seqno,
            secretKey: w.keyPair.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to: freshAddress(), value: toNano('0.1'), bounce: false })],
        });
        const fees = await client.estimateExternalMessageFee(w.contract.address, {
            body,
            initCode: null,
            initData: null,
            ignoreSignature: true,
        });
        expect(fees['@type']).toBe('query.fees');
        expect(fees.source_fees.gas_fee).toBeGreaterThan(0);
        expect(fees.source_fees.fwd_fee).toBeGreaterThan(0);
        expect(fees.source_fees.in_fwd_fee).toBeGreaterThan(0);
        expect(await opened.getSeqno()).toBe(seqno);
    });

    it('rejects a bad external with an error instead of hanging', async () => {
        const w = ln.wallets[1];
        const seqno = await client.open(w.contract).getSeqno();
        await expect(transfer(client, w, freshAddress(), toNano('1'), seqno + 5)).rejects.toThrow();
        const body = beginCell().storeUint(0x7369676e, 32).storeUint(0, 8).endCell();
        const boc = beginCell()
            .storeUint(2, 2)
            .storeUint(0, 2)
            .storeAddress(w.contract.address)
            .storeCoins(0)
            .storeBit(false)
            .storeBit(true)
            .storeRef(body)
            .endCell()
            .toBoc()
            .toString('base64');
        const r = await rpc(ln.url, 'sendBoc', { boc });
        expect(r.status).toBe(500);
        expect(r.body).toMatchObject({ ok: false, code: 500 });
        expect(r.body.error).toMatch(/^LITE_SERVER_UNKNOWN/);
        expect(await client.open(w.contract).getSeqno()).toBe(seqno);
    });

    it('advances the masterchain seqno and block hash over time', async () => {
        const a = await client.getMasterchainInfo();
        await waitFor(
            () => client.getMasterchainInfo(),
            (b) => b.latestSeqno > a.latestSeqno,
            5_000,
        );
        const info = (await (await fetch(`${ln.baseUrl}/localnet/info`)).json()) as { result: { blockHash: string } };
        expect(info.result.blockHash).toMatch(/^[0-9a-f]{64}$/);
        expect(info.result.blockHash).toBe(ln.latestBlock().rootHash.toString('hex'));
    });

    it('lands concurrent sends from two wallets', async () => {
        const [w0, w1] = ln.wallets;
        const to0 = freshAddress();
        const to1 = freshAddress();
        await Promise.all([transfer(client, w0, to0, toNano('2')), transfer(client, w1, to1, toNano('3'))]);
        await waitFor(
            () => client.getBalance(to0),
            (b) => b === toNano('2'),
        );
        await waitFor(
            () => client.getBalance(to1),
            (b) => b === toNano('3'),
        );
    });

    it('serves REST forms and the faucet', async () => {
        const to = freshAddress();
        const f = await fetch(`${ln.baseUrl}/localnet/faucet`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ address: to.toString(), amount: '5000000000' }),
        });
        expect(f.status).toBe(200);
        const res = await fetch(`${ln.baseUrl}/getAddressBalance?address=${encodeURIComponent(to.toString())}`);
        expect(await res.json()).toMatchObject({ ok: true, result: '5000000000' });
        const state = await fetch(`${ln.baseUrl}/api/v2/getAddressState?address=${encodeURIComponent(to.toString())}`);
        expect(await state.json()).toMatchObject({ ok: true, result: 'uninitialized' });
        const bad = await rpc(ln.url, 'getAddressBalance', { address: 'nonsense' });
        expect(bad.body).toMatchObject({ ok: false, code: 416 });
    });
});

/** Walks blocks back from the newest until a basechain block lists `account` at `lt`. */
async function findInBlocks(client: TonClient, account: Address, lt: bigint): Promise<boolean> {
    const mc = await client.getMasterchainInfo();
    for (let seqno = mc.latestSeqno; seqno > Math.max(0, mc.latestSeqno - 200); seqno--) {
        const shards = await client.getWorkchainShards(seqno);
        for (const s of shards) {
            const txs = await client.getShardTransactions(s.workchain, s.seqno, s.shard);
            if (txs.some((t) => t.account.equals(account) && t.lt === lt.toString())) {
                return true;
            }
        }
    }
    return false;
}

describe('localnet embedding', () => {
    it('logs transactions made directly on the sandbox through chain.apply', async () => {
        const ln = await startLocalnet({ walletCount: 0, blockIntervalMs: 0 });
        try {
            const client = new TonClient({ endpoint: ln.url, timeout: 10_000 });
            const to = freshAddress();
            const { outcome } = await ln.chain.apply(async (bc) => {
                const deployer = await bc.treasury('embedding-test');
                await deployer.send({ to, value: toNano('4'), bounce: false });
            });
            // The fresh treasury's own deploy plus the transfer's two transactions.
            expect(outcome.transactions.length).toBe(3);
            expect(await client.getBalance(to)).toBe(toNano('4'));
            const txs = await client.getTransactions(to, { limit: 5 });
            expect(txs).toHaveLength(1);
            expect((await client.getMasterchainInfo()).latestSeqno).toBe(outcome.block.seqno);
        } finally {
            await ln.close();
        }
    });
});
